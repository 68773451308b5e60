import Vapor
import YiyangDomain

/// A JSON value with ordered keys, enough to write an OpenAPI document by hand.
indirect enum JSONValue: Encodable, Sendable {
    case string(String), int(Int), bool(Bool), array([JSONValue]), object([(String, JSONValue)])

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .array(let a): var c = encoder.unkeyedContainer(); for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: Key.self)
            for (k, v) in o { try c.encode(v, forKey: Key(k)) }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// One documented API operation. `OpenAPICoverageTests` fails when a registered `/api/v1`
/// route has no entry here, so the document cannot fall behind the code.
struct APIOperation: Sendable {
    enum Body: Sendable { case none, json(String), csv, roster, binary }
    var method: String
    /// OpenAPI form: `/api/v1/regions/{code}`
    var path: String
    var tag: String
    var summary: String
    var auth = true
    var query: [(name: String, type: String, description: String)] = []
    /// Query parameters the operation refuses to do without.
    var requiredQuery: Set<String> = []
    var body: Body = .none
    /// False where the operation takes no body as "all defaults" (drawing return visits).
    var bodyRequired = true
    var status = 200
    /// A component schema name, `[Name]` for an array, `Paged<Name>` for a paginated list, nil for no content.
    var response: String?
    var responseType = "application/json"
    /// A second success status with the same content and what it means (202: started, still running).
    var alsoStatus: (code: Int, description: String)? = nil
}

enum OpenAPIDocument {
    static let pagination: [(name: String, type: String, description: String)] = [
        ("page", "integer", "Page number, from 1"), ("per", "integer", "Items per page, 1–200 (default 50)"),
    ]

    /// Every `/api/v1` operation. Later modules append theirs.
    static let operations: [APIOperation] = coreOperations + ServicesOpenAPI.operations + InstitutionsOpenAPI.operations

