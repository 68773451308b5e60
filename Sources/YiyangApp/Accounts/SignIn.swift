import Fluent
import Vapor
import YiyangDomain

/// Signing in, shared by the login page and `POST /api/v1/sessions`: checks the password,
/// slows down repeated failures (per name and per address, `LoginThrottlePolicy`), opens a
/// session and writes the audit log. Known and unknown names get the same answers.
enum SignIn {
    struct Opened {
        var token: String
        var session: AuthSession
        var user: User
        /// For the device cookie (web) or the API client to keep: see `KnownDevice`.
        var deviceToken: String
        /// Failed attempts on this account since it last signed in, for its owner to see.
        var notice: FailedAttempts?
    }

    /// What the owner is told at sign-in: someone tried the account's name.
    struct FailedAttempts: Content, Equatable {
        var count: Int
        var lastAt: Date
        var lastFrom: String
    }

    static let wrongCredentials = AppError(.unauthorized, "auth.invalid_credentials", field: "password",
                                           zh: "用户名或密码不正确", en: "Wrong username or password")

    static func open(username rawUsername: String, password: String, kind: AuthSession.Kind, deviceToken: String? = nil,
                     on req: Request) async throws -> Opened {
        let username = rawUsername.trimmingCharacters(in: .whitespaces).lowercased()
        if username.isEmpty { throw AppError.required("username", zh: "用户名", en: "Username") }
        if password.isEmpty { throw AppError.required("password", zh: "密码", en: "Password") }
        let config = req.application.yiyang
        let policy = config.throttlePolicy
        let throttles = LoginThrottles(db: req.db, policy: policy)
        let user = try await User.query(on: req.db).filter(\.$username == username).first()
        // A device the owner signed in from before, with the password of now: it has a delay of
        // its own, so others' wrong passwords slow the name down but not the owner there, and a
        // stolen device cookie still guesses slowly. A password change or reset ends every device.
        let device = KnownDevice.verify(deviceToken, username: username, epoch: user?.passwordHash, key: req.application.secret.bytes)
        let accountKey = LoginThrottles.accountKey(username)
        let key = device.map { LoginThrottles.deviceKey(username, nonce: $0) } ?? accountKey
        // Attempts on one key are taken one at a time on this instance, so a burst of parallel
        // guesses meets the count its predecessors left; counts themselves are added atomically.
        return try await req.application.loginAttemptGate.serialize(key) {
            let now = Date()
            let addressKey = LoginThrottles.addressKey(req.clientAddress)
            let accountRow = try await throttles.load(accountKey)
            let keyRow = device == nil ? accountRow : try await throttles.load(key)
            // Decided before the password is checked, and alike whether the name exists.
            let addressWait = device == nil ? throttles.wait(try await throttles.load(addressKey), now: now) : 0
            let wait = max(addressWait, throttles.wait(keyRow, now: now))
            let actorOverride: (id: UUID?, username: String, roles: String) = (user?.id, username, "")
            if wait > 0 {
                try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user?.id?.uuidString,
                                          region: user?.regionCode ?? RegionCode.root.value,
                                          after: ["reason": "throttled", "wait": String(wait)], actorOverride: actorOverride)
                throw throttledError(seconds: wait)
            }
            let ok: Bool
            if let user {
                ok = (try? await req.password.async.verify(password, created: user.passwordHash)) ?? false
            } else {
                // Spend the time a hash check costs, so timing does not tell which usernames exist.
                _ = try? await req.password.async.verify(password, created: dummyHash(req))
                ok = false
            }
            guard ok, let user else {
                let counted = try await throttles.fail(key, free: policy.freeFailures,
                                                       address: req.clientAddress, now: now)
                if device == nil {
                    try await throttles.fail(addressKey, free: policy.freeFailuresPerAddress, address: req.clientAddress, now: now)
                }
                if let user, device == nil {
                    // Mirrored on the account, so its administrator sees that it is being slowed down.
                    user.failedLogins = counted.failures
                    user.lockedUntil = counted.waitUntil
                    try await user.save(on: req.db)
                }
                try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user?.id?.uuidString,
                                          region: user?.regionCode ?? RegionCode.root.value,
                                          after: ["reason": user == nil ? "unknown_user" : "wrong_password",
                                                  "failures": String(counted.failures),
                                                  "device": device == nil ? "new" : "known"],
                                          actorOverride: actorOverride)
                throw wrongCredentials
            }
            return try await opened(user, kind: kind, device: device, deviceToken: deviceToken, accountRow: accountRow,
                                    throttles: throttles, key: key, now: now, req: req)
        }
    }

    /// The right password: the session, the device token, and what the owner should know.
    private static func opened(_ user: User, kind: AuthSession.Kind, device: String?, deviceToken: String?, accountRow: LoginThrottle?,
                               throttles: LoginThrottles, key: String, now: Date, req: Request) async throws -> Opened {
        let config = req.application.yiyang
        let policy = config.throttlePolicy
        guard user.enabled else {
            try await AuditLog.record(on: req, action: .loginFailed, entityType: "user", entityID: user.id?.uuidString,
                                      region: user.regionCode, after: ["reason": "disabled"], actorOverride: (user.id, user.username, ""))
            throw AppError(.forbidden, "auth.account_disabled", zh: "此账号已停用，请联系管理员",
                           en: "This account is disabled; contact your administrator")
        }
        // Others' failures on the name since the owner last signed in. On a known device the name's
        // delay stays for the others; from a new device the owner has waited it out, and it ends.
        let notice = accountRow.flatMap { row -> FailedAttempts? in
            guard let at = row.lastFailureAt, policy.current(row.state, now: now.timeIntervalSince1970).failures > 0,
                  at > (user.lastLoginAt ?? .distantPast) else { return nil }
            return FailedAttempts(count: row.failures, lastAt: at, lastFrom: row.lastAddress ?? "")
        }
        try await throttles.clear(key)
        if device == nil {
            // The name's own count ended with it; on a known device it goes on binding the others.
            user.failedLogins = 0
            user.lockedUntil = nil
        }
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
                                          "expiresAt": ChinaTime.dateTime(session.expiresAt),
                                          "failedAttemptsBefore": String(notice?.count ?? 0)],
                                  actorOverride: (user.id, user.username, roles.map(\.rawValue).joined(separator: ",")))
        let keep = device != nil ? deviceToken! : KnownDevice.issue(username: user.username, epoch: user.passwordHash,
                                                                     key: req.application.secret.bytes)
        return Opened(token: token, session: session, user: user, deviceToken: keep, notice: notice)
    }

    static func throttledError(seconds: Int) -> AppError {
        let minutes = (seconds + 59) / 60
        let shown = seconds >= 120 ? (zh: "\(minutes) 分钟", en: "\(minutes) minutes") : (zh: "\(seconds) 秒", en: "\(seconds) seconds")
        return AppError(.tooManyRequests, "auth.throttled",
                        zh: "登录失败次数过多，请 \(shown.zh)后再试", en: "Too many failed sign-ins; try again in \(shown.en)")
    }

    /// The sentence the owner reads after signing in when someone tried the account before.
    static func noticeText(_ n: FailedAttempts, locale: UILocale) -> String {
        locale == .en
            ? "Since you last signed in, \(n.count) sign-in attempts to this account failed, the last at \(ChinaTime.dateTime(n.lastAt)) "
                + "from \(n.lastFrom). If it was not you, change your password."
            : "自您上次登录以来，本账号有 \(n.count) 次登录失败，最近一次在 \(ChinaTime.dateTime(n.lastAt))，来自 \(n.lastFrom)。如非本人操作，请修改密码。"
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
