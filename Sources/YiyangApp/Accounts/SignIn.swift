import Fluent
import Vapor
import YiyangDomain

/// Signing in, shared by the login page and `POST /api/v1/sessions`: checks the password,
/// counts failures, locks after too many, opens a session and writes the audit log.
enum SignIn {
    struct Opened {
        var token: String
        var session: AuthSession
        var user: User
    }

    static let wrongCredentials = AppError(.unauthorized, "auth.invalid_credentials", field: "password",
                                           zh: "用户名或密码不正确", en: "Wrong username or password")

    static func open(username rawUsername: String, password: String, kind: AuthSession.Kind, on req: Request) async throws -> Opened {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        if username.isEmpty { throw AppError.required("username", zh: "用户名", en: "Username") }
        if password.isEmpty { throw AppError.required("password", zh: "密码", en: "Password") }
        let config = req.application.yiyang
        let policy = config.lockoutPolicy
        guard let user = try await User.query(on: req.db).filter(\.$username == username).first() else {
            // Spend the time a hash check costs, so timing does not tell which usernames exist.
            _ = try? await req.password.async.verify(password, created: dummyHash(req))
            try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: nil,
                                      region: RegionCode.root.value, after: ["username": username, "reason": "unknown_user"],
                                      actorOverride: (nil, username, ""))
            throw wrongCredentials
        }
        let now = Date()
        let state = LoginLockoutPolicy.State(failures: user.failedLogins, lockedUntil: user.lockedUntil?.timeIntervalSince1970)
        if policy.isLocked(state, now: now.timeIntervalSince1970) {
            try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user.id?.uuidString,
                                      region: user.regionCode, after: ["reason": "locked"], actorOverride: (user.id, user.username, ""))
            throw lockedError(until: user.lockedUntil!, req: req)
        }
        let ok = (try? await req.password.async.verify(password, created: user.passwordHash)) ?? false
        guard ok else {
            let next = policy.afterFailure(state, now: now.timeIntervalSince1970)
            user.failedLogins = next.failures
            user.lockedUntil = next.lockedUntil.map { Date(timeIntervalSince1970: $0) }
            try await user.save(on: req.db)
            try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user.id?.uuidString,
                                      region: user.regionCode, after: ["reason": "wrong_password", "failures": String(next.failures)],
                                      actorOverride: (user.id, user.username, ""))
            if let until = user.lockedUntil {
                try await AuditLog.record(on: req, action: .loginLocked, entityType: "user", entityID: user.id?.uuidString,
                                          region: user.regionCode, after: ["lockedUntil": ChinaTime.dateTime(until)],
                                          actorOverride: (user.id, user.username, ""))
                throw lockedError(until: until, req: req)
            }
            throw wrongCredentials
        }
        guard user.enabled else {
            try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user.id?.uuidString,
                                      region: user.regionCode, after: ["reason": "disabled"], actorOverride: (user.id, user.username, ""))
            throw AppError(.forbidden, "auth.account_disabled", zh: "此账号已停用，请联系管理员", en: "This account is disabled; contact your administrator")
        }
        user.failedLogins = 0
        user.lockedUntil = nil
        user.lastLoginAt = now
        try await user.save(on: req.db)

        let token = SessionSecrets.newToken()
        let session = AuthSession()
        session.$user.id = try user.requireID()
        session.kind = kind.rawValue
        session.tokenHash = SessionSecrets.hash(token, key: req.application.secret.bytes)
        session.csrfToken = kind == .web ? SessionSecrets.newToken() : nil
        session.expiresAt = now.addingTimeInterval(TimeInterval(kind == .web ? config.webSessionSeconds : config.apiTokenSeconds))
        session.clientAddress = req.clientAddress
        session.userAgent = String((req.headers.first(name: .userAgent) ?? "").prefix(300))
        try await session.create(on: req.db)
        let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
        try await AuditLog.record(on: req, action: kind == .web ? .loginSucceeded : .tokenIssued, entityType: "user",
                                  entityID: user.id?.uuidString, region: user.regionCode,
                                  after: ["sessionId": session.id?.uuidString ?? "", "via": kind.rawValue,
                                          "expiresAt": ChinaTime.dateTime(session.expiresAt)],
                                  actorOverride: (user.id, user.username, roles.map(\.rawValue).joined(separator: ",")))
        return Opened(token: token, session: session, user: user)
    }

    static func lockedError(until: Date, req: Request) -> AppError {
        let minutes = max(1, Int((until.timeIntervalSinceNow / 60).rounded(.up)))
        return AppError(.locked, "auth.account_locked",
                        zh: "密码错误次数过多，账号已锁定，请 \(minutes) 分钟后再试",
                        en: "Too many wrong passwords; the account is locked, try again in \(minutes) minutes")
    }

    /// Ends the session behind this request.
    static func close(on req: Request) async throws {
        guard let actor = req.actor else { return }
        guard let session = try await AuthSession.find(actor.sessionID, on: req.db), session.revokedAt == nil else { return }
        session.revokedAt = Date()
        try await session.save(on: req.db)
        try await AuditLog.record(on: req, action: actor.via == .web ? .logout : .tokenRevoked, entityType: "user",
                                  entityID: actor.userID.uuidString, region: actor.region.value,
                                  after: ["sessionId": actor.sessionID.uuidString])
    }

    /// Revokes every open session of an account (after a reset, a disable, a password change).
    static func revokeAll(userID: UUID, except: UUID? = nil, on db: any Database) async throws {
        var q = AuthSession.query(on: db).filter(\.$user.$id == userID).filter(\.$revokedAt == nil)
        if let except { q = q.filter(\.$id != except) }
        try await q.set(\.$revokedAt, to: Date()).update()
    }

    private static func dummyHash(_ req: Request) -> String {
        // A fixed Bcrypt hash of a random string at the configured cost, made once.
        if let h = req.application.storage[DummyHashKey.self] { return h }
        let h = (try? req.password.hash(SessionSecrets.newToken())) ?? ""
        req.application.storage[DummyHashKey.self] = h
        return h
    }
    private struct DummyHashKey: StorageKey { typealias Value = String }
}
