import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// The benefit settings in force from a date, as JSON of `BenefitSettings`; never edited.
final class BenefitSettingsRow: Model, @unchecked Sendable {
    static let schema = "benefit_settings"

    @ID(key: .id) var id: UUID?
    @Field(key: "effective_from") var effectiveFrom: String
    @Field(key: "settings_json") var settingsJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $effectiveFrom, $settingsJSON, $createdBy, $createdAt] }
    init() {}

    static func inForce(on db: any Database, day: CalendarDate = .today()) async throws -> BenefitSettings {
        let rows = try await query(on: db).filter(\.$effectiveFrom <= day.description).sort(\.$effectiveFrom, .descending).first()
        return rows.flatMap { try? JSONDecoder().decode(BenefitSettings.self, from: Data($0.settingsJSON.utf8)) } ?? .defaults
    }
}

/// Evidence that a person is alive, from the lightest source there is: a verified home-service
/// visit or a care visit (recorded by those modules), a community worker who saw them, a home
/// visit. Assessments count by themselves (their date).
final class LivenessEvidence: Model, RegionScoped, @unchecked Sendable {
    static let schema = "liveness_evidence"
    static let regionCodeKey: FieldKey = "region_code"

    enum Method: String, CaseIterable {
        case serviceVisit = "service_visit", careVisit = "care_visit", workerConfirmation = "worker_confirmation", homeVisit = "home_visit"

        var name: LocalizedText {
            switch self {
            case .serviceVisit: .init(zh: "上门服务核验", en: "Verified home-service visit")
            case .careVisit: .init(zh: "探访关爱", en: "Care visit")
            case .workerConfirmation: .init(zh: "网格员确认", en: "Community worker confirmed")
            case .homeVisit: .init(zh: "入户核查", en: "Home visit")
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "seen_on") var seenOn: String
    @Field(key: "method") var method: String
    @Field(key: "recorded_by") var recordedBy: String
    @Field(key: "note") var note: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $elderID, $regionCode, $seenOn, $method, $recordedBy, $note, $createdAt] }
    init() {}
}

struct CreateLiveness: AsyncMigration {
    var name: String { "012_CreateLiveness" }

    func prepare(on database: any Database) async throws {
        try await database.schema(BenefitSettingsRow.schema)
            .id()
            .field("effective_from", .string, .required)
            .field("settings_json", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(LivenessEvidence.schema)
            .id()
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("seen_on", .string, .required)
            .field("method", .string, .required)
            .field("recorded_by", .string, .required)
            .field("note", .string, .required)
            .field("created_at", .datetime)
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE INDEX IF NOT EXISTS liveness_elder_idx ON liveness_evidence (elder_id, seen_on)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LivenessEvidence.schema).delete()
        try await database.schema(BenefitSettingsRow.schema).delete()
    }
}

/// The monthly review that keeps entitlements true: each active or suspended entitlement is
/// decided again on today's facts and the policy in force. What no longer holds suspends it
/// (an assessment expired, entering an institution, a duplicate benefit, no evidence of life for
/// too long), never ends it: a suspension lifts by itself at the next review once the reason is
/// gone. A new age band or level changes the amount. Deaths and move-outs end entitlements as
/// they are recorded (`BenefitsOnLifeEvent`).
enum EntitlementReview {
    struct Outcome: Content {
        var reviewed = 0
        var suspended = 0
        var reactivated = 0
        var amountChanged = 0
        var confirmationsDue = 0
        var visitsDue = 0
    }

    static let reasons: [String: String] = [
        "assessment": "assessment_not_valid", "not_in_institution": "entered_institution", "not_while_receiving": "duplicate_benefit",
        "economic_status": "economic_status_changed", "category": "category_changed", "min_age": "age", "max_age": "age",
        "living": "not_living", "amount": "no_amount",
    ]

    static let reasonNames: [String: LocalizedText] = [
        "assessment_not_valid": .init(zh: "能力评估结果已过期或等级不再符合", en: "Assessment expired or level no longer qualifies"),
        "entered_institution": .init(zh: "入住养老机构", en: "Entered a care institution"),
        "duplicate_benefit": .init(zh: "重复享受互斥待遇", en: "Duplicate benefit"),
        "economic_status_changed": .init(zh: "经济状况变化", en: "Economic status changed"),
        "category_changed": .init(zh: "类别变化", en: "Category changed"),
        "age": .init(zh: "年龄不符", en: "Age"),
        "not_living": .init(zh: "已故或迁出", en: "Died or moved out"),
        "no_amount": .init(zh: "没有适用的发放标准", en: "No amount applies"),
        "liveness": .init(zh: "长期未能核实生存状态", en: "Not seen alive for too long"),
        "death": .init(zh: "死亡", en: "Death"),
        "moved_out": .init(zh: "迁出", en: "Moved out"),
        "completed": .init(zh: "已发放完毕", en: "Completed"),
    ]

    /// The last evidence of life of each person: recorded evidence or an assessment.
    static func lastEvidence(_ ids: [UUID], on db: any Database) async throws -> [UUID: CalendarDate] {
        var out: [UUID: CalendarDate] = [:]
        func note(_ id: UUID, _ raw: String) {
            guard let d = CalendarDate(raw) else { return }
            if out[id].map({ d > $0 }) ?? true { out[id] = d }
        }
        for e in try await LivenessEvidence.query(on: db).filter(\.$elderID ~~ ids).all() { note(e.elderID, e.seenOn) }
        for r in try await AssessmentResult.query(on: db).filter(\.$elderID ~~ ids).all() { note(r.elderID, r.assessedOn) }
        return out
    }

