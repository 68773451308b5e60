/// The minimum strength of a password. The numbers are settings (see `AppConfig`), not rules
/// baked in here: a bureau under 等保 level 3 may ask for longer ones.
public struct PasswordPolicy: Sendable, Equatable {
    public var minimumLength: Int
    /// Of lower case, upper case, digits and other characters, how many kinds must appear.
    public var minimumCharacterKinds: Int

    public init(minimumLength: Int = 10, minimumCharacterKinds: Int = 3) {
        self.minimumLength = minimumLength
        self.minimumCharacterKinds = minimumCharacterKinds
    }

    /// Passwords people pick first; refused whatever their length.
    static let common: Set<String> = ["password", "password1", "password123", "12345678", "123456789", "1234567890",
                                      "qwertyuiop", "admin123", "administrator", "abc123456", "a1234567", "11111111",
                                      "88888888", "66666666", "iloveyou", "woaini1314", "yiyang123"]

    public func check(_ password: String, username: String, field: String = "password") -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if password.count < minimumLength {
            issues.append(ValidationIssue(field: field, rule: "password.too_short",
                message: LocalizedText(zh: "密码至少需要 \(minimumLength) 个字符", en: "Password must have at least \(minimumLength) characters")))
        }
        var kinds = 0
        if password.contains(where: { $0.isASCII && $0.isLowercase }) { kinds += 1 }
        if password.contains(where: { $0.isASCII && $0.isUppercase }) { kinds += 1 }
        if password.contains(where: { $0.isASCII && $0.isNumber }) { kinds += 1 }
        // Anything but ASCII letters and digits counts as "other": symbols, and Chinese characters.
        if password.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }) { kinds += 1 }
        if kinds < minimumCharacterKinds {
            issues.append(ValidationIssue(field: field, rule: "password.too_simple",
                message: LocalizedText(zh: "密码需包含大写字母、小写字母、数字、符号中的至少 \(minimumCharacterKinds) 类",
                                       en: "Password must mix at least \(minimumCharacterKinds) of: upper case, lower case, digits, symbols")))
        }
        let lower = password.lowercased()
        if !username.isEmpty, lower.contains(username.lowercased()) {
            issues.append(ValidationIssue(field: field, rule: "password.contains_username",
                message: LocalizedText(zh: "密码不能包含用户名", en: "Password must not contain the username")))
        }
        if Self.common.contains(lower) {
            issues.append(ValidationIssue(field: field, rule: "password.common",
                message: LocalizedText(zh: "这是常见密码，请换一个", en: "This is a common password; choose another")))
        }
        return issues
    }
}

/// Locks an account after repeated wrong passwords: `maxFailures` in a row lock it for
/// `lockMinutes`. A correct password after the lock has run out starts the count afresh.
public struct LoginLockoutPolicy: Sendable, Equatable {
    public var maxFailures: Int
    public var lockSeconds: Int

    public init(maxFailures: Int = 5, lockSeconds: Int = 15 * 60) {
        self.maxFailures = maxFailures
        self.lockSeconds = lockSeconds
    }

    public struct State: Sendable, Equatable {
        public var failures: Int
        /// Seconds since 1970 until which the account is locked, or nil.
        public var lockedUntil: Double?
        public init(failures: Int, lockedUntil: Double?) {
            self.failures = failures
            self.lockedUntil = lockedUntil
        }
    }

    public func isLocked(_ state: State, now: Double) -> Bool {
        if let until = state.lockedUntil { return until > now }
        return false
    }

    /// The state after a wrong password at `now`.
    public func afterFailure(_ state: State, now: Double) -> State {
        // A lock that has run out is forgotten: the count restarts.
        var failures = state.failures
        if let until = state.lockedUntil, until <= now { failures = 0 }
        failures += 1
        if failures >= maxFailures {
            return State(failures: failures, lockedUntil: now + Double(lockSeconds))
        }
        return State(failures: failures, lockedUntil: nil)
    }

    public func afterSuccess() -> State { State(failures: 0, lockedUntil: nil) }
}
