import Fluent
import Vapor
import YiyangDomain

/// Sign-in, sign-out and the account's own settings.
struct SessionPages: RouteCollection {
    struct LoginForm: Content { var username: String?; var password: String?; var next: String? }
    struct LoginPage: Encodable { var username: String; var next: String; var error: String?; var demo: Bool }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("login", use: loginPage)
        routes.post("login", use: login)
    }

    func bootAuthenticated(routes: any RoutesBuilder) {
        routes.post("logout", use: logout)
        routes.get("profile", use: profile)
        routes.post("profile", use: saveProfile)
        routes.get("profile", "password", use: passwordPage)
        routes.post("profile", "password", use: changePassword)
    }

    @Sendable func loginPage(req: Request) async throws -> Response {
        if req.actor != nil { return req.redirect(to: "/") }
        let demo = try await DemoData.isDemoInstallation(req.db)
        return try await WebPage.render("login", title: UIStrings.text("login_title", req.locale),
                                        LoginPage(username: "", next: WebPage.safeNext(req.query[String.self, at: "next"]), error: nil, demo: demo), req: req)
    }

    @Sendable func login(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let next = WebPage.safeNext(form.next)
        do {
            let opened = try await SignIn.open(username: form.username ?? "", password: form.password ?? "", kind: .web,
                                               deviceToken: req.cookies[KnownDevice.cookie]?.string, on: req)
            // Someone tried this account before: its owner sees it first, with the attempts listed on the profile.
            let landing = opened.notice == nil ? next : "/profile?notice=failed_signins"
            let res = req.redirect(to: opened.user.mustChangePassword ? "/profile/password?required=1" : landing)
            res.cookies[KnownDevice.cookie] = WebCookies.make(opened.deviceToken, req: req, maxAge: KnownDevice.maxAge)
            res.cookies[WebCookie.session] = WebCookies.make(opened.token, req: req, maxAge: req.application.yiyang.webSessionSeconds)
            res.cookies[WebCookie.language] = WebCookies.make(opened.user.locale, req: req, maxAge: 365 * 86_400)
            return res
        } catch let e as AppError {
            let demo = try await DemoData.isDemoInstallation(req.db)
            return try await WebPage.render("login", title: UIStrings.text("login_title", req.locale),
                                            LoginPage(username: form.username ?? "", next: next, error: e.message.text(req.locale), demo: demo),
                                            req: req, status: e.status == .unauthorized ? .ok : e.status)
        }
    }

    @Sendable func logout(req: Request) async throws -> Response {
        try await SignIn.close(on: req)
        let res = req.redirect(to: "/login?notice=logged_out")
        res.cookies[WebCookie.session] = WebCookies.make("", req: req, maxAge: 0)
        return res
    }

    @Sendable func profile(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        let user = try await CurrentAccount.load(req)
        let l = req.locale
        let regionName = try await req.findScoped(Region.self, actor.region.value).name
        let failures = try await req.scoped(AuditEntry.self).filter(\.$entityID == actor.userID.uuidString)
            .filter(\.$action == AuditAction.loginFailed.rawValue).sort(\.$at, .descending).limit(10).all()
            .map { ProfilePage.Failure(at: ChinaTime.dateTime($0.at), from: $0.clientAddress) }
        return try await WebPage.render("profile", title: UIStrings.text("profile_title", l), ProfilePage(
            failedSignIns: failures,
            user: .init(username: user.username, displayName: user.displayName, regionCode: user.regionCode, locale: user.locale),
            // The account's own phone is not masked from its owner.
            phone: user.phone ?? UIStrings.text("none", l), regionName: regionName,
            roles: actor.roles.map { $0.name.text(l) }.joined(separator: "、"),
            permissions: actor.permissions.sorted { $0.rawValue < $1.rawValue }.map { $0.name.text(l) }.joined(separator: "、")), req: req)
    }

    struct ProfilePage: Encodable {
        struct U: Encodable { var username: String; var displayName: String; var regionCode: String; var locale: String }
        struct Failure: Encodable {
            var at: String
            var from: String
        }
        /// The account's last failed sign-ins, newest first: its owner sees who tried it.
        var failedSignIns: [Failure]
        var user: U
        var phone: String
        var regionName: String
        var roles: String
        var permissions: String
    }

    struct ProfileForm: Content { var locale: String }

    @Sendable func saveProfile(req: Request) async throws -> Response {
        let form = try req.content.decode(ProfileForm.self)
        guard let locale = UILocale(rawValue: form.locale) else {
            throw AppError(.unprocessableEntity, "locale.unknown", field: "locale", zh: "语言应为 zh 或 en", en: "Language must be zh or en")
        }
        let user = try await CurrentAccount.load(req)
        let before = user.locale
        user.locale = locale.rawValue
        try await user.save(on: req.db)
        try await AuditLog.record(on: req, action: .userUpdated, entityType: "user", entityID: user.id?.uuidString,
                                  region: user.regionCode, before: ["locale": before], after: ["locale": locale.rawValue])
        let res = req.redirect(to: "/profile?notice=profile_saved")
        res.cookies[WebCookie.language] = WebCookies.make(locale.rawValue, req: req, maxAge: 365 * 86_400)
        return res
    }

    struct PasswordPage: Encodable { var required: Bool; var errors: [String: String]; var policy: String }
    struct PasswordForm: Content { var currentPassword: String?; var newPassword: String? }

    static func policyText(_ req: Request) -> String {
        let p = req.application.yiyang.passwordPolicy
        return req.text(.init(zh: "至少 \(p.minimumLength) 个字符，包含大写字母、小写字母、数字、符号中的至少 \(p.minimumCharacterKinds) 类，不能包含用户名。",
                              en: "At least \(p.minimumLength) characters mixing \(p.minimumCharacterKinds) of: upper case, lower case, digits, symbols; not containing the username."))
    }

    @Sendable func passwordPage(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        return try await WebPage.render("password", title: UIStrings.text("password_change", req.locale),
                                        PasswordPage(required: actor.mustChangePassword || req.query[String.self, at: "required"] == "1",
                                                     errors: [:], policy: Self.policyText(req)), req: req)
    }

    @Sendable func changePassword(req: Request) async throws -> Response {
        let actor = try req.requireActor()
        let form = try req.content.decode(PasswordForm.self)
        do {
            try await CurrentAccount.changePassword(req, current: form.currentPassword ?? "", new: form.newPassword ?? "")
            return req.redirect(to: "/?notice=password_changed")
        } catch let e as ValidationFailure {
            var errors: [String: String] = [:]
            for i in e.issues { errors[i.field, default: ""] += (errors[i.field] == nil ? "" : "；") + i.message.text(req.locale) }
            return try await WebPage.render("password", title: UIStrings.text("password_change", req.locale),
                                            PasswordPage(required: actor.mustChangePassword, errors: errors, policy: Self.policyText(req)),
                                            req: req, status: .unprocessableEntity)
        } catch let e as AppError where e.field != nil {
            return try await WebPage.render("password", title: UIStrings.text("password_change", req.locale),
                                            PasswordPage(required: actor.mustChangePassword, errors: [e.field!: e.message.text(req.locale)],
                                                         policy: Self.policyText(req)), req: req, status: e.status)
        }
    }
}
