import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// The assessment workflow behind both the API and the pages. Each step checks who may take
/// it, moves the case on, and writes its audit entry.
struct AssessmentService {
    let req: Request
    var db: any Database { req.db }

    // MARK: settings and instruments

    static func policies(on db: any Database) async throws -> [DatedAssessmentPolicy] {
        try await AssessmentPolicyRow.query(on: db).all().compactMap(\.dated)
    }

    static func policy(on db: any Database, day: CalendarDate = .today()) async throws -> AssessmentPolicy {
        DatedAssessmentPolicy.inForce(try await policies(on: db), on: day)
    }

    /// The instrument with the settings in force applied, or 404 naming it.
    static func instrument(_ id: String, policy: AssessmentPolicy) throws -> AssessmentInstrument {
        guard let base = AssessmentInstruments.named(id) else {
            throw AppError(.notFound, "assessment.instrument_unknown", field: "instrument",
                           zh: "没有评估工具“\(id)”（可用：\(AssessmentInstruments.all.map(\.id).joined(separator: "、"))）",
                           en: "No instrument \"\(id)\" (available: \(AssessmentInstruments.all.map(\.id).joined(separator: ", ")))")
        }
        return policy.apply(to: base)
    }

    /// Scores, or throws every problem, each naming its item.
    static func score(_ instrument: AssessmentInstrument, _ answers: AssessmentAnswers) throws -> AssessmentOutcome {
        switch AssessmentScoring.score(instrument, answers) {
        case .success(let o): return o
        case .failure(let e): throw ValidationFailure(issues: e.issues)
        }
    }

    // MARK: reading

    /// The result in force for a person: the newest signed-off (or recognised) one that is
    /// still valid. Benefits and the registry read the level from here.
    static func current(elderID: UUID, on db: any Database, today: CalendarDate = .today()) async throws -> AssessmentResult? {
        try await current(elderIDs: [elderID], on: db, today: today)[elderID]
    }

    /// The result in force of each of many people, in two queries.
    static func current(elderIDs: [UUID], on db: any Database, today: CalendarDate = .today()) async throws -> [UUID: AssessmentResult] {
        var out: [UUID: AssessmentResult] = [:]
        for r in try await latest(elderIDs: elderIDs, on: db, validOn: today) where out[r.elderID] == nil { out[r.elderID] = r }
        return out
    }

    /// Results in force or expired, newest first, excluding those not (yet) signed off.
    static func latest(elderID: UUID, on db: any Database) async throws -> [AssessmentResult] {
        try await latest(elderIDs: [elderID], on: db, validOn: nil)
    }

    /// What counts as a result: signed off (its assessment approved) or recognised from
    /// elsewhere (imported, without an assessment here). With `validOn`, only those still valid.
    static func latest(elderIDs: [UUID], on db: any Database, validOn day: CalendarDate?) async throws -> [AssessmentResult] {
        guard !elderIDs.isEmpty else { return [] }
        var q = AssessmentResult.query(on: db).filter(\.$elderID ~~ elderIDs)
        if let day { q = q.filter(\.$validUntil >= day.description) }
        let results = try await q.sort(\.$assessedOn, .descending).sort(\.$createdAt, .descending).all()
        let caseIDs = results.compactMap(\.assessmentID)
        let approved = caseIDs.isEmpty ? [] : Set(try await Assessment.query(on: db).filter(\.$id ~~ caseIDs)
            .filter(\.$status == Assessment.Status.approved.rawValue).all().compactMap(\.id))
        return results.filter { r in r.assessmentID.map(approved.contains) ?? true }
    }

    func assessors(of a: Assessment) async throws -> [AssessmentAssessor] {
        try await AssessmentAssessor.query(on: db).filter(\.$assessmentID == a.id!).sort(\.$position).all()
    }

    /// An open case for the person, if any: a second request points to it instead.
    func openCase(elderID: UUID) async throws -> Assessment? {
        try await Assessment.query(on: db).filter(\.$elderID == elderID)
            .filter(\.$status ~~ [Assessment.Status.requested, .assigned, .inProgress, .submitted].map(\.rawValue)).first()
    }

    // MARK: steps

    struct RequestInput: Content {
        var elderId: UUID
        var instrument: String?
        var reason: String
        var requestedVia: String?
        var requesterName: String?
        var note: String?
        var previousId: UUID?
    }

