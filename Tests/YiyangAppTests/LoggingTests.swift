@testable import YiyangApp
import Foundation
import Logging
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// A log handler that keeps every line, to check what reaches the logs.
final class CapturedLog: LogHandler, @unchecked Sendable {
    let lock = NSLock()
    private var storedLines: [String] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? { get { metadata[key] } set { metadata[key] = newValue } }

    func log(event: LogEvent) {
        lock.withLock { storedLines.append("\(event.message) \(event.metadata ?? [:])") }
    }

    var lines: [String] { lock.withLock { storedLines } }
}

struct UseCapturedLog: AsyncMiddleware {
    let log: CapturedLog
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        req.logger = Logger(label: "test") { _ in log }
        return try await next.respond(to: req)
    }
}

@Suite("Logs")
struct LoggingTests {
    @Test("a search by ID number or phone leaves neither in the request log", arguments: TestDatabase.all)
    func noPersonalDataInLogs(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19400512", 101)
            try await app.makeElder("张桂英", id: id, region: "130102001001", phone: "13800138000")
            let log = CapturedLog()
            // The capture goes in front of everything, as the request log is.
            app.middleware = .init()
            app.middleware.use(UseCapturedLog(log: log))
            app.middleware.use(RequestLogMiddleware(level: .info))
            app.middleware.use(AppErrorMiddleware())
            let token = try await app.token("demo_township")
            let res = try await app.api(.GET, "/api/v1/elders?q=\(id)", token: token)
            #expect(try res.content.decode(Paged<ElderView>.self).total == 1)
            _ = try await app.api(.GET, "/api/v1/elders?q=13800138000", token: token)
            #expect(log.lines.contains { $0.contains("GET /api/v1/elders 200") })
            #expect(!log.lines.contains { $0.contains(id) || $0.contains("13800138000") }, "\(log.lines)")
        }
    }
}
