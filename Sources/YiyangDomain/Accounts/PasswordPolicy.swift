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

/// Slows down guessing instead of locking accounts: anyone could lock any account by typing
/// five wrong passwords for it. Failures are counted per account name (known or not, so the
/// answers never tell which names exist) and per client address. The first `freeFailures`
/// cost nothing; each one after them makes the next attempt wait twice as long as the one
/// before, from `firstDelaySeconds` up to `maxDelaySeconds`. A count is forgotten after
/// `forgetAfterSeconds` without a failure, and an account's count after a successful sign-in.
public struct LoginThrottlePolicy: Sendable, Equatable {
    public var freeFailures: Int
    /// Many staff of one office share an address: it gets more failures before any delay.
    public var freeFailuresPerAddress: Int
    public var firstDelaySeconds: Int
    public var maxDelaySeconds: Int
    public var forgetAfterSeconds: Int

    public init(freeFailures: Int = 5, freeFailuresPerAddress: Int = 30, firstDelaySeconds: Int = 30,
                maxDelaySeconds: Int = 15 * 60, forgetAfterSeconds: Int = 24 * 3600) {
        self.freeFailures = freeFailures
        self.freeFailuresPerAddress = freeFailuresPerAddress
        self.firstDelaySeconds = firstDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.forgetAfterSeconds = forgetAfterSeconds
    }

    public struct State: Sendable, Equatable {
        public var failures: Int
        /// Seconds since 1970 of the last failure, or nil.
        public var lastFailure: Double?
        /// Seconds since 1970 before which the next attempt is not taken, or nil.
        public var waitUntil: Double?
        public init(failures: Int = 0, lastFailure: Double? = nil, waitUntil: Double? = nil) {
            self.failures = failures
            self.lastFailure = lastFailure
            self.waitUntil = waitUntil
        }
    }

    /// The state as it stands at `now`: an old count is forgotten.
    public func current(_ state: State, now: Double) -> State {
        if let last = state.lastFailure, now - last >= Double(forgetAfterSeconds) { return State() }
        return state
    }

    /// Seconds still to wait at `now`, or 0 when an attempt is taken.
    public func wait(_ state: State, now: Double) -> Int {
        guard let until = current(state, now: now).waitUntil, until > now else { return 0 }
        return Int((until - now).rounded(.up))
    }

    /// The delay that `failures` failures in a row impose before the next attempt.
    public func delay(afterFailures failures: Int, free: Int) -> Int {
        guard failures >= free else { return 0 }
        let doublings = min(failures - free, 30)
        return min(maxDelaySeconds, firstDelaySeconds << doublings)
    }

    /// The state after a wrong password at `now`; `free` is `freeFailures` for an account
    /// name and `freeFailuresPerAddress` for an address.
    public func afterFailure(_ state: State, now: Double, free: Int) -> State {
        let failures = current(state, now: now).failures + 1
        let delay = delay(afterFailures: failures, free: free)
        return State(failures: failures, lastFailure: now, waitUntil: delay > 0 ? now + Double(delay) : nil)
    }
}
