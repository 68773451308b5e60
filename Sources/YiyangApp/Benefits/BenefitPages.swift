import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Staff pages of the benefits module: policies in force, the proactive scan and its cases,
/// monthly runs with approval and the bank file, overpayments.
struct BenefitPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let b = routes.grouped("benefits")
        b.get(use: home)
        b.post("scan", use: scan)
        b.get("cases", ":caseID", use: showCase)
        b.post("cases", ":caseID", "approve", use: approve)
        b.post("cases", "approve", use: approveMany)
        b.post("cases", ":caseID", "reject", use: reject)
        b.post("runs", use: startRun)
        b.get("runs", ":runID", use: showRun)
        b.post("runs", ":runID", "approve", use: approveRun)
        b.get("runs", ":runID", "bank-file", use: bankFile)
        b.get("reports", use: reports)
        b.post("review", use: review)
        b.get("liveness", use: liveness)
        b.post("liveness", ":elderID", use: confirmLiveness)
        b.post("applications", use: apply)
        b.post("cases", ":caseID", "review", use: reviewCase)
        b.post("cases", ":caseID", "objections", use: objection)
    }

    struct PolicyLine: Encodable { var name: String; var region: String; var version: Int; var forWhom: String; var standard: String; var from: String }
    struct CaseLine: Encodable {
        var id: String; var elder: String; var name: String; var month: String; var amount: String; var canDecide: Bool
    }
    struct FilterOption: Encodable { var value: String; var name: String; var selected: Bool }
    struct RunLine: Encodable { var id: String; var month: String; var region: String; var status: String; var payments: Int; var total: String }
    struct OverLine: Encodable { var elder: String; var name: String; var months: String; var amount: String; var status: String }
    struct HomePage: Encodable {
        var canManage: Bool; var month: String; var policies: [PolicyLine]; var cases: [CaseLine]; var casesTotal: Int
        var runs: [RunLine]; var overpayments: [OverLine]; var entitlements: Int; var monthlyTotal: String
        /// The list's filter, which "approve all listed" takes as it is.
        var benefitOptions: [FilterOption]; var sourceOptions: [FilterOption]; var benefitType: String; var source: String
    }

    static func statusName(_ s: String, _ l: UILocale) -> String {
        let zh = ["running": "计算中", "computed": "待审批", "approved": "已审批锁定", "open": "待追回", "recovered": "已追回", "waived": "已核销",
                  "pending": "待认定", "rejected": "不予认定", "active": "享受中", "suspended": "暂停", "ended": "已终止"]
        return l == .en ? s : (zh[s] ?? s)
    }

    func elderNames(_ ids: [UUID], req: Request) async throws -> [UUID: String] {
        Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ ids).all().map { ($0.id!, $0.name) })
    }

    @Sendable func home(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let month = Month.current()
        let all = try await BenefitPolicyRow.all(on: req.db)
        let names = try await BenefitFacts.names(on: req.db)
        let inForce = Set(all.map(\.benefitType)).sorted().compactMap { EntitlementRules.policy(for: $0, region: actor.region.value, month: month, among: all) }
        let filter = BenefitsAPI.CaseFilter(elderId: nil, benefitType: req.query[String.self, at: "benefitType"] ?? "",
                                            source: req.query[String.self, at: "source"] ?? "")
        let pending = filter.apply(try req.scoped(BenefitCase.self).filter(\.$status == BenefitCase.Status.pending.rawValue))
        let casesTotal = try await pending.count()
        let cases = try await pending.sort(\.$createdAt).sort(\.$id).limit(100).all()
        let runs = try await req.scoped(PaymentRun.self).sort(\.$month, .descending).limit(24).all()
        let overs = try await req.scoped(Overpayment.self).sort(\.$createdAt, .descending).limit(50).all()
        let people = try await elderNames(cases.map(\.elderID) + overs.map(\.elderID), req: req)
        let regionNames = try await RegionPicker.names(of: inForce.map(\.regionCode) + runs.map(\.regionCode), req: req)
        let active = try req.scoped(Entitlement.self).filter(\.$status == Entitlement.Status.active.rawValue)
        let count = try await active.count()
        // PostgreSQL sums a bigint column as NUMERIC, which Fluent's `sum` cannot read back as Int.
        let monthly = try await (req.db as! any SQLDatabase).raw("""
            SELECT CAST(SUM(amount_fen) AS BIGINT) AS total FROM entitlements
            WHERE status = \(bind: Entitlement.Status.active.rawValue) AND region_code LIKE \(bind: try req.regionScope().likePattern)
            """).first()?.decode(column: "total", as: Int?.self) ?? 0
        return try await WebPage.render("benefits", title: UIStrings.text("bn_title", l), HomePage(
            canManage: actor.has(.benefitsManage), month: month.description,
            policies: inForce.map { p in
                PolicyLine(name: BenefitType.name(p.benefitType).text(l), region: regionNames[p.regionCode] ?? p.regionCode, version: p.version,
                           forWhom: p.plainEligibility(names: names).text(l), standard: p.plainAmount().text(l), from: p.effectiveFrom.description)
            },
            cases: cases.map { CaseLine(id: $0.id!.uuidString, elder: people[$0.elderID] ?? "—", name: BenefitType.name($0.benefitType).text(l),
                                        month: $0.month, amount: Fen.display($0.amountFen), canDecide: $0.canDecide(today: req.today)) },
            casesTotal: casesTotal,
            runs: runs.map { RunLine(id: $0.id!.uuidString, month: $0.month, region: regionNames[$0.regionCode] ?? $0.regionCode, status: Self.statusName($0.status, l),
                                     payments: $0.payments, total: Fen.display($0.totalFen)) },
            overpayments: overs.map { OverLine(elder: people[$0.elderID] ?? "—", name: BenefitType.name($0.benefitType).text(l),
                                               months: $0.months.replacingOccurrences(of: ",", with: "、"), amount: Fen.display($0.amountFen),
                                               status: Self.statusName($0.status, l)) },
            entitlements: count, monthlyTotal: Fen.display(monthly),
            benefitOptions: inForce.filter(\.isForPersons).map(\.benefitType).map {
                FilterOption(value: $0, name: BenefitType.name($0).text(l), selected: $0 == filter.benefitType)
            },
            sourceOptions: ["scan", "application"].map {
                FilterOption(value: $0, name: UIStrings.text("bn_source_\($0)", l), selected: $0 == filter.source)
            },
            benefitType: filter.benefitType ?? "", source: filter.source ?? ""), req: req)
    }

    struct BulkForm: Content { var ids: [String]?; var all: String?; var benefitType: String?; var source: String? }
    struct BulkLine: Encodable { var id: String; var elder: String; var name: String; var approved: Bool; var message: String }
    struct BulkPage: Encodable { var approved: Int; var refused: Int; var more: Bool; var lines: [BulkLine] }

    /// Approves the ticked cases, or every pending case the list's filter shows, and shows what
    /// became of each: the same checks and audit entry as one at a time.
    @Sendable func approveMany(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let l = req.locale
        let f = try req.content.decode(BulkForm.self)
        var ids: [UUID] = [], more = false
        if f.all == "1" {
            (ids, more) = try await BenefitsAPI.CaseFilter(elderId: nil, benefitType: f.benefitType, source: f.source).pendingIDs(req)
        } else {
            ids = Array((f.ids ?? []).compactMap(UUID.init(uuidString:)).prefix(BenefitService.bulkLimit))
        }
        guard !ids.isEmpty else { return req.redirect(to: "/benefits?notice=bn_bulk_none") }
        let results = try await BenefitService(req: req).approveMany(ids)
        let found = try await req.scoped(BenefitCase.self).filter(\.$id ~~ ids).all()
        let cases = Dictionary(found.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let people = try await elderNames(cases.values.map(\.elderID), req: req)
        return try await WebPage.render("benefit-bulk", title: UIStrings.text("bn_bulk_title", l), BulkPage(
            approved: results.filter { $0.outcome == "approved" }.count, refused: results.filter { $0.outcome != "approved" }.count,
            more: more,
            lines: results.map { r in
                let c = cases[r.caseId]
                return BulkLine(id: r.caseId.uuidString, elder: c.flatMap { people[$0.elderID] } ?? "—",
                                name: c.map { BenefitType.name($0.benefitType).text(l) } ?? "—", approved: r.outcome == "approved",
                                message: r.message ?? UIStrings.text("bn_bulk_done", l))
            }), req: req)
    }

    struct MonthForm: Content { var month: String? }

    @Sendable func scan(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let month = try BenefitsAPI.month(try req.content.decode(MonthForm.self).month)
        let opened = try await BenefitScan.run(month: month, scope: RegionScope(region: actor.region), db: req.db)
        try await AuditLog.record(on: req, action: .benefitScanRun, entityType: "benefit_case", entityID: nil, region: actor.region.value,
                                  after: ["month": month.description, "opened": String(opened)])
        return req.redirect(to: "/benefits?notice=bn_scanned")
    }

    // MARK: a case

    struct CheckLine: Encodable { var held: Bool; var staff: String; var plain: String }
    struct CasePage: Encodable {
        var id: String; var elderId: String; var elder: String; var name: String; var month: String; var amount: String
        var form: String; var status: String; var plain: String; var checks: [CheckLine]; var pending: Bool; var canManage: Bool
        var policy: String; var error: String?; var decidedBy: String?; var note: String?
        var isApplication: Bool; var applicant: String?; var stage: String?; var currentStep: String?; var noticeUntil: String?
        var inReview: Bool; var inNotice: Bool; var steps: [StepLine]; var objections: [String]
        /// The decision is offered once it may be taken: the day after the public notice ends.
        var canDecide: Bool; var decideFrom: String?
    }
    struct StepLine: Encodable { var name: String; var by: String; var at: String; var decision: String; var note: String }

    func renderCase(_ req: Request, _ c: BenefitCase, error: String? = nil) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let elder = try await req.findScoped(Elder.self, c.elderID)
        let d = c.decision
        let view = BenefitsAPI.CaseView(c, locale: l)
        return try await WebPage.render("benefit-case", title: UIStrings.text("bn_case", l) + " · " + elder.name, CasePage(
            id: c.id!.uuidString, elderId: elder.id!.uuidString, elder: "\(elder.name)（\(elder.idMasked)）", name: BenefitType.name(c.benefitType).text(l),
            month: c.month, amount: Fen.display(c.amountFen),
            form: c.paymentForm == PaymentForm.cash.rawValue ? UIStrings.text("bn_cash", l) : UIStrings.text("bn_balance", l),
            status: Self.statusName(c.status, l), plain: d?.plainSummary.text(l) ?? "",
            checks: (d?.checks ?? []).map { CheckLine(held: $0.held, staff: $0.staff.text(l), plain: $0.plain.text(l)) },
            pending: c.status == BenefitCase.Status.pending.rawValue, canManage: actor.has(.benefitsManage),
            policy: "\(c.policyID.uuidString.prefix(8)) v\(c.policyVersion)", error: error, decidedBy: c.decidedBy, note: c.decisionNote,
            isApplication: c.source == "application", applicant: Self.applicant(c, l), stage: c.stage, currentStep: view.currentStep,
            noticeUntil: c.noticeUntil, inReview: c.stage == "review" && c.status == "pending", inNotice: c.stage == "notice" && c.status == "pending",
            steps: view.steps.map { StepLine(name: $0.name, by: $0.by, at: ChinaTime.dateTime($0.at), decision: Self.decisionName($0.decision, l), note: $0.note) },
            objections: view.objections.map { "\(ChinaTime.dateTime($0.at)) \($0.from)：\($0.text)" },
            canDecide: c.canDecide(today: req.today),
            decideFrom: c.status == BenefitCase.Status.pending.rawValue ? view.decisionFrom : nil),
            req: req, status: error == nil ? .ok : .unprocessableEntity)
    }

    @Sendable func showCase(req: Request) async throws -> Response {
        try req.require(.benefitsUse)
        return try await renderCase(req, try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req)))
    }

    static func applicant(_ c: BenefitCase, _ l: UILocale) -> String? {
        guard let kind = c.applicantKind else { return nil }
        switch kind {
        case "family": return (l == .en ? "Family member: " : "家属代为申请：") + [c.applicantName, c.applicantRelation].compactMap { $0 }.joined(separator: "，")
        case "staff": return l == .en ? "Staff on the person's behalf" : "工作人员代为申请"
        default: return l == .en ? "The person" : "本人申请"
        }
    }

    static func decisionName(_ d: String, _ l: UILocale) -> String {
        let zh = ["received": "已受理", "pass": "通过", "reject": "不通过", "notice": "进入公示", "approve": "批准"]
        return l == .en ? d : (zh[d] ?? d)
    }

    struct ApplicationForm: Content {
        var elderId: UUID; var benefitType: String; var applicantKind: String; var applicantName: String?; var applicantRelation: String?; var note: String?
    }

    @Sendable func apply(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let f = try req.content.decode(ApplicationForm.self)
        do {
            let c = try await BenefitService(req: req).apply(.init(elderId: f.elderId, benefitType: f.benefitType, applicantKind: f.applicantKind,
                                                                    applicantName: f.applicantName, applicantRelation: f.applicantRelation, note: f.note))
            return req.redirect(to: "/benefits/cases/\(c.id!.uuidString)?notice=bn_applied")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            return req.redirect(to: "/elders/\(f.elderId.uuidString)?notice=bn_apply_failed&detail=\(e.code)")
        }
    }

    struct StepForm: Content { var decision: String; var note: String? }

    @Sendable func reviewCase(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req))
        let f = try req.content.decode(StepForm.self)
        do {
            try await BenefitService(req: req).review(c, pass: f.decision == "pass", note: f.note)
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict || e.status == .forbidden {
            return try await renderCase(req, c, error: e.message.text(req.locale))
        }
        return req.redirect(to: "/benefits/cases/\(c.id!.uuidString)?notice=bn_step_done")
    }

    struct ObjectionForm: Content { var from: String?; var text: String? }

    @Sendable func objection(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req))
        let f = try req.content.decode(ObjectionForm.self)
        do {
            try await BenefitService(req: req).object(c, from: f.from ?? "", text: f.text ?? "")
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            return try await renderCase(req, c, error: e.message.text(req.locale))
        }
        return req.redirect(to: "/benefits/cases/\(c.id!.uuidString)")
    }

    @Sendable func review(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let month = try BenefitsAPI.month(try req.content.decode(MonthForm.self).month)
        let o = try await EntitlementReview.run(month: month, scope: try req.regionScope(), actor: actor.username, db: req.db,
                                                today: req.today)
        try await AuditLog.record(on: req, action: .entitlementsReviewed, entityType: "entitlement", entityID: nil, region: actor.region.value, after: o)
        return req.redirect(to: "/benefits?notice=bn_reviewed")
    }

    struct LivenessLine: Encodable { var elderId: String; var name: String; var idNumber: String; var lastSeen: String; var due: String; var visit: Bool }

    @Sendable func liveness(req: Request) async throws -> Response {
        try req.require(.benefitsUse)
        let l = req.locale
        let tasks = try await EntitlementReview.tasks(scope: try req.regionScope(), db: req.db)
        let names = ["confirmation_due": UIStrings.text("bn_live_confirm", l), "visit_due": UIStrings.text("bn_live_visit", l), "suspend": UIStrings.text("bn_live_suspend", l)]
        return try await WebPage.render("benefit-liveness", title: UIStrings.text("bn_liveness", l), tasks.map {
            LivenessLine(elderId: $0.elderId.uuidString, name: $0.name, idNumber: $0.idNumber, lastSeen: $0.lastSeen ?? "—",
                         due: names[$0.due] ?? $0.due, visit: $0.due != "confirmation_due")
        }, req: req)
    }

    struct LivenessForm: Content { var method: String; var note: String? }

    @Sendable func confirmLiveness(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let f = try req.content.decode(LivenessForm.self)
        try await BenefitsAPI.recordEvidence(e, method: f.method, seenOn: nil, note: f.note, actor: actor, req: req)
        return req.redirect(to: "/benefits/liveness?notice=bn_live_recorded")
    }

    struct ApproveForm: Content { var account: String?; var note: String? }

    @Sendable func approve(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req))
        do {
            let f = try req.content.decode(ApproveForm.self)
            _ = try await BenefitService(req: req).approve(c, account: f.account, note: f.note)
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict || e.status == .forbidden {
            return try await renderCase(req, c, error: e.message.text(req.locale))
        }
        return req.redirect(to: "/benefits?notice=bn_approved")
    }

    struct RejectForm: Content { var note: String? }

    @Sendable func reject(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req))
        do {
            try await BenefitService(req: req).reject(c, note: try req.content.decode(RejectForm.self).note)
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict || e.status == .forbidden {
            return try await renderCase(req, c, error: e.message.text(req.locale))
        }
        return req.redirect(to: "/benefits?notice=bn_rejected")
    }

    // MARK: runs

    struct RunForm: Content { var month: String?; var region: String? }

    /// Starts the run in the background and shows its page, which follows the progress.
    @Sendable func startRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let form = try req.content.decode(RunForm.self)
        let month = try BenefitsAPI.month(form.month)
        let region = try form.region.flatMap { $0.isEmpty ? nil : $0 }.map { try req.requireInScope($0, field: "region") } ?? actor.region
        let run = try await PaymentRunJobs.start(month: month, region: region, req: req)
        return req.redirect(to: "/benefits/runs/\(run.id!.uuidString)")
    }

    struct SummaryLine: Encodable { var name: String; var payments: Int; var total: String }
    /// `linked`: a run of a region above the viewer's is named but not linked (it would answer 404).
    struct ShareLine: Encodable { var id: String; var region: String; var status: String; var payments: Int; var total: String; var isThis: Bool; var linked: Bool }
    struct RunPage: Encodable, SelfRefreshing {
        var id: String; var month: String; var region: String; var regionCode: String; var status: String; var payments: Int; var total: String
        var lines: [SummaryLine]; var canApprove: Bool; var approvedBy: String?
        /// Computed by the viewer, with someone else able to approve it: the approval is theirs.
        var otherApproves: Bool
        var running: Bool; var stalled: Bool; var canContinue: Bool; var percent: Int; var done: Int; var toDo: Int
        /// Shown when other runs paid some of the region's month: every run's share and the whole.
        var shares: [ShareLine]; var monthPayments: Int; var monthTotal: String
        var refreshSeconds: String? { running ? "2" : nil }
    }

    @Sendable func showRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let run = try await req.findScoped(PaymentRun.self, try BenefitsAPI.runID(req))
        let summary = try await PaymentRuns.summary(run, db: req.db)
        let shares = try await PaymentRuns.regionMonth(of: run, db: req.db)
        let regionName = try await req.scoped(Region.self).filter(\.$id == run.regionCode).first()?.name
        let overlapping = shares.contains { !$0.isThisRun }
        let scope = try req.regionScope()
        let computable = actor.has(.benefitsManage) && run.status == PaymentRun.Status.computed.rawValue
        let ownRoll = run.computers.contains(actor.username)
        var otherApproves = false
        if computable, ownRoll {
            otherApproves = try await FourEyes.others(holding: .benefitsManage, for: RegionCode(run.regionCode) ?? .root,
                                                      excluding: run.computers, db: req.db) > 0
        }
        return try await WebPage.render("benefit-run", title: UIStrings.text("bn_run", l) + " · " + run.month, RunPage(
            id: run.id!.uuidString, month: run.month, region: regionName.map { "\($0)（\(run.regionCode)）" } ?? run.regionCode, regionCode: run.regionCode,
            status: Self.statusName(run.status, l), payments: run.payments,
            total: Fen.display(run.totalFen), lines: summary.map { SummaryLine(name: PaymentRuns.lineName($0.benefit, l), payments: $0.payments, total: Fen.display($0.fen)) },
            canApprove: computable && !otherApproves, approvedBy: run.approvedBy, otherApproves: otherApproves,
            running: run.isRunning(), stalled: run.isStalled(), canContinue: run.isStalled() && actor.has(.benefitsManage),
            percent: run.percentDone, done: run.progressDone ?? 0, toDo: run.progressTotal ?? 0,
            shares: overlapping ? shares.map { ShareLine(id: $0.runId.uuidString, region: "\($0.regionName)（\($0.regionCode)）",
                                                          status: Self.statusName($0.status, l), payments: $0.payments,
                                                          total: Fen.display($0.totalFen), isThis: $0.isThisRun,
                                                          linked: scope.allows($0.regionCode)) } : [],
            monthPayments: shares.reduce(0) { $0 + $1.payments }, monthTotal: Fen.display(shares.reduce(0) { $0 + $1.totalFen })), req: req)
    }

    @Sendable func approveRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let run = try await req.findScoped(PaymentRun.self, try BenefitsAPI.runID(req))
        try await PaymentRuns.approve(run, actor: actor.username, db: req.db)
        try await AuditLog.record(on: req, action: .paymentRunApproved, entityType: "payment_run", entityID: run.id?.uuidString, region: run.regionCode,
                                  after: ["month": run.month, "payments": String(run.payments), "totalFen": String(run.totalFen)])
        return req.redirect(to: "/benefits/runs/\(run.id!.uuidString)?notice=bn_run_approved")
    }

    /// The bank file of an approved roll: cash payments only (service balances are not paid
    /// out), one line per payment, the columns a bureau's bank asks for (`?columns=`).
    @Sendable func bankFile(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        try req.require(.personalDataUnmask)
        let run = try await req.findScoped(PaymentRun.self, try BenefitsAPI.runID(req))
        guard run.status == PaymentRun.Status.approved.rawValue else {
            throw AppError(.conflict, "payment_run.not_approved", field: nil, zh: "发放表审批后才能导出银行文件", en: "Approve the roll before exporting the bank file")
        }
        let csv = try await BankFile.csv(run, columns: req.query[String.self, at: "columns"], req: req)
        try await AuditLog.record(on: req, action: .paymentRunExported, entityType: "payment_run", entityID: run.id?.uuidString, region: run.regionCode,
                                  after: ["month": run.month, "columns": req.query[String.self, at: "columns"] ?? BankFile.defaultColumns.joined(separator: ",")])
        let res = Response(status: .ok, body: .init(string: csv))
        res.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"payments-\(run.month)-\(run.regionCode).csv\"")
        return res
    }
}

