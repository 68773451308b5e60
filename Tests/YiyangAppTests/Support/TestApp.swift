@testable import YiyangApp
import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// The databases a test runs on: SQLite in memory always, PostgreSQL too when
/// `YIYANG_TEST_DATABASE_URL` is set (as `.ci/run` does).
enum TestDatabase: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static var all: [TestDatabase] {
        ProcessInfo.processInfo.environment["YIYANG_TEST_DATABASE_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// Runs `body` against a fresh, migrated application with the demo data loaded. On PostgreSQL
/// each run gets a schema of its own, dropped afterwards, so tests run side by side.
func withYiyang(_ db: TestDatabase, demo: Bool = true, config: ((inout AppConfig) -> Void)? = nil,
                _ body: (Application) async throws -> Void) async throws {
    if db == .postgres { await PostgresTestGate.shared.enter() }
    defer { if db == .postgres { Task { await PostgresTestGate.shared.leave() } } }
    let app = try await Application.make(.testing)
    // Request and migration lines would bury a failure's message in CI's output; warnings stay.
    app.logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    var schema: String? = nil
    do {
        var cfg = AppConfig(dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("yiyang-test-\(UUID().uuidString)"),
                            bcryptCost: 4, secretKey: Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
        config?(&cfg)
        switch db {
        case .sqlite:
            try await configure(app, config: cfg, database: .sqliteMemory)
        case .postgres:
            let url = ProcessInfo.processInfo.environment["YIYANG_TEST_DATABASE_URL"]!
            let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            schema = String(name)
            // Two connections per event loop: dozens of test apps run at once against one server.
            try await configure(app, config: cfg, database: .postgres(url: url, searchPath: [String(name)], connectionsPerEventLoop: 2))
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA \(ident: String(name))").run()
        }
        try await prepareDatabase(app)
        if demo { try await DemoData.loadIfEmpty(app) }
        try await body(app)
    } catch {
        // PostgreSQL errors hide their details from `description`; tests need them.
        if String(describing: type(of: error)).contains("PSQLError") { print("database error: \(String(reflecting: error))") }
        if let schema { try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
        try? await app.asyncShutdown()
        throw error
    }
    if let schema { try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
    try await app.asyncShutdown()
}

/// Swift Testing runs tests side by side; each PostgreSQL test app holds a pool of
/// connections, and a server allows 100 by default. At most this many apps are open at once.
actor PostgresTestGate {
    static let shared = PostgresTestGate(limit: 10)
    private let limit: Int
    private var open = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = limit }

    func enter() async {
        if open < limit { open += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { open -= 1 } else { waiting.removeFirst().resume() }
    }
}

extension Application {
    /// Signs in through the API and returns the bearer token.
    func token(_ username: String, _ password: String = DemoData.password) async throws -> String {
        let res = try await testing().sendRequest(.POST, "/api/v1/sessions", headers: ["Content-Type": "application/json"],
                                                  body: ByteBuffer(string: #"{"username":"\#(username)","password":"\#(password)"}"#))
        #expect(res.status == .created, "sign-in of \(username) failed: \(res.body.string)")
        return try res.content.decode(SessionsAPI.TokenAnswer.self).token
    }

    func api(_ method: HTTPMethod, _ path: String, token: String?, json: String? = nil, headers: HTTPHeaders = [:], body: String? = nil) async throws -> TestingHTTPResponse {
        var h = headers
        if let token { h.replaceOrAdd(name: .authorization, value: "Bearer \(token)") }
        if json != nil { h.replaceOrAdd(name: .contentType, value: "application/json") }
        return try await testing().sendRequest(method, path, headers: h, body: (json ?? body).map { ByteBuffer(string: $0) })
    }

    func user(_ username: String) async throws -> User {
        try #require(try await User.query(on: db).filter(\.$username == username).first())
    }

    /// An account created directly, for tests that need a role or region the demo lacks.
    @discardableResult
    func makeUser(_ username: String, roles: [Role], region: String, password: String = DemoData.password) async throws -> User {
        try await AccountService.create(.init(username: username, displayName: username, phone: nil, regionCode: region,
                                              roles: roles.map(\.rawValue), password: password),
                                        grantor: nil, on: db, app: self)
    }

    func auditActions(_ action: AuditAction) async throws -> [AuditEntry] {
        try await AuditEntry.query(on: db).filter(\.$action == action.rawValue).all()
    }
}

/// A browser: keeps cookies between requests and finds the CSRF token in forms.
final class Browser: @unchecked Sendable {
    let app: Application
    var cookies: [String: String] = [:]
    var headers: HTTPHeaders = [:]

    init(_ app: Application) { self.app = app }

    @discardableResult
    func get(_ path: String) async throws -> TestingHTTPResponse {
        try await send(.GET, path, body: nil, contentType: nil)
    }

    /// Posts a form; the CSRF token of the last page is added unless `csrf` says otherwise.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)], csrf: String? = nil, includeCSRF: Bool = true) async throws -> TestingHTTPResponse {
        var all = fields
        if includeCSRF { all.append(("_csrf", csrf ?? lastCSRF ?? "")) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: body, contentType: "application/x-www-form-urlencoded")
    }

    var lastCSRF: String?

    /// Posts a multipart form with one file, as a browser's upload does.
    @discardableResult
    func upload(_ path: String, fields: [(String, String)], file: (field: String, name: String, data: Data, type: String)) async throws -> TestingHTTPResponse {
        let boundary = "----yiyang\(UUID().uuidString)"
        var body = Data()
        for (k, v) in fields + [("_csrf", lastCSRF ?? "")] {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8))
        }
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.name)\"\r\nContent-Type: \(file.type)\r\n\r\n".utf8))
        body.append(file.data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        var h = headers
        if !cookies.isEmpty { h.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        h.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await app.testing().sendRequest(.POST, path, headers: h, body: ByteBuffer(data: body))
    }

    func send(_ method: HTTPMethod, _ path: String, body: String?, contentType: String?) async throws -> TestingHTTPResponse {
        var h = headers
        if !cookies.isEmpty { h.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let contentType { h.replaceOrAdd(name: .contentType, value: contentType) }
        let res = try await app.testing().sendRequest(method, path, headers: h, body: body.map { ByteBuffer(string: $0) })
        for header in res.headers[.setCookie] {
            let pair = header.split(separator: ";").first ?? ""
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 {
                if kv[1].isEmpty || header.contains("Max-Age=0") { cookies.removeValue(forKey: kv[0]) } else { cookies[kv[0]] = kv[1] }
            }
        }
        if let range = res.body.string.range(of: #"name="_csrf" value="([^"]+)""#, options: .regularExpression) {
            let match = res.body.string[range]
            lastCSRF = String(match.split(separator: "\"")[3])
        }
        return res
    }

    /// Opens the login page and signs in.
    func signIn(_ username: String, _ password: String = DemoData.password) async throws {
        try await get("/login")
        let res = try await post("/login", [("username", username), ("password", password), ("next", "/")])
        #expect(res.status == .seeOther, "web sign-in of \(username) failed: \(res.status) \(res.body.string.prefix(300))")
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

extension TestingHTTPResponse {
    /// The `{"error": {...}}` body of an API error.
    var apiError: (code: String, message: String, field: String?)? {
        guard let e = try? content.decode(AppErrorMiddleware.Body.self) else { return nil }
        return (e.error.code, e.error.message, e.error.field)
    }
}