    static let coreOperations: [APIOperation] = [
        .init(method: "post", path: "/api/v1/sessions", tag: "Sessions", summary: "Sign in; returns a bearer token (登录，获取令牌)",
              auth: false, body: .json("SignIn"), status: 201, response: "Token"),
        .init(method: "delete", path: "/api/v1/sessions/current", tag: "Sessions", summary: "Revoke the token of this request (注销当前令牌)",
              status: 204, response: nil),
        .init(method: "get", path: "/api/v1/me", tag: "Accounts", summary: "The signed-in account, its permissions and region", response: "Me"),
        .init(method: "put", path: "/api/v1/me/password", tag: "Accounts", summary: "Change the signed-in account's password (修改密码)",
              body: .json("PasswordChange"), status: 204, response: nil),
        .init(method: "get", path: "/api/v1/users", tag: "Accounts", summary: "Accounts in the caller's region (账号列表)",
              query: pagination + [("q", "string", "Username or display name contains"), ("role", "string", "Role code"),
                                   ("region", "string", "Region subtree (12-digit code)"), ("enabled", "boolean", "Enabled flag")],
              response: "Paged<User>"),
        .init(method: "post", path: "/api/v1/users", tag: "Accounts", summary: "Create an account (创建账号)", body: .json("UserCreate"),
              status: 201, response: "User"),
        .init(method: "get", path: "/api/v1/users/{userID}", tag: "Accounts", summary: "One account", response: "User"),
        .init(method: "patch", path: "/api/v1/users/{userID}", tag: "Accounts",
              summary: "Change an account: name, phone, region, roles, enabled (修改、停用账号)", body: .json("UserUpdate"), response: "User"),
        .init(method: "post", path: "/api/v1/users/{userID}/password-reset", tag: "Accounts",
              summary: "Reset to a temporary password, shown once; the next sign-in must change it (重置密码)", response: "PasswordReset"),
        .init(method: "get", path: "/api/v1/roles", tag: "Accounts", summary: "The permission table: each role and its permissions", response: "[Role]"),
        .init(method: "put", path: "/api/v1/roles/{role}/permissions", tag: "Accounts", summary: "Replace a role's permissions (调整角色权限)",
              body: .json("RolePermissions"), response: "Role"),
        .init(method: "get", path: "/api/v1/permissions", tag: "Accounts", summary: "Every permission code with its name", response: "[Permission]"),
        .init(method: "get", path: "/api/v1/regions", tag: "Regions", summary: "Regions in the caller's scope (行政区划)",
              query: pagination + [("parent", "string", "Children of this code"), ("level", "string", "province, city, county, township or village"),
                                   ("q", "string", "Name contains, or code starts with")],
              response: "Paged<Region>"),
        .init(method: "get", path: "/api/v1/regions/{code}", tag: "Regions", summary: "One region with its number of children", response: "Region"),
        .init(method: "get", path: "/api/v1/regions/{code}/children", tag: "Regions", summary: "The children of a region", response: "[Region]"),
        .init(method: "post", path: "/api/v1/regions/import", tag: "Regions",
              summary: "Load an official division table (CSV: code,name[,class]); good rows land, bad rows are reported by line (导入区划)",
              body: .csv, response: "RegionImportReport"),
        .init(method: "get", path: "/api/v1/audit", tag: "Audit", summary: "The audit log of the caller's region (审计日志)",
              query: pagination + auditFilters, response: "Paged<AuditEntry>"),
        .init(method: "get", path: "/api/v1/audit/export", tag: "Audit", summary: "The filtered audit log as CSV; the export is audited",
              query: auditFilters, response: "CSV", responseType: "text/csv"),
        .init(method: "get", path: "/api/v1/audit/{auditID}", tag: "Audit", summary: "One audit entry", response: "AuditEntry"),
        .init(method: "get", path: "/api/v1/elders", tag: "Registry", summary: "Search the registry; results masked (老年人查询)",
              query: pagination + elderFilters, response: "Paged<Elder>"),
        .init(method: "post", path: "/api/v1/elders", tag: "Registry",
              summary: "Register a person; an ID number already registered answers 409 (登记老年人)", body: .json("ElderCreate"), status: 201, response: "Elder"),
        .init(method: "get", path: "/api/v1/elders/export", tag: "Registry",
              summary: "The search result as CSV or XLSX, masked unless unmasked=true and allowed; audited",
              query: elderFilters + [("format", "string", "csv (default) or xlsx"), ("unmasked", "boolean", "Full personal data (needs personal_data.unmask)")],
              response: "CSV", responseType: "text/csv"),
        .init(method: "post", path: "/api/v1/elders/import", tag: "Registry",
              summary: "Import a roster (CSV in UTF-8 or GB18030, or XLSX) as the body; good rows land, bad rows are reported (导入名册)",
              query: [("dryRun", "boolean", "Report what would happen without writing")], body: .roster, response: "RosterImportReport"),
        .init(method: "get", path: "/api/v1/elders/{elderID}", tag: "Registry", summary: "One person, masked", response: "Elder"),
        .init(method: "patch", path: "/api/v1/elders/{elderID}", tag: "Registry", summary: "Change fields; every change goes to the history",
              body: .json("ElderUpdate"), response: "Elder"),
        .init(method: "delete", path: "/api/v1/elders/{elderID}", tag: "Registry",
              summary: "Delete a record registered in error, with a reason; refused (409) once the person has a recorded death or move-out; audited",
              query: [("reason", "string", "Why the record is wrong (required)")], requiredQuery: ["reason"], status: 204, response: nil),
        .init(method: "post", path: "/api/v1/elders/{elderID}/unmask", tag: "Registry",
              summary: "The person with full ID number, phones and address (needs personal_data.unmask; audited)", response: "Elder"),
        .init(method: "get", path: "/api/v1/elders/{elderID}/history", tag: "Registry", summary: "Every change of the record, newest first",
              response: "[ElderChange]"),
        .init(method: "post", path: "/api/v1/elders/{elderID}/events", tag: "Registry", summary: "Record a death or a move out (记录死亡或迁出)",
              body: .json("LifeEventCreate"), response: "Elder"),
        .init(method: "get", path: "/api/v1/reference-codes", tag: "Registry", summary: "The registry's code lists (categories, economic status…)",
              query: [("kind", "string", "category, economic_status, living_arrangement or health_insurance")], response: "[ReferenceCode]"),
        .init(method: "post", path: "/api/v1/reference-codes", tag: "Registry", summary: "Add a code to a list (needs roles.manage)",
              body: .json("ReferenceCode"), status: 201, response: "ReferenceCode"),
        .init(method: "get", path: "/api/v1/elder-transfers", tag: "Registry",
              summary: "Requests to move a record between regions: those the caller's region decides, and those it asked (档案迁入申请)",
              query: [("status", "string", "pending, accepted or declined")], response: "[ElderTransfer]"),
        .init(method: "post", path: "/api/v1/elder-transfers/{transferID}/accept", tag: "Registry",
              summary: "The registering region accepts: the record's residence becomes the requester's region, with a line in its history",
              body: .json("Note"), response: "ElderTransfer"),
        .init(method: "post", path: "/api/v1/elder-transfers/{transferID}/decline", tag: "Registry",
              summary: "The registering region declines, with a reason", body: .json("Note"), response: "ElderTransfer"),
        .init(method: "get", path: "/api/v1/elder-events", tag: "Registry", summary: "Life events (deaths, move-outs), matched or not",
              query: pagination + [("matched", "boolean", "Only matched or unmatched"), ("kind", "string", "death or move_out")], response: "Paged<LifeEvent>"),
        .init(method: "post", path: "/api/v1/elder-events/import", tag: "Registry",
              summary: "Import a death or move-out exchange file (CSV or XLSX: ID number, date, source[, kind, destination]) (导入死亡、迁出数据)",
              query: [("kind", "string", "death or move_out, when the file has no kind column"), ("source", "string", "Source when the file has none")],
              body: .csv, response: "LifeEventImportReport"),
        .init(method: "get", path: "/api/v1/assessment-instruments", tag: "Assessment", summary: "The assessment instruments (评估工具) and whether each is provisional",
              response: "[InstrumentSummary]"),
        .init(method: "get", path: "/api/v1/assessment-instruments/{instrument}", tag: "Assessment",
              summary: "An instrument in full: items with option texts, dimensions, levels, bands, adjustment rules", response: "InstrumentDefinition"),
        .init(method: "post", path: "/api/v1/assessment-instruments/{instrument}/score", tag: "Assessment",
              summary: "Score answers without saving anything (training, integrations); every bad item is named", body: .json("AssessmentAnswers"), response: "ScoreAnswer"),
        .init(method: "get", path: "/api/v1/assessments", tag: "Assessment", summary: "Assessment cases in the caller's region (评估任务)",
              query: pagination + [("status", "string", "requested, assigned, in_progress, submitted, approved, rejected, cancelled"),
                                   ("elderId", "string", "One person's cases"), ("mine", "boolean", "Cases the caller is an assessor of")],
              response: "Paged<Assessment>"),
        .init(method: "post", path: "/api/v1/assessments", tag: "Assessment",
              summary: "Request an assessment (申请评估); one open case per person; a dispute or correction names the earlier one",
              body: .json("AssessmentRequest"), status: 201, response: "Assessment"),
        .init(method: "get", path: "/api/v1/assessments/due", tag: "Assessment",
              summary: "Who needs (re)assessment: 80+ without a valid result, results expired or expiring; with the coverage (待评估名单)",
              query: pagination + [("region", "string", "Region subtree (12-digit code)")], response: "DueList"),
        .init(method: "get", path: "/api/v1/assessments/{assessmentID}", tag: "Assessment", summary: "One case with its draft answers", response: "Assessment"),
        .init(method: "post", path: "/api/v1/assessments/{assessmentID}/assign", tag: "Assessment",
              summary: "Assign an agency and the required number of assessors (派单); a dispute needs assessors other than the earlier ones",
              body: .json("AssessmentAssignment"), response: "Assessment"),
        .init(method: "put", path: "/api/v1/assessments/{assessmentID}/draft", tag: "Assessment",
              summary: "Save the answers so far (assigned assessors only); scores are checked, missing items allowed", body: .json("AssessmentAnswers"), response: "Assessment"),
        .init(method: "post", path: "/api/v1/assessments/{assessmentID}/submit", tag: "Assessment",
              summary: "Submit: only a complete form; the result is final from now on (提交)", body: .json("AssessmentAnswers"), response: "AssessmentSubmission"),
        .init(method: "post", path: "/api/v1/assessments/{assessmentID}/review", tag: "Assessment",
              summary: "Sign off or reject a submitted assessment (审核); never by one of its assessors", body: .json("AssessmentReview"), response: "Assessment"),
        .init(method: "post", path: "/api/v1/assessments/{assessmentID}/cancel", tag: "Assessment", summary: "Cancel a case not yet submitted",
              body: .json("Note"), response: "Assessment"),
        .init(method: "post", path: "/api/v1/assessment-results/import", tag: "Assessment",
              summary: "Recognise a result made elsewhere: rescored with its instrument and version; a stated level that differs is refused",
              body: .json("AssessmentResultDocument"), status: 201, response: "AssessmentResult"),
        .init(method: "get", path: "/api/v1/assessment-results/{resultID}", tag: "Assessment", summary: "One result", response: "AssessmentResult"),
        .init(method: "get", path: "/api/v1/assessment-results/{resultID}/export", tag: "Assessment",
              summary: "A result as a portable JSON document with instrument and version; ID number masked unless unmasked=true and allowed; audited",
              query: [("unmasked", "boolean", "Full ID number (needs personal_data.unmask)")], response: "AssessmentResultDocument"),
        .init(method: "get", path: "/api/v1/elders/{elderID}/assessment-results", tag: "Assessment",
              summary: "A person's signed-off and recognised results, newest first, and the one in force (current level)", response: "ElderAssessmentResults"),
        .init(method: "get", path: "/api/v1/assessment-policy", tag: "Assessment", summary: "Assessment settings in force and every dated version",
              response: "AssessmentPolicyVersions"),
        .init(method: "post", path: "/api/v1/assessment-policy", tag: "Assessment",
              summary: "A new version of the settings from a date (validity, assessors, stacking, Barthel bands, LTC table) (needs roles.manage)",
              body: .json("DatedAssessmentPolicy"), status: 201, response: "DatedAssessmentPolicy"),
        .init(method: "get", path: "/api/v1/benefit-policies", tag: "Benefits",
              summary: "Benefit policies for a region: those in force on a month, or every version with all=true (补贴政策)",
              query: [("month", "string", "YYYY-MM, default this month"), ("region", "string", "12-digit code, default the caller's"), ("all", "boolean", "Every version")],
              response: "[BenefitPolicyView]"),
        .init(method: "post", path: "/api/v1/benefit-policies", tag: "Benefits",
              summary: "Publish a policy version for a region and its subtree (eligibility, amounts, period); the version number is assigned (needs benefits.manage)",
              body: .json("BenefitPolicy"), status: 201, response: "BenefitPolicyView"),
        .init(method: "get", path: "/api/v1/elders/{elderID}/benefits", tag: "Benefits",
              summary: "What the person is entitled to on a month, condition by condition, for staff and in plain words; and their entitlements",
              query: [("month", "string", "YYYY-MM, default this month")], response: "BenefitExplanation"),
        .init(method: "post", path: "/api/v1/benefit-scans", tag: "Benefits",
              summary: "Proactive entitlement (免申即享): open a pre-filled case for everyone who qualifies and has neither entitlement nor open case",
              body: .json("BenefitScan"), response: "BenefitScanResult"),
        .init(method: "get", path: "/api/v1/benefit-cases", tag: "Benefits", summary: "Cases to decide, with the decision and its conditions",
              query: pagination + [("status", "string", "pending, approved or rejected"), ("elderId", "string", "One person's cases"),
                                   ("benefitType", "string", "One benefit's cases"), ("source", "string", "scan or application")], response: "Paged<BenefitCase>"),
        .init(method: "post", path: "/api/v1/benefit-cases/{caseID}/approve", tag: "Benefits",
              summary: "Grant: rechecked on current facts, then an entitlement from the case's month (payment account optional, stored encrypted)",
              body: .json("BenefitApproval"), response: "Entitlement"),
        .init(method: "post", path: "/api/v1/benefit-cases/{caseID}/reject", tag: "Benefits", summary: "Refuse with a reason", body: .json("Note"), response: "BenefitCase"),
        .init(method: "post", path: "/api/v1/benefit-case-approvals", tag: "Benefits",
              summary: "Bulk approval: the cases named, or every pending case the filter lists (all=true, at most 2000 a call), each with the checks and audit entry of one approval; the outcome per case",
              body: .json("BenefitBulkApproval"), response: "BenefitBulkApprovalResult"),
        .init(method: "get", path: "/api/v1/entitlements", tag: "Benefits", summary: "Entitlements in the caller's region",
              query: pagination + [("status", "string", "active, suspended or ended"), ("elderId", "string", "One person's"), ("benefitType", "string", "One benefit")],
              response: "Paged<Entitlement>"),
        .init(method: "get", path: "/api/v1/payment-runs", tag: "Benefits", summary: "Monthly payment rolls (发放表)", query: pagination, response: "Paged<PaymentRun>"),
        .init(method: "post", path: "/api/v1/payment-runs", tag: "Benefits",
              summary: "Compute or complete a month's roll for a region: idempotent and resumable; refused once the month is approved",
              body: .json("PaymentRunStart"), response: "PaymentRun",
              alsoStatus: (202, "With background: the run started (or was already running); GET it to follow its progress")),
        .init(method: "get", path: "/api/v1/payment-runs/{runID}", tag: "Benefits",
              summary: "A roll with its totals by benefit, its progress while running, and the region's month across overlapping runs", response: "PaymentRun"),
        .init(method: "post", path: "/api/v1/payment-runs/{runID}/approve", tag: "Benefits", summary: "Approve a computed roll; it is locked from then on",
              response: "PaymentRun"),
        .init(method: "get", path: "/api/v1/payment-runs/{runID}/payments", tag: "Benefits", summary: "The payments of a roll", query: pagination,
              response: "Paged<Payment>"),
        .init(method: "get", path: "/api/v1/overpayments", tag: "Benefits", summary: "Money paid after an entitlement ended, to recover (追回)",
              query: pagination + [("status", "string", "open, recovered or waived")], response: "Paged<Overpayment>"),
        .init(method: "post", path: "/api/v1/overpayments/{overpaymentID}/resolve", tag: "Benefits",
              summary: "Close an overpayment: recovered, or waived with a reason", body: .json("OverpaymentResolution"), response: "Overpayment"),
        .init(method: "get", path: "/api/v1/benefit-reports", tag: "Benefits",
              summary: "Spending and beneficiaries by month, benefit and the next level of regions; overpayments outstanding (统计)",
              query: [("from", "string", "YYYY-MM, default 11 months before to"), ("to", "string", "YYYY-MM, default this month"), ("region", "string", "12-digit code")],
              response: "BenefitReport"),
        .init(method: "post", path: "/api/v1/benefit-applications", tag: "Benefits",
              summary: "An application by the person, a family member for them (name and relation recorded) or staff; a duplicate gets a pointer to the open one (申请)",
              body: .json("BenefitApplication"), status: 201, response: "BenefitCase"),
        .init(method: "get", path: "/api/v1/benefit-cases/{caseID}", tag: "Benefits",
              summary: "A case with every step taken, the public notice, objections and documents (what the applicant is shown)", response: "BenefitCase"),
        .init(method: "post", path: "/api/v1/benefit-cases/{caseID}/review", tag: "Benefits",
              summary: "Take the current review step (by staff of its level): pass to the next step or to the public notice, or reject with a reason",
              body: .json("BenefitReview"), response: "BenefitCase"),
        .init(method: "post", path: "/api/v1/benefit-cases/{caseID}/objections", tag: "Benefits", summary: "Record an objection received during the public notice (异议)",
              body: .json("BenefitObjection"), response: "BenefitCase"),
        .init(method: "post", path: "/api/v1/benefit-cases/{caseID}/attachments", tag: "Benefits",
              summary: "Attach a document (the body is the file); stored privately", query: [("name", "string", "The file's name")], body: .binary, response: "BenefitCase"),
        .init(method: "get", path: "/api/v1/benefit-cases/{caseID}/attachments/{attachmentID}", tag: "Benefits",
              summary: "Read a document; audited", response: "File", responseType: "application/octet-stream"),
        .init(method: "post", path: "/api/v1/entitlement-reviews", tag: "Benefits",
              summary: "Decide every entitlement again: suspend what no longer holds or is unverified too long, lift what holds again, new amounts (复核)",
              body: .json("BenefitScan"), response: "EntitlementReview"),
        .init(method: "get", path: "/api/v1/liveness-tasks", tag: "Benefits",
              summary: "People with entitlements not seen alive recently: to confirm by a community worker, or to visit", response: "[LivenessTask]"),
        .init(method: "post", path: "/api/v1/elders/{elderID}/liveness", tag: "Benefits", summary: "Record that the person was seen alive (and how)",
              body: .json("LivenessEvidence"), status: 201, response: nil),
        .init(method: "get", path: "/api/v1/benefit-settings", tag: "Benefits", summary: "Review steps, notice days and liveness periods in force",
              response: "BenefitSettingsVersion"),
        .init(method: "post", path: "/api/v1/benefit-settings", tag: "Benefits",
              summary: "A new version of the benefit settings from a date (needs roles.manage); open applications keep their steps",
              body: .json("BenefitSettingsVersion"), status: 201, response: "BenefitSettingsVersion"),
        .init(method: "get", path: "/api/v1/payment-adjustments", tag: "Benefits", summary: "Corrections of approved months, pending or paid",
              query: pagination + [("status", "string", "pending or paid")], response: "Paged<PaymentAdjustment>"),
        .init(method: "post", path: "/api/v1/payment-adjustments", tag: "Benefits",
              summary: "Correct an approved month: the amount (negative to take back) is paid with the region's next roll (更正)",
              body: .json("PaymentAdjustmentCreate"), status: 201, response: "PaymentAdjustment"),
        .init(method: "get", path: "/api/v1/my/links", tag: "Portal", summary: "The people the account is linked to (or asked to be)", response: "[FamilyLink]"),
        .init(method: "post", path: "/api/v1/my/links", tag: "Portal",
              summary: "Ask to be linked to a person (name, ID number, relation); the answer is the same whether or not the number is registered",
              body: .json("FamilyLinkRequest"), status: 202, response: nil),
        .init(method: "get", path: "/api/v1/my/elders/{elderID}", tag: "Portal",
              summary: "A linked person: benefits in plain words, what they receive, applications with every step", response: "PortalPerson"),
        .init(method: "post", path: "/api/v1/my/elders/{elderID}/applications", tag: "Portal", summary: "Apply online for a linked person (网上申请)",
              body: .json("PortalApplication"), status: 201, response: "BenefitCase"),
        .init(method: "get", path: "/api/v1/family-links", tag: "Portal", summary: "Links waiting for staff of the person's region", response: "[FamilyLink]"),
        .init(method: "post", path: "/api/v1/family-links/{linkID}/confirm", tag: "Portal", summary: "Confirm a link after checking the relation", response: "FamilyLink"),
        .init(method: "post", path: "/api/v1/family-links/{linkID}/reject", tag: "Portal", summary: "Reject a link", response: "FamilyLink"),
    ]

