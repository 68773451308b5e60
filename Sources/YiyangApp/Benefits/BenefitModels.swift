import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// A version of a benefit policy, as JSON of `BenefitPolicy`. Never edited: a change is a new
/// version, so every decision can name the rules that made it.
final class BenefitPolicyRow: Model, @unchecked Sendable {
    static let schema = "benefit_policies"

    @ID(key: .id) var id: UUID?
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "version") var version: Int
    @Field(key: "region_code") var regionCode: String
    @Field(key: "effective_from") var effectiveFrom: String
    @OptionalField(key: "effective_to") var effectiveTo: String?
    @Field(key: "policy_json") var policyJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $benefitType, $version, $regionCode, $effectiveFrom, $effectiveTo, $policyJSON, $createdBy, $createdAt]
    }
    init() {}

    init(_ p: BenefitPolicy, createdBy: String) throws {
        id = p.id; benefitType = p.benefitType; version = p.version; regionCode = p.regionCode
        effectiveFrom = p.effectiveFrom.description; effectiveTo = p.effectiveTo?.description
        policyJSON = String(decoding: try JSONEncoder.sorted.encode(p), as: UTF8.self); self.createdBy = createdBy
    }

    var policy: BenefitPolicy? { try? JSONDecoder().decode(BenefitPolicy.self, from: Data(policyJSON.utf8)) }

    static func all(on db: any Database) async throws -> [BenefitPolicy] {
        try await query(on: db).all().compactMap(\.policy)
    }
}

/// A case for staff to decide: opened by the proactive scan (免申即享) with the decision
/// pre-filled, or by staff for an applicant. Approving it makes an entitlement.
final class BenefitCase: Model, RegionScoped, @unchecked Sendable {
    static let schema = "benefit_cases"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, CaseIterable { case pending, approved, rejected }

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "policy_id") var policyID: UUID
    @Field(key: "policy_version") var policyVersion: Int
    @Field(key: "month") var month: String
    @Field(key: "source") var source: String
    @Field(key: "status") var status: String
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "payment_form") var paymentForm: String
    /// `BenefitDecision` as JSON: the conditions and why each held.
    @Field(key: "decision_json") var decisionJSON: String
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decision_note") var decisionNote: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    // An application (source `application`): who asked, where it stands, what happened.
    /// person, family or staff; a family member's name and relation are the proxy record.
    @OptionalField(key: "applicant_kind") var applicantKind: String?
    @OptionalField(key: "applicant_name") var applicantName: String?
    @OptionalField(key: "applicant_relation") var applicantRelation: String?
    @OptionalField(key: "request_note") var requestNote: String?
    /// review (at `step_index`), notice, decided.
    @OptionalField(key: "stage") var stage: String?
    @OptionalField(key: "step_index") var stepIndex: Int?
    /// `[ApplicationStepRecord]` as JSON: every step taken, by whom, when, with what.
    @OptionalField(key: "history_json") var historyJSON: String?
    @OptionalField(key: "notice_until") var noticeUntil: String?
    /// `[ApplicationObjection]` as JSON: objections raised during the public notice.
    @OptionalField(key: "objections_json") var objectionsJSON: String?
    /// `ApplicationWorkflow` as JSON, fixed when the application arrives.
    @OptionalField(key: "workflow_json") var workflowJSON: String?

    var properties: [any AnyProperty] {
        [$id, $elderID, $regionCode, $benefitType, $policyID, $policyVersion, $month, $source, $status, $amountFen, $paymentForm, $decisionJSON,
         $decidedBy, $decidedAt, $decisionNote, $createdAt, $applicantKind, $applicantName, $applicantRelation, $requestNote, $stage, $stepIndex,
         $historyJSON, $noticeUntil, $objectionsJSON, $workflowJSON]
    }
    init() {}

    var decision: BenefitDecision? { try? JSONDecoder().decode(BenefitDecision.self, from: Data(decisionJSON.utf8)) }

    var history: [ApplicationStepRecord] {
        get { historyJSON.flatMap { try? JSONDecoder().decode([ApplicationStepRecord].self, from: Data($0.utf8)) } ?? [] }
        set { historyJSON = String(decoding: (try? JSONEncoder.sorted.encode(newValue)) ?? Data("[]".utf8), as: UTF8.self) }
    }
    var objections: [ApplicationObjection] {
        get { objectionsJSON.flatMap { try? JSONDecoder().decode([ApplicationObjection].self, from: Data($0.utf8)) } ?? [] }
        set { objectionsJSON = String(decoding: (try? JSONEncoder.sorted.encode(newValue)) ?? Data("[]".utf8), as: UTF8.self) }
    }
    var workflow: ApplicationWorkflow {
        workflowJSON.flatMap { try? JSONDecoder().decode(ApplicationWorkflow.self, from: Data($0.utf8)) } ?? .standard
    }

    /// An application in its public notice may be decided from the day after the notice ends.
    var decisionFrom: CalendarDate? {
        guard source == "application", stage == "notice" else { return nil }
        return noticeUntil.flatMap(CalendarDate.init)?.addingDays(1)
    }

    /// Whether staff may decide the case on `today`: a scan's case at once, an application only
    /// after its review steps and the whole public notice.
    func canDecide(today: CalendarDate) -> Bool {
        guard status == Status.pending.rawValue else { return false }
        guard source == "application" else { return true }
        return decisionFrom.map { today >= $0 } ?? false
    }
}