/// The CSV a bank loads: configurable columns, a BOM for Excel, formula injection defused.
enum BankFile {
    static let available = ["name", "idNumber", "account", "amountYuan", "amountFen", "benefit", "month", "region"]
    static let defaultColumns = ["name", "idNumber", "account", "amountYuan", "benefit", "month"]
    static let headers: [String: String] = ["name": "户名", "idNumber": "证件号码（身份证号或机构统一社会信用代码）", "account": "银行账号", "amountYuan": "金额（元）",
                                            "amountFen": "金额（分）", "benefit": "补贴项目", "month": "所属月份", "region": "区划代码"]

    static func csv(_ run: PaymentRun, columns raw: String?, req: Request) async throws -> String {
        let columns = raw.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? defaultColumns
        if let bad = columns.first(where: { !available.contains($0) }) {
            throw AppError(.unprocessableEntity, "bank_file.column", field: "columns",
                           zh: "没有“\(bad)”这一列（可用：\(available.joined(separator: ","))）", en: "No column \"\(bad)\" (available: \(available.joined(separator: ",")))")
        }
        let service = ElderService(req: req, source: "bank-file")
        var out = "\u{FEFF}" + CSVReader.row(columns.map { headers[$0] ?? $0 })
        let payments = try await req.scoped(Payment.self).filter(\.$runID == run.id!).filter(\.$paymentForm == PaymentForm.cash.rawValue)
            .sort(\.$elderID).all()
        let elders = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ payments.map(\.elderID)).all().map { ($0.id!, $0) })
        let ents = Dictionary(uniqueKeysWithValues: try await req.scoped(Entitlement.self).filter(\.$id ~~ payments.map(\.entitlementID)).all().map { ($0.id!, $0) })
        for p in payments {
            let e = elders[p.elderID]
            let account = try ents[p.entitlementID]?.accountCipher.map(service.vault.open) ?? ""
            let values: [String: String] = [
                "name": e?.name ?? "", "idNumber": try e.map { try service.secrets($0).idNumber } ?? "", "account": account,
                "amountYuan": Fen.yuan(p.amountFen), "amountFen": String(p.amountFen), "benefit": BenefitType.name(p.benefitType).zh,
                "month": p.month, "region": p.regionCode,
            ]
            out += CSVReader.row(columns.map { values[$0] ?? "" })
        }
        // Corrections paid with this roll, each on its own line.
        let corrections = try await req.scoped(PaymentAdjustment.self).filter(\.$runID == run.id!).filter(\.$paymentForm == PaymentForm.cash.rawValue)
            .sort(\.$elderID).all()
        let people = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ corrections.map(\.elderID)).all().map { ($0.id!, $0) })
        let accounts = Dictionary(uniqueKeysWithValues: try await req.scoped(Entitlement.self).filter(\.$id ~~ corrections.map(\.entitlementID)).all().map { ($0.id!, $0) })
        for a in corrections {
            let e = people[a.elderID]
            let values: [String: String] = [
                "name": e?.name ?? "", "idNumber": try e.map { try service.secrets($0).idNumber } ?? "",
                "account": try accounts[a.entitlementID]?.accountCipher.map(service.vault.open) ?? "",
                "amountYuan": Fen.yuan(a.amountFen), "amountFen": String(a.amountFen), "benefit": BenefitType.name(a.benefitType).zh + "（更正 \(a.forMonth)）",
                "month": run.month, "region": a.regionCode,
            ]
            out += CSVReader.row(columns.map { values[$0] ?? "" })
        }
        // Subsidies to care institutions: the institution's name, credit code and account.
        let toInstitutions = try await req.scoped(InstitutionPayment.self).filter(\.$runID == run.id!).sort(\.$institutionID).all()
        let homes = Dictionary(uniqueKeysWithValues: try await req.scoped(Institution.self).filter(\.$id ~~ toInstitutions.map(\.institutionID)).all().map { ($0.id!, $0) })
        for p in toInstitutions {
            let home = homes[p.institutionID]
            let values: [String: String] = [
                "name": home?.name ?? "", "idNumber": home?.creditCode ?? "", "account": try home?.accountCipher.map(service.vault.open) ?? "",
                "amountYuan": Fen.yuan(p.amountFen), "amountFen": String(p.amountFen), "benefit": BenefitType.name(p.benefitType).zh,
                "month": p.month, "region": p.regionCode,
            ]
            out += CSVReader.row(columns.map { values[$0] ?? "" })
        }
        return out
    }
}