    static let elderFilters: [(name: String, type: String, description: String)] = [
        ("q", "string", "Name (start), pinyin initials, exact ID number or exact phone"), ("region", "string", "Residence region subtree"),
        ("category", "string", "Category code, or advanced_age for 80+"), ("economicStatus", "string", "Economic status code"),
        ("status", "string", "living, deceased or moved_out"), ("ageMin", "integer", "Minimum age"), ("ageMax", "integer", "Maximum age"),
        ("sort", "string", "name, -name, birthDate, -birthDate, updatedAt, -updatedAt"),
    ]

    static let auditFilters: [(name: String, type: String, description: String)] = [
        ("region", "string", "Region subtree"), ("actor", "string", "Username of the actor"), ("entity", "string", "Entity type"),
        ("entityId", "string", "Entity id"), ("action", "string", "Action code"),
        ("from", "string", "First day, YYYY-MM-DD (China Standard Time)"), ("to", "string", "Last day, YYYY-MM-DD, inclusive"),
    ]

    static func str(_ description: String? = nil, format: String? = nil, enumValues: [String]? = nil, nullable: Bool = false) -> JSONValue {
        var o: [(String, JSONValue)] = [("type", nullable ? .array([.string("string"), .string("null")]) : .string("string"))]
        if let format { o.append(("format", .string(format))) }
        if let enumValues { o.append(("enum", .array(enumValues.map(JSONValue.string)))) }
        if let description { o.append(("description", .string(description))) }
        return .object(o)
    }
    static let integer: JSONValue = .object([("type", .string("integer"))])
    static let boolean: JSONValue = .object([("type", .string("boolean"))])
    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func arrayOf(_ v: JSONValue) -> JSONValue { .object([("type", .string("array")), ("items", v)]) }
    static func object(_ props: [(String, JSONValue)], required: [String]) -> JSONValue {
        .object([("type", .string("object")), ("properties", .object(props)), ("required", .array(required.map(JSONValue.string)))])
    }

