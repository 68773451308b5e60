import Vapor
import Logging
import YiyangDomain

/// The `yiyang` executable: configuration from the environment, then a subcommand
/// (serve by default, migrate, demo, user, regions, openapi).
public enum YiyangMain {
    public static func run() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)
        var args = env.arguments
        // `--demo` belongs to us, not to Vapor's serve command.
        let demo = args.contains("--demo")
        args.removeAll { $0 == "--demo" }
        args = mergeRepeated("--role", in: args)
        env.arguments = args

        let app = try await Application.make(env)
        do {
            let config = try AppConfig.fromEnvironment()
            try await configure(app, config: config)
            app.asyncCommands.use(MigrateCommand(), as: "migrate")
            app.asyncCommands.use(DemoCommand(), as: "demo")
            app.asyncCommands.use(UserCommands(), as: "user")
            app.asyncCommands.use(RegionCommands(), as: "regions")
            app.asyncCommands.use(ElderCommands(), as: "elders")
            app.asyncCommands.use(AssessmentCommands(), as: "assessments")
            app.asyncCommands.use(BenefitCommands(), as: "benefits")
            app.asyncCommands.use(BenchCommands(), as: "bench")
            app.asyncCommands.use(OpenAPICommand(), as: "openapi")

            let command = args.dropFirst().first ?? "serve"
            if command == "serve" || command.hasPrefix("-") {
                try await prepareDatabase(app)
                if demo {
                    if let loaded = try await DemoData.loadForServe(app) { app.logger.notice("demo data loaded: \(loaded)") }
                    if try await DemoData.isDemoInstallation(app.db) { print(DemoData.banner()) }
                }
                if let admin = try await AccountService.bootstrapAdministrator(app: app) {
                    print("""

                    ==== 初始管理员 FIRST ADMINISTRATOR (shown once) ====
                    用户名 username: \(admin.username)
                    密码 password:   \(admin.password)
                    首次登录后须修改密码 You must change it at the first sign-in.
                    =====================================================

                    """)
                }
                let where_ = app.databaseKind == .sqlite ? config.sqliteFile.path : "PostgreSQL"
                app.logger.notice("Yiyang data: \(where_)")
            }
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// `--role a --role b` → `--role a,b`, since the option parser keeps one value.
    static func mergeRepeated(_ flag: String, in args: [String]) -> [String] {
        var values: [String] = []
        var out: [String] = []
        var i = 0
        var firstIndex: Int? = nil
        while i < args.count {
            if args[i] == flag, i + 1 < args.count {
                if firstIndex == nil { firstIndex = out.count; out.append(flag); out.append("") }
                values.append(args[i + 1])
                i += 2
            } else {
                out.append(args[i])
                i += 1
            }
        }
        if let f = firstIndex { out[f + 1] = values.joined(separator: ",") }
        return out
    }
}
