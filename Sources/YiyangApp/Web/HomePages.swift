import Fluent
import Vapor
import YiyangDomain

/// The home page, the two switches every page carries, and the static files.
struct HomePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("preferences", use: preferences)
    }

    /// Static files need no account, so they skip the session lookup.
    func bootBare(routes: any RoutesBuilder) {
        routes.get("static", ":file", use: staticFile)
        // Browsers ask for /favicon.ico whatever the page links; answer with the same drawing.
        routes.get("favicon.ico") { req async throws -> Response in
            req.parameters.set("file", to: "favicon.svg")
            return try await staticFile(req: req)
        }
    }

    func bootAuthenticated(routes: any RoutesBuilder) {
        routes.get(use: home)
    }

    struct Tile: Encodable { var title: String; var summary: String; var href: String }
    struct ModuleTile: Encodable { var number: Int; var title: String; var summary: String; var available: Bool; var path: String }
    struct Home: Encodable { var tools: [Tile]; var modules: [ModuleTile]; var hasModules: Bool }

    @Sendable func home(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        let l = req.locale
        var tools: [Tile] = []
        if actor.has(.regionsView) { tools.append(Tile(title: UIStrings.text("nav_regions", l), summary: req.text(.init(zh: "统计用区划代码树，浏览与导入", en: "The division code tree: browse and import")), href: "/regions")) }
        if actor.has(.usersView) { tools.append(Tile(title: UIStrings.text("nav_users", l), summary: req.text(.init(zh: "创建、停用账号，重置密码", en: "Create and disable accounts, reset passwords")), href: "/users")) }
        if actor.has(.usersView) { tools.append(Tile(title: UIStrings.text("nav_roles", l), summary: req.text(.init(zh: "每个角色的权限表", en: "What each role may do")), href: "/roles")) }
        if actor.has(.auditView) { tools.append(Tile(title: UIStrings.text("nav_audit", l), summary: req.text(.init(zh: "谁在何时做了什么", en: "Who did what, when")), href: "/audit")) }
        tools.append(Tile(title: UIStrings.text("nav_profile", l), summary: req.text(.init(zh: "语言、密码", en: "Language, password")), href: "/profile"))
        let modules = PlatformModule.all.filter { actor.has($0.permission) }.map {
            ModuleTile(number: $0.number, title: req.text($0.permission.name), summary: req.text($0.summary), available: $0.available, path: $0.path)
        }
        return try await WebPage.render("home", title: UIStrings.text("home_title", l),
                                        Home(tools: tools, modules: modules, hasModules: !modules.isEmpty), req: req)
    }

    /// `?lang=zh|en` and `?elder=1|0`, then back to `next`. A preference, not data: a cookie
    /// a year long, and no form needed, so it works from any page without scripts.
    @Sendable func preferences(req: Request) async throws -> Response {
        let res = req.redirect(to: WebPage.safeNext(req.query[String.self, at: "next"]))
        if let lang = req.query[String.self, at: "lang"], UILocale(rawValue: lang) != nil {
            res.cookies[WebCookie.language] = WebCookies.make(lang, req: req, maxAge: 365 * 86_400)
        }
        if let elder = req.query[String.self, at: "elder"] {
            res.cookies[WebCookie.elderMode] = WebCookies.make(elder == "1" ? "1" : "0", req: req, maxAge: 365 * 86_400)
        }
        return res
    }

    @Sendable func staticFile(req: Request) async throws -> Response {
        let name = req.parameters.get("file") ?? ""
        guard let asset = StaticAssets.shared.assets[name] else { throw AppError.notFound() }
        let res = Response(status: .ok, body: .init(string: asset.body))
        res.headers.contentType = asset.type
        res.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return res
    }
}

/// The stylesheet, the script and the icon, read once from the bundle.
final class StaticAssets: Sendable {
    struct Asset: Sendable { var body: String; var type: HTTPMediaType }
    let assets: [String: Asset]

    static let shared = StaticAssets()

    init() {
        var found: [String: Asset] = [:]
        if case let dir = Bundle.module.bundleURL.appendingPathComponent("Resources/Public"),
           let files = try? FileManager.default.contentsOfDirectory(atPath: dir.path) {
            for f in files {
                guard let body = try? String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8) else { continue }
                let type: HTTPMediaType = f.hasSuffix(".css") ? HTTPMediaType(type: "text", subType: "css", parameters: ["charset": "utf-8"])
                    : f.hasSuffix(".js") ? HTTPMediaType(type: "text", subType: "javascript", parameters: ["charset": "utf-8"])
                    : f.hasSuffix(".svg") ? HTTPMediaType(type: "image", subType: "svg+xml") : .plainText
                found[f] = Asset(body: body, type: type)
            }
        }
        assets = found
    }
}
