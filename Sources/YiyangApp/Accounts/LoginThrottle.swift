import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiyangDomain

/// The failure count of one account name or one client address (`LoginThrottlePolicy`). Kept
/// in the database, so every instance behind a load balancer counts the same failures. Not
/// region data: an unknown name has no region, and its row must look like a known one's.
final class LoginThrottle: Model, @unchecked Sendable {
    static let schema = "login_throttles"

    /// `account:<name>` or `address:<client address>`.
    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "failures") var failures: Int
    @OptionalField(key: "last_failure_at") var lastFailureAt: Date?
    @OptionalField(key: "wait_until") var waitUntil: Date?
    @OptionalField(key: "last_address") var lastAddress: String?

    var properties: [any AnyProperty] { [$id, $failures, $lastFailureAt, $waitUntil, $lastAddress] }
    init() {}

    var state: LoginThrottlePolicy.State {
        .init(failures: failures, lastFailure: lastFailureAt?.timeIntervalSince1970, waitUntil: waitUntil?.timeIntervalSince1970)
    }
}

/// Migration 021: the throttle's counts.
struct CreateLoginThrottles: AsyncMigration {
    var name: String { "021_CreateLoginThrottles" }

    func prepare(on database: any Database) async throws {
        try await database.schema(LoginThrottle.schema)
            .field("key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("last_failure_at", .datetime)
            .field("wait_until", .datetime)
            .field("last_address", .string)
            .create()
        try await (database as! any SQLDatabase)
            .raw("CREATE INDEX login_throttles_last_failure_idx ON login_throttles (last_failure_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LoginThrottle.schema).delete()
    }
}

/// Reads and writes the counts of one sign-in attempt.
struct LoginThrottles {
    let db: any Database
    let policy: LoginThrottlePolicy

    static func accountKey(_ username: String) -> String { "account:" + username }
    static func addressKey(_ address: String) -> String { "address:" + address }
    static func deviceKey(_ username: String, nonce: String) -> String { "device:" + username + ":" + nonce }

    func load(_ key: String) async throws -> LoginThrottle? { try await LoginThrottle.find(key, on: db) }

    /// Seconds before the next attempt is taken, 0 when it is taken now.
    func wait(_ row: LoginThrottle?, now: Date) -> Int {
        row.map { policy.wait($0.state, now: now.timeIntervalSince1970) } ?? 0
    }

    /// Counts a wrong password (or an unknown name) against a key. The count is added in one
    /// statement, so failures sent side by side (from other instances too) are all counted and
    /// the first failure of two at once does not collide on the key.
    @discardableResult
    func fail(_ key: String, free: Int, address: String, now: Date) async throws -> LoginThrottle {
        let sql = db as! any SQLDatabase
        let cutoff = now.addingTimeInterval(-Double(policy.forgetAfterSeconds))
        let row = try await sql.raw("""
            INSERT INTO login_throttles (\(ident: "key"), failures, last_failure_at, last_address)
            VALUES (\(bind: key), 1, \(bind: now), \(bind: address))
            ON CONFLICT (\(ident: "key")) DO UPDATE SET
                failures = CASE WHEN login_throttles.last_failure_at < \(bind: cutoff) THEN 1 ELSE login_throttles.failures + 1 END,
                last_failure_at = excluded.last_failure_at, last_address = excluded.last_address
            RETURNING failures
            """).first()
        let failures = try row?.decode(column: "failures", as: Int.self) ?? 1
        let delay = policy.delay(afterFailures: failures, free: free)
        let until: Date? = delay > 0 ? now.addingTimeInterval(Double(delay)) : nil
        // A later failure's wait is never shortened by an earlier one written after it.
        try await sql.raw("""
            UPDATE login_throttles SET wait_until = \(bind: until)
            WHERE \(ident: "key") = \(bind: key) AND (wait_until IS NULL OR wait_until < \(bind: until ?? now))
            """).run()
        // Counts nobody has added to for a day are forgotten anyway: unknown names typed by a
        // script do not pile up.
        try await LoginThrottle.query(on: db).filter(\.$lastFailureAt < cutoff).delete()
        let counted = LoginThrottle()
        counted.id = key
        counted.failures = failures
        counted.lastFailureAt = now
        counted.waitUntil = until
        counted.lastAddress = address
        return counted
    }

    func clear(_ key: String) async throws {
        try await LoginThrottle.query(on: db).filter(\.$id == key).delete()
    }

    /// After a reset: the name's delay and every device's count go.
    func clearAccount(_ username: String) async throws {
        try await clear(Self.accountKey(username))
        try await LoginThrottle.query(on: db).filter(\.$id, .custom("LIKE"), LikePattern.escaped("device:" + username + ":") + "%").delete()
    }
}

/// Takes the sign-in attempts on one key one at a time, on this instance. Attempts on different
/// keys go side by side; a key's queue is dropped once empty.
actor LoginAttemptGate {
    private var busy: [String: [CheckedContinuation<Void, Never>]] = [:]

    func serialize<T: Sendable>(_ key: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await enter(key)
        do {
            let value = try await body()
            leave(key)
            return value
        } catch {
            leave(key)
            throw error
        }
    }

    private func enter(_ key: String) async {
        if busy[key] == nil { busy[key] = []; return }
        await withCheckedContinuation { busy[key]!.append($0) }
    }

    private func leave(_ key: String) {
        guard var waiting = busy[key], !waiting.isEmpty else { busy[key] = nil; return }
        let next = waiting.removeFirst()
        busy[key] = waiting
        next.resume()
    }
}

extension Application {
    private struct LoginAttemptGateKey: StorageKey { typealias Value = LoginAttemptGate }

    var loginAttemptGate: LoginAttemptGate {
        if let gate = storage[LoginAttemptGateKey.self] { return gate }
        let gate = LoginAttemptGate()
        storage[LoginAttemptGateKey.self] = gate
        return gate
    }
}

/// A device an account has signed in from before: a cookie on the web, a token the API client
/// keeps. Stateless: a random part and the HMAC of the name, the random part and the account's
/// current password hash, so a password change or reset ends every device at once.
enum KnownDevice {
    static let cookie = "yiyang_device"
    static let maxAge = 365 * 86_400

    static func issue(username: String, epoch: String, key: Data) -> String {
        let nonce = SessionSecrets.newToken()
        return nonce + "." + mac(username: username, nonce: nonce, epoch: epoch, key: key)
    }

    /// The token's random part when it is a device of this account as it stands, else nil.
    static func verify(_ token: String?, username: String, epoch: String?, key: Data) -> String? {
        guard let token, let epoch, let dot = token.firstIndex(of: ".") else { return nil }
        let nonce = String(token[..<dot])
        let given = String(token[token.index(after: dot)...])
        let expected = mac(username: username, nonce: nonce, epoch: epoch, key: key)
        // Compared in constant time: the check must not leak how much of a guess was right.
        guard given.utf8.count == expected.utf8.count,
              zip(given.utf8, expected.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { return nil }
        return nonce
    }

    private static func mac(username: String, nonce: String, epoch: String, key: Data) -> String {
        SessionSecrets.hash("device:" + username + ":" + nonce + ":" + epoch, key: key)
    }
}
