import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// One assessment case: requested, assigned to an agency and assessors, filled in (a draft
/// saved as the assessor goes), submitted, then signed off or rejected. The result made at
/// submission is an `AssessmentResult`, which nobody can change afterwards.
final class Assessment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "assessments"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, Codable, CaseIterable, Sendable {
        case requested, assigned, inProgress = "in_progress", submitted, approved, rejected, cancelled

        var name: LocalizedText {
            switch self {
            case .requested: .init(zh: "已申请", en: "Requested")
            case .assigned: .init(zh: "已派单", en: "Assigned")
            case .inProgress: .init(zh: "评估中", en: "In progress")
            case .submitted: .init(zh: "待审核", en: "Awaiting sign-off")
            case .approved: .init(zh: "已审核生效", en: "Signed off")
            case .rejected: .init(zh: "审核未通过", en: "Rejected")
            case .cancelled: .init(zh: "已撤销", en: "Cancelled")
            }
        }
        /// The assessor may still change the answers.
        var isOpen: Bool { self == .assigned || self == .inProgress }
    }

    enum Reason: String, Codable, CaseIterable, Sendable {
        case first, routine, changeOfCondition = "change_of_condition", dispute, correction

        var name: LocalizedText {
            switch self {
            case .first: .init(zh: "首次评估", en: "First assessment")
            case .routine: .init(zh: "常规评估（到期复评）", en: "Routine (validity ending)")
            case .changeOfCondition: .init(zh: "即时评估（状况变化）", en: "Change of condition")
            case .dispute: .init(zh: "对结果有疑问的复评", en: "Dispute of a result")
            case .correction: .init(zh: "更正", en: "Correction")
            }
        }
    }

    enum Requester: String, Codable, CaseIterable, Sendable {
        case person, family, staff, automatic

        var name: LocalizedText {
            switch self {
            case .person: .init(zh: "本人申请", en: "The person")
            case .family: .init(zh: "家属代为申请", en: "A family member")
            case .staff: .init(zh: "工作人员代为申请", en: "Staff on their behalf")
            case .automatic: .init(zh: "到期自动发起", en: "Automatic (due)")
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "instrument") var instrument: String
    @Field(key: "reason") var reason: String
    @Field(key: "requested_via") var requestedVia: String
    @OptionalField(key: "requester_name") var requesterName: String?
    @Field(key: "request_note") var requestNote: String
    @Field(key: "requested_by") var requestedBy: String
    @Field(key: "status") var status: String
    @OptionalField(key: "agency") var agency: String?
    /// Answers so far, as JSON of `AssessmentAnswers`.
    @Field(key: "draft_json") var draftJSON: String
    @OptionalField(key: "draft_saved_at") var draftSavedAt: Date?
    @OptionalField(key: "previous_id") var previousID: UUID?
    @OptionalField(key: "result_id") var resultID: UUID?
    @OptionalField(key: "reviewed_by") var reviewedBy: String?
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?
    @OptionalField(key: "review_note") var reviewNote: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    var properties: [any AnyProperty] {
        [$id, $elderID, $regionCode, $instrument, $reason, $requestedVia, $requesterName, $requestNote, $requestedBy, $status, $agency, $draftJSON,
         $draftSavedAt, $previousID, $resultID, $reviewedBy, $reviewedAt, $reviewNote, $createdAt, $updatedAt]
    }
    init() {}

    var statusValue: Status { Status(rawValue: status) ?? .requested }
    var reasonValue: Reason { Reason(rawValue: reason) ?? .first }

    var draft: AssessmentAnswers {
        get { (try? JSONDecoder().decode(AssessmentAnswers.self, from: Data(draftJSON.utf8))) ?? AssessmentAnswers(answers: [:]) }
        set { draftJSON = String(decoding: (try? JSONEncoder.sorted.encode(newValue)) ?? Data("{}".utf8), as: UTF8.self) }
    }
}

/// An assessor on a case. The pair (case, account) is unique.
final class AssessmentAssessor: Model, @unchecked Sendable {
    static let schema = "assessment_assessors"

    @ID(key: .id) var id: UUID?
    @Field(key: "assessment_id") var assessmentID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "position") var position: Int

    var properties: [any AnyProperty] { [$id, $assessmentID, $userID, $username, $displayName, $position] }
    init() {}
    init(assessmentID: UUID, user: User, position: Int) {
        self.assessmentID = assessmentID; self.userID = user.id!; self.username = user.username
        self.displayName = user.displayName; self.position = position
    }
}