/// The benefits part of a person's page: each benefit this month with the plain explanation,
/// and what the person receives.
struct ElderBenefits: Encodable {
    struct Decision: Encodable { var name: String; var entitled: Bool; var plain: String }
    struct Line: Encodable { var name: String; var amount: String; var from: String; var until: String; var status: String }
    var month: String
    var decisions: [Decision]
    var entitlements: [Line]
    var canApply: Bool
    var types: [TypeOption]
    var openCases: [CaseLink]
    struct TypeOption: Encodable { var code: String; var name: String }
    struct CaseLink: Encodable { var id: String; var name: String; var stage: String }

    static func load(_ e: Elder, req: Request) async throws -> ElderBenefits {
        let l = req.locale
        let month = Month.current()
        let x = try await BenefitsAPI.explanation(e, month: month, req: req)
        let open = try await req.scoped(BenefitCase.self).filter(\.$elderID == e.id!).filter(\.$status == BenefitCase.Status.pending.rawValue).all()
        return ElderBenefits(month: month.description,
                             decisions: x.decisions.map { Decision(name: $0.name, entitled: $0.entitled, plain: $0.plain) },
                             entitlements: x.entitlements.map {
                                 Line(name: BenefitType.name($0.benefitType).text(l), amount: Fen.display($0.amountFen), from: $0.startMonth,
                                      until: $0.endMonth ?? "—",
                                      status: BenefitPages.statusName($0.status, l) + ($0.statusReason.flatMap { EntitlementReview.reasonNames[$0]?.text(l) }.map { "（\($0)）" } ?? ""))
                             },
                             canApply: (try? req.require(.benefitsManage)) != nil && e.status == ElderStatus.living.rawValue,
                             types: x.decisions.map { TypeOption(code: $0.benefitType, name: $0.name) },
                             openCases: open.map { CaseLink(id: $0.id!.uuidString, name: BenefitType.name($0.benefitType).text(l),
                                                            stage: BenefitPages.statusName($0.status, l)) })
    }
}