    static func run(month: Month, scope: RegionScope, actor: String, db: any Database, today: CalendarDate = .today(),
                    progress: (_ done: Int, _ total: Int) async -> Void = { _, _ in }) async throws -> Outcome {
        let settings = try await BenefitSettingsRow.inForce(on: db, day: today)
        let policies = try await BenefitPolicyRow.all(on: db)
        let names = try await BenefitFacts.names(on: db)
        let reviewable = [Entitlement.Status.active.rawValue, Entitlement.Status.suspended.rawValue]
        let total = try await scope.query(Entitlement.self, on: db).filter(\.$status ~~ reviewable).count()
        var outcome = Outcome()
        var after: UUID? = nil
        while true {
            var q = scope.query(Entitlement.self, on: db).filter(\.$status ~~ reviewable).sort(\.$id).limit(500)
            if let after { q = q.filter(\.$id > after) }
            let batch = try await q.all()
            guard let last = batch.last?.id else { break }
            after = last
            let elderIDs = Array(Set(batch.map(\.elderID)))
            let elders = try await Elder.query(on: db).filter(\.$id ~~ elderIDs).all()
            let facts = try await BenefitFacts.of(elders, on: db, today: today)
            let evidence = try await lastEvidence(elderIDs, on: db)
            for e in batch {
                outcome.reviewed += 1
                // Past its last month (a one-off paid, a fixed term over): done.
                if let end = e.endMonth.flatMap(Month.init), end < month {
                    e.status = Entitlement.Status.ended.rawValue
                    e.statusReason = e.statusReason ?? "completed"
                    try await e.save(on: db)
                    continue
                }
                guard var f = facts[e.elderID] else { continue }
                // The entitlement under review does not exclude itself.
                f.receiving.remove(e.benefitType)
                let policy = EntitlementRules.policy(for: e.benefitType, region: f.residenceRegion, month: month, among: policies)
                    ?? policies.first { $0.id == e.policyID }
                guard let policy else { continue }
                let d = EntitlementRules.decide(f, month: month, policy: policy, names: names)
                let start = Month(e.startMonth)?.firstDay ?? today
                let live = settings.liveness(lastEvidence: evidence[e.elderID], since: start, today: today)
                var reason: String? = nil
                if !d.entitled { reason = d.checks.first { !$0.held }.flatMap { reasons[$0.code] } ?? "no_amount" }
                else if live == .suspend { reason = "liveness" }
                if live == .confirmationDue { outcome.confirmationsDue += 1 }
                if live == .visitDue { outcome.visitsDue += 1 }
                var changed = false
                if let reason {
                    if e.status == Entitlement.Status.active.rawValue || e.statusReason != reason {
                        if e.status == Entitlement.Status.active.rawValue { outcome.suspended += 1 }
                        e.status = Entitlement.Status.suspended.rawValue; e.statusReason = reason; changed = true
                    }
                } else {
                    if e.status == Entitlement.Status.suspended.rawValue {
                        e.status = Entitlement.Status.active.rawValue; e.statusReason = nil; changed = true
                        outcome.reactivated += 1
                    }
                    if let amount = d.amountFen, amount != e.amountFen {
                        e.amountFen = amount; e.policyID = policy.id; e.policyVersion = policy.version; changed = true
                        outcome.amountChanged += 1
                    }
                }
                if changed { try await e.save(on: db) }
            }
            await progress(outcome.reviewed, total)
        }
        return outcome
    }

    /// People with entitlements whose evidence of life is getting old: to confirm, or to visit.
    struct Task: Content {
        var elderId: UUID; var name: String; var idNumber: String; var regionCode: String; var lastSeen: String?; var due: String
    }

    static func tasks(scope: RegionScope, db: any Database, today: CalendarDate = .today()) async throws -> [Task] {
        let settings = try await BenefitSettingsRow.inForce(on: db, day: today)
        let ents = try await scope.query(Entitlement.self, on: db).filter(\.$status == Entitlement.Status.active.rawValue).all()
        var start: [UUID: CalendarDate] = [:]
        for e in ents { if let m = Month(e.startMonth)?.firstDay, start[e.elderID].map({ m < $0 }) ?? true { start[e.elderID] = m } }
        let ids = Array(start.keys)
        let evidence = try await lastEvidence(ids, on: db)
        let elders = try await Elder.query(on: db).filter(\.$id ~~ ids).filter(\.$status == ElderStatus.living.rawValue).all()
        return elders.compactMap { p in
            let live = settings.liveness(lastEvidence: evidence[p.id!], since: start[p.id!]!, today: today)
            guard live != .verified else { return nil }
            return Task(elderId: p.id!, name: p.name, idNumber: p.idMasked, regionCode: p.residenceRegion,
                        lastSeen: evidence[p.id!]?.description, due: live.rawValue)
        }.sorted { ($0.lastSeen ?? "", $0.name) < ($1.lastSeen ?? "", $1.name) }
    }
}
