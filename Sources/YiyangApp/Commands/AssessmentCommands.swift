import Fluent
import Vapor
import YiyangDomain

/// `yiyang assessments request-due [--region CODE]`: the monthly run that opens a request for
/// everyone due, so no one waits to be noticed.
struct AssessmentCommands: AsyncCommandGroup {
    var help: String { "Capability assessment" }
    var commands: [String: any AnyAsyncCommand] { ["request-due": RequestDueCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }
}

struct RequestDueCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "region", help: "Only this region's subtree (12-digit code)") var region: String?
    }
    var help: String { "Open an assessment request for everyone on the due list who has none (safe to run again)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        let bar = ProgressBar(label: "待评估 due")
        let opened = try await AssessmentDueRequests.run(scope: RegionScope(region: .root), region: signature.region, actor: "cli", db: app.db) { done, total in
            bar.update(done, max(total, done))
        }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .assessmentRequested, entityType: "assessment", entityID: nil,
                                        region: signature.region ?? RegionCode.root.value, after: ["automatic": String(opened)])
        context.console.print("已发起评估申请 opened \(opened)")
    }
}
