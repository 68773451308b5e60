import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// One line of the audit log: who did what to which record, where, when, and how it looked
/// before and after. Append-only: `AuditAppendOnly` refuses updates and deletes at the ORM,
/// and no route edits or removes an entry.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_entries"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @OptionalField(key: "actor_id") var actorID: UUID?
    /// Kept as text: the log must still say who it was after an account is renamed.
    @Field(key: "actor_username") var actorUsername: String
    @Field(key: "actor_roles") var actorRoles: String
    @Field(key: "action") var action: String
    @Field(key: "entity_type") var entityType: String
    @OptionalField(key: "entity_id") var entityID: String?
    /// The region of the record changed: that region's staff read the entry.
    @Field(key: "region_code") var regionCode: String
    /// The acting account's region, when it is not the record's: its staff read the entry too.
    @OptionalField(key: "actor_region_code") var actorRegionCode: String?
    @OptionalField(key: "before_json") var beforeJSON: String?
    @OptionalField(key: "after_json") var afterJSON: String?
    @Field(key: "client_address") var clientAddress: String
    @Field(key: "user_agent") var userAgent: String
    @Field(key: "request_id") var requestID: String

    var properties: [any AnyProperty] {
        [$id, $at, $actorID, $actorUsername, $actorRoles, $action, $entityType, $entityID, $regionCode, $actorRegionCode, $beforeJSON, $afterJSON, $clientAddress,
         $userAgent, $requestID]
    }
    init() {}
}

extension AuditEntry: RegionScoped {
    static let regionCodeKey: FieldKey = "region_code"
    static let alsoVisibleUnderKey: FieldKey? = "actor_region_code"
}

struct CreateAuditEntries: AsyncMigration {
    var name: String { "003_CreateAuditEntries" }

    func prepare(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema)
            .id()
            .field("at", .datetime, .required)
            .field("actor_id", .uuid)
            .field("actor_username", .string, .required)
            .field("actor_roles", .string, .required)
            .field("action", .string, .required)
            .field("entity_type", .string, .required)
            .field("entity_id", .string)
            .field("region_code", .string, .required)
            .field("before_json", .string)
            .field("after_json", .string)
            .field("client_address", .string, .required)
            .field("user_agent", .string, .required)
            .field("request_id", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema).delete()
    }
}

