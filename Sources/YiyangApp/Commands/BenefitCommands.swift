import Fluent
import Vapor
import YiyangDomain

/// `yiyang benefits run --month 2026-12 [--region CODE]` and `yiyang benefits scan --month …`.
struct BenefitCommands: AsyncCommandGroup {
    var help: String { "Benefits: the proactive scan and the monthly payment run" }
    var commands: [String: any AnyAsyncCommand] { ["run": PaymentRunCommand(), "scan": BenefitScanCommand(), "review": EntitlementReviewCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }

    /// The region a command works on: `--region`, or else the top of the imported tree, walked
    /// down while it has a single branch (a city's table under its province gives the city), so
    /// the roll is one its bureau can list and approve. The whole tree (the platform root) is
    /// never taken by default.
    static func region(_ raw: String?, db: any Database, console: any Console) async throws -> RegionCode {
        if let raw {
            guard let code = RegionCode(raw) else {
                throw AppError(.unprocessableEntity, "region.invalid", field: "region",
                               zh: "--region \(raw) 不是 12 位区划代码", en: "--region \(raw) is not a 12-digit region code")
            }
            guard try await Region.find(code.value, on: db) != nil else {
                throw AppError(.unprocessableEntity, "region.unknown", field: "region",
                               zh: "区划 \(code.value) 不在已导入的区划表中",
                               en: "Region \(code.value) is not in the imported division table")
            }
            console.print(try await regionLine(code, db: db))
            return code
        }
        var top = RegionCode.root
        while true {
            let children = try await Region.query(on: db).filter(\.$parentCode == top.value).limit(2).all()
            guard children.count == 1, let only = RegionCode(children[0].id ?? "") else { break }
            top = only
        }
        guard top != .root else {
            throw AppError(.unprocessableEntity, "region.required", field: "region",
                           zh: "区划表的顶层不止一个地区（或尚未导入），请用 --region 指定地区",
                           en: "The division table has no single top region; give --region")
        }
        console.print(try await regionLine(top, db: db))
        return top
    }

    /// `地区 region: 130100000000 石家庄市`, so the operator sees whose roll it is.
    static func regionLine(_ code: RegionCode, db: any Database) async throws -> String {
        let name = try await Region.find(code.value, on: db)?.name ?? ""
        return "地区 region: \(code.value) \(name)"
    }

    static func month(_ raw: String?) throws -> Month { try BenefitsAPI.month(raw) }
}

struct PaymentRunCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "month", help: "The month to pay, YYYY-MM (default: this month)") var month: String?
        @Option(name: "region", help: "This region's subtree (12-digit code; default: the top of the imported tree, if single)")
        var region: String?
    }
    var help: String { "Compute (or complete) a month's payment roll; safe to run again, resumes after a crash" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try await BenefitCommands.region(signature.region, db: app.db, console: context.console)
        let bar = ProgressBar(label: "发放 paying \(month)")
        let run = try await PaymentRuns.run(month: month, region: region, actor: "cli", db: app.db,
                                            today: app.yiyang.clock.today) { done, total in bar.update(done, max(total, done)) }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .paymentRunComputed, entityType: "payment_run", entityID: run.id?.uuidString,
                                        region: region.value, after: ["month": month.description, "payments": String(run.payments), "totalFen": String(run.totalFen)])
        context.console.print("\(month) \(region.value)：\(run.payments) 笔 payments，合计 total \(Fen.yuan(run.totalFen)) 元 yuan；状态 status \(run.status)")
        for line in try await PaymentRuns.summary(run, db: app.db) {
            context.console.print("  \(PaymentRuns.lineName(line.benefit, .zh)) \(line.benefit): \(line.payments) · \(Fen.yuan(line.fen))")
        }
        // Runs of regions above or below paid part of this region's month: say so, with the whole.
        let shares = try await PaymentRuns.regionMonth(of: run, db: app.db)
        if shares.contains(where: { !$0.isThisRun }) {
            context.console.print("本月本地区的全部发放 the region's whole month: \(shares.reduce(0) { $0 + $1.payments }) 笔 payments，合计 \(Fen.yuan(shares.reduce(0) { $0 + $1.totalFen })) 元")
            for s in shares {
                context.console.print("  \(s.regionName) \(s.regionCode) \(s.status)\(s.isThisRun ? "（本表 this run）" : ""): \(s.payments) · \(Fen.yuan(s.totalFen))")
            }
        }
    }
}

struct BenefitScanCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "month", help: "The month, YYYY-MM (default: this month)") var month: String?
        @Option(name: "region", help: "This region's subtree (default: the top of the imported tree, if single)") var region: String?
    }
    var help: String { "Find people who qualify but have no entitlement, and open cases for staff (免申即享)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try await BenefitCommands.region(signature.region, db: app.db, console: context.console)
        let bar = ProgressBar(label: "筛查 scanning \(month)")
        let opened = try await BenefitScan.run(month: month, scope: RegionScope(region: region), db: app.db) { done, total in bar.update(done, max(total, done)) }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .benefitScanRun, entityType: "benefit_case", entityID: nil,
                                        region: region.value, after: ["month": month.description, "opened": String(opened)])
        context.console.print("新发现 opened \(opened)")
    }
}

struct EntitlementReviewCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "month", help: "The month, YYYY-MM (default: this month)") var month: String?
        @Option(name: "region", help: "This region's subtree (default: the top of the imported tree, if single)") var region: String?
    }
    var help: String { "Decide every entitlement again: suspend what no longer holds (or is unverified), lift what holds again, new amounts" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try await BenefitCommands.region(signature.region, db: app.db, console: context.console)
        let bar = ProgressBar(label: "复核 reviewing \(month)")
        let o = try await EntitlementReview.run(month: month, scope: RegionScope(region: region), actor: "cli", db: app.db,
                                                today: app.yiyang.clock.today) { done, total in
            bar.update(done, max(total, done))
        }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .entitlementsReviewed, entityType: "entitlement", entityID: nil,
                                        region: region.value, after: o)
        context.console.print("复核 reviewed \(o.reviewed) · 暂停 suspended \(o.suspended) · 恢复 reactivated \(o.reactivated) · 金额调整 amounts \(o.amountChanged) · 待确认 to confirm \(o.confirmationsDue) · 待入户 to visit \(o.visitsDue)")
    }
}