struct ApplicationStepRecord: Codable, Sendable, Equatable {
    var step: String
    var by: String
    var at: Date
    /// received, pass, reject, notice, approve
    var decision: String
    var note: String
}

struct ApplicationObjection: Codable, Sendable, Equatable {
    var at: Date
    var recordedBy: String
    var from: String
    var text: String
}

/// A file attached to an application (bank account proof…), kept outside the web root with
/// owner-only permissions, readable only through the case.
final class BenefitAttachment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "benefit_attachments"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "content_type") var contentType: String
    @Field(key: "size") var size: Int
    @Field(key: "uploaded_by") var uploadedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $caseID, $regionCode, $fileName, $contentType, $size, $uploadedBy, $createdAt] }
    init() {}
}

struct AddBenefitApplications: AsyncMigration {
    var name: String { "011_AddBenefitApplications" }

    func prepare(on database: any Database) async throws {
        for (column, type) in [("applicant_kind", DatabaseSchema.DataType.string), ("applicant_name", .string), ("applicant_relation", .string),
                               ("request_note", .string), ("stage", .string), ("step_index", .int), ("history_json", .string),
                               ("notice_until", .string), ("objections_json", .string), ("workflow_json", .string)] {
            try await database.schema(BenefitCase.schema).field(FieldKey(stringLiteral: column), type).update()
        }
        try await database.schema(BenefitAttachment.schema)
            .id()
            .field("case_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("file_name", .string, .required)
            .field("content_type", .string, .required)
            .field("size", .int, .required)
            .field("uploaded_by", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(BenefitAttachment.schema).delete()
        for column in ["applicant_kind", "applicant_name", "applicant_relation", "request_note", "stage", "step_index", "history_json",
                       "notice_until", "objections_json", "workflow_json"] {
            try await database.schema(BenefitCase.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

/// What a person receives each month until it is suspended or ended.
final class Entitlement: Model, RegionScoped, @unchecked Sendable {
    static let schema = "entitlements"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, CaseIterable { case active, suspended, ended }

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "policy_id") var policyID: UUID
    @Field(key: "policy_version") var policyVersion: Int
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "payment_form") var paymentForm: String
    @Field(key: "start_month") var startMonth: String
    /// The last month it pays; nil while open-ended.
    @OptionalField(key: "end_month") var endMonth: String?
    @Field(key: "status") var status: String
    @OptionalField(key: "status_reason") var statusReason: String?
    @OptionalField(key: "account_cipher") var accountCipher: String?
    @Field(key: "account_masked") var accountMasked: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    var properties: [any AnyProperty] {
        [$id, $elderID, $regionCode, $benefitType, $policyID, $policyVersion, $amountFen, $paymentForm, $startMonth, $endMonth, $status,
         $statusReason, $accountCipher, $accountMasked, $caseID, $createdBy, $createdAt, $updatedAt]
    }
    init() {}
}

/// A month's payment roll for a region.
final class PaymentRun: Model, RegionScoped, @unchecked Sendable {
    static let schema = "payment_runs"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, CaseIterable { case running, computed, approved }

    @ID(key: .id) var id: UUID?
    @Field(key: "month") var month: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "status") var status: String
    @Field(key: "started_by") var startedBy: String
    @OptionalField(key: "finished_at") var finishedAt: Date?
    @Field(key: "payments") var payments: Int
    @Field(key: "total_fen") var totalFen: Int
    @OptionalField(key: "approved_by") var approvedBy: String?
    @OptionalField(key: "approved_at") var approvedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    /// While running: entitlements written so far of those left to pay when it (re)started,
    /// and when it last wrote a batch. A run that stops writing has stopped (server restarted).
    @OptionalField(key: "progress_done") var progressDone: Int?
    @OptionalField(key: "progress_total") var progressTotal: Int?
    @OptionalField(key: "progress_at") var progressAt: Date?
    /// Every account that computed (or completed) the roll, comma-separated: none of them approves it.
    @OptionalField(key: "computed_by") var computedBy: String?

    var properties: [any AnyProperty] {
        [$id, $month, $regionCode, $status, $startedBy, $finishedAt, $payments, $totalFen, $approvedBy, $approvedAt, $createdAt, $updatedAt,
         $progressDone, $progressTotal, $progressAt, $computedBy]
    }
    init() {}

    var computers: Set<String> { Set((computedBy ?? startedBy).split(separator: ",").map(String.init)) }
    func noteComputer(_ actor: String) {
        var all = computers
        all.insert(actor)
        computedBy = all.sorted().joined(separator: ",")
    }

    /// A run writes a batch every second or so; two minutes of silence means it stopped.
    static let stalledAfter: TimeInterval = 120

    /// Running now, not stopped half way.
    func isRunning(now: Date = Date()) -> Bool {
        status == Status.running.rawValue && now.timeIntervalSince(progressAt ?? createdAt ?? .distantPast) < Self.stalledAfter
    }

    /// Stopped half way (the server stopped): starting it again completes it.
    func isStalled(now: Date = Date()) -> Bool { status == Status.running.rawValue && !isRunning(now: now) }

    var percentDone: Int {
        guard let total = progressTotal, total > 0 else { return 0 }
        return min(100, (progressDone ?? 0) * 100 / total)
    }
}

/// A run's progress, so the web page (and anyone else) can follow a long run.
struct AddPaymentRunProgress: AsyncMigration {
    var name: String { "017_AddPaymentRunProgress" }

    func prepare(on database: any Database) async throws {
        for (column, type) in [("progress_done", DatabaseSchema.DataType.int), ("progress_total", .int), ("progress_at", .datetime)] {
            try await database.schema(PaymentRun.schema).field(FieldKey(stringLiteral: column), type).update()
        }
    }

    func revert(on database: any Database) async throws {
        for column in ["progress_done", "progress_total", "progress_at"] {
            try await database.schema(PaymentRun.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
    }
}

/// One payment: an entitlement for a month. The pair is unique, so no run pays twice.
final class Payment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "payments"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "run_id") var runID: UUID
    @Field(key: "entitlement_id") var entitlementID: UUID
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "month") var month: String
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "payment_form") var paymentForm: String
    /// The policy version and the facts of the month that made the amount (nil for payments
    /// made before they were kept, or for an entitlement whose person or policy is not on record).
    @OptionalField(key: "policy_id") var policyID: UUID?
    @OptionalField(key: "policy_version") var policyVersion: Int?
    @OptionalField(key: "basis_json") var basisJSON: String?

    var properties: [any AnyProperty] {
        [$id, $runID, $entitlementID, $elderID, $regionCode, $benefitType, $month, $amountFen, $paymentForm,
         $policyID, $policyVersion, $basisJSON]
    }
    init() {}

    var basis: PaymentBasis? { basisJSON.flatMap { try? JSONDecoder().decode(PaymentBasis.self, from: Data($0.utf8)) } }
}

/// Why a payment is what it is: the person's facts on its month and the conditions as decided.
struct PaymentBasis: Content, Equatable {
    /// Age on the month's last day, as the rules count it.
    var age: Int
    var facts: PersonFacts
    var checks: [String]
}

/// The policy and facts of each payment, and who computed a roll (so another approves it).
struct AddPaymentBasis: AsyncMigration {
    var name: String { "025_AddPaymentBasis" }

