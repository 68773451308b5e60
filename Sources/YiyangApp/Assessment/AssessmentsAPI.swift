import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/assessment-instruments`, `/api/v1/assessments`, `/api/v1/assessment-results`.
struct AssessmentsAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let instruments = routes.grouped("assessment-instruments")
        instruments.get(use: listInstruments)
        instruments.get(":instrument", use: showInstrument)
        instruments.post(":instrument", "score", use: score)

        let cases = routes.grouped("assessments")
        cases.get(use: list)
        cases.post(use: request)
        cases.get("due", use: due)
        cases.get(":assessmentID", use: show)
        cases.post(":assessmentID", "assign", use: assign)
        cases.put(":assessmentID", "draft", use: saveDraft)
        cases.post(":assessmentID", "submit", use: submit)
        cases.post(":assessmentID", "review", use: review)
        cases.post(":assessmentID", "cancel", use: cancel)

        let results = routes.grouped("assessment-results")
        results.post("import", use: importResult)
        results.get(":resultID", use: showResult)
        results.get(":resultID", "export", use: exportResult)
        routes.get("elders", ":elderID", "assessment-results", use: resultsOfElder)

        routes.get("assessment-policy", use: showPolicy)
        routes.post("assessment-policy", use: changePolicy)
    }

    static func assessmentID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("assessmentID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    // MARK: instruments

    struct InstrumentSummary: Content {
        var id: String; var version: String; var name: String; var items: Int; var maxScore: Int; var provisional: Bool
    }

    @Sendable func listInstruments(req: Request) async throws -> [InstrumentSummary] {
        try req.require(.assessmentUse)
        let policy = try await AssessmentService.policy(on: req.db)
        return AssessmentInstruments.all.map(policy.apply(to:)).map {
            InstrumentSummary(id: $0.id, version: $0.version, name: $0.name, items: $0.items.count, maxScore: $0.maxScore, provisional: $0.provisional)
        }
    }

    @Sendable func showInstrument(req: Request) async throws -> InstrumentDefinition {
        try req.require(.assessmentUse)
        return InstrumentDefinition(instrument: try AssessmentService.instrument(req.parameters.get("instrument") ?? "", policy: try await AssessmentService.policy(on: req.db)))
    }

    /// The whole definition: items with their option texts, dimensions, levels, rules.
    struct InstrumentDefinition: Content { var instrument: AssessmentInstrument }

    /// The outcome as the issue's integrations expect it: levels as `{code, name}` in the
    /// caller's language, rules as their descriptions.
    struct ScoreAnswer: Content {
        struct Level: Content { var code: Int; var name: String }
        var instrument: String
        var version: String
        var total: Int
        var dimensions: [String: Int]
        var dimensionGrades: [String: Int]?
        var preliminaryLevel: Level
        var finalLevel: Level
        var appliedRules: [String]
        var appliedRuleCodes: [String]
        var provisional: Bool

        init(_ o: AssessmentOutcome, locale: UILocale) {
            instrument = o.instrument; version = o.version; total = o.total; dimensions = o.dimensions
            dimensionGrades = o.dimensionGrades.isEmpty ? nil : o.dimensionGrades
            preliminaryLevel = Level(code: o.preliminaryLevel.code, name: o.preliminaryLevel.name.text(locale))
            finalLevel = Level(code: o.finalLevel.code, name: o.finalLevel.name.text(locale))
            appliedRules = o.appliedRules.map { $0.description.text(locale) }
            appliedRuleCodes = o.appliedRules.map(\.code)
            provisional = o.provisional
        }
    }

    struct AnswersBody: Content {
        var answers: [String: Int]?
        var coma: Bool?
        var diagnoses: [String]?
        var riskEvents30d: Int?
        var answersValue: AssessmentAnswers {
            AssessmentAnswers(answers: answers ?? [:], coma: coma ?? false, diagnoses: diagnoses ?? [], riskEvents30d: riskEvents30d ?? 0)
        }
    }

    /// Scores without saving anything: for training, integrations and tests.
    @Sendable func score(req: Request) async throws -> ScoreAnswer {
        try req.require(.assessmentUse)
        let instrument = try AssessmentService.instrument(req.parameters.get("instrument") ?? "", policy: try await AssessmentService.policy(on: req.db))
        let body = try req.content.decode(AnswersBody.self)
        return ScoreAnswer(try AssessmentService.score(instrument, body.answersValue), locale: req.locale)
    }

    // MARK: cases

    struct CaseView: Content {
        struct Assessor: Content { var username: String; var name: String }
        var id: UUID
        var elderId: UUID
        var regionCode: String
        var instrument: String
        var reason: String
        var requestedVia: String
        var requesterName: String?
        var note: String
        var requestedBy: String
        var status: String
        var agency: String?
        var assessors: [Assessor]
        var draft: AssessmentAnswers
        var draftSavedAt: Date?
        var previousId: UUID?
        var resultId: UUID?
        var reviewedBy: String?
        var reviewedAt: Date?
        var reviewNote: String?
        var createdAt: Date?

        init(_ a: Assessment, assessors: [AssessmentAssessor]) {
            id = a.id!; elderId = a.elderID; regionCode = a.regionCode; instrument = a.instrument; reason = a.reason
            requestedVia = a.requestedVia; requesterName = a.requesterName; note = a.requestNote; requestedBy = a.requestedBy
            status = a.status; agency = a.agency; self.assessors = assessors.map { Assessor(username: $0.username, name: $0.displayName) }
            draft = a.draft; draftSavedAt = a.draftSavedAt; previousId = a.previousID; resultId = a.resultID
            reviewedBy = a.reviewedBy; reviewedAt = a.reviewedAt; reviewNote = a.reviewNote; createdAt = a.createdAt
        }
    }

    func view(_ a: Assessment, req: Request) async throws -> CaseView {
        CaseView(a, assessors: try await AssessmentService(req: req).assessors(of: a))
    }

    @Sendable func list(req: Request) async throws -> Paged<CaseView> {
        let actor = try req.require(.assessmentUse)
        let page = try PageRequest(req)
        var q = try req.scoped(Assessment.self)
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q = q.filter(\.$status == s) }
        if let e = req.query[UUID.self, at: "elderId"] { q = q.filter(\.$elderID == e) }
        if req.query[Bool.self, at: "mine"] == true {
            let mine = try await AssessmentAssessor.query(on: req.db).filter(\.$userID == actor.userID).all().map(\.assessmentID)
            q = q.filter(\.$id ~~ mine)
        }
        let total = try await q.count()
        let rows = try await q.sort(\.$createdAt, .descending).range(page.offset..<(page.offset + page.per)).all()
        var items: [CaseView] = []
        for a in rows { items.append(try await view(a, req: req)) }
        return Paged(items: items, page: page.page, per: page.per, total: total)
    }

    @Sendable func request(req: Request) async throws -> Response {
        let a = try await AssessmentService(req: req).request(try req.content.decode(AssessmentService.RequestInput.self))
        let res = Response(status: .created)
        try res.content.encode(try await view(a, req: req), as: .json)
        res.headers.replaceOrAdd(name: .location, value: "/api/v1/assessments/\(a.id!.uuidString)")
        return res
    }

    @Sendable func show(req: Request) async throws -> CaseView {
        try req.require(.assessmentUse)
        return try await view(try await req.findScoped(Assessment.self, try Self.assessmentID(req)), req: req)
    }

    struct AssignBody: Content { var agency: String; var assessors: [String] }

    @Sendable func assign(req: Request) async throws -> CaseView {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try Self.assessmentID(req))
        let body = try req.content.decode(AssignBody.self)
        try await AssessmentService(req: req).assign(a, agency: body.agency, assessorUsernames: body.assessors)
        return try await view(a, req: req)
    }

    @Sendable func saveDraft(req: Request) async throws -> CaseView {
        try req.require(.assessmentPerform)
        let a = try await req.findScoped(Assessment.self, try Self.assessmentID(req))
        try await AssessmentService(req: req).saveDraft(a, try req.content.decode(AnswersBody.self).answersValue)
        return try await view(a, req: req)
    }

    struct SubmitAnswer: Content { var assessment: CaseView; var result: ResultView }

    @Sendable func submit(req: Request) async throws -> SubmitAnswer {
        try req.require(.assessmentPerform)
        let a = try await req.findScoped(Assessment.self, try Self.assessmentID(req))
        let service = AssessmentService(req: req)
        // Answers sent with the submission are saved first, so one call can finish the form.
        if req.body.data.map({ $0.readableBytes > 0 }) == true, let body = try? req.content.decode(AnswersBody.self), body.answers != nil {
            try await service.saveDraft(a, body.answersValue)
        }
        let r = try await service.submit(a)
        return SubmitAnswer(assessment: try await view(a, req: req), result: ResultView(r, locale: req.locale))
    }

    struct ReviewBody: Content { var decision: String; var note: String? }

    @Sendable func review(req: Request) async throws -> CaseView {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try Self.assessmentID(req))
        let body = try req.content.decode(ReviewBody.self)
        guard ["approve", "reject"].contains(body.decision) else {
            throw AppError(.unprocessableEntity, "assessment.decision", field: "decision", zh: "decision 应为 approve 或 reject", en: "decision must be approve or reject")
        }
        try await AssessmentService(req: req).review(a, approve: body.decision == "approve", note: body.note)
        return try await view(a, req: req)
    }

    struct NoteBody: Content { var note: String? }

    @Sendable func cancel(req: Request) async throws -> CaseView {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try Self.assessmentID(req))
        try await AssessmentService(req: req).cancel(a, note: try? req.content.decode(NoteBody.self).note)
        return try await view(a, req: req)
    }

    struct DueAnswer: Content { var coverage: AssessmentDueList.Coverage; var due: Paged<AssessmentDueList.Entry> }

    @Sendable func due(req: Request) async throws -> DueAnswer {
        try req.require(.assessmentUse)
        let region = req.query[String.self, at: "region"]
        let scope = try req.regionScope()
        return DueAnswer(coverage: try await AssessmentDueList.coverage(scope: scope, region: region, on: req.db),
                         due: try await AssessmentDueList.list(scope: scope, region: region, page: try PageRequest(req), on: req.db))
    }

    // MARK: results

    struct ResultView: Content {
        var id: UUID
        var assessmentId: UUID?
        var elderId: UUID
        var instrument: String
        var version: String
        var total: Int
        var dimensions: [String: Int]
        var preliminaryLevel: ScoreAnswer.Level
        var finalLevel: ScoreAnswer.Level
        var appliedRules: [String]
        var provisional: Bool
        var assessedOn: String
        var validUntil: String
        var assessors: String
        var agency: String
        var origin: String
        var previousResultId: UUID?

        init(_ r: AssessmentResult, locale: UILocale) {
            let o = r.outcome
            id = r.id!; assessmentId = r.assessmentID; elderId = r.elderID; instrument = r.instrument; version = r.instrumentVersion
            total = r.total; dimensions = o?.dimensions ?? [:]
            preliminaryLevel = .init(code: r.preliminaryLevel, name: o?.preliminaryLevel.name.text(locale) ?? "")
            finalLevel = .init(code: r.finalLevel, name: o?.finalLevel.name.text(locale) ?? r.finalLevelName)
            appliedRules = o?.appliedRules.map { $0.description.text(locale) } ?? []
            provisional = r.provisional; assessedOn = r.assessedOn; validUntil = r.validUntil; assessors = r.assessors
            agency = r.agency; origin = r.origin; previousResultId = r.previousResultID
        }
    }

    static func resultID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("resultID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    @Sendable func showResult(req: Request) async throws -> ResultView {
        try req.require(.assessmentUse)
        return ResultView(try await req.findScoped(AssessmentResult.self, try Self.resultID(req)), locale: req.locale)
    }

    @Sendable func exportResult(req: Request) async throws -> AssessmentResultDocument {
        try req.require(.assessmentUse)
        let r = try await req.findScoped(AssessmentResult.self, try Self.resultID(req))
        return try await AssessmentTransfer.export(r, unmasked: req.query[Bool.self, at: "unmasked"] ?? false, req: req)
    }

    @Sendable func importResult(req: Request) async throws -> Response {
        let r = try await AssessmentTransfer.importDocument(try req.content.decode(AssessmentResultDocument.self), req: req)
        let res = Response(status: .created)
        try res.content.encode(ResultView(r, locale: req.locale), as: .json)
        return res
    }

    struct ElderResults: Content { var current: ResultView?; var results: [ResultView] }

    /// The person's signed-off and recognised results, newest first, and the one in force.
    @Sendable func resultsOfElder(req: Request) async throws -> ElderResults {
        try req.require(.assessmentUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let results = try await AssessmentService.latest(elderID: e.id!, on: req.db)
        let today = CalendarDate.today().description
        return ElderResults(current: results.first { $0.validUntil >= today }.map { ResultView($0, locale: req.locale) },
                            results: results.map { ResultView($0, locale: req.locale) })
    }

    // MARK: settings

    struct PolicyAnswer: Content { var inForce: AssessmentPolicy; var versions: [DatedAssessmentPolicy] }

    @Sendable func showPolicy(req: Request) async throws -> PolicyAnswer {
        try req.require(.assessmentUse)
        let versions = try await AssessmentService.policies(on: req.db).sorted { $0.effectiveFrom < $1.effectiveFrom }
        return PolicyAnswer(inForce: DatedAssessmentPolicy.inForce(versions, on: .today()), versions: versions)
    }

    /// A new version of the settings from a date; earlier versions stay, so every result can
    /// be explained by the settings of its day. Platform-wide, so administrators only.
    @Sendable func changePolicy(req: Request) async throws -> Response {
        let actor = try req.require(.rolesManage)
        let body = try req.content.decode(DatedAssessmentPolicy.self)
        let issues = body.policy.issues()
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        let row = AssessmentPolicyRow()
        row.effectiveFrom = body.effectiveFrom.description
        row.policyJSON = String(decoding: try JSONEncoder.sorted.encode(body.policy), as: UTF8.self)
        row.createdBy = actor.username
        try await row.create(on: req.db)
        try await AuditLog.record(on: req, action: .assessmentPolicyChanged, entityType: "assessment_policy", entityID: row.id?.uuidString,
                                  region: RegionCode.root.value, after: body)
        let res = Response(status: .created)
        try res.content.encode(body, as: .json)
        return res
    }
}
