import Testing
import YiyangDomain

@Suite("Passwords and lockout")
struct AccountsTests {
    let policy = PasswordPolicy()

    @Test("weak passwords are refused with every reason")
    func weak() {
        #expect(Set(policy.check("abc", username: "x").map(\.rule)) == ["password.too_short", "password.too_simple"])
        #expect(policy.check("zhangsan-Pass1", username: "zhangsan").map(\.rule) == ["password.contains_username"])
        #expect(policy.check("Password123", username: "x").map(\.rule) == ["password.common"])
        #expect(policy.check("password123", username: "x").map(\.rule) == ["password.too_simple", "password.common"])
        #expect(policy.check("Strong-Pass-2026", username: "wang").isEmpty)
        #expect(policy.check("长城长城长城长城长城1A", username: "x").isEmpty, "Chinese characters count as other characters")
    }

    @Test("messages come in both languages and name the field")
    func messages() {
        let issue = policy.check("abc", username: "x", field: "newPassword")[0]
        #expect(issue.field == "newPassword")
        #expect(issue.message.zh.contains("10"))
        #expect(issue.message.en.contains("10"))
    }

    @Test("the first failures cost nothing; each after them doubles the wait, up to the cap; a day without failures forgets")
    func throttle() {
        let p = LoginThrottlePolicy()
        var s = LoginThrottlePolicy.State()
        for _ in 1...4 { s = p.afterFailure(s, now: 1000, free: p.freeFailures) }
        #expect(p.wait(s, now: 1000) == 0)
        s = p.afterFailure(s, now: 1000, free: p.freeFailures)
        #expect(p.wait(s, now: 1000) == 30)
        #expect(p.wait(s, now: 1029) == 1)
        #expect(p.wait(s, now: 1030) == 0)
        s = p.afterFailure(s, now: 1030, free: p.freeFailures)
        #expect(p.wait(s, now: 1030) == 60)
        s = p.afterFailure(s, now: 1090, free: p.freeFailures)
        #expect(p.wait(s, now: 1090) == 120)
        for _ in 1...20 { s = p.afterFailure(s, now: 2000, free: p.freeFailures) }
        #expect(p.wait(s, now: 2000) == 15 * 60, "capped")
        #expect(p.delay(afterFailures: 1_000, free: 5) == 15 * 60, "no overflow")
        #expect(p.current(s, now: 2000 + 86_400).failures == 0)
        #expect(p.afterFailure(s, now: 2000 + 86_400, free: p.freeFailures).failures == 1)
        // An office address shares thirty free failures among its staff.
        var a = LoginThrottlePolicy.State()
        for _ in 1...29 { a = p.afterFailure(a, now: 0, free: p.freeFailuresPerAddress) }
        #expect(p.wait(a, now: 0) == 0)
    }

    @Test("every role has a row in the starting permission table, and the administrator has everything")
    func permissionTable() {
        for role in Role.allCases { #expect(PermissionTable.defaults[role] != nil, "\(role)") }
        #expect(PermissionTable.defaults[.admin] == Set(Permission.allCases))
        #expect(PermissionTable.defaults[.elder] == [.portalUse])
        #expect(Role(rawValue: "meal_point") == .mealPoint)
    }

    @Test("each module of SYSTEM.md has one entry, numbered 1 to 13")
    func modules() {
        #expect(PlatformModule.all.map(\.number) == Array(1...13))
    }
}

@Suite("Language")
struct LocaleTests {
    @Test("Accept-Language picks the preferred language we speak", arguments: [
        (nil, LocalizedText.Locale.zh), ("en", .en), ("en-US,en;q=0.9", .en), ("zh-CN,zh;q=0.9,en;q=0.8", .zh),
        ("fr-FR,en;q=0.5", .en), ("de", .zh), ("en;q=0.2,zh;q=0.8", .zh), ("*", .zh),
    ])
    func negotiate(header: String?, expected: LocalizedText.Locale) {
        #expect(LocalizedText.Locale.negotiate(acceptLanguage: header) == expected)
    }
}

@Suite("Phone numbers")
struct PhoneTests {
    @Test("mobiles and landlines with area codes pass; the rest does not", arguments: [
        ("13812345678", true), ("19912345678", true), ("12812345678", false), ("1381234567", false), ("138123456789", false),
        ("010-12345678", true), ("0311-8765432", true), ("03118765432", true), ("0101234567", true), ("010-123456", false),
        ("110", false), ("1381234567a", false), ("", false),
    ])
    func phone(number: String, valid: Bool) {
        #expect(AccountFields.isPhoneNumber(number) == valid)
    }
}