    func prepare(on database: any Database) async throws {
        for (column, type) in [("policy_id", DatabaseSchema.DataType.uuid), ("policy_version", .int), ("basis_json", .string)] {
            try await database.schema(Payment.schema).field(FieldKey(stringLiteral: column), type).update()
        }
        try await database.schema(PaymentRun.schema).field("computed_by", .string).update()
    }

    func revert(on database: any Database) async throws {
        for column in ["policy_id", "policy_version", "basis_json"] {
            try await database.schema(Payment.schema).deleteField(FieldKey(stringLiteral: column)).update()
        }
        try await database.schema(PaymentRun.schema).deleteField("computed_by").update()
    }
}

/// Money paid for months after an entitlement ended (a death reported late): a case to recover it.
final class Overpayment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "overpayments"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, CaseIterable { case open, recovered, waived }

    @ID(key: .id) var id: UUID?
    @Field(key: "entitlement_id") var entitlementID: UUID
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "months") var months: String
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "reason") var reason: String
    @Field(key: "status") var status: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $entitlementID, $elderID, $regionCode, $benefitType, $months, $amountFen, $reason, $status, $createdAt]
    }
    init() {}
}

/// Payments are never changed or removed: a correction is an adjustment in a later month.
struct PaymentsAreFinal: AsyncModelMiddleware {
    func update(model: Payment, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.conflict, "payment.final", field: nil, zh: "已生成的发放记录不能修改，更正请在以后月份调整", en: "A payment cannot be changed; correct it with an adjustment in a later month")
    }
    func delete(model: Payment, force: Bool, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.conflict, "payment.final", field: nil, zh: "已生成的发放记录不能删除", en: "A payment cannot be deleted")
    }
}

