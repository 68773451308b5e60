import Fluent
import Vapor
import YiyangDomain

/// `yiyang migrate`: brings the database schema up to date, without asking.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Run the database migrations (also done by serve on start)" }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await prepareDatabase(context.application)
        context.console.print("迁移完成 Migrations done (\(context.application.databaseKind.rawValue))")
    }
}

/// `yiyang demo [--elders N] [--seed S]`: the demo data set if the database is empty, then N
/// synthetic elderly people.
struct DemoCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "elders", help: "Add this many synthetic elderly people") var elders: Int?
        @Option(name: "seed", help: "Seed of the generator (default 1): the same seed gives the same people") var seed: Int?
    }
    var help: String { "Load the demo data set (regions, one account per role) into an empty database; --elders N adds synthetic people" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        if try await DemoData.loadIfEmpty(app) {
            context.console.print(DemoData.banner())
        } else if signature.elders == nil {
            context.console.print("数据库不为空，未载入演示数据 The database is not empty; demo data not loaded")
        }
        if let n = signature.elders, n > 0 {
            let start = Date()
            let report = try await DemoElders.add(n, seed: UInt64(signature.seed ?? 1), app: app, progress: ProgressBar(label: "生成 generating"))
            let seconds = Date().timeIntervalSince(start)
            context.console.print("新登记 \(report.imported) · 已有 \(report.unchanged + report.updated) · 拒绝 \(report.rejected) — \(String(format: "%.1f", seconds)) s, \(Int(Double(n) / max(seconds, 0.001))) rows/s")
            let assessments = try await DemoAssessments.add(seed: UInt64(signature.seed ?? 1), app: app)
            context.console.print("演示评估 demo assessments: \(assessments)")
            context.console.print("演示服务订单 demo service orders: \(try await DemoServices.add(seed: UInt64(signature.seed ?? 1), app: app))")
            context.console.print("演示养老机构入住 demo institution residents: \(try await DemoInstitutions.add(app: app))")
            let history = try await DemoHistory.add(seed: UInt64(signature.seed ?? 1), app: app)
            context.console.print("演示历史 demo history: \(history.entitlements) entitlements, "
                                  + "\(history.approvedRuns) approved payment runs, \(history.statements) statements, "
                                  + "\(history.returnVisits) return visits, \(history.complaints) complaints")
        }
    }
}

/// `yiyang user create …` and `yiyang user reset-password …`.
struct UserCommands: AsyncCommandGroup {
    var help: String { "Manage accounts from the command line" }
    var commands: [String: any AnyAsyncCommand] {
        ["create": CreateUserCommand(), "reset-password": ResetPasswordCommand()]
    }
    var defaultCommand: (any AnyAsyncCommand)? { nil }
}

struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username", help: "Login name") var username: String?
        @Option(name: "role", help: "Role code; repeat --role for several (admin, bureau, township, …)") var role: String?
        @Option(name: "region", help: "12-digit region code") var region: String?
        @Option(name: "display-name", help: "Name shown on pages (default: the username)") var displayName: String?
        @Option(name: "phone", help: "Phone number") var phone: String?
    }
    var help: String { "Create an account; the password is read from standard input" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        guard let username = signature.username, let roles = signature.role, let region = signature.region else {
            throw ConfigError(message: "usage: yiyang user create --username NAME --role CODE [--role CODE …] --region CODE < password")
        }
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            throw ConfigError(message: "the password is read from standard input, and none was given")
        }
        // A refused account (weak password, unknown role…) fails with the API's words and code (`CommandFailure`).
        let user = try await AccountService.create(
            .init(username: username, displayName: signature.displayName ?? username, phone: signature.phone,
                  regionCode: region, roles: roles.split(separator: ",").map(String.init), password: password),
            grantor: nil, on: app.db, app: app)
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .userCreated, entityType: "user",
                                        entityID: user.id?.uuidString, region: user.regionCode,
                                        after: AccountService.view(user, roles: roles.split(separator: ",").compactMap { Role(rawValue: String($0)) }))
        context.console.print("已创建 Created \(user.username) (\(user.id!.uuidString))")
    }
}

struct ResetPasswordCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username", help: "Login name") var username: String?
    }
    var help: String { "Set a random temporary password (printed once) and unlock the account" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        guard let name = signature.username?.lowercased(),
              let user = try await User.query(on: app.db).filter(\.$username == name).first() else {
            throw ConfigError(message: "no such account")
        }
        let password = AccountService.randomPassword()
        user.passwordHash = try await app.password.async.hash(password)
        user.mustChangePassword = true
        user.failedLogins = 0
        user.lockedUntil = nil
        user.enabled = true
        try await user.save(on: app.db)
        try await LoginThrottles(db: app.db, policy: app.yiyang.throttlePolicy).clearAccount(user.username)
        try await SignIn.revokeAll(userID: user.requireID(), on: app.db)
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .passwordReset, entityType: "user",
                                        entityID: user.id?.uuidString, region: user.regionCode, after: ["mustChangePassword": true])
        context.console.print("临时密码 Temporary password for \(user.username): \(password)")
    }
}

/// `yiyang regions import FILE.csv`
struct RegionCommands: AsyncCommandGroup {
    var help: String { "Region code table" }
    var commands: [String: any AnyAsyncCommand] { ["import": ImportRegionsCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }
}

struct ImportRegionsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "CSV with columns code,name[,class]") var file: String
    }
    var help: String { "Load the official division table; bad rows are listed with their line numbers" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        guard let data = FileManager.default.contents(atPath: signature.file) else {
            throw ConfigError(message: "cannot read \(signature.file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(message: "\(signature.file) is not UTF-8; convert it first (e.g. iconv -f GB18030 -t UTF-8)")
        }
        let bar = ProgressBar(label: "导入 importing")
        let report = try await RegionImporter.run(csv: text, scope: nil, locale: .zh, on: app.db) { done, total in bar.update(done, total) }
        bar.finish()
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .regionsImported, entityType: "region", entityID: signature.file,
                                        region: RegionCode.root.value, after: ImportAuditSummary(report))
        context.console.print("新增 inserted \(report.inserted) · 更新 updated \(report.updated) · 未变 unchanged \(report.unchanged) · 拒绝 rejected \(report.rejected)")
        if !report.unknownColumns.isEmpty {
            context.console.print("未识别的列 unknown columns: \(report.unknownColumns.joined(separator: ", "))")
        }
        for e in report.errors {
            context.console.print("第 \(e.line) 行 line \(e.line): [\(e.field)] \(e.code) — \(e.message)")
        }
    }
}

/// `yiyang openapi`: prints the OpenAPI document, for validators and client generators.
struct OpenAPICommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Print the OpenAPI 3.1 document" }
    func run(using context: CommandContext, signature: Signature) async throws {
        print(try OpenAPIDocument.json())
    }
}

/// A one-line progress bar on standard error, so piping the summary stays clean.
final class ProgressBar: @unchecked Sendable {
    let label: String
    private var last = -1
    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard total > 0 else { return }
        let pct = min(100, done * 100 / total)
        guard pct != last else { return }
        last = pct
        let filled = pct / 4
        let line = "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 25 - filled) + "] \(pct)% \(done)/\(total)"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if last >= 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