    static var schemas: [(String, JSONValue)] {
        let roleCodes = Role.allCases.map(\.rawValue)
        return ServicesOpenAPI.schemas + InstitutionsOpenAPI.schemas + [
            ("Error", object([("error", object([("code", str("Stable machine code, e.g. auth.invalid_credentials")),
                                                ("message", str("Chinese by default, English with Accept-Language: en")),
                                                ("field", str("The input field concerned", nullable: true)),
                                                ("details", arrayOf(object([("code", str()), ("message", str()), ("field", str(nullable: true))], required: ["code", "message"])))],
                                               required: ["code", "message"]))], required: ["error"])),
            ("SignIn", object([("username", str()), ("password", str(format: "password")),
                               ("deviceToken", str("The deviceToken of an earlier sign-in from this client: others' wrong passwords do not slow it down"))],
                              required: ["username", "password"])),
            ("Token", object([("token", str("Bearer token for the Authorization header")), ("expiresAt", str(format: "date-time")),
                              ("user", ref("User")), ("deviceToken", str("Keep it and send it with the next sign-in")),
                              ("failedAttemptsBefore", object([("count", integer), ("lastAt", str(format: "date-time")), ("lastFrom", str())],
                                                              required: ["count", "lastAt", "lastFrom"]))],
                             required: ["token", "expiresAt", "user", "deviceToken"])),
            ("ElderTransfer", object([("id", str(format: "uuid")), ("direction", str(enumValues: ["incoming", "outgoing"])),
                                      ("elderId", str("Only for the region holding the record", format: "uuid")),
                                      ("idNumber", str("Masked")), ("nameGiven", str()),
                                      ("fromRegion", str("Only for the region holding the record")), ("toRegion", str()),
                                      ("status", str(enumValues: ["pending", "accepted", "declined"])), ("requestedBy", str()),
                                      ("requestedAt", str(format: "date-time")), ("decidedBy", str()), ("decidedAt", str(format: "date-time")),
                                      ("note", str())],
                                     required: ["id", "direction", "idNumber", "nameGiven", "toRegion", "status", "requestedBy"])),
            ("PasswordChange", object([("currentPassword", str(format: "password")), ("newPassword", str(format: "password"))],
                                      required: ["currentPassword", "newPassword"])),
            ("PasswordReset", object([("temporaryPassword", str()), ("mustChangePassword", boolean)], required: ["temporaryPassword", "mustChangePassword"])),
            ("User", object([("id", str(format: "uuid")), ("username", str()), ("displayName", str()), ("phone", str("Masked", nullable: true)),
                             ("regionCode", str("12-digit statistical division code")), ("roles", arrayOf(str(enumValues: roleCodes))),
                             ("enabled", boolean), ("locked", boolean), ("mustChangePassword", boolean), ("isDemo", boolean),
                             ("lastLoginAt", str(format: "date-time", nullable: true)), ("createdAt", str(format: "date-time", nullable: true))],
                            required: ["id", "username", "displayName", "regionCode", "roles", "enabled", "locked", "mustChangePassword", "isDemo"])),
            ("UserCreate", object([("username", str()), ("displayName", str()), ("phone", str(nullable: true)), ("regionCode", str()),
                                   ("roles", arrayOf(str(enumValues: roleCodes))), ("password", str(format: "password"))],
                                  required: ["username", "displayName", "regionCode", "roles", "password"])),
            ("UserUpdate", object([("displayName", str()), ("phone", str()), ("regionCode", str()),
                                   ("roles", arrayOf(str(enumValues: roleCodes))), ("enabled", boolean)], required: [])),
            ("Me", object([("user", ref("User")), ("permissions", arrayOf(str())), ("region", ref("Region"))], required: ["user", "permissions"])),
            ("Role", object([("code", str(enumValues: roleCodes)), ("name", str()), ("permissions", arrayOf(str()))], required: ["code", "name", "permissions"])),
            ("RolePermissions", object([("permissions", arrayOf(str(enumValues: Permission.allCases.map(\.rawValue))))], required: ["permissions"])),
            ("Permission", object([("code", str()), ("name", str())], required: ["code", "name"])),
            ("Region", object([("code", str("12 digits")), ("name", str()),
                               ("level", str(enumValues: RegionLevel.allCases.map(\.rawValue))),
                               ("parentCode", str(nullable: true)), ("urbanRuralClass", str(nullable: true)),
                               ("childCount", .object([("type", .array([.string("integer"), .string("null")]))]))],
                              required: ["code", "name", "level"])),
            ("RegionImportReport", object([("inserted", integer), ("updated", integer), ("unchanged", integer), ("rejected", integer),
                                           ("errors", arrayOf(object([("line", integer), ("code", str()), ("field", str()), ("rule", str()), ("message", str())],
                                                                     required: ["line", "code", "field", "rule", "message"]))),
                                           ("unknownColumns", arrayOf(str()))],
                                          required: ["inserted", "updated", "unchanged", "rejected", "errors", "unknownColumns"])),
            ("Elder", object([("id", str(format: "uuid")), ("name", str()), ("gender", str(enumValues: ["male", "female"])),
                              ("birthDate", str(format: "date")), ("age", integer), ("idNumber", str("Masked: first 6 and last 4")),
                              ("phones", arrayOf(str("Masked"))), ("householdRegion", str()), ("residenceRegion", str()), ("address", str("Masked")),
                              ("ethnicity", str()), ("livingArrangement", str(nullable: true)), ("economicStatus", str()),
                              ("categories", arrayOf(str())), ("disabilityLevel", .object([("type", .array([.string("integer"), .string("null")]))])),
                              ("healthInsurance", str(nullable: true)), ("status", str(enumValues: ["living", "deceased", "moved_out"])),
                              ("statusDate", str(nullable: true)), ("statusNote", str(nullable: true)), ("notes", str()),
                              ("contacts", arrayOf(ref("Contact"))), ("masked", boolean)],
                             required: ["id", "name", "gender", "birthDate", "idNumber", "householdRegion", "residenceRegion", "status", "masked"])),
            ("ReferenceCode", object([("kind", str(enumValues: ["category", "economic_status", "living_arrangement", "health_insurance"])),
                                      ("code", str()), ("nameZh", str()), ("nameEn", str())], required: ["kind", "code", "nameZh", "nameEn"])),
            ("Contact", object([("name", str()), ("relation", str()), ("phone", str()), ("guardian", boolean)], required: ["name", "relation", "phone", "guardian"])),
            ("ElderCreate", object(elderInputProperties, required: ["name", "idNumber", "householdRegion"])),
            ("ElderUpdate", object(elderInputProperties, required: [])),
            ("ElderChange", object([("at", str(format: "date-time")), ("actor", str()), ("source", str()), ("field", str()),
                                    ("before", str(nullable: true)), ("after", str(nullable: true))], required: ["at", "actor", "source", "field"])),
            ("LifeEventCreate", object([("kind", str(enumValues: ["death", "move_out"])), ("date", str(format: "date")),
                                        ("source", str()), ("destination", str())], required: ["kind", "date"])),
            ("LifeEvent", object([("id", str(format: "uuid")), ("kind", str()), ("eventDate", str(format: "date")), ("source", str()),
                                  ("idNumber", str("Masked")), ("elderId", str(format: "uuid", nullable: true)), ("matched", boolean),
                                  ("regionCode", str()), ("destination", str(nullable: true)), ("recordedBy", str())],
                                 required: ["id", "kind", "eventDate", "source", "idNumber", "matched", "regionCode", "recordedBy"])),
            ("RosterImportReport", object([("imported", integer), ("updated", integer), ("unchanged", integer), ("rejected", integer),
                                           ("errors", arrayOf(object([("row", integer), ("column", str()), ("value", str("Personal data masked unless allowed")),
                                                                      ("rule", str()), ("message", str())], required: ["row", "column", "value", "rule", "message"]))),
                                           ("unknownColumns", arrayOf(str())), ("dryRun", boolean)],
                                          required: ["imported", "updated", "unchanged", "rejected", "errors"])),
            ("LifeEventImportReport", object([("matched", integer), ("unmatched", integer), ("alreadyRecorded", integer), ("rejected", integer),
                                              ("lines", arrayOf(object([("row", integer), ("idNumber", str()), ("outcome", str(enumValues: ["matched", "unmatched", "already_recorded", "rejected"])),
                                                                        ("message", str())], required: ["row", "idNumber", "outcome", "message"])))],
                                             required: ["matched", "unmatched", "alreadyRecorded", "rejected", "lines"])),
            ("InstrumentSummary", object([("id", str()), ("version", str()), ("name", str()), ("items", integer), ("maxScore", integer), ("provisional", boolean)],
                                         required: ["id", "version", "name", "items", "maxScore", "provisional"])),
            ("InstrumentDefinition", object([("instrument", .object([("type", .string("object")),
                ("description", .string("id, version, name, source, dimensions [{code,name,maxScore}], items [{code,dimension,name,definition,options [{score,text}]}], levels, method, adjustments, provisional"))]))],
                                            required: ["instrument"])),
            ("AssessmentAnswers", object([("answers", .object([("type", .string("object")), ("additionalProperties", integer),
                                                                ("description", .string("Item code → score, e.g. {\"B.1.1\": 4}"))])),
                                          ("coma", boolean), ("diagnoses", arrayOf(str("ICD-10, e.g. F01"))), ("riskEvents30d", integer)], required: [])),
            ("Level", object([("code", integer), ("name", str())], required: ["code", "name"])),
            ("ScoreAnswer", object([("instrument", str()), ("version", str()), ("total", integer), ("dimensions", .object([("type", .string("object")), ("additionalProperties", integer)])),
                                    ("preliminaryLevel", ref("Level")), ("finalLevel", ref("Level")), ("appliedRules", arrayOf(str())),
                                    ("appliedRuleCodes", arrayOf(str(enumValues: ["coma", "diagnosis", "risk_events"]))), ("provisional", boolean)],
                                   required: ["total", "dimensions", "preliminaryLevel", "finalLevel", "appliedRules"])),
            ("AssessmentRequest", object([("elderId", str(format: "uuid")), ("instrument", str("default gbt42195-2022")),
                                          ("reason", str(enumValues: ["first", "routine", "change_of_condition", "dispute", "correction"])),
                                          ("requestedVia", str(enumValues: ["person", "family", "staff", "automatic"])), ("requesterName", str()),
                                          ("note", str()), ("previousId", str(format: "uuid"))], required: ["elderId", "reason"])),
            ("Assessment", object([("id", str(format: "uuid")), ("elderId", str(format: "uuid")), ("regionCode", str()), ("instrument", str()),
                                   ("reason", str()), ("requestedVia", str()), ("status", str()), ("agency", str(nullable: true)),
                                   ("assessors", arrayOf(object([("username", str()), ("name", str())], required: ["username", "name"]))),
                                   ("draft", ref("AssessmentAnswers")), ("previousId", str(format: "uuid", nullable: true)),
                                   ("resultId", str(format: "uuid", nullable: true)), ("reviewedBy", str(nullable: true)), ("reviewNote", str(nullable: true))],
                                  required: ["id", "elderId", "regionCode", "instrument", "reason", "status", "assessors", "draft"])),
            ("AssessmentAssignment", object([("agency", str()), ("assessors", arrayOf(str("username")))], required: ["agency", "assessors"])),
            ("AssessmentReview", object([("decision", str(enumValues: ["approve", "reject"])), ("note", str("Required to reject"))], required: ["decision"])),
            ("Note", object([("note", str())], required: [])),
            ("AssessmentResult", object([("id", str(format: "uuid")), ("assessmentId", str(format: "uuid", nullable: true)), ("elderId", str(format: "uuid")),
                                         ("instrument", str()), ("version", str()), ("total", integer), ("preliminaryLevel", ref("Level")), ("finalLevel", ref("Level")),
                                         ("appliedRules", arrayOf(str())), ("provisional", boolean), ("assessedOn", str(format: "date")),
                                         ("validUntil", str(format: "date")), ("assessors", str()), ("agency", str()), ("origin", str(enumValues: ["local", "imported"]))],
                                        required: ["id", "elderId", "instrument", "version", "total", "finalLevel", "assessedOn", "validUntil", "origin"])),
            ("AssessmentSubmission", object([("assessment", ref("Assessment")), ("result", ref("AssessmentResult"))], required: ["assessment", "result"])),
            ("ElderAssessmentResults", object([("current", ref("AssessmentResult")), ("results", arrayOf(ref("AssessmentResult")))], required: ["results"])),
            ("DueList", object([("coverage", object([("people", integer), ("assessed", integer), ("percent", .object([("type", .string("number"))]))],
                                                    required: ["people", "assessed", "percent"])),
                                ("due", .object([("type", .string("object")), ("description", .string("Paged entries: elderId, name, gender, age, idNumber (masked), residenceRegion, why (never/expired/expiring), validUntil, openAssessmentId"))]))],
                               required: ["coverage", "due"])),
            ("AssessmentResultDocument", object([("format", str(enumValues: ["yiyang-assessment-result/1"])), ("instrument", str()), ("version", str()),
                                                 ("person", object([("idNumber", str()), ("name", str())], required: ["idNumber", "name"])),
                                                 ("assessedOn", str(format: "date")), ("validUntil", str(format: "date")), ("agency", str()),
                                                 ("assessors", arrayOf(str())), ("answers", .object([("type", .string("object")), ("additionalProperties", integer)])),
                                                 ("coma", boolean), ("diagnoses", arrayOf(str())), ("riskEvents30d", integer),
                                                 ("result", .object([("type", .string("object")), ("description", .string("Stated total, dimensions, preliminaryLevel, finalLevel, appliedRules; checked on import"))]))],
                                                required: ["format", "instrument", "version", "person", "assessedOn", "agency", "assessors", "answers"])),
            ("AssessmentPolicy", object([("validityMonths", integer), ("assessorsRequired", integer), ("dueSoonDays", integer), ("dueAge", integer),
                                         ("stacking", str(enumValues: ["each", "once"])), ("barthelBands", arrayOf(object([("level", integer), ("min", integer), ("max", integer)], required: ["level", "min", "max"]))),
                                         ("ltcTable", .object([("type", .string("object"))])), ("ltcConfirmed", boolean)],
                                        required: ["validityMonths", "assessorsRequired", "dueSoonDays", "dueAge", "stacking", "ltcConfirmed"])),
            ("DatedAssessmentPolicy", object([("effectiveFrom", str(format: "date")), ("policy", ref("AssessmentPolicy"))], required: ["effectiveFrom", "policy"])),
            ("AssessmentPolicyVersions", object([("inForce", ref("AssessmentPolicy")), ("versions", arrayOf(ref("DatedAssessmentPolicy")))], required: ["inForce", "versions"])),
            ("BenefitPolicy", object([("benefitType", str("age_allowance, care_subsidy, service_subsidy, meal_subsidy, … or a deployment's own")),
                                      ("regionCode", str("12 digits; applies to the subtree unless a lower region has its own")),
                                      ("effectiveFrom", str("YYYY-MM")), ("effectiveTo", str("YYYY-MM", nullable: true)),
                                      ("eligibility", object([("minAge", integer), ("maxAge", integer), ("categoriesAny", arrayOf(str())), ("economicStatusesAny", arrayOf(str())),
                                                              ("assessment", object([("instrument", str()), ("minLevel", integer), ("maxLevel", integer)], required: ["instrument", "minLevel", "maxLevel"])),
                                                              ("notWhileReceiving", arrayOf(str())), ("notInInstitution", boolean)],
                                                             required: ["categoriesAny", "economicStatusesAny", "notWhileReceiving", "notInInstitution"])),
                                      ("amount", object([("flatFen", integer), ("byAge", arrayOf(object([("minAge", integer), ("maxAge", integer), ("fen", integer)], required: ["minAge", "fen"]))),
                                                         ("byLevel", arrayOf(object([("level", integer), ("fen", integer)], required: ["level", "fen"])))], required: [])),
                                      ("paymentForm", str(enumValues: ["cash", "service_balance"])), ("payer", str()), ("summary", str("Plain words for the service list")),
                                      ("basis", str("The document it comes from")), ("id", str("Assigned by the server; ignored when publishing", format: "uuid")),
                                      ("version", .object([("type", .string("integer")), ("description", .string("Assigned by the server; ignored when publishing"))])),
                                      ("oneOff", .object([("type", .array([.string("boolean"), .string("null")])), ("description", .string("Paid once instead of monthly"))])),
                                      ("perUse", object([("unit", str("meal")), ("perDay", integer)], required: ["unit"])),
                                      ("institution", object([("basis", str("Paid to care institutions: each month per resident by assessed level, or once per new accepted bed",
                                                                            enumValues: ["resident_month", "new_bed"])),
                                                              ("instrument", str("resident_month: the instrument that sets residents' levels")),
                                                              ("perResidentByLevel", arrayOf(object([("level", integer), ("fen", integer)], required: ["level", "fen"]))),
                                                              ("bedKinds", arrayOf(str("nursing, dementia, general"))), ("perBedFen", integer)],
                                                             required: ["basis"]))],
                                     required: ["benefitType", "regionCode", "effectiveFrom", "eligibility", "amount", "paymentForm", "payer", "summary", "basis"])),
            ("BenefitPolicyView", object([("policy", ref("BenefitPolicy")), ("name", str()), ("inForce", boolean)], required: ["policy", "name", "inForce"])),
            ("BenefitCheck", object([("code", str()), ("held", boolean), ("staff", str()), ("plain", str())], required: ["code", "held", "staff", "plain"])),
            ("BenefitExplanation", object([("month", str()), ("decisions", arrayOf(object([("benefitType", str()), ("name", str()), ("entitled", boolean),
                                                                                              ("amountFen", integer), ("paymentForm", str()), ("policyId", str(format: "uuid")),
                                                                                              ("policyVersion", integer), ("policyRegion", str()), ("plain", str()),
                                                                                              ("checks", arrayOf(ref("BenefitCheck")))],
                                                                                             required: ["benefitType", "entitled", "plain", "checks"]))),
                                           ("entitlements", arrayOf(ref("Entitlement")))], required: ["month", "decisions", "entitlements"])),
            ("BenefitScan", object([("month", str("YYYY-MM")), ("region", str())], required: [])),
            ("BenefitScanResult", object([("month", str()), ("opened", integer)], required: ["month", "opened"])),
            ("BenefitCase", object([("id", str(format: "uuid")), ("elderId", str(format: "uuid")), ("benefitType", str()), ("month", str()),
                                    ("source", str(enumValues: ["scan", "application"])),
                                    ("status", str(enumValues: ["pending", "approved", "rejected"])), ("amountFen", integer), ("plain", str()),
                                    ("checks", arrayOf(ref("BenefitCheck"))), ("applicantKind", str(nullable: true)), ("applicantName", str(nullable: true)),
                                    ("applicantRelation", str(nullable: true)), ("stage", str(nullable: true)), ("currentStep", str(nullable: true)),
                                    ("noticeUntil", str(nullable: true)),
                                    ("decisionFrom", str("Applications in notice: the first day of the decision (the day after the notice ends)", nullable: true)),
                                    ("canDecide", .object([("type", .array([.string("boolean"), .string("null")])),
                                                           ("description", .string("Whether the case may be decided (approved or rejected) today"))])),
                                    ("steps", arrayOf(object([("step", str()), ("name", str()), ("by", str()), ("at", str(format: "date-time")), ("decision", str()), ("note", str())],
                                                             required: ["step", "name", "by", "at", "decision"]))),
                                    ("objections", arrayOf(object([("at", str(format: "date-time")), ("from", str()), ("text", str())], required: ["at", "text"]))),
                                    ("attachments", arrayOf(object([("id", str(format: "uuid")), ("fileName", str()), ("size", integer)], required: ["id", "fileName", "size"])))],
                                   required: ["id", "elderId", "benefitType", "month", "status", "amountFen", "steps"])),
            ("BenefitBulkApproval", object([("caseIds", arrayOf(str(format: "uuid"))),
                                            ("all", .object([("type", .string("boolean")), ("description", .string("Every pending case the filter lists, instead of caseIds"))])),
                                            ("elderId", str(format: "uuid")), ("benefitType", str()), ("source", str(enumValues: ["scan", "application"]))], required: [])),
            ("BenefitBulkApprovalResult", object([("approved", integer), ("refused", integer),
                                                  ("more", .object([("type", .string("boolean")), ("description", .string("More cases match; call again"))])),
                                                  ("results", arrayOf(object([("caseId", str(format: "uuid")), ("outcome", str(enumValues: ["approved", "refused"])),
                                                                              ("entitlementId", str(format: "uuid", nullable: true)), ("code", str(nullable: true)),
                                                                              ("field", str(nullable: true)), ("message", str(nullable: true))],
                                                                             required: ["caseId", "outcome"])))],
                                                 required: ["approved", "refused", "more", "results"])),
            ("BenefitApproval", object([("account", str("Bank account, 8–32 digits (optional)"))], required: [])),
            ("Entitlement", object([("id", str(format: "uuid")), ("elderId", str(format: "uuid")), ("benefitType", str()), ("amountFen", integer),
                                    ("paymentForm", str()), ("startMonth", str()), ("endMonth", str(nullable: true)),
                                    ("status", str(enumValues: ["active", "suspended", "ended"])), ("statusReason", str(nullable: true)), ("account", str("Masked"))],
                                   required: ["id", "elderId", "benefitType", "amountFen", "startMonth", "status"])),
            ("PaymentRunStart", object([("month", str("YYYY-MM")), ("region", str()),
                                        ("background", .object([("type", .string("boolean")), ("description", .string("Answer 202 at once and run in the background"))]))],
                                       required: ["month"])),
            ("PaymentRun", object([("id", str(format: "uuid")), ("month", str()), ("regionCode", str()), ("status", str(enumValues: ["running", "computed", "approved"])),
                                   ("payments", integer), ("totalFen", integer), ("approvedBy", str(nullable: true)),
                                   ("computedBy", arrayOf(str("An account that computed the roll; none of them approves it while another could"))),
                                   ("byBenefit", arrayOf(object([("benefitType", str()), ("name", str()), ("payments", integer), ("totalFen", integer)],
                                                                required: ["benefitType", "payments", "totalFen"]))),
                                   ("progress", object([("done", integer), ("total", .object([("type", .array([.string("integer"), .string("null")]))])),
                                                        ("at", str(format: "date-time")), ("stalled", .object([("type", .string("boolean"))]))],
                                                       required: ["done", "stalled"])),
                                   ("regionMonth", arrayOf(object([("runId", str(format: "uuid")), ("regionCode", str()), ("regionName", str()),
                                                                   ("status", str()), ("payments", integer), ("totalFen", integer),
                                                                   ("isThisRun", .object([("type", .string("boolean"))]))],
                                                                  required: ["runId", "regionCode", "status", "payments", "totalFen", "isThisRun"])))],
                                  required: ["id", "month", "regionCode", "status", "payments", "totalFen"])),
            ("Payment", object([("id", str(format: "uuid")), ("entitlementId", str(format: "uuid")), ("elderId", str(format: "uuid")), ("benefitType", str()),
                                ("month", str()), ("amountFen", integer), ("paymentForm", str()),
                                ("policyId", str("The policy that made the amount", format: "uuid", nullable: true)),
                                ("policyVersion", .object([("type", .array([.string("integer"), .string("null")]))])),
                                ("basis", .object([("type", .array([.string("object"), .string("null")])),
                                                   ("description", .string("The month's facts: age on its last day, the person's facts, the conditions"))]))],
                               required: ["id", "entitlementId", "month", "amountFen"])),
            ("Overpayment", object([("id", str(format: "uuid")), ("entitlementId", str(format: "uuid")), ("elderId", str(format: "uuid")), ("benefitType", str()),
                                    ("months", arrayOf(str())), ("amountFen", integer), ("reason", str()), ("status", str(enumValues: ["open", "recovered", "waived"]))],
                                   required: ["id", "months", "amountFen", "reason", "status"])),
            ("OverpaymentResolution", object([("status", str(enumValues: ["recovered", "waived"])), ("note", str("Required to waive"))], required: ["status"])),
            ("BenefitReport", object([("from", str()), ("to", str()), ("region", str()),
                                      ("rows", arrayOf(object([("month", str()), ("region", str()), ("benefitType", str()), ("payments", integer),
                                                               ("beneficiaries", integer), ("totalFen", integer)],
                                                              required: ["month", "region", "benefitType", "payments", "beneficiaries", "totalFen"]))),
                                      ("overpaymentsOutstanding", object([("cases", integer), ("totalFen", integer)], required: ["cases", "totalFen"]))],
                                     required: ["from", "to", "region", "rows", "overpaymentsOutstanding"])),
            ("BenefitApplication", object([("elderId", str(format: "uuid")), ("benefitType", str()), ("applicantKind", str(enumValues: ["person", "family", "staff"])),
                                           ("applicantName", str("Required for family")), ("applicantRelation", str("Required for family")), ("note", str())],
                                          required: ["elderId", "benefitType", "applicantKind"])),
            ("BenefitReview", object([("decision", str(enumValues: ["pass", "reject"])), ("note", str("Required to reject"))], required: ["decision"])),
            ("BenefitObjection", object([("from", str()), ("text", str())], required: ["text"])),
            ("File", .object([("type", .string("string")), ("format", .string("binary"))])),
            ("EntitlementReview", object([("reviewed", integer), ("suspended", integer), ("reactivated", integer), ("amountChanged", integer),
                                          ("confirmationsDue", integer), ("visitsDue", integer)],
                                         required: ["reviewed", "suspended", "reactivated", "amountChanged", "confirmationsDue", "visitsDue"])),
            ("LivenessTask", object([("elderId", str(format: "uuid")), ("name", str()), ("idNumber", str("Masked")), ("regionCode", str()),
                                     ("lastSeen", str(format: "date", nullable: true)), ("due", str(enumValues: ["confirmation_due", "visit_due", "suspend"]))],
                                    required: ["elderId", "name", "idNumber", "regionCode", "due"])),
            ("LivenessEvidence", object([("method", str(enumValues: ["worker_confirmation", "home_visit", "service_visit", "care_visit"])),
                                         ("seenOn", str(format: "date")), ("note", str())], required: ["method"])),
            ("BenefitSettingsVersion", object([("effectiveFrom", str(format: "date")),
                                               ("settings", object([("livenessRecentDays", integer), ("livenessVisitAfterDays", integer), ("livenessSuspendAfterMonths", integer),
                                                                    ("workflow", object([("steps", arrayOf(object([("code", str()), ("name", object([("zh", str()), ("en", str())], required: ["zh", "en"])),
                                                                                                                   ("level", str(enumValues: RegionLevel.allCases.map(\.rawValue))),
                                                                                                                   ("orAbove", .object([("type", .array([.string("boolean"), .string("null")])),
                                                                                                                                        ("description", .string("Staff of a level above may take the step too"))]))],
                                                                                                                  required: ["code", "name", "level"]))),
                                                                                         ("noticeDays", integer)], required: ["steps", "noticeDays"])),
                                                                    ("runOpensDaysBefore", .object([("type", .array([.string("integer"), .string("null")])),
                                                                                                    ("description", .string("A month's roll may be computed this many days (0–15) before it begins"))]))],
                                                                   required: ["livenessRecentDays", "livenessVisitAfterDays", "livenessSuspendAfterMonths", "workflow"]))],
                                              required: ["effectiveFrom", "settings"])),
            ("PaymentAdjustmentCreate", object([("entitlementId", str(format: "uuid")), ("forMonth", str("YYYY-MM")), ("amountFen", integer), ("reason", str())],
                                               required: ["entitlementId", "forMonth", "amountFen", "reason"])),
            ("PaymentAdjustment", object([("id", str(format: "uuid")), ("entitlementId", str(format: "uuid")), ("elderId", str(format: "uuid")),
                                          ("benefitType", str()), ("forMonth", str()), ("amountFen", integer), ("reason", str()),
                                          ("status", str(enumValues: ["pending", "paid"])), ("paidMonth", str(nullable: true))],
                                         required: ["id", "entitlementId", "forMonth", "amountFen", "reason", "status"])),
            ("FamilyLink", object([("id", str(format: "uuid")), ("elderId", str(format: "uuid")), ("relation", str()),
                                   ("status", str(enumValues: ["pending", "confirmed", "rejected"])), ("username", str()), ("regionCode", str())],
                                  required: ["id", "elderId", "relation", "status", "username", "regionCode"])),
            ("FamilyLinkRequest", object([("name", str()), ("idNumber", str()), ("relation", str("本人, 儿子, 女儿…"))], required: ["name", "idNumber", "relation"])),
            ("PortalApplication", object([("benefitType", str()), ("note", str())], required: ["benefitType"])),
            ("PortalPerson", object([("elderId", str(format: "uuid")), ("name", str()), ("month", str()),
                                     ("benefits", arrayOf(object([("benefitType", str()), ("name", str()), ("entitled", boolean), ("plain", str()), ("openApplication", boolean)],
                                                                 required: ["benefitType", "name", "entitled", "plain", "openApplication"]))),
                                     ("receiving", arrayOf(object([("name", str()), ("amountFen", integer), ("from", str()), ("status", str())], required: ["name", "amountFen", "from", "status"]))),
                                     ("applications", arrayOf(ref("BenefitCase")))], required: ["elderId", "name", "month", "benefits", "receiving", "applications"])),
            ("AuditEntry", object([("id", str(format: "uuid")), ("at", str(format: "date-time")), ("actorId", str(format: "uuid", nullable: true)),
                                   ("actorUsername", str()), ("actorRoles", str()), ("action", str()), ("entityType", str()),
                                   ("entityId", str(nullable: true)), ("regionCode", str()), ("before", str("JSON", nullable: true)),
                                   ("after", str("JSON", nullable: true)), ("clientAddress", str()), ("userAgent", str()), ("requestId", str())],
                                  required: ["id", "at", "actorUsername", "action", "entityType", "regionCode"])),
        ]
    }