    func request(_ input: RequestInput) async throws -> Assessment {
        let actor = try req.require(.assessmentManage)
        let elder = try await req.findScoped(Elder.self, input.elderId)
        guard elder.status == ElderStatus.living.rawValue else {
            throw AppError(.unprocessableEntity, "assessment.elder_not_living", field: "elderId",
                           zh: "此人已故或已迁出，不能申请评估", en: "This person has died or moved out")
        }
        let policy = try await Self.policy(on: db)
        let instrument = try Self.instrument(input.instrument ?? "gbt42195-2022", policy: policy)
        guard let reason = Assessment.Reason(rawValue: input.reason) else {
            throw AppError(.unprocessableEntity, "assessment.reason", field: "reason",
                           zh: "评估原因应为 first、routine、change_of_condition、dispute 或 correction", en: "reason must be first, routine, change_of_condition, dispute or correction")
        }
        let via = Assessment.Requester(rawValue: input.requestedVia ?? "staff") ?? .staff
        if via == .family, (input.requesterName ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw AppError(.unprocessableEntity, "assessment.requester_name", field: "requesterName",
                           zh: "家属代为申请时请填写家属姓名和关系", en: "Name the family member who asks")
        }
        if let open = try await openCase(elderID: elder.id!) {
            throw AppError(.conflict, "assessment.open_case", field: "elderId",
                           zh: "此人已有进行中的评估：/assessment/\(open.id!.uuidString)", en: "This person has an assessment under way: /assessment/\(open.id!.uuidString)")
        }
        var previous: Assessment?
        if reason != .dispute, reason != .correction, input.previousId != nil {
            // Said, not silently dropped: only a dispute or a correction links to an earlier assessment.
            throw AppError(.unprocessableEntity, "assessment.previous_not_applicable", field: "previousId",
                           zh: "只有复评或更正才指明原评估", en: "Only a dispute or a correction names an earlier assessment")
        }
        if reason == .dispute || reason == .correction {
            guard let pid = input.previousId, let p = try await req.scoped(Assessment.self).filter(\.$id == pid).first(),
                  p.elderID == elder.id, p.resultID != nil else {
                throw AppError(.unprocessableEntity, "assessment.previous_required", field: "previousId",
                               zh: "复评或更正须指明原评估（已提交结果的那一次）", en: "A dispute or correction must name the earlier assessment with a result")
            }
            previous = p
        }
        let a = Assessment()
        a.elderID = elder.id!; a.regionCode = elder.residenceRegion; a.instrument = instrument.id; a.reason = reason.rawValue
        a.requestedVia = via.rawValue; a.requesterName = input.requesterName?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        a.requestNote = (input.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines); a.requestedBy = actor.username
        a.status = Assessment.Status.requested.rawValue; a.draft = AssessmentAnswers(answers: [:]); a.previousID = previous?.id
        try await a.create(on: db)
        try await AuditLog.record(on: req, action: .assessmentRequested, entityType: "assessment", entityID: a.id?.uuidString,
                                  region: a.regionCode, after: ["elder": elder.id!.uuidString, "instrument": a.instrument, "reason": a.reason, "via": a.requestedVia])
        return a
    }

