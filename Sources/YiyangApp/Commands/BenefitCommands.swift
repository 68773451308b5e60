import Fluent
import Vapor
import YiyangDomain

/// `yiyang benefits run --month 2026-12 [--region CODE]` and `yiyang benefits scan --month …`.
struct BenefitCommands: AsyncCommandGroup {
    var help: String { "Benefits: the proactive scan and the monthly payment run" }
    var commands: [String: any AnyAsyncCommand] { ["run": PaymentRunCommand(), "scan": BenefitScanCommand(), "review": EntitlementReviewCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }

    static func region(_ raw: String?) throws -> RegionCode {
        guard let raw else { return .root }
        guard let code = RegionCode(raw) else { throw ConfigError(message: "--region \(raw) is not a 12-digit region code") }
        return code
    }

    static func month(_ raw: String?) throws -> Month {
        guard let raw else { return .current() }
        guard let m = Month(raw) else { throw ConfigError(message: "--month \(raw) is not YYYY-MM") }
        return m
    }
}

struct PaymentRunCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "month", help: "The month to pay, YYYY-MM (default: this month)") var month: String?
        @Option(name: "region", help: "Only this region's subtree (12-digit code; default: everything)") var region: String?
    }
    var help: String { "Compute (or complete) a month's payment roll; safe to run again, resumes after a crash" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try BenefitCommands.region(signature.region)
        let bar = ProgressBar(label: "发放 paying \(month)")
        let run = try await PaymentRuns.run(month: month, region: region, actor: "cli", db: app.db) { done, total in bar.update(done, max(total, done)) }
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
        @Option(name: "region", help: "Only this region's subtree") var region: String?
    }
    var help: String { "Find people who qualify but have no entitlement, and open cases for staff (免申即享)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try BenefitCommands.region(signature.region)
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
        @Option(name: "region", help: "Only this region's subtree") var region: String?
    }
    var help: String { "Decide every entitlement again: suspend what no longer holds (or is unverified), lift what holds again, new amounts" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let month = try BenefitCommands.month(signature.month)
        let region = try BenefitCommands.region(signature.region)
        let bar = ProgressBar(label: "复核 reviewing \(month)")
        let o = try await EntitlementReview.run(month: month, scope: RegionScope(region: region), actor: "cli", db: app.db) { done, total in
            bar.update(done, max(total, done))
        }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .entitlementsReviewed, entityType: "entitlement", entityID: nil,
                                        region: region.value, after: o)
        context.console.print("复核 reviewed \(o.reviewed) · 暂停 suspended \(o.suspended) · 恢复 reactivated \(o.reactivated) · 金额调整 amounts \(o.amountChanged) · 待确认 to confirm \(o.confirmationsDue) · 待入户 to visit \(o.visitsDue)")
    }
}
