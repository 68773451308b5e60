import Fluent
import Vapor
import Leaf
import YiyangDomain

/// What every page's template receives besides its own content: the texts in the page's
/// language, the signed-in account, the navigation, the CSRF token and the two switches
/// (language, elder mode) that sit on every page.
struct PageContext<Content: Encodable>: Encodable {
    var t: [String: String]
    var lang: String
    var otherLang: String
    var otherLangLabel: String
    var elder: Bool
    var title: String
    var me: MeView?
    var nav: [NavItem]
    var csrf: String
    var path: String
    var notice: String?
    /// Seconds after which the page reloads itself (an import in progress), or nil.
    var refresh: String?
    var page: Content
}

struct MeView: Encodable {
    var username: String
    var displayName: String
    var roles: String
    var regionName: String
    var regionCode: String
    var isDemo: Bool
}

struct NavItem: Encodable {
    var label: String
    var href: String
    var active: Bool
}

struct Empty: Encodable {}

enum WebPage {
    /// Renders a template inside the layout.
    static func render<C: Encodable>(_ template: String, title: String, _ content: C, req: Request, status: HTTPStatus = .ok,
                                     notice: String? = nil) async throws -> Response {
        let locale = req.locale
        var me: MeView? = nil
        var nav: [NavItem] = []
        if let actor = req.actor {
            let regionName = try await Region.find(actor.region.value, on: req.db)?.name ?? actor.region.value
            me = MeView(username: actor.username, displayName: actor.displayName,
                        roles: actor.roles.map { $0.name.text(locale) }.joined(separator: "、"),
                        regionName: regionName, regionCode: actor.region.value, isDemo: actor.isDemo)
            nav = navigation(for: actor, locale: locale, path: req.url.path)
        }
        // The page's own address, encoded to travel as the `next=` of the switches.
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=?#+")
        let path = (req.url.path + (req.url.query.map { "?" + $0 } ?? "")).addingPercentEncoding(withAllowedCharacters: allowed) ?? "/"
        let ctx = PageContext(t: UIStrings.table(locale), lang: locale.rawValue,
                              otherLang: locale == .zh ? "en" : "zh", otherLangLabel: locale == .zh ? "English" : "中文",
                              elder: req.elderMode, title: title, me: me, nav: nav, csrf: CSRF.token(for: req),
                              path: path, notice: notice ?? req.query[String.self, at: "notice"].flatMap { UIStrings.notice($0, locale) },
                              refresh: (content as? any SelfRefreshing)?.refreshSeconds, page: content)
        let view = try await req.view.render(template, ctx)
        let res = try await view.encodeResponse(for: req)
        res.status = status
        res.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        res.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        res.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        res.headers.replaceOrAdd(name: "Content-Security-Policy",
                                 value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
        return res
    }

    /// The modules this release has built that the account may use, in SYSTEM.md's order:
    /// the home page's tiles and the navigation both come from here, so neither misses one.
    static func modules(for actor: Actor) -> [PlatformModule] {
        PlatformModule.all.filter { $0.available && actor.has($0.permission) }
    }

    static func navigation(for actor: Actor, locale: UILocale, path: String) -> [NavItem] {
        var items: [(String, String)] = [(UIStrings.text("nav_home", locale), "/")]
        // A module without a short name of its own is named by its permission.
        items += modules(for: actor).map { (UIStrings.all["nav_\($0.id)"]?.text(locale) ?? $0.permission.name.text(locale), $0.path) }
        if actor.has(.regionsView) { items.append((UIStrings.text("nav_regions", locale), "/regions")) }
        if actor.has(.usersView) { items.append((UIStrings.text("nav_users", locale), "/users")) }
        if actor.has(.usersView) { items.append((UIStrings.text("nav_roles", locale), "/roles")) }
        if actor.has(.auditView) { items.append((UIStrings.text("nav_audit", locale), "/audit")) }
        items.append((UIStrings.text("nav_profile", locale), "/profile"))
        return items.map { label, href in
            NavItem(label: label, href: href, active: href == "/" ? path == "/" : path.hasPrefix(href))
        }
    }

    /// Only local paths, so `next=` cannot send anyone to another site. Browsers drop tabs and
    /// newlines anywhere in a URL and read `\\` as `/` (WHATWG URL), so `/<TAB>/evil.example` is
    /// `//evil.example` to them: any control character, space or backslash refuses the path
    /// outright, and what is left must stay on a made-up host when resolved against it.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/"), !raw.hasPrefix("//") else { return "/" }
        let refused = raw.unicodeScalars.contains { s in
            s.value <= 0x20 || s.value == 0x7F || s == "\\" || s.properties.generalCategory == .format
                || s.properties.generalCategory == .control
        }
        guard !refused, let url = URL(string: "https://next.invalid" + raw), url.host == "next.invalid" else { return "/" }
        return raw
    }
}