struct CreateBenefits: AsyncMigration {
    var name: String { "009_CreateBenefits" }

    func prepare(on database: any Database) async throws {
        try await database.schema(BenefitPolicyRow.schema)
            .id()
            .field("benefit_type", .string, .required)
            .field("version", .int, .required)
            .field("region_code", .string, .required)
            .field("effective_from", .string, .required)
            .field("effective_to", .string)
            .field("policy_json", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "benefit_type", "region_code", "version")
            .create()
        try await database.schema(BenefitCase.schema)
            .id()
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("policy_id", .uuid, .required)
            .field("policy_version", .int, .required)
            .field("month", .string, .required)
            .field("source", .string, .required)
            .field("status", .string, .required)
            .field("amount_fen", .int, .required)
            .field("payment_form", .string, .required)
            .field("decision_json", .string, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("decision_note", .string)
            .field("created_at", .datetime)
            .create()
        try await database.schema(Entitlement.schema)
            .id()
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("policy_id", .uuid, .required)
            .field("policy_version", .int, .required)
            .field("amount_fen", .int, .required)
            .field("payment_form", .string, .required)
            .field("start_month", .string, .required)
            .field("end_month", .string)
            .field("status", .string, .required)
            .field("status_reason", .string)
            .field("account_cipher", .string)
            .field("account_masked", .string, .required)
            .field("case_id", .uuid)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema(PaymentRun.schema)
            .id()
            .field("month", .string, .required)
            .field("region_code", .string, .required)
            .field("status", .string, .required)
            .field("started_by", .string, .required)
            .field("finished_at", .datetime)
            .field("payments", .int, .required)
            .field("total_fen", .int, .required)
            .field("approved_by", .string)
            .field("approved_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "month", "region_code")
            .create()
        try await database.schema(Payment.schema)
            .id()
            .field("run_id", .uuid, .required)
            .field("entitlement_id", .uuid, .required)
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("month", .string, .required)
            .field("amount_fen", .int, .required)
            .field("payment_form", .string, .required)
            .unique(on: "entitlement_id", "month")
            .create()
        try await database.schema(Overpayment.schema)
            .id()
            .field("entitlement_id", .uuid, .required)
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("months", .string, .required)
            .field("amount_fen", .int, .required)
            .field("reason", .string, .required)
            .field("status", .string, .required)
            .field("created_at", .datetime)
            .create()
        if let sql = database as? any SQLDatabase {
            for s in ["CREATE INDEX IF NOT EXISTS entitlements_elder_idx ON entitlements (elder_id)",
                      "CREATE INDEX IF NOT EXISTS entitlements_region_idx ON entitlements (region_code, status)",
                      "CREATE INDEX IF NOT EXISTS benefit_cases_elder_idx ON benefit_cases (elder_id, benefit_type, status)",
                      "CREATE INDEX IF NOT EXISTS payments_run_idx ON payments (run_id)",
                      "CREATE INDEX IF NOT EXISTS overpayments_elder_idx ON overpayments (elder_id)"] {
                try await sql.raw(SQLQueryString(s)).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        for s in [Overpayment.schema, Payment.schema, PaymentRun.schema, Entitlement.schema, BenefitCase.schema, BenefitPolicyRow.schema] {
            try await database.schema(s).delete()
        }
    }
}

/// A correction of an approved month: paid (or taken back, when negative) with a later
/// month's roll, since an approved roll never changes.
final class PaymentAdjustment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "payment_adjustments"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "entitlement_id") var entitlementID: UUID
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "payment_form") var paymentForm: String
    /// The month corrected.
    @Field(key: "for_month") var forMonth: String
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "reason") var reason: String
    @Field(key: "created_by") var createdBy: String
    /// pending until a roll takes it, then paid.
    @Field(key: "status") var status: String
    @OptionalField(key: "paid_month") var paidMonth: String?
    @OptionalField(key: "run_id") var runID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $entitlementID, $elderID, $regionCode, $benefitType, $paymentForm, $forMonth, $amountFen, $reason, $createdBy, $status, $paidMonth,
         $runID, $createdAt]
    }
    init() {}
}

struct CreatePaymentAdjustments: AsyncMigration {
    var name: String { "013_CreatePaymentAdjustments" }

    func prepare(on database: any Database) async throws {
        try await database.schema(PaymentAdjustment.schema)
            .id()
            .field("entitlement_id", .uuid, .required)
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("payment_form", .string, .required)
            .field("for_month", .string, .required)
            .field("amount_fen", .int, .required)
            .field("reason", .string, .required)
            .field("created_by", .string, .required)
            .field("status", .string, .required)
            .field("paid_month", .string)
            .field("run_id", .uuid)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PaymentAdjustment.schema).delete()
    }
}