    func assign(_ a: Assessment, agency rawAgency: String, assessorUsernames: [String]) async throws {
        let actor = try req.require(.assessmentManage)
        guard [.requested, .assigned].contains(a.statusValue) else { throw Self.wrongStatus(a) }
        let agency = rawAgency.trimmingCharacters(in: .whitespaces)
        guard !agency.isEmpty else {
            throw AppError(.unprocessableEntity, "assessment.agency", field: "agency", zh: "请填写评估机构", en: "Name the assessment agency")
        }
        let policy = try await Self.policy(on: db)
        let names = assessorUsernames.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard Set(names).count == policy.assessorsRequired, names.count == policy.assessorsRequired else {
            throw AppError(.unprocessableEntity, "assessment.assessor_count", field: "assessors",
                           zh: "须指派 \(policy.assessorsRequired) 名不同的评估员", en: "Assign \(policy.assessorsRequired) different assessors")
        }
        var excluded = Set<String>()
        if a.reasonValue == .dispute, let pid = a.previousID, let previous = try await Assessment.find(pid, on: db) {
            excluded = Set(try await assessors(of: previous).map(\.username))
        }
        let eligible = try await eligibleAssessors(for: a.regionCode)
        var users: [User] = []
        for name in names {
            guard let u = eligible.first(where: { $0.username == name }) else {
                throw AppError(.unprocessableEntity, "assessment.assessor_not_qualified", field: "assessors",
                               zh: "“\(name)”不是负责此地区的评估员", en: "\"\(name)\" is not an assessor for this area")
            }
            if excluded.contains(name) {
                throw AppError(.unprocessableEntity, "assessment.dispute_same_assessor", field: "assessors",
                               zh: "复评须由不同的评估员进行，“\(name)”参加过原评估", en: "A dispute needs different assessors; \"\(name)\" did the earlier one")
            }
            users.append(u)
        }
        let chosen = users
        try await db.transaction { tx in
            try await AssessmentAssessor.query(on: tx).filter(\.$assessmentID == a.id!).delete()
            for (i, u) in chosen.enumerated() { try await AssessmentAssessor(assessmentID: a.id!, user: u, position: i).create(on: tx) }
            a.agency = agency
            a.status = Assessment.Status.assigned.rawValue
            try await a.save(on: tx)
        }
        try await AuditLog.record(on: req, action: .assessmentAssigned, entityType: "assessment", entityID: a.id?.uuidString,
                                  region: a.regionCode, after: ["agency": agency, "assessors": names.joined(separator: ","), "by": actor.username])
    }

    /// The assessor's answers so far. Scores are checked as they come; missing items are fine.
    func saveDraft(_ a: Assessment, _ answers: AssessmentAnswers) async throws {
        try await requireAssessor(a)
        guard a.statusValue.isOpen else { throw Self.wrongStatus(a) }
        let instrument = try Self.instrument(a.instrument, policy: try await Self.policy(on: db))
        let issues = AssessmentScoring.answerIssues(instrument, answers.answers, requireAll: false)
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        a.draft = answers
        a.draftSavedAt = Date()
        a.status = Assessment.Status.inProgress.rawValue
        try await a.save(on: db)
    }

    /// Scores the complete answers and records the result, which from now on is final.
    func submit(_ a: Assessment, assessedOn: CalendarDate = .today()) async throws -> AssessmentResult {
        let actor = try await requireAssessor(a)
        guard a.statusValue.isOpen else { throw Self.wrongStatus(a) }
        let policy = try await Self.policy(on: db, day: assessedOn)
        let instrument = try Self.instrument(a.instrument, policy: policy)
        let outcome = try Self.score(instrument, a.draft)
        let names = try await assessors(of: a).map(\.displayName)
        var previousResult: UUID?
        if let pid = a.previousID { previousResult = try await Assessment.find(pid, on: db)?.resultID }
        let r = Self.makeResult(outcome: outcome, answers: a.draft, elderID: a.elderID, region: a.regionCode, assessedOn: assessedOn,
                                validityMonths: policy.validityMonths, assessors: names.joined(separator: "、"), agency: a.agency ?? "",
                                origin: "local", recordedBy: actor.username)
        r.assessmentID = a.id; r.previousResultID = previousResult
        // Two assessors pressing submit at once: the status check inside the transaction,
        // on the row as it is now, lets only one of them record a result.
        try await db.transaction { tx in
            guard let fresh = try await Assessment.find(a.id!, on: tx), fresh.statusValue.isOpen else { throw Self.wrongStatus(a) }
            try await r.create(on: tx)
            fresh.resultID = r.id
            fresh.status = Assessment.Status.submitted.rawValue
            try await fresh.save(on: tx)
            a.resultID = r.id; a.status = fresh.status
        }
        try await AuditLog.record(on: req, action: .assessmentSubmitted, entityType: "assessment", entityID: a.id?.uuidString,
                                  region: a.regionCode, after: ["result": r.id!.uuidString, "total": String(outcome.total), "level": outcome.finalLevel.name.zh])
        return r
    }

