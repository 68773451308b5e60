import Fluent
import SQLKit
import Vapor
import Crypto
import YiyangDomain

/// Who is making this request: the signed-in account with its region, roles and permissions,
/// resolved once per request by `AuthenticationMiddleware`.
struct Actor: Sendable {
    var userID: UUID
    var username: String
    var displayName: String
    var region: RegionCode
    var roles: [Role]
    var permissions: Set<Permission>
    var sessionID: UUID
    var via: AuthSession.Kind
    var csrfToken: String?
    var mustChangePassword: Bool
    var isDemo: Bool
    var locale: String

    func has(_ p: Permission) -> Bool { permissions.contains(p) }

    var roleCodes: String { roles.map(\.rawValue).joined(separator: ",") }
}

extension Request {
    private struct ActorKey: StorageKey { typealias Value = Actor }

    var actor: Actor? {
        get { storage[ActorKey.self] }
        set { storage[ActorKey.self] = newValue }
    }

    func requireActor() throws -> Actor {
        guard let a = actor else { throw AppError.unauthenticated }
        return a
    }

    @discardableResult
    func require(_ permission: Permission) throws -> Actor {
        let a = try requireActor()
        guard a.has(permission) else { throw AppError.forbidden(permission) }
        return a
    }
}

/// Secrets for sessions and tokens: 32 random bytes, base64url; stored only as an HMAC keyed
/// with the platform secret.
enum SessionSecrets {
    static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String, key: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: key))
        return Data(mac).hexString
    }
}

/// Loads the roles and permissions of an account from the permission table.
enum PermissionLookup {
    static func roles(of userID: UUID, on db: any Database) async throws -> [Role] {
        try await UserRole.query(on: db).filter(\.$user.$id == userID).all()
            .compactMap { Role(rawValue: $0.role) }
            .sorted { Role.allCases.firstIndex(of: $0)! < Role.allCases.firstIndex(of: $1)! }
    }

    static func permissions(of roles: [Role], on db: any Database) async throws -> Set<Permission> {
        guard !roles.isEmpty else { return [] }
        let rows = try await RolePermission.query(on: db).filter(\.$role ~~ roles.map(\.rawValue)).all()
        return Set(rows.compactMap { Permission(rawValue: $0.permission) })
    }
}

/// Resolves the bearer token (API) or the session cookie (web) into an `Actor`. It never
/// rejects a request itself: routes that need an account say so with `RequireAccount`.
struct AuthenticationMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let token: String?
        let kind: AuthSession.Kind
        if let bearer = req.headers.bearerAuthorization?.token {
            token = bearer
            kind = .api
        } else if !req.isAPI, let cookie = req.cookies[WebCookie.session]?.string {
            token = cookie
            kind = .web
        } else {
            token = nil
            kind = .web
        }
        if let token, !token.isEmpty {
            req.actor = try await Self.resolve(token: token, kind: kind, on: req)
            if req.actor == nil, kind == .api {
                // A bearer token that is unknown, expired or revoked is an error, not anonymity.
                throw AppError(.unauthorized, "auth.token_invalid",
                               zh: "令牌无效、已过期或已注销，请重新登录", en: "The token is invalid, expired or revoked; sign in again")
            }
        }
        return try await next.respond(to: req)
    }

    static func resolve(token: String, kind: AuthSession.Kind, on req: Request) async throws -> Actor? {
        let hash = SessionSecrets.hash(token, key: req.application.secret.bytes)
        // Both supported databases speak SQL; another driver would sign nobody in.
        guard let sql = req.db as? any SQLDatabase else { return nil }
        // Every request pays for this, so it is one statement written out: the session, its
        // account, and the account's roles with their permissions (a row per pair; a role
        // without permissions still counts as held).
        let rows = try await sql.raw("""
            SELECT s.id AS sid, s.expires_at, s.revoked_at, s.csrf_token,
                   u.id AS uid, u.username, u.display_name, u.region_code, u.enabled, u.must_change_password, u.is_demo, u.locale,
                   ur.role, rp.permission
            FROM auth_sessions s
            JOIN users u ON u.id = s.user_id
            LEFT JOIN user_roles ur ON ur.user_id = u.id
            LEFT JOIN role_permissions rp ON rp.role = ur.role
            WHERE s.token_hash = \(bind: hash) AND s.kind = \(bind: kind.rawValue)
            """).all()
        guard let first = rows.first else { return nil }
        guard try first.decode(column: "revoked_at", as: Date?.self) == nil,
              try first.decode(column: "expires_at", as: Date.self) > Date(),
              try first.decode(column: "enabled", as: Bool.self),
              let region = RegionCode(try first.decode(column: "region_code", as: String.self))
        else { return nil }
        var roles = Set<Role>(), permissions = Set<Permission>()
        for row in rows {
            if let r = try row.decode(column: "role", as: String?.self).flatMap(Role.init(rawValue:)) { roles.insert(r) }
            if let p = try row.decode(column: "permission", as: String?.self).flatMap(Permission.init(rawValue:)) { permissions.insert(p) }
        }
        return Actor(userID: try first.decode(column: "uid", as: UUID.self), username: try first.decode(column: "username", as: String.self),
                     displayName: try first.decode(column: "display_name", as: String.self),
                     region: region, roles: Role.allCases.filter(roles.contains), permissions: permissions,
                     sessionID: try first.decode(column: "sid", as: UUID.self), via: kind,
                     csrfToken: try first.decode(column: "csrf_token", as: String?.self),
                     mustChangePassword: try first.decode(column: "must_change_password", as: Bool.self),
                     isDemo: try first.decode(column: "is_demo", as: Bool.self), locale: try first.decode(column: "locale", as: String.self))
    }
}

/// Routes behind this need a signed-in account: 401 on the API, the login page on the web.
/// An account whose password was reset is sent to change it before anything else.
struct RequireAccount: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let actor = req.actor else { throw AppError.unauthenticated }
        if actor.mustChangePassword, !Self.allowedWhileChanging.contains(req.url.path) {
            if req.isAPI {
                throw AppError(.forbidden, "auth.password_change_required",
                               zh: "请先修改密码（PUT /api/v1/me/password）", en: "Change the password first (PUT /api/v1/me/password)")
            }
            return req.redirect(to: "/profile/password?required=1")
        }
        return try await next.respond(to: req)
    }

    static let allowedWhileChanging: Set<String> = ["/profile/password", "/logout", "/api/v1/me", "/api/v1/me/password", "/api/v1/sessions/current"]
}
