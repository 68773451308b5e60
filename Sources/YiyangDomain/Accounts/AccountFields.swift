import Foundation

/// The rules of an account's own fields, shared by creation and later changes.
public enum AccountFields {
    public static func usernameIssue(_ username: String) -> ValidationIssue? {
        guard username.range(of: "^[a-z][a-z0-9_.-]{2,31}$", options: .regularExpression) == nil else { return nil }
        return ValidationIssue(field: "username", rule: "username.format", message: LocalizedText(
            zh: "用户名须以字母开头，由 3–32 位小写字母、数字、下划线、点或连字符组成",
            en: "Username must start with a letter and have 3–32 lower-case letters, digits, _ . or -"))
    }

    public static func displayNameIssue(_ name: String) -> ValidationIssue? {
        let n = name.trimmingCharacters(in: .whitespaces)
        guard n.isEmpty || n.count > 50 else { return PersonName.issue(n, field: "displayName", lettersOnly: false) }
        return ValidationIssue(field: "displayName", rule: "display_name.length", message: LocalizedText(
            zh: "姓名不能为空，且不超过 50 个字", en: "Display name is required and at most 50 characters"))
    }

    /// `1[3-9]` and nine digits (mobile), or `0` + 2–3 digit area code, an optional `-`, and 7–8
    /// digits (landline). Hand-written: imports check millions of them, and a regex is slow.
    public static func isPhoneNumber(_ p: String) -> Bool {
        let b = Array(p.utf8)
        func digits(_ s: ArraySlice<UInt8>) -> Bool { s.allSatisfy { $0 >= 48 && $0 <= 57 } }
        if b.count == 11, b[0] == 49, b[1] >= 51, b[1] <= 57, digits(b[2...]) { return true }
        guard b.first == 48 else { return false }
        for area in 2...3 {
            var rest = b.count > area + 1 ? b[(area + 1)...] : []
            guard b.count > area + 1, digits(b[1...area]) else { continue }
            if rest.first == 45 { rest = rest.dropFirst() }
            if (7...8).contains(rest.count), digits(rest) { return true }
        }
        return false
    }

    /// An 11-digit mainland mobile number, or a landline with its area code. Empty is allowed.
    public static func phoneIssue(_ phone: String) -> ValidationIssue? {
        let p = phone.trimmingCharacters(in: .whitespaces)
        guard !p.isEmpty, !isPhoneNumber(p) else { return nil }
        return ValidationIssue(field: "phone", rule: "phone.format", message: LocalizedText(
            zh: "电话应为 11 位手机号或带区号的固定电话", en: "Phone must be an 11-digit mobile number or a landline with area code"))
    }
}
