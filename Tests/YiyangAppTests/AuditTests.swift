@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Audit log")
struct AuditTests {
    @Test("sign-ins, account changes and imports are logged with actor, region, address and request id", arguments: TestDatabase.all)
    func whatIsLogged(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            _ = try await app.api(.POST, "/api/v1/users", token: admin, json: """
                {"username":"li.na","displayName":"李娜","regionCode":"130123100000","roles":["township"],"password":"Strong-Pass-2026"}
                """, headers: ["User-Agent": "AuditTest/1.0", "X-Request-Id": "req-123"])
            _ = try await app.testing().sendRequest(.POST, "/api/v1/regions/import",
                                                    headers: ["Authorization": "Bearer \(admin)", "Content-Type": "text/csv"],
                                                    body: .init(string: "130123100004,新村,220\n"))
            let res = try await app.api(.GET, "/api/v1/audit?per=100", token: admin)
            #expect(res.status == .ok)
            let page = try res.content.decode(Paged<AuditAPI.EntryView>.self)
            let actions = Set(page.items.map(\.action))
            #expect(actions.isSuperset(of: ["token.issued", "user.created", "regions.imported", "demo.loaded"]))
            let created = try #require(page.items.first { $0.action == "user.created" })
            #expect(created.actorUsername == "demo_admin")
            #expect(created.actorRoles == "admin")
            #expect(created.regionCode == "130123100000")
            #expect(created.userAgent == "AuditTest/1.0")
            #expect(created.requestId == "req-123")
            #expect(created.after?.contains("li.na") == true)

            let filtered = try await app.api(.GET, "/api/v1/audit?action=user.created&region=130123000000", token: admin)
            #expect(try filtered.content.decode(Paged<AuditAPI.EntryView>.self).total == 1)
            let badDate = try await app.api(.GET, "/api/v1/audit?from=2026-13-01", token: admin)
            #expect(badDate.status == .badRequest)
            #expect(badDate.apiError?.field == "from")
        }
    }

    @Test("exporting the log is itself logged, and the CSV is safe to open in a spreadsheet", arguments: TestDatabase.all)
    func export(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // A username that a spreadsheet would run as a formula.
            _ = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"=cmd|' /C calc'!A0","password":"x"}"#)
            try await app.makeUser("national", roles: [.admin], region: RegionCode.root.value)
            let admin = try await app.token("national")
            let res = try await app.api(.GET, "/api/v1/audit/export", token: admin)
            #expect(res.status == .ok)
            #expect(res.headers.contentType?.subType == "csv")
            #expect(res.headers.first(name: .contentDisposition)?.contains("attachment") == true)
            let csv = res.body.string
            #expect(csv.hasPrefix("\u{FEFF}时间（北京时间）"))
            #expect(csv.contains("'=cmd"))
            #expect(try await app.auditActions(.auditExported).count == 1)
            let township = try await app.token("demo_township")
            #expect(try await app.api(.GET, "/api/v1/audit/export", token: township).status == .forbidden)
        }
    }

    @Test("an entry cannot be changed or deleted, and no route offers to", arguments: TestDatabase.all)
    func appendOnly(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let entry = try #require(try await AuditEntry.query(on: app.db).first())
            entry.action = "forged"
            await #expect(throws: AppError.self) { try await entry.save(on: app.db) }
            await #expect(throws: AppError.self) { try await entry.delete(on: app.db) }
            let stored = try #require(try await AuditEntry.find(entry.id, on: app.db))
            #expect(stored.action != "forged")
            for route in app.routes.all where route.path.string.contains("audit") {
                #expect(route.method == .GET, "\(route.method) \(route.path.string) would change the audit log")
            }
        }
    }
}