/// Migration 020: the acting account's region beside the record's, and the database itself
/// refusing to change or remove an entry, whatever connects to it (the ORM guard below only
/// binds this application).
struct AuditEntriesAppendOnlyInDatabase: AsyncMigration {
    var name: String { "020_AuditEntriesAppendOnlyInDatabase" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_entries").field("actor_region_code", .string).update()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX audit_entries_actor_region_idx ON audit_entries (actor_region_code)").run()
        if sql.dialect.name == "sqlite" {
            for (name, event) in [("audit_entries_no_update", "UPDATE"), ("audit_entries_no_delete", "DELETE")] {
                try await sql.raw("""
                    CREATE TRIGGER \(unsafeRaw: name) BEFORE \(unsafeRaw: event) ON audit_entries
                    BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
                    """).run()
            }
        } else {
            try await sql.raw("""
                CREATE FUNCTION audit_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_entries is append-only' USING ERRCODE = 'insufficient_privilege'; END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries
                FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse_change()
                """).run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse_change()
                """).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_update").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_delete").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_change ON audit_entries").run()
            try await sql.raw("DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_entries_refuse_change()").run()
        }
        try await sql.raw("DROP INDEX IF EXISTS audit_entries_actor_region_idx").run()
        try await database.schema("audit_entries").deleteField("actor_region_code").update()
    }
}

/// The ORM refuses to change or remove an audit entry, whatever code asks.
struct AuditAppendOnly: AsyncModelMiddleware {
    func update(model: AuditEntry, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.forbidden, "audit.append_only", zh: "审计日志只能追加，不能修改", en: "The audit log is append-only")
    }

    func delete(model: AuditEntry, force: Bool, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.forbidden, "audit.append_only", zh: "审计日志只能追加，不能删除", en: "The audit log is append-only")
    }

    func softDelete(model: AuditEntry, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.forbidden, "audit.append_only", zh: "审计日志只能追加，不能删除", en: "The audit log is append-only")
    }
}

/// The actions the log records. Strings in the database; named here so pages can translate
/// them and filters can offer them.
enum AuditAction: String, CaseIterable, Codable {
    case loginSucceeded = "login.succeeded"
    case loginFailed = "login.failed"
    case loginLocked = "login.locked"
    case logout = "logout"
    case tokenIssued = "token.issued"
    case tokenRevoked = "token.revoked"
    case passwordChanged = "password.changed"
    case passwordReset = "password.reset"
    case userCreated = "user.created"
    case userUpdated = "user.updated"
    case userDisabled = "user.disabled"
    case userEnabled = "user.enabled"
    case rolePermissionsChanged = "role.permissions_changed"
    case regionsImported = "regions.imported"
    case auditExported = "audit.exported"
    case personalDataUnmasked = "personal_data.unmasked"
    case demoLoaded = "demo.loaded"
    case administratorBootstrapped = "admin.bootstrapped"
    case elderCreated = "elder.created"
    case elderUpdated = "elder.updated"
    case elderDeleted = "elder.deleted"
    case elderTransferRequested = "elder_transfer.requested"
    case elderTransferAccepted = "elder_transfer.accepted"
    case elderTransferDeclined = "elder_transfer.declined"
    case eldersImported = "elders.imported"
    case eldersImportBatch = "elders.import_batch"
    case eldersExported = "elders.exported"
    case lifeEventRecorded = "life_event.recorded"
    case lifeEventsImported = "life_events.imported"
    case referenceCodeAdded = "reference_code.added"
    case assessmentRequested = "assessment.requested"
    case assessmentAssigned = "assessment.assigned"
    case assessmentSubmitted = "assessment.submitted"
    case assessmentApproved = "assessment.approved"
    case assessmentRejected = "assessment.rejected"
    case assessmentCancelled = "assessment.cancelled"
    case assessmentImported = "assessment.imported"
    case assessmentExported = "assessment.exported"
    case assessmentPolicyChanged = "assessment.policy_changed"
    case benefitPolicyCreated = "benefit.policy_created"
    case benefitScanRun = "benefit.scan"
    case benefitApproved = "benefit.approved"
    case benefitRejected = "benefit.rejected"
    case paymentRunComputed = "payment_run.computed"
    case paymentRunApproved = "payment_run.approved"
    case paymentRunExported = "payment_run.exported"
    case overpaymentResolved = "overpayment.resolved"
    case benefitApplied = "benefit.applied"
    case entitlementsReviewed = "entitlements.reviewed"
    case livenessRecorded = "liveness.recorded"
    case benefitSettingsChanged = "benefit.settings_changed"
    case paymentAdjusted = "payment.adjusted"
    case familyLinkRequested = "family_link.requested"
    case familyLinkConfirmed = "family_link.confirmed"
    case familyLinkRejected = "family_link.rejected"
    case serviceSetupChanged = "services.setup_changed"
    case institutionChanged = "institutions.changed"
    case serviceOrderPlaced = "service_order.placed"
    case serviceOrderChanged = "service_order.changed"
    case serviceVisitReviewed = "service_order.reviewed"
    case serviceComplaint = "services.complaint"
    case returnVisitRecorded = "services.return_visit"
    case mealRecorded = "services.meal"
    case serviceStatementApproved = "services.statement_approved"
    case benefitReviewed = "benefit.reviewed"
    case benefitObjection = "benefit.objection"
    case benefitAttachmentAdded = "benefit.attachment_added"
    case benefitAttachmentRead = "benefit.attachment_read"

    var label: LocalizedText {
        switch self {
        case .loginSucceeded: .init(zh: "登录成功", en: "Signed in")
        case .loginFailed: .init(zh: "登录失败", en: "Sign-in failed")
        case .loginLocked: .init(zh: "账号锁定", en: "Account locked")
        case .logout: .init(zh: "退出登录", en: "Signed out")
        case .tokenIssued: .init(zh: "签发接口令牌", en: "API token issued")
        case .tokenRevoked: .init(zh: "注销接口令牌", en: "API token revoked")
        case .passwordChanged: .init(zh: "修改密码", en: "Password changed")
        case .passwordReset: .init(zh: "重置密码", en: "Password reset")
        case .userCreated: .init(zh: "创建账号", en: "Account created")
        case .userUpdated: .init(zh: "修改账号", en: "Account changed")
        case .userDisabled: .init(zh: "停用账号", en: "Account disabled")
        case .userEnabled: .init(zh: "启用账号", en: "Account enabled")
        case .rolePermissionsChanged: .init(zh: "调整角色权限", en: "Role permissions changed")
        case .regionsImported: .init(zh: "导入行政区划", en: "Regions imported")
        case .auditExported: .init(zh: "导出审计日志", en: "Audit log exported")
        case .personalDataUnmasked: .init(zh: "查看完整个人信息", en: "Personal data unmasked")
        case .demoLoaded: .init(zh: "载入演示数据", en: "Demo data loaded")
        case .administratorBootstrapped: .init(zh: "创建初始管理员", en: "First administrator created")
        case .elderCreated: .init(zh: "登记老年人", en: "Elderly person registered")
        case .elderDeleted: .init(zh: "删除误登记的老年人档案", en: "Elder record deleted (registered in error)")
        case .elderTransferRequested: .init(zh: "申请档案迁入", en: "Record transfer requested")
        case .elderTransferAccepted: .init(zh: "同意档案迁出", en: "Record transfer accepted")
        case .elderTransferDeclined: .init(zh: "不同意档案迁出", en: "Record transfer declined")
        case .elderUpdated: .init(zh: "修改老年人信息", en: "Elderly person changed")
        case .eldersImported: .init(zh: "导入老年人名册", en: "Roster imported")
        case .eldersImportBatch: .init(zh: "名册导入：一批已写入", en: "Roster import: a batch written")
        case .eldersExported: .init(zh: "导出老年人名册", en: "Roster exported")
        case .lifeEventRecorded: .init(zh: "记录死亡或迁出", en: "Death or move-out recorded")
        case .lifeEventsImported: .init(zh: "导入死亡或迁出数据", en: "Life events imported")
        case .referenceCodeAdded: .init(zh: "增加代码表项", en: "Code added to a list")
        case .assessmentRequested: .init(zh: "申请能力评估", en: "Assessment requested")
        case .assessmentAssigned: .init(zh: "评估派单", en: "Assessment assigned")
        case .assessmentSubmitted: .init(zh: "提交评估结果", en: "Assessment submitted")
        case .assessmentApproved: .init(zh: "评估审核通过", en: "Assessment signed off")
        case .assessmentRejected: .init(zh: "评估审核未通过", en: "Assessment rejected")
        case .assessmentCancelled: .init(zh: "撤销评估", en: "Assessment cancelled")
        case .assessmentImported: .init(zh: "导入外部评估结果", en: "Assessment result imported")
        case .assessmentExported: .init(zh: "导出评估结果", en: "Assessment result exported")
        case .assessmentPolicyChanged: .init(zh: "修改评估设置", en: "Assessment settings changed")
        case .benefitPolicyCreated: .init(zh: "发布补贴政策版本", en: "Benefit policy version published")
        case .benefitScanRun: .init(zh: "主动发现符合条件人员", en: "Proactive entitlement scan")
        case .benefitApproved: .init(zh: "认定享受待遇", en: "Benefit granted")
        case .benefitRejected: .init(zh: "不予认定", en: "Benefit refused")
        case .paymentRunComputed: .init(zh: "生成发放表", en: "Payment roll computed")
        case .paymentRunApproved: .init(zh: "审批发放表", en: "Payment roll approved")
        case .paymentRunExported: .init(zh: "导出发放表", en: "Payment roll exported")
        case .overpaymentResolved: .init(zh: "处理多发追回", en: "Overpayment resolved")
        case .benefitApplied: .init(zh: "受理补贴申请", en: "Benefit application received")
        case .entitlementsReviewed: .init(zh: "待遇月度复核", en: "Entitlements reviewed")
        case .livenessRecorded: .init(zh: "确认生存状态", en: "Seen alive")
        case .benefitSettingsChanged: .init(zh: "修改补贴办理设置", en: "Benefit settings changed")
        case .paymentAdjusted: .init(zh: "登记发放更正", en: "Payment adjustment recorded")
        case .familyLinkRequested: .init(zh: "申请关联家人", en: "Family link requested")
        case .familyLinkConfirmed: .init(zh: "确认家属关联", en: "Family link confirmed")
        case .familyLinkRejected: .init(zh: "驳回家属关联", en: "Family link rejected")
        case .serviceSetupChanged: .init(zh: "修改服务点、服务商、服务目录或设置", en: "Service points, providers, menu or settings changed")
        case .institutionChanged: .init(zh: "登记养老机构、入住退住或新增床位", en: "Institution registered, resident in or out, or beds added")
        case .serviceOrderPlaced: .init(zh: "下单", en: "Service ordered")
        case .serviceOrderChanged: .init(zh: "服务订单状态变更", en: "Service order changed")
        case .serviceVisitReviewed: .init(zh: "审核服务异常", en: "Visit exception reviewed")
        case .serviceComplaint: .init(zh: "服务投诉", en: "Service complaint")
        case .returnVisitRecorded: .init(zh: "服务回访", en: "Return visit")
        case .mealRecorded: .init(zh: "助餐记录", en: "Meal recorded")
        case .serviceStatementApproved: .init(zh: "审核服务结算单", en: "Service statement approved")
        case .benefitReviewed: .init(zh: "补贴申请审核", en: "Benefit application reviewed")
        case .benefitObjection: .init(zh: "记录公示异议", en: "Objection recorded")
        case .benefitAttachmentAdded: .init(zh: "上传申请材料", en: "Application document added")
        case .benefitAttachmentRead: .init(zh: "查看申请材料", en: "Application document read")
        }
    }
}

/// Names of the entity types the audit log records, so the audit pages never show a table's code.
/// An entity type not listed (a deployment's own) is shown as recorded.
enum AuditEntityType {
    static let names: [String: LocalizedText] = [
        "user": .init(zh: "账号", en: "Account"), "role": .init(zh: "角色", en: "Role"), "region": .init(zh: "行政区划", en: "Region"),
        "elder": .init(zh: "老年人档案", en: "Elder record"), "elder_transfer": .init(zh: "档案转移", en: "Record transfer"),
        "life_event": .init(zh: "生存状态变更", en: "Life event"), "family_link": .init(zh: "家属关联", en: "Family link"),
        "reference_code": .init(zh: "代码表", en: "Reference code"), "audit": .init(zh: "审计日志", en: "Audit log"),
        "demo": .init(zh: "演示数据", en: "Demo data"),
        "assessment": .init(zh: "能力评估", en: "Assessment"), "assessment_result": .init(zh: "评估结果", en: "Assessment result"),
        "assessment_policy": .init(zh: "评估设置", en: "Assessment settings"),
        "benefit_case": .init(zh: "待遇申请", en: "Benefit case"), "benefit_policy": .init(zh: "待遇政策", en: "Benefit policy"),
        "benefit_settings": .init(zh: "待遇设置", en: "Benefit settings"), "entitlement": .init(zh: "享受资格", en: "Entitlement"),
        "payment_run": .init(zh: "发放批次", en: "Payment run"), "overpayment": .init(zh: "多发追回", en: "Overpayment"),
        "service_order": .init(zh: "服务订单", en: "Service order"), "service_visits": .init(zh: "上门服务记录", en: "Service visits"),
        "service_statement": .init(zh: "结算单", en: "Statement"), "service_statement_export": .init(zh: "结算单导出", en: "Statement export"),
        "service_complaint": .init(zh: "投诉", en: "Complaint"), "return_visit": .init(zh: "回访", en: "Return visit"),
        "return_visits": .init(zh: "回访", en: "Return visits"), "meal_order": .init(zh: "助餐订单", en: "Meal order"),
        "meal_menu": .init(zh: "助餐菜单", en: "Meal menu"), "home_service_settings": .init(zh: "居家服务设置", en: "Home service settings"),
        "service_point": .init(zh: "服务站点", en: "Service point"), "service_provider": .init(zh: "服务商", en: "Service provider"),
        "provider_contract": .init(zh: "服务商协议", en: "Provider contract"), "caregiver": .init(zh: "护理员", en: "Caregiver"),
        "service_account": .init(zh: "服务账号", en: "Service account"), "service_item": .init(zh: "服务项目", en: "Service item"),
        "institution": .init(zh: "养老机构", en: "Institution"), "institution_account": .init(zh: "机构账号", en: "Institution account"),
        "institution_resident": .init(zh: "机构入住老人", en: "Institution resident"),
        "institution_beds": .init(zh: "机构床位", en: "Institution beds"),
    ]

    static func name(_ code: String, _ l: UILocale) -> String { names[code]?.text(l) ?? code }
}

/// Writes audit entries. `record(on: req, …)` takes the actor, address, agent and request id
/// from the request; `recordSystem` is for the CLI and start-up, where there is no request.
enum AuditLog {
    static func record(
        on req: Request, db: (any Database)? = nil, action: AuditAction, entityType: String, entityID: String?,
        region: String, before: (any Encodable)? = nil, after: (any Encodable)? = nil,
        actorOverride: (id: UUID?, username: String, roles: String)? = nil
    ) async throws {
        let entry = AuditEntry()
        entry.at = Date()
        if let o = actorOverride {
            entry.actorID = o.id
            entry.actorUsername = o.username
            entry.actorRoles = o.roles
        } else if let a = req.actor {
            entry.actorID = a.userID
            entry.actorUsername = a.username
            entry.actorRoles = a.roleCodes
        } else {
            entry.actorID = nil
            entry.actorUsername = "-"
            entry.actorRoles = ""
        }
        entry.action = action.rawValue
        entry.entityType = entityType
        entry.entityID = entityID
        entry.regionCode = region
        if let actorRegion = req.actor?.region.value, actorRegion != region { entry.actorRegionCode = actorRegion }
        entry.beforeJSON = try before.map { try encode($0) }
        entry.afterJSON = try after.map { try encode($0) }
        entry.clientAddress = req.clientAddress
        entry.userAgent = String((req.headers.first(name: .userAgent) ?? "").prefix(300))
        entry.requestID = req.requestID
        try await entry.create(on: db ?? req.db)
    }

    static func recordSystem(on db: any Database, actor: String, action: AuditAction, entityType: String,
                             entityID: String?, region: String, after: (any Encodable)?) async throws {
        var trail = AuditTrail(command: actor)
        trail.region = region
        try await record(trail, on: db, action: action, entityType: entityType, entityID: entityID, after: after)
    }

    /// Writes one entry of a long job (an import going on after its request has answered, a
    /// command) in the name of whoever started it.
    static func record(_ trail: AuditTrail, on db: any Database, action: AuditAction, entityType: String, entityID: String?,
                       after: (any Encodable)?) async throws {
        let entry = AuditEntry()
        entry.at = Date()
        entry.actorID = trail.actorID
        entry.actorUsername = trail.username
        entry.actorRoles = trail.roles
        entry.action = action.rawValue
        entry.entityType = entityType
        entry.entityID = entityID
        entry.regionCode = trail.region
        entry.beforeJSON = nil
        entry.afterJSON = try after.map { try encode($0) }
        entry.clientAddress = trail.clientAddress
        entry.userAgent = trail.userAgent
        entry.requestID = trail.requestID
        try await entry.create(on: db)
    }

    static func encode(_ value: any Encodable) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}

/// Who started a long job, taken from its request (or the command line) when it starts, so the
/// job's entries name them however long it runs.
struct AuditTrail: Sendable {
    var actorID: UUID?
    var username: String
    var roles: String
    var region: String
    var clientAddress: String
    var userAgent: String
    var requestID: String

    init(_ req: Request) throws {
        guard let actor = req.actor else { throw AppError.unauthenticated }
        actorID = actor.userID
        username = actor.username
        roles = actor.roleCodes
        region = actor.region.value
        clientAddress = req.clientAddress
        userAgent = String((req.headers.first(name: .userAgent) ?? "").prefix(300))
        requestID = req.requestID
    }

    /// A command run on the server itself.
    init(command: String) {
        actorID = nil
        username = command
        roles = "system"
        region = RegionCode.root.value
        clientAddress = "cli"
        userAgent = "yiyang-cli"
        requestID = UUID().uuidString
    }
}
