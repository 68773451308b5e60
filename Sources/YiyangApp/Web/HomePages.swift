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
    struct ModuleTile: Encodable { var number: Int; var title: String; var summary: String; var path: String }
    struct Home: Encodable {
        var heading: String; var intro: String?
        var sections: [HomeWork.Section]; var figures: [HomeWork.Figure]; var figuresTitle: String
        var portal: HomePortal.Page?
        var tools: [Tile]; var modules: [ModuleTile]; var showModules: Bool; var noModules: Bool
    }

    /// Each account's work comes first, by the roles it holds (an account may hold several):
    /// then the platform tools and the modules it may open. A family member or an elderly
    /// person gets the person's page instead, with no "workbench" and no platform heading.
    @Sendable func home(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        let l = req.locale
        let roles = Set(actor.roles)
        var sections: [HomeWork.Section] = []
        var figures: [HomeWork.Figure] = []
        if roles.contains(.caregiver), let s = try await HomeWork.caregiverVisits(req, actor) { sections.append(s) }
        if roles.contains(.provider), let s = try await HomeWork.dispatcherQueue(req, actor) { sections.append(s) }
        if roles.contains(.mealPoint), let s = try await HomeWork.mealCounter(req, actor) { sections.append(s) }
        if roles.contains(.assessor) { sections += try await HomeWork.assessorCases(req, actor) }
        if roles.contains(.institution), let s = try await HomeWork.homes(req, actor) { sections.append(s) }
        if roles.contains(.bureau) {
            if let s = try await HomeWork.approvals(req, actor) { sections.append(s) }
            if let s = try await HomeWork.benefitCases(req, actor) { sections.append(s) }
            figures = try await HomeWork.figures(req, actor)
        } else if roles.contains(.township) || roles.contains(.community) {
            for part in [HomeWork.benefitCases, HomeWork.dueAssessments, HomeWork.serviceExceptions, HomeWork.familyLinks] {
                if let s = try await part(req, actor) { sections.append(s) }
            }
        }
        let portalOnly = !roles.isEmpty && roles.isSubset(of: [.family, .elder])
        var portal: HomePortal.Page? = nil
        if (roles.contains(.family) || roles.contains(.elder)) && actor.has(.portalUse) {
            portal = try await HomePortal.page(req, actor)
        }
        let toolList: [(Permission, String, LocalizedText, String)] = [
            (.regionsView, "nav_regions", .init(zh: "统计用区划代码树，浏览与导入", en: "The division code tree: browse and import"), "/regions"),
            (.usersView, "nav_users", .init(zh: "创建、停用账号，重置密码", en: "Create and disable accounts, reset passwords"), "/users"),
            (.usersView, "nav_roles", .init(zh: "每个角色的权限表", en: "What each role may do"), "/roles"),
            (.auditView, "nav_audit", .init(zh: "谁在何时做了什么", en: "Who did what, when"), "/audit"),
        ]
        let tools = toolList.filter { actor.has($0.0) }.map { Tile(title: UIStrings.text($0.1, l), summary: req.text($0.2), href: $0.3) }
        // Only modules this release has built: a tile that leads nowhere is not offered.
        let modules = WebPage.modules(for: actor).map {
            ModuleTile(number: $0.number, title: req.text($0.permission.name), summary: req.text($0.summary), path: $0.path)
        }
        let heading = UIStrings.text(portalOnly ? (roles == [.elder] ? "home_title_elder" : "home_title_family") : "home_title", l)
        return try await WebPage.render("home", title: heading, Home(
            heading: heading, intro: portalOnly ? nil : UIStrings.text("home_intro", l),
            sections: sections, figures: figures, figuresTitle: UIStrings.text("home_figures", l), portal: portal,
            tools: portalOnly ? [] : tools, modules: portalOnly ? [] : modules, showModules: !portalOnly && !modules.isEmpty,
            noModules: !portalOnly && modules.isEmpty && sections.isEmpty && tools.isEmpty), req: req)
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
