@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Sign-in, tokens, lockout")
struct SessionsAPITests {
    @Test("health answers after a database round trip", arguments: TestDatabase.all)
    func health(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let res = try await app.api(.GET, "/healthz", token: nil)
            #expect(res.status == .ok)
            let h = try res.content.decode(Health.self)
            #expect(h.status == "ok")
            #expect(h.database == (db == .sqlite ? "sqlite" : "postgresql"))
        }
    }

    @Test("a token signs in, reads /me, and stops working once revoked", arguments: TestDatabase.all)
    func tokenLifecycle(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let res = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"demo_township","password":"Demo@Yiyang2026"}"#)
            #expect(res.status == .created)
            let answer = try res.content.decode(SessionsAPI.TokenAnswer.self)
            #expect(answer.expiresAt > Date().addingTimeInterval(3600))
            #expect(answer.user.username == "demo_township")
            #expect(answer.user.phone?.contains("****") == true, "phones are masked")

            let me = try await app.api(.GET, "/api/v1/me", token: answer.token)
            #expect(me.status == .ok)
            let body = try me.content.decode(MeAPI.MeAnswer.self)
            #expect(body.user.regionCode == "130102001000")
            #expect(body.permissions.contains("regions.view"))

            let del = try await app.api(.DELETE, "/api/v1/sessions/current", token: answer.token)
            #expect(del.status == .noContent)
            let after = try await app.api(.GET, "/api/v1/me", token: answer.token)
            #expect(after.status == .unauthorized)
            #expect(after.apiError?.code == "auth.token_invalid")
            #expect(try await app.auditActions(.tokenRevoked).count == 1)
        }
    }

    @Test("an expired token is refused", arguments: TestDatabase.all)
    func expiredToken(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_bureau")
            try await AuthSession.query(on: app.db).set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            let res = try await app.api(.GET, "/api/v1/me", token: token)
            #expect(res.status == .unauthorized)
            #expect(res.apiError?.code == "auth.token_invalid")
            #expect(res.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
        }
    }

    @Test("a wrong password is refused in the caller's language and audited", arguments: TestDatabase.all)
    func wrongPassword(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let zh = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"demo_bureau","password":"nope-Nope-1"}"#)
            #expect(zh.status == .unauthorized)
            #expect(zh.apiError?.code == "auth.invalid_credentials")
            #expect(zh.apiError?.message == "用户名或密码不正确")
            #expect(zh.apiError?.field == "password")

            let en = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"demo_bureau","password":"nope-Nope-1"}"#,
                                       headers: ["Accept-Language": "en-US,en;q=0.9"])
            #expect(en.apiError?.message == "Wrong username or password")

            // An unknown username gets the same answer: no hint which names exist.
            let unknown = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"nobody","password":"nope-Nope-1"}"#)
            #expect(unknown.status == .unauthorized)
            #expect(unknown.apiError?.code == "auth.invalid_credentials")

            #expect(try await app.auditActions(.loginFailed).count == 3)
            #expect(try await AuthSession.query(on: app.db).count() == 0, "no session was opened")
        }
    }

    @Test("a JSON body of the wrong shape names the field and changes nothing", arguments: TestDatabase.all)
    func malformedBodies(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let notJSON = try await app.api(.POST, "/api/v1/sessions", token: nil, json: "{username:")
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.apiError?.code == "body.malformed")

            let wrongType = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username": 42, "password": "x"}"#)
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.apiError?.code == "body.field_type")
            #expect(wrongType.apiError?.field == "username")

            let missing = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username": "demo_admin"}"#,
                                            headers: ["Accept-Language": "en"])
            #expect(missing.status == .badRequest)
            #expect(missing.apiError?.field == "password")
            #expect(missing.apiError?.message == "Field password is missing")
            #expect(try await AuthSession.query(on: app.db).count() == 0)
        }
    }

    @Test("an account whose password was reset can do nothing but change it", arguments: TestDatabase.all)
    func mustChangePassword(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            let target = try await app.user("demo_assessor")
            let reset = try await app.api(.POST, "/api/v1/users/\(target.id!)/password-reset", token: admin)
            #expect(reset.status == .ok)
            let temporary = try reset.content.decode(UsersAPI.ResetAnswer.self).temporaryPassword

            let old = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"demo_assessor","password":"Demo@Yiyang2026"}"#)
            #expect(old.status == .unauthorized)
            let token = try await app.token("demo_assessor", temporary)
            let blocked = try await app.api(.GET, "/api/v1/regions", token: token)
            #expect(blocked.status == .forbidden)
            #expect(blocked.apiError?.code == "auth.password_change_required")

            let weak = try await app.api(.PUT, "/api/v1/me/password", token: token, json: #"{"currentPassword":"\#(temporary)","newPassword":"short"}"#)
            #expect(weak.status == .unprocessableEntity)
            #expect(weak.apiError?.field == "newPassword")

            let ok = try await app.api(.PUT, "/api/v1/me/password", token: token, json: #"{"currentPassword":"\#(temporary)","newPassword":"Fresh-Passw0rd-9"}"#)
            #expect(ok.status == .noContent)
            let now = try await app.api(.GET, "/api/v1/regions", token: token)
            #expect(now.status == .ok)
            _ = try await app.token("demo_assessor", "Fresh-Passw0rd-9")
            #expect(try await app.auditActions(.passwordChanged).count == 1)
            #expect(try await app.auditActions(.passwordReset).count == 1)
        }
    }
}
