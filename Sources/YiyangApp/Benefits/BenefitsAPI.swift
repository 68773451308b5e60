import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/benefit-policies`, `/benefit-scans`, `/benefit-cases`, `/entitlements`,
/// `/payment-runs`, `/overpayments`, and a person's benefits with their explanation.
struct BenefitsAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("benefit-policies", use: policies)
        routes.post("benefit-policies", use: createPolicy)
        routes.get("elders", ":elderID", "benefits", use: explain)
        routes.post("benefit-scans", use: scan)
        routes.get("benefit-cases", use: cases)
        routes.post("benefit-applications", use: apply)
        routes.get("benefit-cases", ":caseID", use: showCase)
        routes.post("benefit-cases", ":caseID", "review", use: review)
        routes.post("benefit-cases", ":caseID", "objections", use: object)
        routes.on(.POST, "benefit-cases", ":caseID", "attachments", body: .stream, use: attach)
        routes.get("benefit-cases", ":caseID", "attachments", ":attachmentID", use: attachment)
        routes.post("benefit-cases", ":caseID", "approve", use: approve)
        routes.post("benefit-case-approvals", use: approveMany)
        routes.post("benefit-cases", ":caseID", "reject", use: reject)
        routes.get("entitlements", use: entitlements)
        routes.get("payment-runs", use: runs)
        routes.post("payment-runs", use: startRun)
        routes.get("payment-runs", ":runID", use: showRun)
        routes.post("payment-runs", ":runID", "approve", use: approveRun)
        routes.get("payment-runs", ":runID", "payments", use: payments)
        routes.get("overpayments", use: overpayments)
        routes.post("overpayments", ":overpaymentID", "resolve", use: resolveOverpayment)
        routes.get("benefit-reports", use: report)
        routes.post("entitlement-reviews", use: reviewEntitlements)
        routes.get("benefit-settings", use: settings)
        routes.get("payment-adjustments", use: adjustments)
        routes.post("payment-adjustments", use: adjust)
        routes.post("benefit-settings", use: changeSettings)
        routes.get("liveness-tasks", use: livenessTasks)
        routes.post("elders", ":elderID", "liveness", use: recordLiveness)
    }

    static func month(_ raw: String?, field: String = "month") throws -> Month {
        guard let raw, !raw.isEmpty else { return .current() }
        guard let m = Month(raw) else {
            throw AppError(.unprocessableEntity, "month.invalid", field: field, zh: "月份应为 YYYY-MM，如 2026-12", en: "The month must be YYYY-MM, e.g. 2026-12")
        }
        return m
    }

    // MARK: policies

    struct PolicyView: Content {
        var policy: BenefitPolicy
        var name: String
        var inForce: Bool
    }

    /// Policies for a region on a month: those in force there (the nearest region's newest
    /// version of each type) with `inForce`, or every version with `all=true`.
    @Sendable func policies(req: Request) async throws -> [PolicyView] {
        try req.require(.benefitsUse)
        let month = try Self.month(req.query[String.self, at: "month"])
        let region = try req.query[String.self, at: "region"].map { try req.requireInScope($0, field: "region") } ?? req.regionScope().region
        let all = try await BenefitPolicyRow.all(on: req.db)
        let inForce = Set(Set(all.map(\.benefitType)).compactMap { EntitlementRules.policy(for: $0, region: region.value, month: month, among: all)?.id })
        let relevant = all.filter { p in RegionCode(p.regionCode).map { $0.contains(region) || region.contains($0) } ?? false }
        let shown = req.query[Bool.self, at: "all"] == true ? relevant : relevant.filter { inForce.contains($0.id) }
        return shown.sorted { ($0.benefitType, $0.regionCode, $0.version) < ($1.benefitType, $1.regionCode, $1.version) }
            .map { PolicyView(policy: $0, name: BenefitType.name($0.benefitType).text(req.locale), inForce: inForce.contains($0.id)) }
    }

    /// A new version: the next version number of its type and region, with a fresh id.
    @Sendable func createPolicy(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        var p = try req.content.decode(BenefitPolicy.self)
        let issues = p.issues()
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        _ = try req.requireInScope(p.regionCode, field: "regionCode")
        let last = try await BenefitPolicyRow.query(on: req.db).filter(\.$benefitType == p.benefitType).filter(\.$regionCode == p.regionCode)
            .sort(\.$version, .descending).first()
        p.id = UUID(); p.version = (last?.version ?? 0) + 1
        let row = try BenefitPolicyRow(p, createdBy: actor.username)
        try await row.create(on: req.db)
        try await AuditLog.record(on: req, action: .benefitPolicyCreated, entityType: "benefit_policy", entityID: p.id.uuidString, region: p.regionCode, after: p)
        let res = Response(status: .created)
        try res.content.encode(PolicyView(policy: p, name: BenefitType.name(p.benefitType).text(req.locale), inForce: false), as: .json)
        return res
    }

    // MARK: a person

    struct Explanation: Content {
        struct Check: Content { var code: String; var held: Bool; var staff: String; var plain: String }
        struct Decision: Content {
            var benefitType: String; var name: String; var entitled: Bool; var amountFen: Int?; var paymentForm: String
            var policyId: UUID; var policyVersion: Int; var policyRegion: String; var plain: String; var checks: [Check]
        }
        var month: String
        var decisions: [Decision]
        var entitlements: [EntitlementView]
    }

    /// What the person is entitled to on a month, and why, condition by condition.
    @Sendable func explain(req: Request) async throws -> Explanation {
        try req.require(.benefitsUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let month = try Self.month(req.query[String.self, at: "month"])
        return try await Self.explanation(e, month: month, req: req)
    }

    static func explanation(_ e: Elder, month: Month, req: Request) async throws -> Explanation {
        let l = req.locale
        let list = try await BenefitFacts.decisions(for: e, month: month, on: req.db)
        let ents = try await req.scoped(Entitlement.self).filter(\.$elderID == e.id!).sort(\.$startMonth, .descending).all()
        return Explanation(month: month.description, decisions: list.map { d in
            .init(benefitType: d.benefitType, name: BenefitType.name(d.benefitType).text(l), entitled: d.entitled, amountFen: d.amountFen,
                  paymentForm: d.paymentForm.rawValue, policyId: d.policyID, policyVersion: d.policyVersion, policyRegion: d.policyRegion,
                  plain: d.plainSummary.text(l),
                  checks: d.checks.map { .init(code: $0.code, held: $0.held, staff: $0.staff.text(l), plain: $0.plain.text(l)) })
        }, entitlements: ents.map(EntitlementView.init))
    }

    // MARK: scan and cases

    struct ScanBody: Content { var month: String?; var region: String? }
    struct ScanAnswer: Content { var month: String; var opened: Int }

    @Sendable func scan(req: Request) async throws -> ScanAnswer {
        let actor = try req.require(.benefitsManage)
        let body = try req.content.decode(ScanBody.self)
        let month = try Self.month(body.month)
        let region = try body.region.map { try req.requireInScope($0, field: "region") } ?? actor.region
        let opened = try await BenefitScan.run(month: month, scope: RegionScope(region: region), db: req.db)
        try await AuditLog.record(on: req, action: .benefitScanRun, entityType: "benefit_case", entityID: nil, region: region.value,
                                  after: ["month": month.description, "opened": String(opened)])
        return ScanAnswer(month: month.description, opened: opened)
    }

    struct CaseView: Content {
        var id: UUID; var elderId: UUID; var regionCode: String; var benefitType: String; var name: String; var month: String
        var source: String; var status: String; var amountFen: Int; var paymentForm: String; var policyId: UUID; var policyVersion: Int
        var plain: String; var checks: [Explanation.Check]; var decidedBy: String?; var decisionNote: String?
        // Applications: who asked, the steps so far (what the applicant is shown), the notice.
        struct Step: Content { var step: String; var name: String; var by: String; var at: Date; var decision: String; var note: String }
        struct Objection: Content { var at: Date; var from: String; var text: String }
        struct Attachment: Content { var id: UUID; var fileName: String; var size: Int }
        var applicantKind: String?; var applicantName: String?; var applicantRelation: String?
        var stage: String?; var currentStep: String?; var noticeUntil: String?
        var steps: [Step]; var objections: [Objection]; var attachments: [Attachment]
        /// Applications: the first day the decision may be taken (the day after the notice ends),
        /// and whether it may be taken today.
        var decisionFrom: String?; var canDecide: Bool?
        init(_ c: BenefitCase, locale: UILocale, attachments: [BenefitAttachment] = [], today: CalendarDate? = nil) {
            let d = c.decision
            id = c.id!; elderId = c.elderID; regionCode = c.regionCode; benefitType = c.benefitType; name = BenefitType.name(c.benefitType).text(locale)
            month = c.month; source = c.source; status = c.status; amountFen = c.amountFen; paymentForm = c.paymentForm
            policyId = c.policyID; policyVersion = c.policyVersion; plain = d?.plainSummary.text(locale) ?? ""
            checks = d?.checks.map { .init(code: $0.code, held: $0.held, staff: $0.staff.text(locale), plain: $0.plain.text(locale)) } ?? []
            decidedBy = c.decidedBy; decisionNote = c.decisionNote
            applicantKind = c.applicantKind; applicantName = c.applicantName; applicantRelation = c.applicantRelation
            stage = c.stage; noticeUntil = c.noticeUntil
            let flow = c.workflow
            currentStep = c.stepIndex.flatMap { flow.steps.indices.contains($0) ? flow.steps[$0].name.text(locale) : nil }
            steps = c.history.map { h in
                let name = flow.steps.first { $0.code == h.step }?.name.text(locale)
                    ?? ["received": LocalizedText(zh: "受理", en: "Received"), "notice": LocalizedText(zh: "公示", en: "Public notice"),
                        "decision": LocalizedText(zh: "决定", en: "Decision")][h.step]?.text(locale) ?? h.step
                return Step(step: h.step, name: name, by: h.by, at: h.at, decision: h.decision, note: h.note)
            }
            objections = c.objections.map { Objection(at: $0.at, from: $0.from, text: $0.text) }
            self.attachments = attachments.map { Attachment(id: $0.id!, fileName: $0.fileName, size: $0.size) }
            decisionFrom = c.decisionFrom?.description
            canDecide = today.map { c.canDecide(today: $0) }
        }
    }

    @Sendable func apply(req: Request) async throws -> Response {
        let c = try await BenefitService(req: req).apply(try req.content.decode(BenefitService.ApplicationInput.self))
        let res = Response(status: .created)
        try res.content.encode(CaseView(c, locale: req.locale, today: req.today), as: .json)
        res.headers.replaceOrAdd(name: .location, value: "/api/v1/benefit-cases/\(c.id!.uuidString)")
        return res
    }

    static func caseView(_ c: BenefitCase, req: Request) async throws -> CaseView {
        let attachments = try await req.scoped(BenefitAttachment.self).filter(\.$caseID == c.id!).sort(\.$createdAt).all()
        return CaseView(c, locale: req.locale, attachments: attachments, today: req.today)
    }

    @Sendable func showCase(req: Request) async throws -> CaseView {
        try req.require(.benefitsUse)
        return try await Self.caseView(try await req.findScoped(BenefitCase.self, try Self.caseID(req)), req: req)
    }

    struct ReviewBody: Content { var decision: String; var note: String? }

    @Sendable func review(req: Request) async throws -> CaseView {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        let body = try req.content.decode(ReviewBody.self)
        guard ["pass", "reject"].contains(body.decision) else {
            throw AppError(.unprocessableEntity, "benefit.decision", field: "decision", zh: "decision 应为 pass 或 reject", en: "decision must be pass or reject")
        }
        try await BenefitService(req: req).review(c, pass: body.decision == "pass", note: body.note)
        return try await Self.caseView(c, req: req)
    }

    struct ObjectionBody: Content { var from: String?; var text: String }

    @Sendable func object(req: Request) async throws -> CaseView {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        let body = try req.content.decode(ObjectionBody.self)
        try await BenefitService(req: req).object(c, from: body.from ?? "", text: body.text)
        return try await Self.caseView(c, req: req)
    }

    /// A document for the case (the body is the file, `?name=` its name), stored privately.
    @Sendable func attach(req: Request) async throws -> CaseView {
        let actor = try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        let upload = try await UploadSpool.body(req)
        let name = String((req.query[String.self, at: "name"] ?? "document").prefix(120))
        let a = BenefitAttachment()
        a.id = UUID(); a.caseID = c.id!; a.regionCode = c.regionCode; a.fileName = name
        a.contentType = req.headers.contentType?.serialize() ?? "application/octet-stream"; a.size = upload.bytes; a.uploadedBy = actor.username
        let dir = req.application.yiyang.uploadsDirectory.appendingPathComponent("attachments", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.moveItem(at: try upload.requiredFile, to: dir.appendingPathComponent(a.id!.uuidString))
        try await a.create(on: req.db)
        try await AuditLog.record(on: req, action: .benefitAttachmentAdded, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode,
                                  after: ["attachment": a.id!.uuidString, "name": name, "bytes": String(upload.bytes)])
        return try await Self.caseView(c, req: req)
    }

    /// Reading a document is audited: it holds personal data (a bank card, an ID card).
    @Sendable func attachment(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        guard let aid = req.parameters.get("attachmentID", as: UUID.self),
              let a = try await req.scoped(BenefitAttachment.self).filter(\.$id == aid).filter(\.$caseID == c.id!).first() else { throw AppError.notFound() }
        let file = req.application.yiyang.uploadsDirectory.appendingPathComponent("attachments/\(a.id!.uuidString)")
        guard let data = FileManager.default.contents(atPath: file.path) else { throw AppError.notFound() }
        try await AuditLog.record(on: req, action: .benefitAttachmentRead, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode,
                                  after: ["attachment": a.id!.uuidString])
        let res = Response(status: .ok, body: .init(data: data))
        res.headers.replaceOrAdd(name: .contentType, value: a.contentType)
        let ascii = a.fileName.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\"" } ? a.fileName : "document"
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(a.fileName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "document")")
        return res
    }

    @Sendable func cases(req: Request) async throws -> Paged<CaseView> {
        try req.require(.benefitsUse)
        let page = try PageRequest(req)
        var q = try req.scoped(BenefitCase.self)
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q = q.filter(\.$status == s) }
        q = CaseFilter(elderId: req.query[UUID.self, at: "elderId"], benefitType: req.query[String.self, at: "benefitType"],
                       source: req.query[String.self, at: "source"]).apply(q)
        let total = try await q.count()
        let rows = try await q.sort(\.$createdAt).sort(\.$id).range(page.offset..<(page.offset + page.per)).all()
        let today = req.today
        return Paged(items: rows.map { CaseView($0, locale: req.locale, today: today) }, page: page.page, per: page.per, total: total)
    }

    /// The filters of the case list, which bulk approval's `all` takes too.
    struct CaseFilter: Content {
        var elderId: UUID?; var benefitType: String?; var source: String?
        func apply(_ query: QueryBuilder<BenefitCase>) -> QueryBuilder<BenefitCase> {
            var q = query
            if let elderId { q = q.filter(\.$elderID == elderId) }
            if let benefitType, !benefitType.isEmpty { q = q.filter(\.$benefitType == benefitType) }
            if let source, !source.isEmpty { q = q.filter(\.$source == source) }
            return q
        }

        /// The pending cases it lists in the caller's scope, oldest first, as many as one bulk approval takes.
        func pendingIDs(_ req: Request) async throws -> (ids: [UUID], more: Bool) {
            let limit = BenefitService.bulkLimit
            let rows = try await apply(try req.scoped(BenefitCase.self).filter(\.$status == BenefitCase.Status.pending.rawValue))
                .sort(\.$createdAt).sort(\.$id).limit(limit + 1).all()
            return (rows.prefix(limit).compactMap(\.id), rows.count > limit)
        }
    }

    struct BulkApproveBody: Content {
        var caseIds: [UUID]?; var all: Bool?; var elderId: UUID?; var benefitType: String?; var source: String?
    }
    struct BulkAnswer: Content {
        var approved: Int; var refused: Int
        /// With `all`: more pending cases match than one call takes; call again for the rest.
        var more: Bool
        var results: [BenefitService.BulkOutcome]
    }

    /// Approves the cases named, or every pending case the filter lists (`all`), one by one
    /// with the checks and audit entry of a single approval; the answer says what became of each.
    @Sendable func approveMany(req: Request) async throws -> BulkAnswer {
        try req.require(.benefitsManage)
        let body = try req.content.decode(BulkApproveBody.self)
        let ids: [UUID], more: Bool
        switch (body.caseIds, body.all ?? false) {
        case (let list?, false) where !list.isEmpty:
            (ids, more) = (list, false)
        case (nil, true):
            (ids, more) = try await CaseFilter(elderId: body.elderId, benefitType: body.benefitType, source: body.source).pendingIDs(req)
        default:
            throw AppError(.unprocessableEntity, "benefit.bulk_selection", field: "caseIds",
                           zh: "请列出要认定的申请（caseIds），或用 all=true 认定筛选出的全部待办申请，二者选一",
                           en: "Give caseIds, or all=true for every pending case the filter lists, not both")
        }
        let results = try await BenefitService(req: req).approveMany(ids)
        let approved = results.filter { $0.outcome == "approved" }.count
        return BulkAnswer(approved: approved, refused: results.count - approved, more: more, results: results)
    }

    static func caseID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("caseID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    struct ApproveBody: Content { var account: String?; var note: String? }

    @Sendable func approve(req: Request) async throws -> EntitlementView {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        let body = (try? req.content.decode(ApproveBody.self)) ?? ApproveBody(account: nil, note: nil)
        return EntitlementView(try await BenefitService(req: req).approve(c, account: body.account, note: body.note))
    }

    struct NoteBody: Content { var note: String? }

    @Sendable func reject(req: Request) async throws -> CaseView {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try Self.caseID(req))
        try await BenefitService(req: req).reject(c, note: try req.content.decode(NoteBody.self).note)
        return CaseView(c, locale: req.locale)
    }

    // MARK: entitlements

    struct EntitlementView: Content {
        var id: UUID; var elderId: UUID; var regionCode: String; var benefitType: String; var amountFen: Int; var paymentForm: String
        var startMonth: String; var endMonth: String?; var status: String; var statusReason: String?; var account: String
        var policyId: UUID; var policyVersion: Int
        init(_ e: Entitlement) {
            id = e.id!; elderId = e.elderID; regionCode = e.regionCode; benefitType = e.benefitType; amountFen = e.amountFen
            paymentForm = e.paymentForm; startMonth = e.startMonth; endMonth = e.endMonth; status = e.status; statusReason = e.statusReason
            account = e.accountMasked; policyId = e.policyID; policyVersion = e.policyVersion
        }
    }

    @Sendable func entitlements(req: Request) async throws -> Paged<EntitlementView> {
        try req.require(.benefitsUse)
        let page = try PageRequest(req)
        var q = try req.scoped(Entitlement.self)
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q = q.filter(\.$status == s) }
        if let e = req.query[UUID.self, at: "elderId"] { q = q.filter(\.$elderID == e) }
        if let t = req.query[String.self, at: "benefitType"], !t.isEmpty { q = q.filter(\.$benefitType == t) }
        let total = try await q.count()
        let rows = try await q.sort(\.$createdAt).sort(\.$id).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map(EntitlementView.init), page: page.page, per: page.per, total: total)
    }

    // MARK: runs

    struct RunView: Content {
        struct Line: Content { var benefitType: String; var name: String; var payments: Int; var totalFen: Int }
        /// While running: entitlements written of those left to pay; `stalled` when it stopped half way.
        struct Progress: Content { var done: Int; var total: Int?; var at: Date?; var stalled: Bool }
        var id: UUID; var month: String; var regionCode: String; var status: String; var payments: Int; var totalFen: Int
        var startedBy: String; var finishedAt: Date?; var approvedBy: String?; var approvedAt: Date?; var byBenefit: [Line]?
        /// Every account that computed the roll: none of them approves it while another could.
        var computedBy: [String]
        var progress: Progress?
        /// The month's payments to the region's people by every run that wrote some (see `PaymentRuns.regionMonth`).
        var regionMonth: [PaymentRuns.Share]?
        init(_ r: PaymentRun, byBenefit: [Line]? = nil, regionMonth: [PaymentRuns.Share]? = nil) {
            id = r.id!; month = r.month; regionCode = r.regionCode; status = r.status; payments = r.payments; totalFen = r.totalFen
            startedBy = r.startedBy; finishedAt = r.finishedAt; approvedBy = r.approvedBy; approvedAt = r.approvedAt; self.byBenefit = byBenefit
            computedBy = r.computers.sorted()
            if r.status == PaymentRun.Status.running.rawValue {
                progress = Progress(done: r.progressDone ?? 0, total: r.progressTotal, at: r.progressAt, stalled: r.isStalled())
            }
            self.regionMonth = regionMonth
        }
    }

    static func runID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("runID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    @Sendable func runs(req: Request) async throws -> Paged<RunView> {
        try req.require(.benefitsUse)
        let page = try PageRequest(req)
        let q = try req.scoped(PaymentRun.self)
        let total = try await q.count()
        let rows = try await q.sort(\.$month, .descending).sort(\.$regionCode).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map { RunView($0) }, page: page.page, per: page.per, total: total)
    }

    struct RunBody: Content { var month: String; var region: String?; var background: Bool? }

    /// Computes (or completes) the month's roll for a region; safe to call again. With
    /// `background`, answers 202 at once with the run, whose progress `GET` then follows.
    @Sendable func startRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let body = try req.content.decode(RunBody.self)
        let month = try Self.month(body.month)
        let region = try body.region.map { try req.requireInScope($0, field: "region") } ?? actor.region
        if body.background == true {
            let run = try await PaymentRunJobs.start(month: month, region: region, req: req)
            return try await RunView(run).encodeResponse(status: .accepted, for: req)
        }
        let run = try await PaymentRuns.run(month: month, region: region, actor: actor.username, db: req.db, today: req.today)
        try await AuditLog.record(on: req, action: .paymentRunComputed, entityType: "payment_run", entityID: run.id?.uuidString, region: region.value,
                                  after: ["month": month.description, "payments": String(run.payments), "totalFen": String(run.totalFen)])
        return try await Self.runView(run, req: req).encodeResponse(for: req)
    }

    static func runView(_ run: PaymentRun, req: Request) async throws -> RunView {
        RunView(run, byBenefit: try await PaymentRuns.summary(run, db: req.db).map {
            .init(benefitType: $0.benefit, name: PaymentRuns.lineName($0.benefit, req.locale), payments: $0.payments, totalFen: $0.fen)
        }, regionMonth: try await PaymentRuns.regionMonth(of: run, db: req.db))
    }

    @Sendable func showRun(req: Request) async throws -> RunView {
        try req.require(.benefitsUse)
        return try await Self.runView(try await req.findScoped(PaymentRun.self, try Self.runID(req)), req: req)
    }

    @Sendable func approveRun(req: Request) async throws -> RunView {
        let actor = try req.require(.benefitsManage)
        let run = try await req.findScoped(PaymentRun.self, try Self.runID(req))
        try await PaymentRuns.approve(run, actor: actor.username, db: req.db)
        try await AuditLog.record(on: req, action: .paymentRunApproved, entityType: "payment_run", entityID: run.id?.uuidString, region: run.regionCode,
                                  after: ["month": run.month, "payments": String(run.payments), "totalFen": String(run.totalFen)])
        return try await Self.runView(run, req: req)
    }

    struct PaymentView: Content {
        var id: UUID; var entitlementId: UUID; var elderId: UUID; var regionCode: String; var benefitType: String; var month: String
        var amountFen: Int; var paymentForm: String
        /// The policy version and the month's facts that made the amount.
        var policyId: UUID?; var policyVersion: Int?; var basis: PaymentBasis?
    }

    @Sendable func payments(req: Request) async throws -> Paged<PaymentView> {
        try req.require(.benefitsUse)
        let run = try await req.findScoped(PaymentRun.self, try Self.runID(req))
        let page = try PageRequest(req)
        let q = try req.scoped(Payment.self).filter(\.$runID == run.id!)
        let total = try await q.count()
        let rows = try await q.sort(\.$entitlementID).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map { PaymentView(id: $0.id!, entitlementId: $0.entitlementID, elderId: $0.elderID, regionCode: $0.regionCode,
                                                   benefitType: $0.benefitType, month: $0.month, amountFen: $0.amountFen,
                                                   paymentForm: $0.paymentForm,
                                                   policyId: $0.policyID, policyVersion: $0.policyVersion, basis: $0.basis) },
                     page: page.page, per: page.per, total: total)
    }

    struct OverpaymentView: Content {
        var id: UUID; var entitlementId: UUID; var elderId: UUID; var regionCode: String; var benefitType: String
        var months: [String]; var amountFen: Int; var reason: String; var status: String
        init(_ o: Overpayment) {
            id = o.id!; entitlementId = o.entitlementID; elderId = o.elderID; regionCode = o.regionCode; benefitType = o.benefitType
            months = o.months.split(separator: ",").map(String.init); amountFen = o.amountFen; reason = o.reason; status = o.status
        }
    }

    @Sendable func overpayments(req: Request) async throws -> Paged<OverpaymentView> {
        try req.require(.benefitsUse)
        let page = try PageRequest(req)
        var q = try req.scoped(Overpayment.self)
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q = q.filter(\.$status == s) }
        let total = try await q.count()
        let rows = try await q.sort(\.$createdAt, .descending).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map(OverpaymentView.init),
                     page: page.page, per: page.per, total: total)
    }

    // MARK: keeping entitlements true

    @Sendable func reviewEntitlements(req: Request) async throws -> EntitlementReview.Outcome {
        let actor = try req.require(.benefitsManage)
        let body = try req.content.decode(ScanBody.self)
        let month = try Self.month(body.month)
        // A region named outside the account's scope is refused, as scans and runs refuse it, not ignored.
        let region = try body.region.map { try req.requireInScope($0, field: "region") } ?? actor.region
        let outcome = try await EntitlementReview.run(month: month, scope: RegionScope(region: region), actor: actor.username, db: req.db,
                                                       today: req.today)
        try await AuditLog.record(on: req, action: .entitlementsReviewed, entityType: "entitlement", entityID: nil, region: region.value,
                                  after: outcome)
        return outcome
    }

    @Sendable func livenessTasks(req: Request) async throws -> [EntitlementReview.Task] {
        try req.require(.benefitsUse)
        return try await EntitlementReview.tasks(scope: try req.regionScope(), db: req.db)
    }

    struct LivenessBody: Content { var method: String; var seenOn: String?; var note: String? }

    /// A community worker saw the person (or a home visit found them): the entitlement keeps paying.
    @Sendable func recordLiveness(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let body = try req.content.decode(LivenessBody.self)
        try await Self.recordEvidence(e, method: body.method, seenOn: body.seenOn, note: body.note, actor: actor, req: req)
        return Response(status: .created)
    }

    static func recordEvidence(_ e: Elder, method raw: String, seenOn: String?, note: String?, actor: Actor, req: Request) async throws {
        guard let method = LivenessEvidence.Method(rawValue: raw) else {
            throw AppError(.unprocessableEntity, "liveness.method", field: "method",
                           zh: "方式应为 worker_confirmation、home_visit、service_visit 或 care_visit", en: "method must be worker_confirmation, home_visit, service_visit or care_visit")
        }
        let day = seenOn.flatMap { $0.isEmpty ? nil : $0 }.map { CalendarDate($0) } ?? .today()
        guard let day, day <= .today() else {
            throw AppError(.unprocessableEntity, "liveness.date", field: "seenOn", zh: "日期无效或在将来", en: "The date is invalid or in the future")
        }
        let ev = LivenessEvidence()
        ev.elderID = e.id!; ev.regionCode = e.residenceRegion; ev.seenOn = day.description; ev.method = method.rawValue
        ev.recordedBy = actor.username; ev.note = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        try await ev.create(on: req.db)
        try await AuditLog.record(on: req, action: .livenessRecorded, entityType: "elder", entityID: e.id?.uuidString, region: e.residenceRegion,
                                  after: ["method": method.rawValue, "seenOn": day.description])
    }

    // MARK: settings

    struct DatedSettings: Content { var effectiveFrom: String; var settings: BenefitSettings }

    @Sendable func settings(req: Request) async throws -> DatedSettings {
        try req.require(.benefitsUse)
        return DatedSettings(effectiveFrom: CalendarDate.today().description, settings: try await BenefitSettingsRow.inForce(on: req.db))
    }

    /// A new version of the settings (review steps, notice days, liveness periods) from a date;
    /// platform-wide, so administrators only. Applications keep the steps they started with.
    @Sendable func changeSettings(req: Request) async throws -> Response {
        let actor = try req.require(.rolesManage)
        let body = try req.content.decode(DatedSettings.self)
        guard let from = CalendarDate(body.effectiveFrom) else {
            throw AppError(.unprocessableEntity, "settings.date", field: "effectiveFrom", zh: "生效日期应为 YYYY-MM-DD", en: "effectiveFrom must be YYYY-MM-DD")
        }
        let s = body.settings
        var issues: [ValidationIssue] = []
        if s.workflow.steps.isEmpty { issues.append(.init(field: "settings.workflow.steps", rule: "settings.steps", message: .init(zh: "至少需要一个审核环节", en: "At least one review step"))) }
        if !(0...60).contains(s.workflow.noticeDays) { issues.append(.init(field: "settings.workflow.noticeDays", rule: "settings.range", message: .init(zh: "公示天数应为 0–60", en: "noticeDays must be 0–60"))) }
        if !(7...730).contains(s.livenessRecentDays) { issues.append(.init(field: "settings.livenessRecentDays", rule: "settings.range", message: .init(zh: "应为 7–730 天", en: "must be 7–730 days"))) }
        if !(0...15).contains(s.runLeadDays) {
            issues.append(.init(field: "settings.runOpensDaysBefore", rule: "settings.range",
                                message: .init(zh: "应为 0–15 天", en: "must be 0–15 days")))
        }
        if !(1...36).contains(s.livenessSuspendAfterMonths) { issues.append(.init(field: "settings.livenessSuspendAfterMonths", rule: "settings.range", message: .init(zh: "应为 1–36 个月", en: "must be 1–36 months"))) }
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        let row = BenefitSettingsRow()
        row.effectiveFrom = from.description
        row.settingsJSON = String(decoding: try JSONEncoder.sorted.encode(s), as: UTF8.self)
        row.createdBy = actor.username
        try await row.create(on: req.db)
        try await AuditLog.record(on: req, action: .benefitSettingsChanged, entityType: "benefit_settings", entityID: row.id?.uuidString,
                                  region: RegionCode.root.value, after: body)
        let res = Response(status: .created)
        try res.content.encode(body, as: .json)
        return res
    }

    // MARK: corrections

    struct AdjustmentBody: Content { var entitlementId: UUID; var forMonth: String; var amountFen: Int; var reason: String }
    struct AdjustmentView: Content {
        var id: UUID; var entitlementId: UUID; var elderId: UUID; var benefitType: String; var forMonth: String; var amountFen: Int
        var reason: String; var status: String; var paidMonth: String?
        init(_ a: PaymentAdjustment) {
            id = a.id!; entitlementId = a.entitlementID; elderId = a.elderID; benefitType = a.benefitType; forMonth = a.forMonth
            amountFen = a.amountFen; reason = a.reason; status = a.status; paidMonth = a.paidMonth
        }
    }

    /// A correction of a month whose roll is approved: paid with the next roll of the region.
    @Sendable func adjust(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let body = try req.content.decode(AdjustmentBody.self)
        let e = try await req.findScoped(Entitlement.self, body.entitlementId)
        let month = try Self.month(body.forMonth, field: "forMonth")
        guard body.amountFen != 0, abs(body.amountFen) <= 10_000_000 else {
            throw AppError(.unprocessableEntity, "adjustment.amount", field: "amountFen", zh: "更正金额（分）不能为 0，且不超过 10 万元", en: "amountFen must be non-zero and at most 100,000 yuan")
        }
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw AppError(.unprocessableEntity, "adjustment.reason", field: "reason", zh: "请写明更正原因", en: "Give the reason") }
        let a = PaymentAdjustment()
        a.entitlementID = e.id!; a.elderID = e.elderID; a.regionCode = e.regionCode; a.benefitType = e.benefitType; a.paymentForm = e.paymentForm
        a.forMonth = month.description; a.amountFen = body.amountFen; a.reason = reason; a.createdBy = actor.username; a.status = "pending"
        try await a.create(on: req.db)
        try await AuditLog.record(on: req, action: .paymentAdjusted, entityType: "entitlement", entityID: e.id?.uuidString, region: e.regionCode,
                                  after: ["forMonth": a.forMonth, "amountFen": String(a.amountFen), "reason": reason])
        let res = Response(status: .created)
        try res.content.encode(AdjustmentView(a), as: .json)
        return res
    }

    @Sendable func adjustments(req: Request) async throws -> Paged<AdjustmentView> {
        try req.require(.benefitsUse)
        let page = try PageRequest(req)
        var q = try req.scoped(PaymentAdjustment.self)
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q = q.filter(\.$status == s) }
        let total = try await q.count()
        let rows = try await q.sort(\.$createdAt, .descending).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map(AdjustmentView.init), page: page.page, per: page.per, total: total)
    }
}