    static func makeResult(outcome: AssessmentOutcome, answers: AssessmentAnswers, elderID: UUID, region: String, assessedOn: CalendarDate,
                           validityMonths: Int, assessors: String, agency: String, origin: String, recordedBy: String) -> AssessmentResult {
        let r = AssessmentResult()
        r.elderID = elderID; r.regionCode = region; r.instrument = outcome.instrument; r.instrumentVersion = outcome.version
        r.answersJSON = String(decoding: (try? JSONEncoder.sorted.encode(answers)) ?? Data(), as: UTF8.self)
        r.outcomeJSON = String(decoding: (try? JSONEncoder.sorted.encode(outcome)) ?? Data(), as: UTF8.self)
        r.total = outcome.total; r.preliminaryLevel = outcome.preliminaryLevel.code; r.finalLevel = outcome.finalLevel.code
        r.finalLevelName = outcome.finalLevel.name.zh; r.provisional = outcome.provisional
        r.assessedOn = assessedOn.description; r.validUntil = assessedOn.validUntil(months: validityMonths).description
        r.assessors = assessors; r.agency = agency; r.origin = origin; r.recordedBy = recordedBy
        return r
    }

    /// Sign-off by staff who did not assess: approve makes the result the person's level;
    /// reject leaves it on record, unused, and a correction starts a new assessment.
    func review(_ a: Assessment, approve: Bool, note: String?) async throws {
        let actor = try req.require(.assessmentManage)
        guard a.statusValue == .submitted else { throw Self.wrongStatus(a) }
        if try await assessors(of: a).contains(where: { $0.userID == actor.userID }) {
            throw AppError(.forbidden, "assessment.review_own", field: nil,
                           zh: "评估员不能审核自己参与的评估", en: "An assessor cannot sign off their own assessment")
        }
        let text = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve && text.isEmpty {
            throw AppError(.unprocessableEntity, "assessment.review_note", field: "note", zh: "不通过时请写明理由", en: "Give the reason for rejecting")
        }
        a.status = (approve ? Assessment.Status.approved : .rejected).rawValue
        a.reviewedBy = actor.username; a.reviewedAt = Date(); a.reviewNote = text.nilIfEmpty
        try await a.save(on: db)
        try await AuditLog.record(on: req, action: approve ? .assessmentApproved : .assessmentRejected, entityType: "assessment",
                                  entityID: a.id?.uuidString, region: a.regionCode, after: ["note": text])
    }

    func cancel(_ a: Assessment, note: String?) async throws {
        try req.require(.assessmentManage)
        guard [.requested, .assigned, .inProgress].contains(a.statusValue) else { throw Self.wrongStatus(a) }
        a.status = Assessment.Status.cancelled.rawValue
        a.reviewNote = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        try await a.save(on: db)
        try await AuditLog.record(on: req, action: .assessmentCancelled, entityType: "assessment", entityID: a.id?.uuidString,
                                  region: a.regionCode, after: ["note": a.reviewNote ?? ""])
    }

    /// Enabled accounts that may assess and whose region holds the person's: an assessor of
    /// the county serves every township in it. Staff assigning them may sit lower than the
    /// assessor (a township assigns the county's assessors), so this is not the caller's scope.
    func eligibleAssessors(for region: String) async throws -> [User] {
        let roles = try await RolePermission.query(on: db).filter(\.$permission == Permission.assessmentPerform.rawValue).all().map(\.role)
        let holders = try await UserRole.query(on: db).filter(\.$role ~~ roles).all().map { $0.$user.id }
        return try await User.query(on: db).filter(\.$id ~~ holders).filter(\.$enabled == true).sort(\.$username).all()
            .filter { u in RegionCode(u.regionCode).map { RegionScope(region: $0).allows(region) } ?? false }
    }

    @discardableResult
    func requireAssessor(_ a: Assessment) async throws -> Actor {
        let actor = try req.require(.assessmentPerform)
        guard try await assessors(of: a).contains(where: { $0.userID == actor.userID }) else {
            throw AppError(.forbidden, "assessment.not_assessor", field: nil,
                           zh: "只有指派的评估员可以填写此评估", en: "Only the assigned assessors may fill in this assessment")
        }
        return actor
    }

    static func wrongStatus(_ a: Assessment) -> AppError {
        AppError(.conflict, "assessment.status", field: "status",
                 zh: "此评估当前状态为“\(a.statusValue.name.zh)”，不能进行此操作", en: "This assessment is \(a.statusValue.name.en.lowercased()); that step is not possible now")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
