import Fluent
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
        b.post("cases", ":caseID", "reject", use: reject)
        b.post("runs", use: startRun)
        b.get("runs", ":runID", use: showRun)
        b.post("runs", ":runID", "approve", use: approveRun)
        b.get("runs", ":runID", "bank-file", use: bankFile)
        b.get("reports", use: reports)
    }

    struct PolicyLine: Encodable { var name: String; var region: String; var version: Int; var forWhom: String; var standard: String; var from: String }
    struct CaseLine: Encodable { var id: String; var elder: String; var name: String; var month: String; var amount: String }
    struct RunLine: Encodable { var id: String; var month: String; var region: String; var status: String; var payments: Int; var total: String }
    struct OverLine: Encodable { var elder: String; var name: String; var months: String; var amount: String; var status: String }
    struct HomePage: Encodable {
        var canManage: Bool; var month: String; var policies: [PolicyLine]; var cases: [CaseLine]; var casesTotal: Int
        var runs: [RunLine]; var overpayments: [OverLine]; var entitlements: Int; var monthlyTotal: String
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
        let pending = try req.scoped(BenefitCase.self).filter(\.$status == BenefitCase.Status.pending.rawValue)
        let casesTotal = try await pending.count()
        let cases = try await pending.sort(\.$createdAt).sort(\.$id).limit(100).all()
        let runs = try await req.scoped(PaymentRun.self).sort(\.$month, .descending).limit(24).all()
        let overs = try await req.scoped(Overpayment.self).sort(\.$createdAt, .descending).limit(50).all()
        let people = try await elderNames(cases.map(\.elderID) + overs.map(\.elderID), req: req)
        let active = try req.scoped(Entitlement.self).filter(\.$status == Entitlement.Status.active.rawValue)
        let count = try await active.count()
        let monthly = try await active.sum(\.$amountFen) ?? 0
        return try await WebPage.render("benefits", title: UIStrings.text("bn_title", l), HomePage(
            canManage: actor.has(.benefitsManage), month: month.description,
            policies: inForce.map { p in
                PolicyLine(name: BenefitType.name(p.benefitType).text(l), region: p.regionCode, version: p.version,
                           forWhom: p.plainEligibility(names: names).text(l), standard: p.plainAmount().text(l), from: p.effectiveFrom.description)
            },
            cases: cases.map { CaseLine(id: $0.id!.uuidString, elder: people[$0.elderID] ?? "—", name: BenefitType.name($0.benefitType).text(l),
                                        month: $0.month, amount: Fen.yuan($0.amountFen)) },
            casesTotal: casesTotal,
            runs: runs.map { RunLine(id: $0.id!.uuidString, month: $0.month, region: $0.regionCode, status: Self.statusName($0.status, l),
                                     payments: $0.payments, total: Fen.yuan($0.totalFen)) },
            overpayments: overs.map { OverLine(elder: people[$0.elderID] ?? "—", name: BenefitType.name($0.benefitType).text(l),
                                               months: $0.months.replacingOccurrences(of: ",", with: "、"), amount: Fen.yuan($0.amountFen),
                                               status: Self.statusName($0.status, l)) },
            entitlements: count, monthlyTotal: Fen.yuan(monthly)), req: req)
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
    }

    func renderCase(_ req: Request, _ c: BenefitCase, error: String? = nil) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let elder = try await req.findScoped(Elder.self, c.elderID)
        let d = c.decision
        return try await WebPage.render("benefit-case", title: UIStrings.text("bn_case", l) + " · " + elder.name, CasePage(
            id: c.id!.uuidString, elderId: elder.id!.uuidString, elder: "\(elder.name)（\(elder.idMasked)）", name: BenefitType.name(c.benefitType).text(l),
            month: c.month, amount: Fen.yuan(c.amountFen),
            form: c.paymentForm == PaymentForm.cash.rawValue ? UIStrings.text("bn_cash", l) : UIStrings.text("bn_balance", l),
            status: Self.statusName(c.status, l), plain: d?.plainSummary.text(l) ?? "",
            checks: (d?.checks ?? []).map { CheckLine(held: $0.held, staff: $0.staff.text(l), plain: $0.plain.text(l)) },
            pending: c.status == BenefitCase.Status.pending.rawValue, canManage: actor.has(.benefitsManage),
            policy: "\(c.policyID.uuidString.prefix(8)) v\(c.policyVersion)", error: error, decidedBy: c.decidedBy, note: c.decisionNote),
            req: req, status: error == nil ? .ok : .unprocessableEntity)
    }

    @Sendable func showCase(req: Request) async throws -> Response {
        try req.require(.benefitsUse)
        return try await renderCase(req, try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req)))
    }

    struct ApproveForm: Content { var account: String? }

    @Sendable func approve(req: Request) async throws -> Response {
        try req.require(.benefitsManage)
        let c = try await req.findScoped(BenefitCase.self, try BenefitsAPI.caseID(req))
        do {
            _ = try await BenefitService(req: req).approve(c, account: try req.content.decode(ApproveForm.self).account)
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
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
        } catch let e as AppError where e.status == .unprocessableEntity || e.status == .conflict {
            return try await renderCase(req, c, error: e.message.text(req.locale))
        }
        return req.redirect(to: "/benefits?notice=bn_rejected")
    }

    // MARK: runs

    @Sendable func startRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsManage)
        let month = try BenefitsAPI.month(try req.content.decode(MonthForm.self).month)
        let run = try await PaymentRuns.run(month: month, region: actor.region, actor: actor.username, db: req.db)
        try await AuditLog.record(on: req, action: .paymentRunComputed, entityType: "payment_run", entityID: run.id?.uuidString, region: actor.region.value,
                                  after: ["month": month.description, "payments": String(run.payments), "totalFen": String(run.totalFen)])
        return req.redirect(to: "/benefits/runs/\(run.id!.uuidString)")
    }

    struct SummaryLine: Encodable { var name: String; var payments: Int; var total: String }
    struct RunPage: Encodable {
        var id: String; var month: String; var region: String; var status: String; var payments: Int; var total: String
        var lines: [SummaryLine]; var canApprove: Bool; var approvedBy: String?
    }

    @Sendable func showRun(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let run = try await req.findScoped(PaymentRun.self, try BenefitsAPI.runID(req))
        let summary = try await PaymentRuns.summary(run, db: req.db)
        return try await WebPage.render("benefit-run", title: UIStrings.text("bn_run", l) + " · " + run.month, RunPage(
            id: run.id!.uuidString, month: run.month, region: run.regionCode, status: Self.statusName(run.status, l), payments: run.payments,
            total: Fen.yuan(run.totalFen), lines: summary.map { SummaryLine(name: BenefitType.name($0.benefit).text(l), payments: $0.payments, total: Fen.yuan($0.fen)) },
            canApprove: actor.has(.benefitsManage) && run.status == PaymentRun.Status.computed.rawValue, approvedBy: run.approvedBy), req: req)
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
    static let headers: [String: String] = ["name": "姓名", "idNumber": "身份证号", "account": "银行账号", "amountYuan": "金额（元）",
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

    static func load(_ e: Elder, req: Request) async throws -> ElderBenefits {
        let l = req.locale
        let month = Month.current()
        let x = try await BenefitsAPI.explanation(e, month: month, req: req)
        return ElderBenefits(month: month.description,
                             decisions: x.decisions.map { Decision(name: $0.name, entitled: $0.entitled, plain: $0.plain) },
                             entitlements: x.entitlements.map {
                                 Line(name: BenefitType.name($0.benefitType).text(l), amount: Fen.yuan($0.amountFen), from: $0.startMonth,
                                      until: $0.endMonth ?? "—", status: BenefitPages.statusName($0.status, l))
                             })
    }
}