/// A result: what was answered and what it scored, with the instrument and version that
/// scored it. Append-only (see `AssessmentResultsAreFinal`): a correction or a dispute is a
/// new assessment whose result points back to this one.
final class AssessmentResult: Model, RegionScoped, @unchecked Sendable {
    static let schema = "assessment_results"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "assessment_id") var assessmentID: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "instrument") var instrument: String
    @Field(key: "instrument_version") var instrumentVersion: String
    /// `AssessmentAnswers` as JSON.
    @Field(key: "answers_json") var answersJSON: String
    /// `AssessmentOutcome` as JSON: totals, dimensions, levels, rules.
    @Field(key: "outcome_json") var outcomeJSON: String
    @Field(key: "total") var total: Int
    @Field(key: "preliminary_level") var preliminaryLevel: Int
    @Field(key: "final_level") var finalLevel: Int
    @Field(key: "final_level_name") var finalLevelName: String
    @Field(key: "provisional") var provisional: Bool
    @Field(key: "assessed_on") var assessedOn: String
    @Field(key: "valid_until") var validUntil: String
    /// Names of the assessors, as signed.
    @Field(key: "assessors") var assessors: String
    @Field(key: "agency") var agency: String
    /// `local` for results made here, `imported` for results recognised from elsewhere.
    @Field(key: "origin") var origin: String
    @OptionalField(key: "previous_result_id") var previousResultID: UUID?
    @Field(key: "recorded_by") var recordedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $assessmentID, $elderID, $regionCode, $instrument, $instrumentVersion, $answersJSON, $outcomeJSON, $total, $preliminaryLevel,
         $finalLevel, $finalLevelName, $provisional, $assessedOn, $validUntil, $assessors, $agency, $origin, $previousResultID, $recordedBy,
         $createdAt]
    }
    init() {}

    var outcome: AssessmentOutcome? { try? JSONDecoder().decode(AssessmentOutcome.self, from: Data(outcomeJSON.utf8)) }
    var answers: AssessmentAnswers? { try? JSONDecoder().decode(AssessmentAnswers.self, from: Data(answersJSON.utf8)) }
}

/// The settings in force from a date, as JSON of `AssessmentPolicy`. Never edited: a change is
/// a new row, so a result can always be explained by the settings of its day.
final class AssessmentPolicyRow: Model, @unchecked Sendable {
    static let schema = "assessment_policies"

    @ID(key: .id) var id: UUID?
    @Field(key: "effective_from") var effectiveFrom: String
    @Field(key: "policy_json") var policyJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $effectiveFrom, $policyJSON, $createdBy, $createdAt] }
    init() {}

    var dated: DatedAssessmentPolicy? {
        guard let day = CalendarDate(effectiveFrom),
              let p = try? JSONDecoder().decode(AssessmentPolicy.self, from: Data(policyJSON.utf8)) else { return nil }
        return DatedAssessmentPolicy(effectiveFrom: day, policy: p)
    }
}

extension JSONEncoder {
    /// Keys sorted, so stored JSON is stable and comparable.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

/// Results are final: no route, job or script can change or remove one.
struct AssessmentResultsAreFinal: AsyncModelMiddleware {
    func update(model: AssessmentResult, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.conflict, "assessment.result_final", field: nil,
                       zh: "评估结果提交后不能修改；如需更正，请发起新的评估", en: "A submitted result cannot be changed; start a new assessment to correct it")
    }

    func delete(model: AssessmentResult, force: Bool, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        throw AppError(.conflict, "assessment.result_final", field: nil,
                       zh: "评估结果不能删除", en: "A result cannot be deleted")
    }
}

struct CreateAssessment: AsyncMigration {
    var name: String { "007_CreateAssessment" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Assessment.schema)
            .id()
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("instrument", .string, .required)
            .field("reason", .string, .required)
            .field("requested_via", .string, .required)
            .field("requester_name", .string)
            .field("request_note", .string, .required)
            .field("requested_by", .string, .required)
            .field("status", .string, .required)
            .field("agency", .string)
            .field("draft_json", .string, .required)
            .field("draft_saved_at", .datetime)
            .field("previous_id", .uuid)
            .field("result_id", .uuid)
            .field("reviewed_by", .string)
            .field("reviewed_at", .datetime)
            .field("review_note", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await database.schema(AssessmentAssessor.schema)
            .id()
            .field("assessment_id", .uuid, .required, .references(Assessment.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required)
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("position", .int, .required)
            .unique(on: "assessment_id", "user_id")
            .create()
        try await database.schema(AssessmentResult.schema)
            .id()
            .field("assessment_id", .uuid)
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("instrument", .string, .required)
            .field("instrument_version", .string, .required)
            .field("answers_json", .string, .required)
            .field("outcome_json", .string, .required)
            .field("total", .int, .required)
            .field("preliminary_level", .int, .required)
            .field("final_level", .int, .required)
            .field("final_level_name", .string, .required)
            .field("provisional", .bool, .required)
            .field("assessed_on", .string, .required)
            .field("valid_until", .string, .required)
            .field("assessors", .string, .required)
            .field("agency", .string, .required)
            .field("origin", .string, .required)
            .field("previous_result_id", .uuid)
            .field("recorded_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(AssessmentPolicyRow.schema)
            .id()
            .field("effective_from", .string, .required)
            .field("policy_json", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        if let sql = database as? any SQLDatabase {
            for s in ["CREATE INDEX IF NOT EXISTS assessments_elder_idx ON assessments (elder_id)",
                      "CREATE INDEX IF NOT EXISTS assessments_region_status_idx ON assessments (region_code, status)",
                      "CREATE INDEX IF NOT EXISTS assessment_assessors_user_idx ON assessment_assessors (user_id)",
                      "CREATE INDEX IF NOT EXISTS assessment_results_elder_idx ON assessment_results (elder_id, valid_until)"] {
                try await sql.raw(SQLQueryString(s)).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        for s in [AssessmentPolicyRow.schema, AssessmentResult.schema, AssessmentAssessor.schema, Assessment.schema] {
            try await database.schema(s).delete()
        }
    }
}