    static var elderInputProperties: [(String, JSONValue)] {
        [("name", str()), ("gender", str("male/female (男/女); must match the ID number")), ("birthDate", str("YYYY-MM-DD; must match the ID number")),
         ("idNumber", str("18 digits (or 15, upgraded); lower-case x accepted")), ("ethnicity", str()), ("phones", arrayOf(str())),
         ("householdRegion", str("12-digit code")), ("residenceRegion", str("12-digit code; default: the household region")),
         ("address", str()), ("livingArrangement", str()), ("economicStatus", str()), ("categories", arrayOf(str())),
         ("disabilityLevel", integer), ("healthInsurance", str()), ("notes", str()), ("contacts", arrayOf(ref("Contact")))]
    }

    static func responseSchema(_ name: String) -> JSONValue {
        if name.hasPrefix("[") { return arrayOf(ref(String(name.dropFirst().dropLast()))) }
        if name.hasPrefix("Paged<") {
            let inner = String(name.dropFirst(6).dropLast())
            return object([("items", arrayOf(ref(inner))), ("page", integer), ("per", integer), ("total", integer)],
                          required: ["items", "page", "per", "total"])
        }
        if name == "CSV" { return str() }
        return ref(name)
    }

    /// The error statuses an operation can answer, each with the `Error` body: the middleware's
    /// own (400, 401, 403, 404, 422) for all, a conflict for every write (a duplicate, a record
    /// changed meanwhile, a state that no longer allows it), the body's own for those with one (its
    /// media type and its size), and the sign-in's wrong password and slowing down.
    static func errorStatuses(_ op: APIOperation) -> [(String, String)] {
        var out = [("400", "Malformed request"), ("401", op.auth ? "Not signed in, or the token is invalid, expired or revoked" : "Wrong credentials"),
                   ("403", "Lacking the permission"), ("404", "No such record in the caller's region"), ("422", "A field breaks a rule")]
        if op.method != "get" { out.append(("409", "In conflict with the records: a duplicate, or a state that no longer allows it")) }
        switch op.body {
        case .none: break
        case .json:
            // Vapor collects a JSON body up to its default 16 KB; a larger one answers 413 before any handler runs.
            out.append(("415", "The body is not JSON"))
            out.append(("413", "The body is larger than the platform accepts for JSON (16 KB)"))
        case .csv, .roster, .binary: out.append(("413", "The upload is larger than the platform allows"))
        }
        if op.path == "/api/v1/sessions", op.method == "post" {
            out.append(("429", "Too many failed sign-ins for this name or from this address: try again after the time the message gives"))
        }
        return out
    }

