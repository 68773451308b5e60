import Foundation
import Vapor
import YiyangDomain

/// Every setting of a running Yiyang, read once from the environment. The README lists them;
/// keep the two in step.
public struct AppConfig: Sendable {
    /// Where the SQLite file, keys and uploads live when there is no `DATABASE_URL`.
    public var dataDirectory: URL
    /// `postgres://…` for PostgreSQL; nil keeps the embedded SQLite file.
    public var databaseURL: String?
    /// Bcrypt work factor. 12 in production; tests lower it to stay quick.
    public var bcryptCost: Int
    public var webSessionSeconds: Int
    public var apiTokenSeconds: Int
    /// Mark cookies `Secure`. On by itself when `YIYANG_PUBLIC_URL` is https.
    public var secureCookies: Bool
    /// Take the client address from `X-Forwarded-For` (only behind a proxy you run).
    public var trustProxy: Bool
    public var passwordPolicy: PasswordPolicy
    public var throttlePolicy: LoginThrottlePolicy
    /// The secret that keys token hashes. From `YIYANG_SECRET_KEY` (base64 of 32 bytes), else a
    /// file in the data folder created on first start with owner-only permissions.
    public var secretKey: Data?
    /// Register `/bench/bare` and `/bench/json`, used only by the benchmark script.
    public var benchmarkRoutes: Bool
    /// The largest file an upload (a roster, an exchange file) may be, in bytes. Uploads are
    /// written to disk as they arrive, so this bounds disk use, not memory.
    public var uploadLimitBytes: Int
    /// Where "now" comes from for dated rules (public notices, which months may be paid); tests
    /// set it to walk through days without waiting.
    public var clock: AppClock = AppClock()

    public init(dataDirectory: URL, databaseURL: String? = nil, bcryptCost: Int = 12,
                webSessionSeconds: Int = 8 * 3600, apiTokenSeconds: Int = 24 * 3600,
                secureCookies: Bool = false, trustProxy: Bool = false,
                passwordPolicy: PasswordPolicy = PasswordPolicy(),
                throttlePolicy: LoginThrottlePolicy = LoginThrottlePolicy(),
                secretKey: Data? = nil, benchmarkRoutes: Bool = false, uploadLimitBytes: Int = 1 << 30) {
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
        self.bcryptCost = bcryptCost
        self.webSessionSeconds = webSessionSeconds
        self.apiTokenSeconds = apiTokenSeconds
        self.secureCookies = secureCookies
        self.trustProxy = trustProxy
        self.passwordPolicy = passwordPolicy
        self.throttlePolicy = throttlePolicy
        self.secretKey = secretKey
        self.benchmarkRoutes = benchmarkRoutes
        self.uploadLimitBytes = uploadLimitBytes
    }

