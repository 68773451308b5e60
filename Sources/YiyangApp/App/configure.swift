import Fluent
import FluentSQLiteDriver
import FluentPostgresDriver
import Leaf
import LeafKit
import SQLKit
import Vapor
import YiyangDomain

/// Which database to use. Production reads it from the configuration; tests pick their own.
public enum DatabaseChoice: Sendable {
    case sqliteFile(URL)
    case sqliteMemory
    /// `searchPath` puts every table of this app in one schema, so test runs stay apart.
    /// `connectionsPerEventLoop`: 4 for a server; tests, many apps at once, use fewer.
    case postgres(url: String, searchPath: [String]?, connectionsPerEventLoop: Int = 4)

    var kind: DatabaseKind {
        switch self {
        case .sqliteFile, .sqliteMemory: .sqlite
        case .postgres: .postgresql
        }
    }
}

extension Application {
    private struct KindKey: StorageKey { typealias Value = DatabaseKind }
    var databaseKind: DatabaseKind {
        get { storage[KindKey.self] ?? .sqlite }
        set { storage[KindKey.self] = newValue }
    }
}

/// Sets up an application: database, migrations, templates, middleware and routes.
public func configure(_ app: Application, config: AppConfig, database: DatabaseChoice? = nil) async throws {
    app.yiyang = config
    let choice = database ?? (config.databaseURL.map { .postgres(url: $0, searchPath: nil) } ?? .sqliteFile(config.sqliteFile))
    if case .sqliteMemory = choice {
        app.secret = SymmetricKeyBox(bytes: config.secretKey ?? Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
    } else if case .postgres = choice, config.secretKey == nil, database != nil {
        // A test database: a key of its own, nothing written to disk.
        app.secret = SymmetricKeyBox(bytes: Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
    } else {
        app.secret = SymmetricKeyBox(bytes: try DataDirectory.prepare(config))
    }

    app.databaseKind = choice.kind
    switch choice {
    case .sqliteFile(let url):
        app.databases.use(.sqlite(.file(url.path)), as: .sqlite)
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory), as: .sqlite)
    case .postgres(let url, let searchPath, let connections):
        var pg = try SQLPostgresConfiguration(url: url)
        pg.searchPath = searchPath
        app.databases.use(.postgres(configuration: pg, maxConnectionsPerEventLoop: connections), as: .psql)
    }
    app.databases.middleware.use(AuditAppendOnly())
    app.databases.middleware.use(AssessmentResultsAreFinal())
    app.databases.middleware.use(PaymentsAreFinal())

    Migrations.register(on: app)

    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    // Made here, before requests run side by side: application storage is not for concurrent writes.
    _ = app.loginAttemptGate

    app.views.use(.leaf)
    do {
        let views = Bundle.module.bundleURL.appendingPathComponent("Resources/Views").path
        // Not `.default`: it refuses paths with a hidden folder, and SwiftPM builds into `.build`.
        app.leaf.sources = .singleSource(NIOLeafFiles(fileio: app.fileio, limits: [.toSandbox, .requireExtensions, .onlyLeafExtensions], sandboxDirectory: views, viewDirectory: views))
    }
    app.leaf.cache.isEnabled = app.environment.isRelease || app.environment == .production

    if let host = Environment.get("HOST"), !host.isEmpty { app.http.server.configuration.hostname = host }
    if let port = Environment.get("PORT").flatMap(Int.init) { app.http.server.configuration.port = port }

    app.middleware = .init()
    app.middleware.use(RequestLogMiddleware(level: .info))
    app.middleware.use(AppErrorMiddleware())

    try routes(app)
}

enum Migrations {
    static func register(on app: Application) {
        app.migrations.add(CreateRegions())
        app.migrations.add(CreateAccounts())
        app.migrations.add(CreateAuditEntries())
        app.migrations.add(CreateFoundationIndexes())
        app.migrations.add(CreateRegistry())
        app.migrations.add(GrantNewPermissions(permissions: [.registryEdit, .registryImport, .personalDataUnmask], version: "006"))
        app.migrations.add(CreateAssessment())
        app.migrations.add(GrantNewPermissions(permissions: [.assessmentManage, .assessmentPerform], version: "008"))
        app.migrations.add(CreateBenefits())
        app.migrations.add(GrantNewPermissions(permissions: [.benefitsManage], version: "010"))
        app.migrations.add(AddBenefitApplications())
        app.migrations.add(CreateLiveness())
        app.migrations.add(CreatePaymentAdjustments())
        app.migrations.add(CreateFamilyLinks())
        app.migrations.add(CreateHomeServices())
        app.migrations.add(GrantNewPermissions(permissions: [.servicesManage, .servicesDispatch, .servicesVisit, .servicesMeals], version: "016"))
        app.migrations.add(AddPaymentRunProgress())
        app.migrations.add(CreateInstitutions())
        app.migrations.add(GrantNewPermissions(permissions: [.institutionsManage], version: "019"))
        app.migrations.add(AuditEntriesAppendOnlyInDatabase())
        app.migrations.add(CreateLoginThrottles())
        app.migrations.add(CreateElderTransfers())
        app.migrations.add(AddPaymentBasis())
        app.migrations.add(CreateInstitutionAccounts())
        app.migrations.add(CaregiverBookingsInFiveMinutes())
    }
}

/// Runs the migrations, and on SQLite switches the file to write-ahead logging so readers do
/// not wait for a writer. sqlite-nio installs a busy handler that retries while another
/// connection holds the lock, so a busy database waits instead of failing.
public func prepareDatabase(_ app: Application) async throws {
    if app.databaseKind == .sqlite, let sql = app.db as? any SQLDatabase {
        try await sql.raw("PRAGMA journal_mode=WAL").run()
    }
    try await app.autoMigrate()
    if app.databaseKind == .sqlite, let sql = app.db as? any SQLDatabase {
        try await SQLiteConnections.configure(app)
        // Refreshes planner statistics where they are stale; cheap when they are not.
        try await sql.raw("PRAGMA optimize").run()
    }
}

/// Settings that belong to an SQLite connection, not to the file: set on one connection they
/// leave the others at the defaults. FluentSQLiteDriver keeps one connection per event loop,
/// so each loop's database gets them.
enum SQLiteConnections {
    static func configure(_ app: Application) async throws {
        for loop in app.eventLoopGroup.makeIterator() {
            guard let sql = app.databases.database(logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            // With WAL, NORMAL loses no committed data when the process dies, only on a power
            // cut, and spares an fsync a commit; left at FULL on some connections, their writes
            // (and every writer waiting behind them) were far slower.
            try await sql.raw("PRAGMA synchronous=NORMAL").run()
            // A writer that finds another writing sleeps and retries (1, 2, 5, 10… ms) instead
            // of sqlite-nio's handler, which retries at once in a loop and so takes the CPU
            // from the writer it waits for.
            try await sql.raw("PRAGMA busy_timeout=10000").run()
        }
    }
}
