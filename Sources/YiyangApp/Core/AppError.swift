import Vapor
import YiyangDomain

/// An error a person sees: an HTTP status, a stable code, the field it concerns, and a message
/// in Chinese and English. The API renders it as `{"error": {code, message, field}}`, the web
/// as an error page or beside the field of a form.
struct AppError: AbortError, Sendable {
    var status: HTTPResponseStatus
    var code: String
    var field: String?
    var message: LocalizedText
    /// A page the person can go to about it (the existing record of a duplicate).
    var link: String? = nil

    init(_ status: HTTPResponseStatus, _ code: String, field: String? = nil, zh: String, en: String) {
        self.status = status
        self.code = code
        self.field = field
        self.message = LocalizedText(zh: zh, en: en)
    }

    init(_ status: HTTPResponseStatus = .unprocessableEntity, issue: ValidationIssue) {
        self.status = status
        self.code = issue.rule
        self.field = issue.field
        self.message = issue.message
    }

    var reason: String { message.zh }

    static func notFound() -> AppError {
        AppError(.notFound, "not_found", zh: "找不到这条记录", en: "No such record")
    }

    static let unauthenticated = AppError(.unauthorized, "auth.required", zh: "请先登录", en: "Please sign in first")

    static func forbidden(_ permission: Permission) -> AppError {
        AppError(.forbidden, "auth.forbidden",
                 zh: "您的账号没有“\(permission.name.zh)”权限", en: "Your account lacks the permission \"\(permission.name.en)\"")
    }

    static func required(_ field: String, zh: String, en: String) -> AppError {
        AppError(.unprocessableEntity, "field.required", field: field, zh: "\(zh)不能为空", en: "\(en) is required")
    }
}

/// Several broken rules at once, for forms and imports that report everything in one go.
struct ValidationFailure: AbortError, Sendable {
    var issues: [ValidationIssue]
    var status: HTTPResponseStatus { .unprocessableEntity }
    var reason: String { issues.map(\.message.zh).joined(separator: "；") }
}
