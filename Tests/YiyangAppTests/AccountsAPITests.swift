@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Account administration")
struct AccountsAPITests {
    @Test("an administrator creates, changes, disables and re-enables an account, all audited", arguments: TestDatabase.all)
    func lifecycle(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            let create = try await app.api(.POST, "/api/v1/users", token: admin, json: """
                {"username":"wang.li","displayName":"王丽","phone":"13912345678","regionCode":"130108002000","roles":["township"],"password":"Strong-Pass-2026"}
                """)
            #expect(create.status == .created)
            let view = try create.content.decode(AccountService.View.self)
            #expect(view.phone == "139****5678")
            #expect(view.roles == ["township"])

            let duplicate = try await app.api(.POST, "/api/v1/users", token: admin, json: """
                {"username":"wang.li","displayName":"王丽","regionCode":"130108002000","roles":["township"],"password":"Strong-Pass-2026"}
                """)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.apiError?.field == "username")

            let token = try await app.token("wang.li", "Strong-Pass-2026")
            let patch = try await app.api(.PATCH, "/api/v1/users/\(view.id)", token: admin, json: #"{"enabled":false,"displayName":"王丽丽"}"#)
            #expect(patch.status == .ok)
            #expect(try patch.content.decode(AccountService.View.self).enabled == false)
            // Disabling signs the account out everywhere and keeps it out.
            #expect(try await app.api(.GET, "/api/v1/me", token: token).status == .unauthorized)
            let again = try await app.api(.POST, "/api/v1/sessions", token: nil, json: #"{"username":"wang.li","password":"Strong-Pass-2026"}"#)
            #expect(again.status == .forbidden)
            #expect(again.apiError?.code == "auth.account_disabled")

            _ = try await app.api(.PATCH, "/api/v1/users/\(view.id)", token: admin, json: #"{"enabled":true}"#)
            _ = try await app.token("wang.li", "Strong-Pass-2026")

            let created = try await app.auditActions(.userCreated)
            #expect(created.count == 1)
            #expect(created[0].afterJSON?.contains("139****5678") == true, "the audit log keeps personal data masked")
            let disabled = try #require(try await app.auditActions(.userDisabled).first)
            #expect(disabled.beforeJSON?.contains("\"displayName\":\"王丽\"") == true)
            #expect(disabled.afterJSON?.contains("\"displayName\":\"王丽丽\"") == true)
            #expect(disabled.actorUsername == "demo_admin")
            #expect(try await app.auditActions(.userEnabled).count == 1)
        }
    }

    @Test("bad account input names every broken field", arguments: TestDatabase.all)
    func validation(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            let res = try await app.api(.POST, "/api/v1/users", token: admin, json: """
                {"username":"1x","displayName":"","phone":"12345","regionCode":"130108002000","roles":["wizard"],"password":"abc"}
                """)
            #expect(res.status == .unprocessableEntity)
            let body = try res.content.decode(AppErrorMiddleware.Body.self)
            let fields = Set(body.error.details?.compactMap(\.field) ?? [])
            #expect(fields == ["username", "displayName", "phone", "roles", "password"])
            #expect(try await User.query(on: app.db).filter(\.$username == "1x").count() == 0)
        }
    }

    @Test("nobody places an account outside their region or grants powers they lack", arguments: TestDatabase.all)
    func scopeAndGrant(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // A county administrator of 长安区 cannot create accounts in 裕华区.
            try await app.makeUser("county_admin", roles: [.admin], region: "130102000000")
            let countyAdmin = try await app.token("county_admin")
            let outside = try await app.api(.POST, "/api/v1/users", token: countyAdmin, json: """
                {"username":"outsider","displayName":"外区","regionCode":"130108001000","roles":["community"],"password":"Strong-Pass-2026"}
                """)
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.apiError?.code == "region.out_of_scope")

            // A bureau account allowed to manage users still cannot hand out the admin role.
            let admin = try await app.token("demo_admin")
            let bureauPermissions = PermissionTable.defaults[.bureau]!.union([.usersManage]).map { "\"\($0.rawValue)\"" }
            let grant = try await app.api(.PUT, "/api/v1/roles/bureau/permissions", token: admin,
                                          json: #"{"permissions":[\#(bureauPermissions.joined(separator: ","))]}"#)
            #expect(grant.status == .ok)
            let bureau = try await app.token("demo_bureau")
            let escalate = try await app.api(.POST, "/api/v1/users", token: bureau, json: """
                {"username":"sneaky","displayName":"越权","regionCode":"130102001000","roles":["admin"],"password":"Strong-Pass-2026"}
                """)
            #expect(escalate.status == .forbidden)
            #expect(escalate.apiError?.code == "roles.beyond_grantor")
            let fine = try await app.api(.POST, "/api/v1/users", token: bureau, json: """
                {"username":"grid.worker","displayName":"网格员","regionCode":"130102001001","roles":["community"],"password":"Strong-Pass-2026"}
                """)
            #expect(fine.status == .created)
            #expect(try await app.auditActions(.rolePermissionsChanged).count == 1)
        }
    }

    @Test("the permission table is data: removing a permission takes effect at once", arguments: TestDatabase.all)
    func permissionTableIsData(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let township = try await app.token("demo_township")
            #expect(try await app.api(.GET, "/api/v1/regions", token: township).status == .ok)
            let admin = try await app.token("demo_admin")
            let res = try await app.api(.PUT, "/api/v1/roles/township/permissions", token: admin, json: #"{"permissions":["registry.use"]}"#)
            #expect(res.status == .ok)
            let denied = try await app.api(.GET, "/api/v1/regions", token: township)
            #expect(denied.status == .forbidden)
            #expect(denied.apiError?.code == "auth.forbidden")
            // The admin role cannot be stripped of account and role administration.
            let lockout = try await app.api(.PUT, "/api/v1/roles/admin/permissions", token: admin, json: #"{"permissions":["regions.view"]}"#)
            #expect(lockout.status == .unprocessableEntity)
            let unknown = try await app.api(.PUT, "/api/v1/roles/township/permissions", token: admin, json: #"{"permissions":["fly"]}"#)
            #expect(unknown.apiError?.field == "permissions")
        }
    }
}