/// The error page of the web side.
enum WebErrorPage {
    struct Content: Encodable {
        var status: Int
        var code: String
        var message: String
    }

    static func render(_ e: AppError, req: Request) async -> Response {
        let content = Content(status: Int(e.status.code), code: e.code, message: e.message.text(req.locale))
        if let res = try? await WebPage.render("error", title: UIStrings.text("error_title", req.locale), content, req: req, status: e.status) {
            return res
        }
        let res = Response(status: e.status, body: .init(string: "<!doctype html><meta charset=utf-8><title>\(e.status.code)</title><p>\(content.message.htmlEscaped())</p>"))
        res.headers.contentType = .html
        return res
    }
}

extension String {
    func htmlEscaped() -> String {
        var out = ""
        for c in self {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// CSRF protection for the web forms. A signed-in browser's token lives in its session;
/// before signing in (the login form) it is a random cookie that the form must echo.
enum CSRF {
    private struct NewTokenKey: StorageKey { typealias Value = String }

    static func token(for req: Request) -> String {
        if let t = req.actor?.csrfToken { return t }
        if let c = req.cookies[WebCookie.csrf]?.string, c.count >= 20 { return c }
        if let t = req.storage[NewTokenKey.self] { return t }
        let t = SessionSecrets.newToken()
        req.storage[NewTokenKey.self] = t
        return t
    }

    static func newCookieToken(_ req: Request) -> String? { req.storage[NewTokenKey.self] }

    static func expected(_ req: Request) -> String? {
        if let t = req.actor?.csrfToken { return t }
        return req.cookies[WebCookie.csrf]?.string
    }

    static func matches(_ sent: String?, _ req: Request) -> Bool {
        guard let expected = expected(req), let sent else { return false }
        let x = Array(sent.utf8), y = Array(expected.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func failure() -> AppError {
        AppError(.forbidden, "csrf.invalid", field: "_csrf",
                 zh: "表单已失效（缺少或错误的安全令牌），请返回刷新页面后重试",
                 en: "The form has expired (missing or wrong security token); go back, reload the page and try again")
    }

    private struct DeferredKey: StorageKey { typealias Value = Bool }

    /// A streamed multipart upload: its token is in the body, which has not been read when the
    /// middleware runs. `UploadSpool.form` checks it before it writes a byte of the file.
    static func isDeferred(_ req: Request) -> Bool { req.storage[DeferredKey.self] ?? false }
    fileprivate static func deferCheck(_ req: Request) { req.storage[DeferredKey.self] = true }
}

extension Route {
    /// Marks a route that reads its body as a stream through `UploadSpool.form`, which checks
    /// the form's CSRF token itself.
    @discardableResult
    func streamingUpload() -> Route {
        userInfo["yiyang.streamsUpload"] = true
        return self
    }
    var streamsUpload: Bool { userInfo["yiyang.streamsUpload"] as? Bool ?? false }
}

struct CSRFMiddleware: AsyncMiddleware {
    static let unsafeMethods: [HTTPMethod] = [.POST, .PUT, .PATCH, .DELETE]
    /// Forms other than streamed uploads are small; files go through `UploadSpool`.
    static let formLimit = 16 << 20

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if Self.unsafeMethods.contains(req.method) {
            if let header = req.headers.first(name: "X-CSRF-Token") {
                guard CSRF.matches(header, req) else { throw CSRF.failure() }
            } else if req.body.data == nil, req.route?.streamsUpload == true, req.headers.contentType?.type == "multipart" {
                CSRF.deferCheck(req)
            } else {
                // The route collects its body after the middleware has run; a form bigger than
                // the first network read would otherwise arrive here unread.
                if req.body.data == nil { _ = try await req.body.collect(max: Self.formLimit).get() }
                guard CSRF.matches(try? req.content.get(String.self, at: "_csrf"), req) else { throw CSRF.failure() }
            }
        }
        let res = try await next.respond(to: req)
        if let fresh = CSRF.newCookieToken(req) {
            res.cookies[WebCookie.csrf] = WebCookies.make(fresh, req: req, maxAge: nil)
        }
        return res
    }
}

enum WebCookies {
    /// HttpOnly, SameSite=Lax, and Secure when the platform is served over TLS.
    static func make(_ value: String, req: Request, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, expires: maxAge.map { Date().addingTimeInterval(TimeInterval($0)) }, maxAge: maxAge,
                          domain: nil, path: "/", isSecure: req.application.yiyang.secureCookies || req.url.scheme == "https",
                          isHTTPOnly: true, sameSite: .lax)
    }
}

/// A page that reloads itself while work goes on (no script: a `<meta>` refresh).
protocol SelfRefreshing { var refreshSeconds: String? { get } }