/// The policy form: a new version of a benefit's rules for a region, written the way a bureau
/// reads its own document. Amount lists are typed as short lines ("80-89:50, 90-99:100,
/// 100-:1000" in yuan; "2:50, 3:100" by level).
struct BenefitPolicyPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("benefits", "policies", "new", use: form)
        routes.post("benefits", "policies", use: create)
    }

    struct Option: Encodable { var code: String; var name: String; var selected: Bool }
    struct FormPage: Encodable {
        var types: [Option]; var categories: [Option]; var statuses: [Option]; var exclusions: [Option]
        var region: String; var from: String
        var error: String?; var values: [String: String]
        var regionField: RegionPicker.Field
    }

    func render(_ req: Request, error: String? = nil, values: [String: String] = [:],
                region picked: RegionPicker.Resolution = .empty) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let l = req.locale
        let (_, codes) = try await RegistryVocabulary.load(on: req.db)
        func opts(_ kind: ReferenceCode.Kind, _ chosen: String) -> [Option] {
            let set = Set(chosen.split(separator: ",").map(String.init))
            return codes.filter { $0.kind == kind }.map { Option(code: $0.code, name: $0.name.text(l), selected: set.contains($0.code)) }
        }
        let excluded = Set((values["notWhileReceiving"] ?? "").split(separator: ",").map(String.init))
        return try await WebPage.render("benefit-policy-form", title: UIStrings.text("bn_policy_new", l), FormPage(
            types: BenefitType.builtIn.map { Option(code: $0.code, name: $0.name.text(l), selected: $0.code == values["benefitType"]) },
            categories: opts(.category, values["categoriesAny"] ?? ""), statuses: opts(.economicStatus, values["economicStatusesAny"] ?? ""),
            // Chosen by name: a text field of codes made the clerk type `care_subsidy`.
            exclusions: BenefitType.builtIn.map { Option(code: $0.code, name: $0.name.text(l), selected: excluded.contains($0.code)) },
            region: values["regionCode"] ?? actor.region.value, from: values["effectiveFrom"] ?? Month.current().next.description,
            error: error, values: values,
            regionField: try await RegionPicker.field(id: "regionCode", name: "regionCode", label: UIStrings.text("field_region", l),
                                                      value: values["regionCode"] ?? actor.region.value, resolution: picked, required: true,
                                                      req: req)),
            req: req, status: error == nil && picked.isResolved ? .ok : .unprocessableEntity)
    }

    @Sendable func form(req: Request) async throws -> Response { try await render(req) }

    /// "80-89:50, 90-99:100, 100-:1000" → age bands in fen.
    static func ageBands(_ text: String) -> [AgeAmount]? {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == ";" || $0 == "；" }).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { return nil }
        var out: [AgeAmount] = []
        for p in parts {
            let kv = p.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let yuan = Double(kv[1]) else { return nil }
            let range = kv[0].split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard range.count == 2, let min = Int(range[0]) else { return nil }
            let max = range[1].isEmpty ? nil : Int(range[1])
            if !range[1].isEmpty && max == nil { return nil }
            out.append(AgeAmount(minAge: min, maxAge: max, fen: Int((yuan * 100).rounded())))
        }
        return out
    }

    /// "2:50, 3:100" → level amounts in fen.
    static func levelAmounts(_ text: String) -> [LevelAmount]? {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == ";" || $0 == "；" }).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { return nil }
        var out: [LevelAmount] = []
        for p in parts {
            let kv = p.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let level = Int(kv[0]), let yuan = Double(kv[1]) else { return nil }
            out.append(LevelAmount(level: level, fen: Int((yuan * 100).rounded())))
        }
        return out
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        var v: [String: String] = [:]
        for key in ["benefitType", "regionCode", "effectiveFrom", "effectiveTo", "minAge", "maxAge", "instrument", "minLevel", "maxLevel",
                    "amountKind", "flatYuan", "ageBands", "levelAmounts", "paymentForm", "payer", "summary", "basis",
                    "notInInstitution", "oneOff",
                    "residentInstrument", "residentLevels", "bedKind", "perBedYuan"] {
            v[key] = ((try? req.content.get(String.self, at: key)) ?? "").trimmingCharacters(in: .whitespaces)
        }
        let cats = (try? req.content.get([String].self, at: "categoriesAny")) ?? []
        let stats = (try? req.content.get([String].self, at: "economicStatusesAny")) ?? []
        v["categoriesAny"] = cats.joined(separator: ","); v["economicStatusesAny"] = stats.joined(separator: ",")
        v["notWhileReceiving"] = ((try? req.content.get([String].self, at: "notWhileReceiving")) ?? []).joined(separator: ",")
        let l = req.locale
        func fail(_ zh: String, _ en: String) async throws -> Response { try await render(req, error: l == .en ? en : zh, values: v) }
        // The region by name or code; what was typed stays in the form if it does not resolve.
        let picked = try await RegionPicker.resolve(v["regionCode"], req: req)
        guard picked.isResolved else { return try await render(req, values: v, region: picked) }
        let regionCode = picked.code ?? ""
        guard let from = Month(v["effectiveFrom"]!) else { return try await fail("起始月份应为 YYYY-MM", "effectiveFrom must be YYYY-MM") }
        let to = v["effectiveTo"]!.isEmpty ? nil : Month(v["effectiveTo"]!)
        if !v["effectiveTo"]!.isEmpty && to == nil { return try await fail("截止月份应为 YYYY-MM", "effectiveTo must be YYYY-MM") }
        var amount = AmountRule()
        var institution: InstitutionRule? = nil
        switch v["amountKind"] {
        case "flat":
            guard let y = Double(v["flatYuan"]!) else { return try await fail("请填写每月金额（元）", "Give the monthly amount in yuan") }
            amount.flatFen = Int((y * 100).rounded())
        case "age":
            guard let bands = Self.ageBands(v["ageBands"]!) else { return try await fail("年龄段写法如：80-89:50, 90-99:100, 100-:1000", "Write age bands like 80-89:50, 90-99:100, 100-:1000") }
            amount.byAge = bands
        case "level":
            guard let levels = Self.levelAmounts(v["levelAmounts"]!) else { return try await fail("等级金额写法如：2:50, 3:100, 4:150", "Write level amounts like 2:50, 3:100, 4:150") }
            amount.byLevel = levels
        case "institution_residents":
            guard let levels = Self.levelAmounts(v["residentLevels"]!) else {
                return try await fail("每人每月的等级金额写法如：2:100, 3:100, 4:200", "Write amounts a resident a month like 2:100, 3:100, 4:200")
            }
            institution = InstitutionRule(basis: .residentMonth, instrument: v["residentInstrument"]!.isEmpty ? nil : v["residentInstrument"], perResidentByLevel: levels)
        case "institution_beds":
            guard let y = Double(v["perBedYuan"]!) else { return try await fail("请填写每张床位的金额（元）", "Give the amount per bed in yuan") }
            institution = InstitutionRule(basis: .newBed, bedKinds: v["bedKind"]!.isEmpty ? [] : [v["bedKind"]!], perBedFen: Int((y * 100).rounded()))
        default:
            return try await fail("请选择金额规则", "Choose an amount rule")
        }
        var assessment: AssessmentCondition? = nil
        if !v["instrument"]!.isEmpty {
            guard let min = Int(v["minLevel"]!), let max = Int(v["maxLevel"]!) else { return try await fail("请填写评估等级范围", "Give the level range") }
            assessment = AssessmentCondition(instrument: v["instrument"]!, minLevel: min, maxLevel: max)
        }
        let policy = BenefitPolicy(
            benefitType: v["benefitType"]!, regionCode: regionCode, effectiveFrom: from, effectiveTo: to,
            eligibility: EligibilityRule(minAge: Int(v["minAge"]!), maxAge: Int(v["maxAge"]!), categoriesAny: cats, economicStatusesAny: stats,
                                         assessment: assessment,
                                         notWhileReceiving: v["notWhileReceiving"]!.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                                         notInInstitution: v["notInInstitution"] == "true"),
            amount: amount, paymentForm: PaymentForm(rawValue: v["paymentForm"]!) ?? .cash,
            payer: v["payer"]!, summary: v["summary"]!, basis: v["basis"]!, oneOff: v["oneOff"] == "true" || institution?.basis == .newBed ? true : nil,
            institution: institution)
        if let issue = policy.issues().first { return try await fail(issue.message.zh, issue.message.en) }
        if policy.payer.isEmpty || policy.summary.isEmpty || policy.basis.isEmpty {
            return try await fail("请填写支付主体、服务内容和政策依据，它们会出现在公开的服务清单上", "Fill in payer, summary and basis: the public service list shows them")
        }
        guard (try? req.requireInScope(policy.regionCode, field: "regionCode")) != nil else {
            return try await fail("区划不在您的管辖范围内", "The region is outside your area")
        }
        let last = try await BenefitPolicyRow.query(on: req.db).filter(\.$benefitType == policy.benefitType).filter(\.$regionCode == policy.regionCode)
            .sort(\.$version, .descending).first()
        var p = policy
        p.version = (last?.version ?? 0) + 1
        try await BenefitPolicyRow(p, createdBy: actor.username).create(on: req.db)
        try await AuditLog.record(on: req, action: .benefitPolicyCreated, entityType: "benefit_policy", entityID: p.id.uuidString, region: p.regionCode, after: p)
        return req.redirect(to: "/benefits?notice=bn_policy_saved")
    }
}
