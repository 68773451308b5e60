import Vapor
import Leaf
import YiyangDomain

/// Turns every error into the documented shape: JSON `{"error": {code, message, field}}` on
/// the API, a page in the user's language on the web. Nothing internal leaks to the client.
struct AppErrorMiddleware: AsyncMiddleware {
    struct Body: Content {
        struct Detail: Content {
            var code: String
            var message: String
            var field: String?
        }
        struct Inner: Content {
            var code: String
            var message: String
            var field: String?
            var details: [Detail]?
        }
        var error: Inner
    }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: req)
        } catch {
            let appError = Self.describe(error, req: req)
            if appError.status == .internalServerError {
                req.logger.report(error: error)
            }
            if req.isAPI || req.headers.accept.mediaTypes.contains(.json) && !req.headers.accept.mediaTypes.contains(.html) {
                return Self.json(appError, details: (error as? ValidationFailure)?.issues, req: req)
            }
            if appError.status == .unauthorized {
                let next = req.url.path + (req.url.query.map { "?" + $0 } ?? "")
                return req.redirect(to: "/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "/"))
            }
            return await WebErrorPage.render(appError, req: req)
        }
    }

    static func json(_ e: AppError, details: [ValidationIssue]?, req: Request) -> Response {
        let locale = req.locale
        let body = Body(error: .init(code: e.code, message: e.message.text(locale), field: e.field,
                                     details: details.map { $0.map { .init(code: $0.rule, message: $0.message.text(locale), field: $0.field) } }))
        let res = Response(status: e.status)
        try? res.content.encode(body, as: .json)
        if e.status == .unauthorized {
            res.headers.replaceOrAdd(name: .wwwAuthenticate, value: "Bearer realm=\"yiyang\"")
        }
        return res
    }

    static func describe(_ error: any Error, req: Request) -> AppError {
        switch error {
        case let e as AppError:
            return e
        case let e as ValidationFailure:
            if let first = e.issues.first { return AppError(.unprocessableEntity, issue: first) }
            return AppError(.unprocessableEntity, "invalid", zh: "输入有误", en: "Invalid input")
        case let e as ValidationIssue:
            return AppError(.unprocessableEntity, issue: e)
        case let e as DecodingError:
            return decoding(e, body: req.body.data)
        case let e as any AbortError:
            // Vapor answers a missing body with a bare 422 (or 415 without a content type): say what is missing.
            // Empty means no bytes were sent at all; a streamed upload has no collected body and is not empty.
            let declared = req.headers.first(name: .contentLength).flatMap(Int.init)
            let sentNothing = declared == 0 || (declared == nil && req.headers.first(name: .transferEncoding) == nil)
            if [.unprocessableEntity, .badRequest, .unsupportedMediaType].contains(e.status), [.POST, .PUT, .PATCH].contains(req.method),
               (req.body.data?.readableBytes ?? 0) == 0, sentNothing {
                return AppError(.badRequest, "body.empty", field: "body", zh: "请求内容为空：应为 JSON 对象",
                                en: "The request body is empty; send a JSON object")
            }
            return fromStatus(e.status)
        default:
            return AppError(.internalServerError, "internal", zh: "服务器内部错误，请稍后再试；问题已记录", en: "Internal error; it has been logged, please try again later")
        }
    }

    static func decoding(_ e: DecodingError, body: ByteBuffer? = nil) -> AppError {
        func path(_ ctx: DecodingError.Context, extra: CodingKey? = nil) -> String {
            (ctx.codingPath + (extra.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch e {
        case .keyNotFound(let key, let ctx):
            let f = path(ctx, extra: key)
            return AppError(.badRequest, "body.field_missing", field: f, zh: "缺少字段 \(f)", en: "Field \(f) is missing")
        case .typeMismatch(let type, let ctx):
            let f = path(ctx)
            if f.isEmpty {
                return AppError(.badRequest, "body.not_object", field: "body", zh: "请求内容应为 JSON 对象（{…}），不是\(jsonKind(body).zh)",
                                en: "The request body must be a JSON object ({…}), not \(jsonKind(body).en)")
            }
            return AppError(.badRequest, "body.field_type", field: f, zh: "字段 \(f) 的类型不对，应为\(typeName(type).zh)",
                            en: "Field \(f) has the wrong type; expected \(typeName(type).en)")
        case .valueNotFound(let type, let ctx):
            let f = path(ctx)
            return AppError(.badRequest, "body.field_null", field: f, zh: "字段 \(f) 不能为空值，应为\(typeName(type).zh)",
                            en: "Field \(f) must not be null; expected \(typeName(type).en)")
        case .dataCorrupted(let ctx):
            let f = path(ctx)
            if f.isEmpty {
                // Foundation reports a number that does not fit the field's type (12.5 for a whole
                // number of fen) without its path: valid JSON then, and the field is the one holding it.
                if let field = fractionalNumberField(body, reported: ctx.debugDescription) {
                    return AppError(.badRequest, "body.field_type", field: field, zh: "字段 \(field) 的类型不对，应为整数",
                                    en: "Field \(field) has the wrong type; expected a whole number")
                }
                return AppError(.badRequest, "body.malformed", zh: "请求内容不是有效的 JSON", en: "The request body is not valid JSON")
            }
            return AppError(.badRequest, "body.field_invalid", field: f, zh: "字段 \(f) 的值无效", en: "Field \(f) has an invalid value")
        @unknown default:
            return AppError(.badRequest, "body.malformed", zh: "请求内容格式不正确", en: "The request body is malformed")
        }
    }

    /// The path of the number Foundation could not fit, in a valid JSON body: the one its message
    /// quotes (`<12.5>`) when it does, else the first number with a fraction; nil if none.
    static func fractionalNumberField(_ body: ByteBuffer?, reported: String = "") -> String? {
        guard let body, let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed]) else {
            return nil
        }
        let quoted = reported.firstRange(of: "<").flatMap { open in
            reported[open.upperBound...].firstRange(of: ">").flatMap { Double(reported[open.upperBound..<$0.lowerBound]) }
        }
        func find(_ value: Any, _ path: String, _ wanted: Double?) -> String? {
            if let dict = value as? [String: Any] {
                for key in dict.keys.sorted() {
                    if let hit = find(dict[key]!, path.isEmpty ? key : path + "." + key, wanted) { return hit }
                }
            } else if let array = value as? [Any] {
                for (i, v) in array.enumerated() { if let hit = find(v, path + "[\(i)]", wanted) { return hit } }
            } else if let n = value as? NSNumber {
                if let wanted { return n.doubleValue == wanted ? path : nil }
                if n.doubleValue.rounded() != n.doubleValue { return path }
            }
            return nil
        }
        return quoted.flatMap { find(json, "", $0) } ?? find(json, "", nil)
    }

    static func jsonKind(_ body: ByteBuffer?) -> LocalizedText {
        switch body?.readableBytesView.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
        case UInt8(ascii: "["): LocalizedText(zh: "数组", en: "an array")
        case UInt8(ascii: "\""): LocalizedText(zh: "文本", en: "a string")
        default: LocalizedText(zh: "单个值", en: "a single value")
        }
    }

    static func typeName(_ t: Any.Type) -> LocalizedText {
        let n = String(describing: t)
        if n.contains("String") { return LocalizedText(zh: "文本", en: "a string") }
        if n.contains("Int") || n.contains("Double") { return LocalizedText(zh: "数字", en: "a number") }
        if n.contains("Bool") { return LocalizedText(zh: "true 或 false", en: "true or false") }
        if n.contains("Array") { return LocalizedText(zh: "数组", en: "an array") }
        if n.contains("Dictionary") { return LocalizedText(zh: "对象", en: "an object") }
        return LocalizedText(zh: "正确的类型", en: "the documented type")
    }

    static func fromStatus(_ status: HTTPResponseStatus) -> AppError {
        switch status.code {
        case 400: AppError(status, "bad_request", zh: "请求有误", en: "Bad request")
        case 401: AppError.unauthenticated
        case 403: AppError(status, "auth.forbidden", zh: "没有权限", en: "Forbidden")
        case 404: AppError.notFound()
        case 405: AppError(status, "method_not_allowed", zh: "不支持此请求方法", en: "Method not allowed")
        case 413: AppError(status, "body.too_large", zh: "上传内容过大", en: "The request body is too large")
        case 415: AppError(status, "body.unsupported_type", zh: "不支持的内容类型", en: "Unsupported content type")
        case 429: AppError(status, "rate_limited", zh: "请求过于频繁，请稍后再试", en: "Too many requests; try again later")
        case 400..<500: AppError(status, "client_error", zh: "请求有误", en: "Bad request")
        default: AppError(.internalServerError, "internal", zh: "服务器内部错误，请稍后再试；问题已记录", en: "Internal error; it has been logged, please try again later")
        }
    }
}