    /// A query parameter's schema: pages start at 1 and hold at most 200; a text parameter sent
    /// empty means nothing and is refused, so the document says a value has a character at least.
    static func querySchema(_ name: String, type: String) -> JSONValue {
        switch (name, type) {
        case ("page", _): .object([("type", .string("integer")), ("minimum", .int(1))])
        case ("per", _): .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(200))])
        case (_, "string"): .object([("type", .string("string")), ("minLength", .int(1))])
        default: .object([("type", .string(type))])
        }
    }

    static func document() -> JSONValue {
        var paths: [(String, [(String, JSONValue)])] = []
        for op in operations {
            var o: [(String, JSONValue)] = [("tags", .array([.string(op.tag)])), ("summary", .string(op.summary)),
                                            ("operationId", .string(op.method + op.path.replacingOccurrences(of: "/api/v1", with: "")
                                                .split(whereSeparator: { "/{}-".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()))]
            var params: [JSONValue] = []
            for p in op.path.split(separator: "/") where p.hasPrefix("{") {
                params.append(.object([("name", .string(String(p.dropFirst().dropLast()))), ("in", .string("path")),
                                       ("required", .bool(true)), ("schema", str())]))
            }
            for q in op.query {
                params.append(.object([("name", .string(q.name)), ("in", .string("query")), ("required", .bool(op.requiredQuery.contains(q.name))),
                                       ("description", .string(q.description)), ("schema", querySchema(q.name, type: q.type))]))
            }
            params.append(.object([("name", .string("Accept-Language")), ("in", .string("header")), ("required", .bool(false)),
                                   ("description", .string("zh (default) or en: the language of error messages")), ("schema", str())]))
            o.append(("parameters", .array(params)))
            switch op.body {
            case .none: break
            case .json(let s):
                o.append(("requestBody", .object([("required", .bool(op.bodyRequired)),
                                                  ("content", .object([("application/json", .object([("schema", ref(s))]))]))])))
            case .csv:
                o.append(("requestBody", .object([("required", .bool(true)), ("content", .object([("text/csv", .object([("schema", str())]))]))])))
            case .binary:
                o.append(("requestBody", .object([("required", .bool(true)), ("content", .object([("application/octet-stream", .object([("schema", str(format: "binary"))]))]))])))
            case .roster:
                o.append(("requestBody", .object([("required", .bool(true)), ("content", .object([
                    ("text/csv", .object([("schema", str())])),
                    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", .object([("schema", str(format: "binary"))])),
                ]))])))
            }
            var responses: [(String, JSONValue)] = []
            if let r = op.response {
                responses.append((String(op.status), .object([("description", .string("OK")),
                                                              ("content", .object([(op.responseType, .object([("schema", responseSchema(r))]))]))])))
                if let also = op.alsoStatus {
                    responses.append((String(also.code), .object([("description", .string(also.description)),
                                                                 ("content", .object([(op.responseType, .object([("schema", responseSchema(r))]))]))])))
                }
            } else {
                responses.append((String(op.status), .object([("description", .string("Done, no content"))])))
            }
            let errorContent: JSONValue = .object([("application/json", .object([("schema", ref("Error"))]))])
            for (code, text) in errorStatuses(op) {
                responses.append((code, .object([("description", .string(text)), ("content", errorContent)])))
            }
            o.append(("responses", .object(responses)))
            if !op.auth { o.append(("security", .array([]))) }
            if let i = paths.firstIndex(where: { $0.0 == op.path }) { paths[i].1.append((op.method, .object(o))) }
            else { paths.append((op.path, [(op.method, .object(o))])) }
        }
        return .object([
            ("openapi", .string("3.1.0")),
            ("info", .object([("title", .string("Yiyang 颐养 API")), ("version", .string("1.0.0")),
                              ("description", .string("Elderly care service platform. Every list and record is limited to the region of the signed-in account; records outside it answer 404. Errors: {\"error\": {code, message, field}}, Chinese by default, English with Accept-Language: en.")),
                              ("license", .object([("name", .string("Apache-2.0")), ("identifier", .string("Apache-2.0"))]))])),
            ("servers", .array([.object([("url", .string("/"))])])),
            ("security", .array([.object([("bearer", .array([]))])])),
            ("paths", .object(paths.map { ($0.0, JSONValue.object($0.1)) })),
            ("components", .object([
                ("securitySchemes", .object([("bearer", .object([("type", .string("http")), ("scheme", .string("bearer")),
                                                                 ("description", .string("Token from POST /api/v1/sessions"))]))])),
                ("schemas", .object(schemas)),
            ])),
        ])
    }

    static func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try e.encode(document()), as: UTF8.self)
    }
}
