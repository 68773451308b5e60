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

    func load(_ key: String) async throws -> LoginThrottle? { try await LoginThrottle.find(key, on: db) }

    /// Seconds before the next attempt is taken, 0 when it is taken now.
    func wait(_ row: LoginThrottle?, now: Date) -> Int {
        row.map { policy.wait($0.state, now: now.timeIntervalSince1970) } ?? 0
    }

    /// Counts a wrong password (or an unknown name) against a key.
    @discardableResult
    func fail(_ key: String, free: Int, address: String, now: Date) async throws -> LoginThrottle {
        let row = try await load(key) ?? { let r = LoginThrottle(); r.id = key; r.failures = 0; return r }()
        let next = policy.afterFailure(row.state, now: now.timeIntervalSince1970, free: free)
        row.failures = next.failures
        row.lastFailureAt = next.lastFailure.map { Date(timeIntervalSince1970: $0) }
        row.waitUntil = next.waitUntil.map { Date(timeIntervalSince1970: $0) }
        row.lastAddress = address
        try await row.save(on: db)
        // Counts nobody has added to for a day are forgotten anyway: unknown names typed by a
        // script do not pile up.
        let cutoff = now.addingTimeInterval(-Double(policy.forgetAfterSeconds))
        try await LoginThrottle.query(on: db).filter(\.$lastFailureAt < cutoff).delete()
        return row
    }

    func clear(_ key: String) async throws {
        try await LoginThrottle.query(on: db).filter(\.$id == key).delete()
    }
}

/// A device an account has signed in from before: a cookie on the web, a token the API client
/// keeps. Someone else's wrong passwords slow down the account's name, but not its owner on a
/// device the owner has used. Stateless: the name, a random part and their HMAC.
enum KnownDevice {
    static let cookie = "yiyang_device"
    static let maxAge = 365 * 86_400

    static func issue(username: String, key: Data) -> String {
        let nonce = SessionSecrets.newToken()
        return nonce + "." + SessionSecrets.hash("device:" + username + ":" + nonce, key: key)
    }

    static func verify(_ token: String?, username: String, key: Data) -> Bool {
        guard let token, let dot = token.firstIndex(of: ".") else { return false }
        let nonce = String(token[..<dot])
        let mac = String(token[token.index(after: dot)...])
        let expected = SessionSecrets.hash("device:" + username + ":" + nonce, key: key)
        // Compared in constant time: the check must not leak how much of a guess was right.
        return mac.utf8.count == expected.utf8.count && zip(mac.utf8, expected.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
