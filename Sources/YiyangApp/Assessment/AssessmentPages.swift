import Fluent
import Vapor
import YiyangDomain

/// The assessment pages: the task lists, the due list, requesting, assigning, the assessor's
/// form (phone-sized, no script needed), sign-off, and the printable report.
struct AssessmentPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let pages = routes.grouped("assessment")
        pages.get(use: home)
        pages.get("due", use: due)
        pages.get("new", use: newForm)
        pages.post(use: request)
        pages.get(":assessmentID", use: show)
        pages.post(":assessmentID", "assign", use: assign)
        pages.get(":assessmentID", "form", use: form)
        pages.post(":assessmentID", "form", use: saveForm)
        pages.get(":assessmentID", "confirm", use: confirmPage)
        pages.post(":assessmentID", "submit", use: confirmSubmit)
        pages.post(":assessmentID", "review", use: review)
        pages.post(":assessmentID", "cancel", use: cancel)
        pages.get(":assessmentID", "report", use: report)
        pages.get(":assessmentID", "export", use: export)
        pages.get("import", use: importPage)
        pages.post("import", use: importResult)
        pages.post("due", "requests", use: requestDue)
        pages.get("settings", use: settings)
        pages.post("settings", use: changeSettings)
    }

    // MARK: lists

    struct Row: Encodable {
        var id: String; var elderName: String; var reason: String; var status: String; var created: String; var agency: String
    }

    struct HomePage: Encodable {
        var canManage: Bool; var canPerform: Bool
        var mine: [Row]; var toAssign: [Row]; var toReview: [Row]; var recent: [Row]
        var hasMine: Bool; var hasToAssign: Bool; var hasToReview: Bool; var hasRecent: Bool
    }

    func rows(_ cases: [Assessment], req: Request) async throws -> [Row] {
        let names = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ cases.map(\.elderID)).all().map { ($0.id!, $0.name) })
        let l = req.locale
        return cases.map { a in
            Row(id: a.id!.uuidString, elderName: names[a.elderID] ?? "—", reason: a.reasonValue.name.text(l), status: a.statusValue.name.text(l),
                created: a.createdAt.map(ChinaTime.dateTime) ?? "", agency: a.agency ?? "")
        }
    }

    @Sendable func home(req: Request) async throws -> Response {
        let actor = try req.require(.assessmentUse)
        var mine: [Assessment] = [], toAssign: [Assessment] = [], toReview: [Assessment] = []
        if actor.has(.assessmentPerform) {
            let ids = try await AssessmentAssessor.query(on: req.db).filter(\.$userID == actor.userID).all().map(\.assessmentID)
            mine = try await req.scoped(Assessment.self).filter(\.$id ~~ ids)
                .filter(\.$status ~~ [Assessment.Status.assigned, .inProgress].map(\.rawValue)).sort(\.$createdAt).limit(100).all()
        }
        if actor.has(.assessmentManage) {
            toAssign = try await req.scoped(Assessment.self).filter(\.$status == Assessment.Status.requested.rawValue).sort(\.$createdAt).limit(100).all()
            toReview = try await req.scoped(Assessment.self).filter(\.$status == Assessment.Status.submitted.rawValue).sort(\.$createdAt).limit(100).all()
        }
        let recent = try await req.scoped(Assessment.self).filter(\.$status ~~ [Assessment.Status.approved, .rejected, .cancelled].map(\.rawValue))
            .sort(\.$updatedAt, .descending).limit(20).all()
        let page = HomePage(canManage: actor.has(.assessmentManage), canPerform: actor.has(.assessmentPerform),
                            mine: try await rows(mine, req: req), toAssign: try await rows(toAssign, req: req),
                            toReview: try await rows(toReview, req: req), recent: try await rows(recent, req: req),
                            hasMine: !mine.isEmpty, hasToAssign: !toAssign.isEmpty, hasToReview: !toReview.isEmpty, hasRecent: !recent.isEmpty)
        return try await WebPage.render("assessments", title: UIStrings.text("as_title", req.locale), page, req: req)
    }

    struct DueRow: Encodable {
        var elderId: String; var name: String; var age: String; var idNumber: String; var why: String; var validUntil: String
        var openId: String?
    }

    struct DuePage: Encodable {
        var rows: [DueRow]; var total: Int; var people: Int; var assessed: Int; var percent: String
        /// Width of the covered part of the bar, in SVG units out of 300.
        var barWidth: Int; var region: String; var canManage: Bool
        /// The region filter by name; `region` above is the code it resolved to, for the request form.
        var regionField: RegionPicker.Field
        /// The coverage bar's scale: 0–100 % in steps, at their x in SVG units out of 300.
        var coverageTicks: [ChartTick]
        /// Names link to the registry only for an account that may open it (an assessor may not).
        var canOpenElders: Bool
        var prev: String?; var next: String?; var pageNumber: Int; var pageCount: Int
    }

    @Sendable func due(req: Request) async throws -> Response {
        let actor = try req.require(.assessmentUse)
        let typed = req.query[String.self, at: "region"] ?? ""
        let picked = try await RegionPicker.resolve(typed, req: req)
        let region = picked.code
        let scope = try req.regionScope()
        let page = try PageRequest(req)
        // An unresolved name lists nobody; the form says why beside the field and keeps the text.
        let list = picked.isResolved ? try await AssessmentDueList.list(scope: scope, region: region, page: page, on: req.db)
            : Paged<AssessmentDueList.Entry>(items: [], page: page.page, per: page.per, total: 0)
        let coverage = try await AssessmentDueList.coverage(scope: scope, region: region, on: req.db)
        let l = req.locale
        let why = ["never": UIStrings.text("as_due_never", l), "expired": UIStrings.text("as_due_expired", l), "expiring": UIStrings.text("as_due_expiring", l)]
        let pages = max(1, (list.total + page.per - 1) / page.per)
        func link(_ p: Int) -> String { "/assessment/due?page=\(p)" + (region.map { "&region=\($0)" } ?? "") }
        return try await WebPage.render("assessment-due", title: UIStrings.text("as_due_title", l), DuePage(
            rows: list.items.map { e in
                DueRow(elderId: e.elderId.uuidString, name: e.name, age: e.age.map(String.init) ?? "—", idNumber: e.idNumber,
                       why: why[e.why] ?? e.why, validUntil: e.validUntil ?? "—", openId: e.openAssessmentId?.uuidString)
            },
            total: list.total, people: coverage.people, assessed: coverage.assessed, percent: String(format: "%.1f", coverage.percent),
            barWidth: coverage.people == 0 ? 0 : Int((300 * Double(coverage.assessed) / Double(coverage.people)).rounded()),
            region: region ?? "", canManage: actor.has(.assessmentManage) && picked.isResolved,
            regionField: try await RegionPicker.field(id: "region", name: "region", label: UIStrings.text("field_region", l), value: typed,
                                                      resolution: picked, req: req),
            coverageTicks: stride(from: 0, through: 100, by: 25).map { ChartTick(position: $0 * 3, label: "\($0)%") },
            canOpenElders: actor.has(.registryUse),
            prev: page.page > 1 ? link(page.page - 1) : nil, next: page.page < pages ? link(page.page + 1) : nil,
            pageNumber: page.page, pageCount: pages), req: req)
    }

    // MARK: request

    struct Option: Encodable { var code: String; var name: String; var selected: Bool }

    struct NewPage: Encodable {
        var elderId: String; var elderName: String; var elderFacts: String
        var instruments: [Option]; var reasons: [Option]; var vias: [Option]
        var previousId: String?; var error: String?; var requesterName: String; var note: String
    }

    func renderNew(_ req: Request, elder: Elder, reason: String, previous: String?, errors: [String: String] = [:],
                   requesterName: String = "", note: String = "", via: String = "staff", instrument: String = "gbt42195-2022") async throws -> Response {
        let l = req.locale
        let policy = try await AssessmentService.policy(on: req.db)
        return try await WebPage.render("assessment-new", title: UIStrings.text("as_new", l), NewPage(
            elderId: elder.id!.uuidString, elderName: elder.name,
            elderFacts: "\(elder.idMasked) · \(elder.age.map { l == .en ? "age \($0)" : "\($0) 岁" } ?? "")",
            instruments: AssessmentInstruments.all.map(policy.apply(to:)).map {
                Option(code: $0.id, name: $0.name + ($0.provisional ? UIStrings.text("as_provisional_short", l) : ""), selected: $0.id == instrument)
            },
            reasons: Assessment.Reason.allCases.map { Option(code: $0.rawValue, name: $0.name.text(l), selected: $0.rawValue == reason) },
            vias: Assessment.Requester.allCases.filter { $0 != .automatic }.map { Option(code: $0.rawValue, name: $0.name.text(l), selected: $0.rawValue == via) },
            previousId: previous, error: errors.values.first, requesterName: requesterName, note: note), req: req, status: errors.isEmpty ? .ok : .unprocessableEntity)
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        guard let id = req.query[UUID.self, at: "elder"] else { throw AppError.notFound() }
        let elder = try await req.findScoped(Elder.self, id)
        let previous = req.query[String.self, at: "previous"]
        return try await renderNew(req, elder: elder, reason: previous == nil ? "first" : "dispute", previous: previous)
    }

    struct RequestForm: Content {
        var elderId: UUID; var instrument: String?; var reason: String; var requestedVia: String?
        var requesterName: String?; var note: String?; var previousId: String?
    }

    @Sendable func request(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        let f = try req.content.decode(RequestForm.self)
        let elder = try await req.findScoped(Elder.self, f.elderId)
        do {
            let a = try await AssessmentService(req: req).request(.init(
                elderId: f.elderId, instrument: f.instrument, reason: f.reason, requestedVia: f.requestedVia, requesterName: f.requesterName,
                note: f.note, previousId: f.previousId.flatMap(UUID.init(uuidString:))))
            return req.redirect(to: "/assessment/\(a.id!.uuidString)?notice=as_requested")
        } catch let e as AppError where e.status != .notFound {
            return try await renderNew(req, elder: elder, reason: f.reason, previous: f.previousId,
                                       errors: [e.field ?? "form": e.message.text(req.locale)], requesterName: f.requesterName ?? "",
                                       note: f.note ?? "", via: f.requestedVia ?? "staff", instrument: f.instrument ?? "gbt42195-2022")
        }
    }

    // MARK: the case

    struct AssessorChoice: Encodable { var username: String; var name: String; var checked: Bool }

    struct ResultSummary: Encodable {
        var id: String; var total: Int; var maxScore: Int; var dimensions: [Dim]; var preliminary: String; var final: String
        var rules: [String]; var provisional: Bool; var assessedOn: String; var validUntil: String
        struct Dim: Encodable { var code: String; var name: String; var score: Int; var max: Int }
    }

    struct CasePage: Encodable {
        var id: String; var elderId: String; var elderName: String; var elderFacts: String
        var instrument: String; var reason: String; var via: String; var requestedBy: String; var note: String
        var status: String; var agency: String; var assessors: String; var previousId: String?
        var reviewedBy: String?; var reviewNote: String?
        var canAssign: Bool; var canFill: Bool; var canReview: Bool; var canCancel: Bool; var canDispute: Bool
        var eligible: [AssessorChoice]; var assessorsRequired: Int
        var result: ResultSummary?; var error: String?
        /// The person's name links to the registry only for an account that may open it.
        var canOpenElder: Bool
    }

    func summary(_ r: AssessmentResult, instrument: AssessmentInstrument, locale: UILocale) -> ResultSummary {
        let o = r.outcome
        return ResultSummary(
            id: r.id!.uuidString, total: r.total, maxScore: instrument.maxScore,
            dimensions: instrument.dimensions.map { .init(code: $0.code, name: $0.name, score: o?.dimensions[$0.code] ?? 0, max: $0.maxScore) },
            preliminary: o?.preliminaryLevel.name.text(locale) ?? "", final: o?.finalLevel.name.text(locale) ?? r.finalLevelName,
            rules: o?.appliedRules.map { $0.description.text(locale) } ?? [], provisional: r.provisional,
            assessedOn: r.assessedOn, validUntil: r.validUntil)
    }

    func renderCase(_ req: Request, _ a: Assessment, errors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.require(.assessmentUse)
        let l = req.locale
        let service = AssessmentService(req: req)
        let elder = try await req.findScoped(Elder.self, a.elderID)
        let assessors = try await service.assessors(of: a)
        let policy = try await AssessmentService.policy(on: req.db)
        let instrument = try AssessmentService.instrument(a.instrument, policy: policy)
        let canAssign = actor.has(.assessmentManage) && [.requested, .assigned].contains(a.statusValue)
        let chosen = Set(assessors.map(\.username))
        let eligible = canAssign ? try await service.eligibleAssessors(for: a.regionCode) : []
        var result: ResultSummary?
        if let rid = a.resultID, let r = try await req.scoped(AssessmentResult.self).filter(\.$id == rid).first() {
            result = summary(r, instrument: instrument, locale: l)
        }
        let isAssessor = assessors.contains { $0.userID == actor.userID }
        return try await WebPage.render("assessment", title: UIStrings.text("as_case", l) + " · " + elder.name, CasePage(
            id: a.id!.uuidString, elderId: elder.id!.uuidString, elderName: elder.name,
            elderFacts: "\(elder.idMasked) · \(elder.age.map { l == .en ? "age \($0)" : "\($0) 岁" } ?? "")",
            instrument: instrument.name + (instrument.provisional ? UIStrings.text("as_provisional_short", l) : ""),
            reason: a.reasonValue.name.text(l),
            via: (Assessment.Requester(rawValue: a.requestedVia)?.name.text(l) ?? a.requestedVia) + (a.requesterName.map { "（\($0)）" } ?? ""),
            requestedBy: a.requestedBy, note: a.requestNote, status: a.statusValue.name.text(l), agency: a.agency ?? "—",
            assessors: assessors.isEmpty ? "—" : assessors.map(\.displayName).joined(separator: "、"), previousId: a.previousID?.uuidString,
            reviewedBy: a.reviewedBy, reviewNote: a.reviewNote,
            canAssign: canAssign, canFill: isAssessor && actor.has(.assessmentPerform) && a.statusValue.isOpen,
            canReview: actor.has(.assessmentManage) && a.statusValue == .submitted && !isAssessor,
            canCancel: actor.has(.assessmentManage) && [.requested, .assigned, .inProgress].contains(a.statusValue),
            canDispute: actor.has(.assessmentManage) && [.approved, .rejected].contains(a.statusValue),
            eligible: eligible.map { AssessorChoice(username: $0.username, name: "\($0.displayName)（\($0.username)）", checked: chosen.contains($0.username)) },
            assessorsRequired: policy.assessorsRequired, result: result, error: errors.values.first,
            canOpenElder: actor.has(.registryUse)), req: req, status: status)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try req.require(.assessmentUse)
        return try await renderCase(req, try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req)))
    }

    struct AssignForm: Content { var agency: String?; var assessors: [String]? }

    @Sendable func assign(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        let f = try req.content.decode(AssignForm.self)
        do {
            try await AssessmentService(req: req).assign(a, agency: f.agency ?? "", assessorUsernames: f.assessors ?? [])
        } catch let e as AppError where e.status == .unprocessableEntity {
            return try await renderCase(req, a, errors: [e.field ?? "form": e.message.text(req.locale)], status: .unprocessableEntity)
        }
        return req.redirect(to: "/assessment/\(a.id!.uuidString)?notice=as_assigned")
    }

    struct ReviewForm: Content { var decision: String; var note: String? }

    @Sendable func review(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        let f = try req.content.decode(ReviewForm.self)
        do {
            try await AssessmentService(req: req).review(a, approve: f.decision == "approve", note: f.note)
        } catch let e as AppError where e.status == .unprocessableEntity {
            return try await renderCase(req, a, errors: [e.field ?? "form": e.message.text(req.locale)], status: .unprocessableEntity)
        }
        return req.redirect(to: "/assessment/\(a.id!.uuidString)?notice=as_reviewed")
    }

    struct NoteForm: Content { var note: String? }

    @Sendable func cancel(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        try await AssessmentService(req: req).cancel(a, note: try req.content.decode(NoteForm.self).note)
        return req.redirect(to: "/assessment/\(a.id!.uuidString)?notice=as_cancelled")
    }

    // MARK: the assessor's form

    struct FormOption: Encodable { var score: Int; var text: String; var checked: Bool; var id: String }
    struct FormItem: Encodable {
        var code: String; var name: String; var definition: String; var options: [FormOption]; var error: String?; var answered: Bool
    }
    struct FormSection: Encodable { var code: String; var name: String; var max: Int; var items: [FormItem] }
    struct FormPage: Encodable {
        var id: String; var elderName: String; var elderFacts: String; var instrument: String; var provisional: Bool
        var sections: [FormSection]; var answered: Int; var itemCount: Int
        var asksConditions: Bool; var coma: Bool; var diagnoses: String; var riskEvents: Int
        var savedAt: String?; var conditionsError: String?; var hasErrors: Bool
    }

    func renderForm(_ req: Request, _ a: Assessment, draft: AssessmentAnswers? = nil, errors: [String: String] = [:],
                    status: HTTPStatus = .ok) async throws -> Response {
        let l = req.locale
        let elder = try await req.findScoped(Elder.self, a.elderID)
        let instrument = try AssessmentService.instrument(a.instrument, policy: try await AssessmentService.policy(on: req.db))
        let d = draft ?? a.draft
        let sections = instrument.dimensions.map { dim in
            FormSection(code: dim.code, name: dim.name, max: dim.maxScore, items: instrument.items.filter { $0.dimension == dim.code }.map { item in
                FormItem(code: item.code, name: item.name, definition: item.definition,
                         options: item.options.map { o in
                             FormOption(score: o.score, text: o.text, checked: d.answers[item.code] == o.score,
                                        id: "i-" + item.code.replacingOccurrences(of: ".", with: "-") + "-\(o.score)")
                         },
                         error: errors["answers.\(item.code)"], answered: d.answers[item.code] != nil)
            })
        }
        return try await WebPage.render("assessment-form", title: UIStrings.text("as_form", l) + " · " + elder.name, FormPage(
            id: a.id!.uuidString, elderName: elder.name,
            elderFacts: "\(elder.idMasked) · \(elder.age.map { l == .en ? "age \($0)" : "\($0) 岁" } ?? "")",
            instrument: "\(instrument.name)（\(instrument.version)）", provisional: instrument.provisional,
            sections: sections, answered: instrument.items.filter { d.answers[$0.code] != nil }.count, itemCount: instrument.items.count,
            asksConditions: instrument.asksConditions, coma: d.coma, diagnoses: d.diagnoses.joined(separator: ", "), riskEvents: d.riskEvents30d,
            savedAt: a.draftSavedAt.map(ChinaTime.dateTime),
            conditionsError: errors["diagnoses"] ?? errors["riskEvents30d"] ?? errors["status"], hasErrors: !errors.isEmpty), req: req, status: status)
    }

    @Sendable func form(req: Request) async throws -> Response {
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        try await AssessmentService(req: req).requireAssessor(a)
        guard a.statusValue.isOpen else { return req.redirect(to: "/assessment/\(a.id!.uuidString)") }
        return try await renderForm(req, a)
    }

    /// Every press saves the draft; "submit" then checks it is complete and leads to the
    /// confirmation page, where the result is recorded only on a second, deliberate press: a
    /// submitted result cannot be changed. A form field per item (`B.1.1`), the conditions,
    /// and `action` = save or submit.
    @Sendable func saveForm(req: Request) async throws -> Response {
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        let service = AssessmentService(req: req)
        try await service.requireAssessor(a)
        let instrument = try AssessmentService.instrument(a.instrument, policy: try await AssessmentService.policy(on: req.db))
        var answers: [String: Int] = [:]
        var errors: [String: String] = [:]
        for item in instrument.items {
            if let raw = try? req.content.get(String.self, at: item.code), !raw.isEmpty {
                if let v = Int(raw) { answers[item.code] = v } else { errors["answers.\(item.code)"] = UIStrings.text("as_bad_score", req.locale) }
            }
        }
        let diagnoses = ((try? req.content.get(String.self, at: "diagnoses")) ?? "")
            .split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" || $0 == " " }).map(String.init)
        let risk = Int((try? req.content.get(String.self, at: "riskEvents30d")) ?? "") ?? 0
        let coma = ((try? req.content.get(String.self, at: "coma")) ?? "") == "true"
        let draft = AssessmentAnswers(answers: answers, coma: coma, diagnoses: diagnoses, riskEvents30d: risk)
        let submit = ((try? req.content.get(String.self, at: "action")) ?? "save") == "submit"
        func issueMap(_ issues: [ValidationIssue]) -> [String: String] {
            var out = errors
            for i in issues where out[i.field] == nil { out[i.field] = i.message.text(req.locale) }
            return out
        }
        do {
            try await service.saveDraft(a, draft)
        } catch let f as ValidationFailure {
            return try await renderForm(req, a, draft: draft, errors: issueMap(f.issues), status: .unprocessableEntity)
        }
        guard submit else { return req.redirect(to: "/assessment/\(a.id!.uuidString)/form?notice=as_draft_saved") }
        do {
            _ = try AssessmentService.score(instrument, draft)
        } catch let f as ValidationFailure {
            return try await renderForm(req, a, draft: draft, errors: issueMap(f.issues), status: .unprocessableEntity)
        }
        return req.redirect(to: "/assessment/\(a.id!.uuidString)/confirm")
    }

    // MARK: the confirmation step

    struct ConfirmAnswer: Encodable { var code: String; var name: String; var score: Int; var text: String }
    struct ConfirmSection: Encodable { var code: String; var name: String; var score: Int; var max: Int; var answers: [ConfirmAnswer] }
    struct ConfirmPage: Encodable {
        var id: String; var elderName: String; var elderFacts: String; var instrument: String; var provisional: Bool
        var total: Int; var maxScore: Int; var preliminary: String; var final: String; var rules: [String]
        var sections: [ConfirmSection]; var asksConditions: Bool; var coma: Bool; var diagnoses: String; var riskEvents: Int
        /// The draft this page shows; the submission is refused if the draft changed since.
        var draft: String; var changed: Bool
    }

    /// Names the draft as it is now, so a confirmation applies to the answers it showed.
    static func fingerprint(_ a: Assessment) -> String {
        SHA256.hash(data: Data(a.draftJSON.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    func renderConfirm(_ req: Request, _ a: Assessment, changed: Bool = false) async throws -> Response {
        let l = req.locale
        let elder = try await req.findScoped(Elder.self, a.elderID)
        let instrument = try AssessmentService.instrument(a.instrument, policy: try await AssessmentService.policy(on: req.db))
        let d = a.draft
        let outcome: AssessmentOutcome
        do { outcome = try AssessmentService.score(instrument, d) } catch is ValidationFailure {
            // Not complete (another tab saved a partial draft): back to the form, which names what is missing.
            return req.redirect(to: "/assessment/\(a.id!.uuidString)/form")
        }
        let sections = instrument.dimensions.map { dim in
            ConfirmSection(code: dim.code, name: dim.name, score: outcome.dimensions[dim.code] ?? 0, max: dim.maxScore,
                           answers: instrument.items.filter { $0.dimension == dim.code }.map { item in
                               let score = d.answers[item.code] ?? 0
                               return ConfirmAnswer(code: item.code, name: item.name, score: score,
                                                    text: item.options.first { $0.score == score }?.text ?? "")
                           })
        }
        let title = UIStrings.text("as_confirm_title", l) + " · " + elder.name
        return try await WebPage.render("assessment-confirm", title: title, ConfirmPage(
            id: a.id!.uuidString, elderName: elder.name,
            elderFacts: "\(elder.idMasked) · \(elder.age.map { l == .en ? "age \($0)" : "\($0) 岁" } ?? "")",
            instrument: "\(instrument.name)（\(instrument.version)）", provisional: instrument.provisional,
            total: outcome.total, maxScore: instrument.maxScore, preliminary: outcome.preliminaryLevel.name.text(l),
            final: outcome.finalLevel.name.text(l), rules: outcome.appliedRules.map { $0.description.text(l) },
            sections: sections, asksConditions: instrument.asksConditions, coma: d.coma,
            diagnoses: d.diagnoses.isEmpty ? UIStrings.text("none", l) : d.diagnoses.joined(separator: ", "), riskEvents: d.riskEvents30d,
            draft: Self.fingerprint(a), changed: changed), req: req, status: changed ? .conflict : .ok)
    }

    /// What will be submitted, the level it scores, and the two ways on: confirm, or back to the form.
    @Sendable func confirmPage(req: Request) async throws -> Response {
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        try await AssessmentService(req: req).requireAssessor(a)
        guard a.statusValue.isOpen else { return req.redirect(to: "/assessment/\(a.id!.uuidString)") }
        return try await renderConfirm(req, a)
    }

    struct ConfirmForm: Content { var draft: String? }

    /// The deliberate second press: records the result of the draft the confirmation page showed.
    @Sendable func confirmSubmit(req: Request) async throws -> Response {
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        let service = AssessmentService(req: req)
        try await service.requireAssessor(a)
        guard a.statusValue.isOpen else { throw AssessmentService.wrongStatus(a) }
        guard try req.content.decode(ConfirmForm.self).draft == Self.fingerprint(a) else {
            // The answers changed after this page was shown (another tab or assessor): show them again.
            return try await renderConfirm(req, a, changed: true)
        }
        do {
            _ = try await service.submit(a)
        } catch is ValidationFailure {
            return req.redirect(to: "/assessment/\(a.id!.uuidString)/form")
        }
        return req.redirect(to: "/assessment/\(a.id!.uuidString)?notice=as_submitted")
    }

    // MARK: transfer

    /// The result as a JSON file, masked unless `unmasked=true` and allowed (audited either way).
    @Sendable func export(req: Request) async throws -> Response {
        try req.require(.assessmentUse)
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        guard let rid = a.resultID, let r = try await req.scoped(AssessmentResult.self).filter(\.$id == rid).first() else { throw AppError.notFound() }
        let doc = try await AssessmentTransfer.export(r, unmasked: req.query[Bool.self, at: "unmasked"] ?? false, req: req)
        let res = Response(status: .ok, body: .init(data: try JSONEncoder.sorted.encode(doc)))
        res.headers.contentType = .json
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"assessment-\(r.assessedOn).json\"")
        return res
    }

    struct ImportPage: Encodable { var error: String?; var done: Bool }

    @Sendable func importPage(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        return try await WebPage.render("assessment-import", title: UIStrings.text("as_import", req.locale), ImportPage(error: nil, done: false), req: req)
    }

    struct ImportForm: Content { var file: File?; var text: String? }

    /// A result document made elsewhere, uploaded or pasted.
    @Sendable func importResult(req: Request) async throws -> Response {
        try req.require(.assessmentManage)
        let f = try req.content.decode(ImportForm.self)
        var data = f.file.map { Data(buffer: $0.data) } ?? Data()
        if data.isEmpty { data = Data((f.text ?? "").utf8) }
        do {
            guard let doc = try? JSONDecoder().decode(AssessmentResultDocument.self, from: data) else {
                throw AppError(.unprocessableEntity, "assessment.import_json", field: "file",
                               zh: "文件不是有效的评估结果 JSON（格式 \(AssessmentResultDocument.formatName)）", en: "Not an assessment result JSON document (\(AssessmentResultDocument.formatName))")
            }
            let r = try await AssessmentTransfer.importDocument(doc, req: req)
            return req.redirect(to: "/elders/\(r.elderID.uuidString)?notice=as_imported")
        } catch let e as AppError where e.status != .notFound && e.status != .forbidden {
            return try await WebPage.render("assessment-import", title: UIStrings.text("as_import", req.locale),
                                            ImportPage(error: e.message.text(req.locale), done: false), req: req, status: e.status)
        } catch let v as ValidationFailure {
            return try await WebPage.render("assessment-import", title: UIStrings.text("as_import", req.locale),
                                            ImportPage(error: v.issues.map { $0.message.text(req.locale) }.joined(separator: "；"), done: false), req: req, status: .unprocessableEntity)
        }
    }

    /// Opens a request for everyone on the due list (of the region shown) who has none.
    @Sendable func requestDue(req: Request) async throws -> Response {
        let actor = try req.require(.assessmentManage)
        struct Form: Content { var region: String? }
        let region = try req.content.decode(Form.self).region.flatMap { $0.isEmpty ? nil : $0 }
        let opened = try await AssessmentDueRequests.run(scope: try req.regionScope(), region: region, actor: actor.username, db: req.db) { _, _ in }
        try await AuditLog.record(on: req, action: .assessmentRequested, entityType: "assessment", entityID: nil,
                                  region: region ?? actor.region.value, after: ["automatic": String(opened)])
        return req.redirect(to: "/assessment/due?notice=as_due_requested&opened=\(opened)")
    }

    // MARK: settings

    struct SettingsPage: Encodable {
        var policy: AssessmentPolicy; var canChange: Bool; var versions: [Version]; var today: String
        var barthel: [BandLine]; var ltcGrades: [Grade]; var ltcMatrix: [[String]]; var ltcConfirmed: Bool
        var stackingEach: Bool; var error: String?
        struct Version: Encodable { var from: String; var summary: String }
        struct BandLine: Encodable { var level: String; var range: String }
        struct Grade: Encodable { var dimension: String; var bands: [BandLine] }
    }

    func renderSettings(_ req: Request, error: String? = nil) async throws -> Response {
        let actor = try req.require(.assessmentUse)
        let l = req.locale
        let versions = try await AssessmentService.policies(on: req.db).sorted { $0.effectiveFrom > $1.effectiveFrom }
        let policy = DatedAssessmentPolicy.inForce(versions, on: .today())
        let barthel = policy.apply(to: AssessmentInstruments.barthel)
        let ltc = policy.apply(to: AssessmentInstruments.ltc2021)
        func lines(_ bands: [ScoreBand], _ names: (Int) -> String) -> [SettingsPage.BandLine] {
            bands.map { .init(level: names($0.level), range: $0.min == $0.max ? "\($0.min)" : "\($0.min)–\($0.max)") }
        }
        var grades: [SettingsPage.Grade] = []
        var matrix: [[String]] = []
        if case .combination(let table) = ltc.method {
            for (code, bands) in table.dimensionBands.sorted(by: { $0.key < $1.key }) {
                let name = ltc.dimensions.first { $0.code == code }.map { "\(code) \($0.name)" } ?? code
                grades.append(.init(dimension: name, bands: lines(bands) { g in table.gradeNames.first { $0.code == g }?.name.text(l) ?? "\(g)" }))
            }
            matrix = table.matrix.map { row in row.map { ltc.level($0)?.name.text(l) ?? "\($0)" } }
        }
        var barthelLines: [SettingsPage.BandLine] = []
        if case .totalBands(let bands) = barthel.method { barthelLines = lines(bands) { barthel.level($0)?.name.text(l) ?? "\($0)" } }
        return try await WebPage.render("assessment-settings", title: UIStrings.text("as_settings", l), SettingsPage(
            policy: policy, canChange: actor.has(.rolesManage),
            versions: versions.map { .init(from: $0.effectiveFrom.description,
                                           summary: "\($0.policy.validityMonths) / \($0.policy.assessorsRequired) / \($0.policy.stacking.rawValue) / \($0.policy.dueAge)+") },
            today: CalendarDate.today().description, barthel: barthelLines, ltcGrades: grades, ltcMatrix: matrix,
            ltcConfirmed: policy.ltcConfirmed, stackingEach: policy.stacking == .each, error: error), req: req, status: error == nil ? .ok : .unprocessableEntity)
    }

    @Sendable func settings(req: Request) async throws -> Response { try await renderSettings(req) }

    struct SettingsForm: Content {
        var effectiveFrom: String; var validityMonths: Int?; var assessorsRequired: Int?; var dueSoonDays: Int?; var dueAge: Int?
        var stacking: String?; var ltcConfirmed: String?
    }

    /// A new dated version; bands and the LTC table carry over (they are edited through the API).
    @Sendable func changeSettings(req: Request) async throws -> Response {
        let actor = try req.require(.rolesManage)
        let f = try req.content.decode(SettingsForm.self)
        guard let from = CalendarDate(f.effectiveFrom) else { return try await renderSettings(req, error: UIStrings.text("as_settings_bad_date", req.locale)) }
        var p = try await AssessmentService.policy(on: req.db, day: from)
        p.validityMonths = f.validityMonths ?? p.validityMonths; p.assessorsRequired = f.assessorsRequired ?? p.assessorsRequired
        p.dueSoonDays = f.dueSoonDays ?? p.dueSoonDays; p.dueAge = f.dueAge ?? p.dueAge
        p.stacking = LevelAdjustmentPolicy.Stacking(rawValue: f.stacking ?? "") ?? p.stacking
        p.ltcConfirmed = f.ltcConfirmed == "true"
        if let issue = p.issues().first { return try await renderSettings(req, error: issue.message.text(req.locale)) }
        let row = AssessmentPolicyRow()
        row.effectiveFrom = from.description
        row.policyJSON = String(decoding: try JSONEncoder.sorted.encode(p), as: UTF8.self)
        row.createdBy = actor.username
        try await row.create(on: req.db)
        try await AuditLog.record(on: req, action: .assessmentPolicyChanged, entityType: "assessment_policy", entityID: row.id?.uuidString,
                                  region: RegionCode.root.value, after: DatedAssessmentPolicy(effectiveFrom: from, policy: p))
        return req.redirect(to: "/assessment/settings?notice=as_settings_saved")
    }

    // MARK: report

    struct ReportLine: Encodable { var code: String; var name: String; var score: String; var max: Int; var text: String }
    struct ReportPage: Encodable {
        var elderName: String; var gender: String; var age: String; var idNumber: String; var residence: String
        var instrument: String; var source: String; var reason: String; var agency: String; var assessors: [String]
        var assessedOn: String; var validUntil: String; var reviewedBy: String; var reviewedAt: String; var status: String
        var lines: [ReportLine]; var result: ResultSummary?; var coma: Bool; var diagnoses: String; var riskEvents: Int
        var asksConditions: Bool; var printedAt: String
    }

    @Sendable func report(req: Request) async throws -> Response {
        try req.require(.assessmentUse)
        let l = req.locale
        let a = try await req.findScoped(Assessment.self, try AssessmentsAPI.assessmentID(req))
        let elder = try await req.findScoped(Elder.self, a.elderID)
        let instrument = try AssessmentService.instrument(a.instrument, policy: try await AssessmentService.policy(on: req.db))
        let result = try await a.resultID.asyncMap { rid in try await req.scoped(AssessmentResult.self).filter(\.$id == rid).first() } ?? nil
        let answers = result?.answers ?? a.draft
        let region = try await req.scoped(Region.self).filter(\.$id == elder.residenceRegion).first()
        let assessors = try await AssessmentService(req: req).assessors(of: a)
        return try await WebPage.render("assessment-report", title: UIStrings.text("as_report", l) + " · " + elder.name, ReportPage(
            elderName: elder.name, gender: elder.gender == "male" ? UIStrings.text("gender_male", l) : UIStrings.text("gender_female", l),
            age: elder.age.map(String.init) ?? "—", idNumber: elder.idMasked,
            residence: (region?.name ?? "") + "（\(elder.residenceRegion)）",
            instrument: "\(instrument.name)（\(instrument.id) · \(instrument.version)）", source: instrument.source,
            reason: a.reasonValue.name.text(l), agency: a.agency ?? "—", assessors: assessors.map(\.displayName),
            assessedOn: result?.assessedOn ?? "—", validUntil: result?.validUntil ?? "—",
            reviewedBy: a.reviewedBy ?? "—", reviewedAt: a.reviewedAt.map(ChinaTime.dateTime) ?? "—", status: a.statusValue.name.text(l),
            lines: instrument.items.map { item in
                let s = answers.answers[item.code]
                return ReportLine(code: item.code, name: item.name, score: s.map(String.init) ?? "—", max: item.maxScore,
                                  text: s.flatMap { v in item.options.first { $0.score == v }?.text } ?? "")
            },
            result: result.map { summary($0, instrument: instrument, locale: l) }, coma: answers.coma,
            diagnoses: answers.diagnoses.isEmpty ? "—" : answers.diagnoses.joined(separator: "、"), riskEvents: answers.riskEvents30d,
            asksConditions: instrument.asksConditions, printedAt: ChinaTime.dateTime(Date())), req: req)
    }
}

extension Optional {
    func asyncMap<T>(_ f: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let v = self else { return nil }
        return try await f(v)
    }
}

/// The assessment part of a person's page in the registry: the level in force, the open
/// case if any, and every assessment of the person.
struct ElderAssessments: Encodable {
    struct Line: Encodable { var id: String; var date: String; var instrument: String; var reason: String; var status: String; var level: String }
    var current: String?
    var currentDetail: String?
    var provisional: Bool
    var openId: String?
    var canRequest: Bool
    var lines: [Line]

    static func load(_ e: Elder, req: Request) async throws -> ElderAssessments {
        let actor = try req.require(.assessmentUse)
        let l = req.locale
        let current = try await AssessmentService.current(elderID: e.id!, on: req.db)
        let cases = try await req.scoped(Assessment.self).filter(\.$elderID == e.id!).sort(\.$createdAt, .descending).limit(50).all()
        let results = Dictionary(uniqueKeysWithValues: try await req.scoped(AssessmentResult.self)
            .filter(\.$id ~~ cases.compactMap(\.resultID)).all().map { ($0.id!, $0) })
        let open = cases.first { [.requested, .assigned, .inProgress, .submitted].contains($0.statusValue) }
        return ElderAssessments(
            current: current.map { $0.outcome?.finalLevel.name.text(l) ?? $0.finalLevelName },
            currentDetail: current.map { r in
                let name = AssessmentInstruments.named(r.instrument)?.name ?? r.instrument
                return "\(name) · \(UIStrings.text("as_assessed_on", l)) \(r.assessedOn) · \(UIStrings.text("as_valid_until", l)) \(r.validUntil)"
                    + (r.origin == "imported" ? (l == .en ? " · recognised from \(r.agency)" : " · 外部结果（\(r.agency)）") : "")
            },
            provisional: current?.provisional ?? false, openId: open?.id?.uuidString,
            canRequest: actor.has(.assessmentManage) && open == nil && e.status == ElderStatus.living.rawValue,
            lines: cases.map { a in
                Line(id: a.id!.uuidString, date: a.createdAt.map(ChinaTime.dateTime) ?? "", instrument: a.instrument,
                     reason: a.reasonValue.name.text(l), status: a.statusValue.name.text(l),
                     level: a.resultID.flatMap { results[$0] }.map { $0.outcome?.finalLevel.name.text(l) ?? $0.finalLevelName } ?? "—")
            })
    }
}