    public static func fromEnvironment() throws -> AppConfig {
        func env(_ key: String) -> String? {
            guard let v = Environment.get(key), !v.isEmpty else { return nil }
            return v
        }
        func int(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let raw = env(key) else { return fallback }
            guard let v = Int(raw), range.contains(v) else {
                throw ConfigError(message: "\(key)=\(raw) is not a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return v
        }
        func bool(_ key: String) -> Bool? {
            env(key).map { ["1", "true", "yes", "on"].contains($0.lowercased()) }
        }
        let dataDir = URL(fileURLWithPath: env("YIYANG_DATA_DIR") ?? "data", isDirectory: true)
        var key: Data? = nil
        if let raw = env("YIYANG_SECRET_KEY") {
            guard let d = Data(base64Encoded: raw), d.count >= 32 else {
                throw ConfigError(message: "YIYANG_SECRET_KEY must be the base64 of at least 32 random bytes")
            }
            key = d
        }
        return AppConfig(
            dataDirectory: dataDir.standardizedFileURL,
            databaseURL: env("DATABASE_URL"),
            bcryptCost: try int("YIYANG_BCRYPT_COST", 12, 4...31),
            webSessionSeconds: try int("YIYANG_SESSION_HOURS", 8, 1...24 * 30) * 3600,
            apiTokenSeconds: try int("YIYANG_TOKEN_HOURS", 24, 1...24 * 90) * 3600,
            secureCookies: bool("YIYANG_SECURE_COOKIES") ?? (env("YIYANG_PUBLIC_URL")?.lowercased().hasPrefix("https://") ?? false),
            trustProxy: bool("YIYANG_TRUST_PROXY") ?? false,
            passwordPolicy: PasswordPolicy(minimumLength: try int("YIYANG_PASSWORD_MIN_LENGTH", 10, 8...128),
                                           minimumCharacterKinds: try int("YIYANG_PASSWORD_MIN_KINDS", 3, 1...4)),
            throttlePolicy: LoginThrottlePolicy(freeFailures: try int("YIYANG_LOGIN_FREE_FAILURES", 5, 1...100),
                                                freeFailuresPerAddress: try int("YIYANG_LOGIN_FREE_FAILURES_PER_ADDRESS", 30, 1...10_000),
                                                firstDelaySeconds: try int("YIYANG_LOGIN_FIRST_DELAY_SECONDS", 30, 1...3600),
                                                maxDelaySeconds: try int("YIYANG_LOGIN_MAX_DELAY_MINUTES", 15, 1...24 * 60) * 60),
            secretKey: key,
            benchmarkRoutes: bool("YIYANG_BENCH_ROUTES") ?? false,
            uploadLimitBytes: try int("YIYANG_UPLOAD_LIMIT_MB", 1024, 1...64 * 1024) << 20
        )
    }

    public var databaseKind: DatabaseKind { databaseURL == nil ? .sqlite : .postgresql }

    public var sqliteFile: URL { dataDirectory.appendingPathComponent("yiyang.sqlite") }
    public var uploadsDirectory: URL { dataDirectory.appendingPathComponent("uploads", isDirectory: true) }
    public var keysDirectory: URL { dataDirectory.appendingPathComponent("keys", isDirectory: true) }
    /// Uploads being read and the unpacked parts of spreadsheets; emptied of old files at start.
    public var temporaryDirectory: URL { uploadsDirectory.appendingPathComponent("tmp", isDirectory: true) }
}

/// The time the application reads for its dated rules: the system's, or a moment tests set
/// and move forward. Shared by every request of the application.
public final class AppClock: @unchecked Sendable {
    private let lock = NSLock()
    private var pinned: Date?

    public init(pinned: Date? = nil) { self.pinned = pinned }

    public func now() -> Date { lock.withLock { pinned ?? Date() } }
    /// Today in China Standard Time.
    public var today: CalendarDate { CalendarDate.today(now()) }

    /// Pins the clock at noon (China Standard Time) of a day.
    public func set(_ day: CalendarDate) {
        let noon = ChinaTime.calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 12))!
        lock.withLock { pinned = noon }
    }

    public func advance(days: Int) { set(today.addingDays(days)) }
}

public enum DatabaseKind: String, Sendable, Codable {
    case sqlite, postgresql
}

public struct ConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }
    private struct KeyKey: StorageKey { typealias Value = SymmetricKeyBox }

    public var yiyang: AppConfig {
        get {
            guard let c = storage[ConfigKey.self] else { fatalError("AppConfig not set: call configure(_:config:) first") }
            return c
        }
        set { storage[ConfigKey.self] = newValue }
    }

    /// The platform secret, resolved at configure time.
    var secret: SymmetricKeyBox {
        get { storage[KeyKey.self]! }
        set { storage[KeyKey.self] = newValue }
    }
}

struct SymmetricKeyBox: Sendable {
    let bytes: Data
}

/// Makes the data folder and its key, owner-only, on first start.
enum DataDirectory {
    static func prepare(_ config: AppConfig) throws -> Data {
        let fm = FileManager.default
        for dir in [config.dataDirectory, config.uploadsDirectory, config.keysDirectory, config.temporaryDirectory] {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // What a crash left behind: no job outlives the process that read the file.
        let dayAgo = Date().addingTimeInterval(-86_400)
        for name in (try? fm.contentsOfDirectory(atPath: config.temporaryDirectory.path)) ?? [] {
            let url = config.temporaryDirectory.appendingPathComponent(name)
            if let modified = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date, modified < dayAgo {
                try? fm.removeItem(at: url)
            }
        }
        if let key = config.secretKey { return key }
        let keyFile = config.keysDirectory.appendingPathComponent("platform.key")
        if let existing = try? Data(contentsOf: keyFile), existing.count >= 32 { return existing }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let data = Data(bytes)
        guard fm.createFile(atPath: keyFile.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(message: "cannot write \(keyFile.path)")
        }
        return data
    }
}
