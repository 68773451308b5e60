import Fluent
import Vapor
import YiyangDomain

/// Account administration pages: list, create, show, edit, reset, disable.
struct UserPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("users")
        users.get(use: list)
        users.get("new", use: newForm)
        users.post(use: create)
        users.get(":userID", use: show)
        users.get(":userID", "edit", use: editForm)
        users.post(":userID", use: update)
        users.post(":userID", "password-reset", use: reset)
        users.post(":userID", "enabled", use: setEnabled)
    }

    struct Row: Encodable { var id: String; var username: String; var displayName: String; var roles: String; var region: String; var phone: String; var status: String }
    struct Option: Encodable { var code: String; var name: String; var selected: Bool }
    struct ListPage: Encodable {
        var users: [Row]; var total: Int; var q: String; var roleOptions: [Option]; var canManage: Bool
        var prev: String?; var next: String?; var pageNumber: Int; var pageCount: Int
    }

    static func status(_ v: AccountService.View, _ l: UILocale) -> String {
        if !v.enabled { return UIStrings.text("status_disabled", l) }
        if v.locked { return UIStrings.text("status_locked", l) }
        if v.mustChangePassword { return UIStrings.text("status_must_change", l) }
        return UIStrings.text("status_enabled", l)
    }

    @Sendable func list(req: Request) async throws -> Response {
        let actor = try req.require(.usersView)
        let l = req.locale
        let page = try PageRequest(req, defaultPer: 30)
        let filter = try UserListFilter(req)
        let q = filter.apply(to: try req.scoped(User.self))
        let total = try await q.count()
        let users = try await q.sort(\.$username).range(page.offset..<(page.offset + page.per)).with(\.$roles).all()
        let regionNames = try await RegionPicker.names(of: users.map(\.regionCode), req: req)
        let rows = users.map { u -> Row in
            let v = AccountService.view(u, roles: u.roles.compactMap { Role(rawValue: $0.role) })
            return Row(id: v.id.uuidString, username: v.username, displayName: v.displayName,
                       roles: v.roles.compactMap { Role(rawValue: $0)?.name.text(l) }.joined(separator: "、"),
                       region: regionNames[v.regionCode] ?? v.regionCode, phone: v.phone ?? "", status: Self.status(v, l))
        }
        let pager = Pager(req: req, page: page, total: total)
        return try await WebPage.render("users", title: UIStrings.text("users_title", l), ListPage(
            users: rows, total: total, q: filter.text ?? "",
            roleOptions: Role.allCases.map { Option(code: $0.rawValue, name: $0.name.text(l), selected: $0 == filter.role) },
            canManage: actor.has(.usersManage), prev: pager.prev, next: pager.next, pageNumber: page.page, pageCount: pager.pageCount), req: req)
    }

    struct RegionOption: Encodable { var code: String; var label: String; var selected: Bool }
    struct FormPage: Encodable {
        var heading: String; var action: String; var cancel: String; var isNew: Bool
        var values: [String: String]; var errors: [String: String]
        var regionOptions: [RegionOption]; var roleOptions: [Option]; var policy: String
    }

    /// Regions an account may be placed in: the administrator's region and below, down to
    /// township level (villages would make the list thousands long; the API takes any code).
    func regionOptions(_ req: Request, selected: String) async throws -> [RegionOption] {
        let regions = try await req.scoped(Region.self)
            .filter(\.$level ~~ [RegionLevel.nation, .province, .city, .county, .township].map(\.rawValue))
            .sort(\.$id).limit(2000).all()
        var options = regions.map { r in
            RegionOption(code: r.id ?? "", label: String(repeating: "　", count: max(0, RegionLevel(rawValue: r.level)!.depth - 1)) + "\(r.name)（\(r.id ?? "")）",
                         selected: r.id == selected)
        }
        if !options.contains(where: { $0.selected }), !selected.isEmpty,
           let r = try await req.scoped(Region.self).filter(\.$id == selected).first() {
            options.append(RegionOption(code: selected, label: "\(r.name)（\(selected)）", selected: true))
        }
        return options
    }

    func roleOptions(_ req: Request, selected: [String]) -> [Option] {
        Role.allCases.map { Option(code: $0.rawValue, name: $0.name.text(req.locale), selected: selected.contains($0.rawValue)) }
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        return try await renderForm(req, isNew: true, action: "/users", cancel: "/users",
                                    values: ["regionCode": actor.region.value], roles: [], errors: [:])
    }

    func renderForm(_ req: Request, isNew: Bool, action: String, cancel: String, values: [String: String], roles: [String],
                    errors: [String: String], status: HTTPStatus = .ok) async throws -> Response {
        let l = req.locale
        let heading = UIStrings.text(isNew ? "users_new_title" : "users_edit_title", l)
        return try await WebPage.render("user-form", title: heading, FormPage(
            heading: heading, action: action, cancel: cancel, isNew: isNew, values: values, errors: errors,
            regionOptions: try await regionOptions(req, selected: values["regionCode"] ?? ""),
            roleOptions: roleOptions(req, selected: roles), policy: SessionPages.policyText(req)), req: req, status: status)
    }

    struct UserForm: Content {
        var username: String?
        var displayName: String?
        var phone: String?
        var regionCode: String?
        var roles: [String]?
        var password: String?
    }

    static func fieldErrors(_ error: any Error, _ l: UILocale) -> [String: String]? {
        switch error {
        case let e as ValidationFailure:
            var out: [String: String] = [:]
            for i in e.issues { out[i.field] = (out[i.field].map { $0 + "；" } ?? "") + i.message.text(l) }
            return out
        case let e as AppError where e.status != .notFound:
            return [e.field ?? "form": e.message.text(l)]
        default:
            return nil
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        let form = try req.content.decode(UserForm.self)
        let values = ["username": form.username ?? "", "displayName": form.displayName ?? "", "phone": form.phone ?? "",
                      "regionCode": form.regionCode ?? ""]
        do {
            _ = try req.requireInScope(form.regionCode ?? "", field: "regionCode")
            let user = try await AccountService.create(
                .init(username: form.username ?? "", displayName: form.displayName ?? "", phone: form.phone,
                      regionCode: form.regionCode ?? "", roles: form.roles ?? [], password: form.password ?? ""),
                grantor: actor.permissions, on: req.db, app: req.application)
            let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
            try await AuditLog.record(on: req, action: .userCreated, entityType: "user", entityID: user.id?.uuidString,
                                      region: user.regionCode, after: AccountService.view(user, roles: roles))
            return req.redirect(to: "/users/\(user.id!.uuidString)?notice=user_created")
        } catch {
            guard let errors = Self.fieldErrors(error, req.locale) else { throw error }
            return try await renderForm(req, isNew: true, action: "/users", cancel: "/users", values: values,
                                        roles: form.roles ?? [], errors: errors, status: .unprocessableEntity)
        }
    }

    struct ShowPage: Encodable {
        var user: AccountService.View; var roles: String; var regionName: String; var status: String; var lastLogin: String
        var canManage: Bool; var canAudit: Bool; var isSelf: Bool; var temporaryPassword: String?
    }

    func userID(_ req: Request) throws -> UUID {
        guard let raw = req.parameters.get("userID"), let id = UUID(uuidString: raw) else { throw AppError.notFound() }
        return id
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await renderShow(req, temporaryPassword: nil)
    }

    func renderShow(_ req: Request, temporaryPassword: String?) async throws -> Response {
        let actor = try req.require(.usersView)
        let l = req.locale
        let user = try await req.findScoped(User.self, try userID(req))
        let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
        let view = AccountService.view(user, roles: roles)
        let regionName = try await req.scoped(Region.self).filter(\.$id == user.regionCode).first()?.name ?? user.regionCode
        return try await WebPage.render("user", title: user.displayName, ShowPage(
            user: view, roles: roles.map { $0.name.text(l) }.joined(separator: "、"), regionName: regionName,
            status: Self.status(view, l), lastLogin: user.lastLoginAt.map(ChinaTime.dateTime) ?? UIStrings.text("never", l),
            canManage: actor.has(.usersManage), canAudit: actor.has(.auditView), isSelf: user.id == actor.userID,
            temporaryPassword: temporaryPassword), req: req)
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        try req.require(.usersManage)
        let user = try await req.findScoped(User.self, try userID(req))
        let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
        let id = user.id!.uuidString
        return try await renderForm(req, isNew: false, action: "/users/\(id)", cancel: "/users/\(id)",
                                    // The phone stays masked in the form; sent back unchanged it keeps the stored number.
                                    values: ["displayName": user.displayName, "phone": user.phone.map(Masking.phone) ?? "", "regionCode": user.regionCode],
                                    roles: roles.map(\.rawValue), errors: [:])
    }

    @Sendable func update(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        let user = try await req.findScoped(User.self, try userID(req))
        let form = try req.content.decode(UserForm.self)
        let id = user.id!.uuidString
        do {
            _ = try await UserChanges.apply(.init(displayName: form.displayName ?? "", phone: form.phone ?? "",
                                                  regionCode: form.regionCode, roles: form.roles ?? [], enabled: nil),
                                            to: user, actor: actor, req: req)
            return req.redirect(to: "/users/\(id)?notice=user_saved")
        } catch {
            guard let errors = Self.fieldErrors(error, req.locale) else { throw error }
            return try await renderForm(req, isNew: false, action: "/users/\(id)", cancel: "/users/\(id)",
                                        values: ["displayName": form.displayName ?? "", "phone": form.phone ?? "", "regionCode": form.regionCode ?? ""],
                                        roles: form.roles ?? [], errors: errors, status: .unprocessableEntity)
        }
    }

    @Sendable func reset(req: Request) async throws -> Response {
        try req.require(.usersManage)
        let user = try await req.findScoped(User.self, try userID(req))
        let password = try await UserChanges.resetPassword(user, req: req)
        // Shown on this answer only; never stored or sent again.
        return try await renderShow(req, temporaryPassword: password)
    }

    struct EnabledForm: Content { var enabled: String }

    @Sendable func setEnabled(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        let user = try await req.findScoped(User.self, try userID(req))
        let form = try req.content.decode(EnabledForm.self)
        _ = try await UserChanges.apply(.init(enabled: form.enabled == "true"), to: user, actor: actor, req: req)
        return req.redirect(to: "/users/\(user.id!.uuidString)?notice=user_saved")
    }
}

/// Previous/next links that keep the other query parameters.
struct Pager {
    var prev: String?
    var next: String?
    var pageCount: Int

    init(req: Request, page: PageRequest, total: Int) {
        pageCount = max(1, (total + page.per - 1) / page.per)
        func link(_ n: Int) -> String {
            var items = (req.url.query ?? "").split(separator: "&").filter { !$0.hasPrefix("page=") }.map(String.init)
            items.append("page=\(n)")
            return req.url.path + "?" + items.joined(separator: "&")
        }
        prev = page.page > 1 ? link(page.page - 1) : nil
        next = page.page < pageCount ? link(page.page + 1) : nil
    }
}

/// The permission matrix page.
struct RolePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("roles", use: matrix)
        routes.post("roles", use: save)
    }

    struct Cell: Encodable { var key: String; var on: Bool; var label: String }
    struct Row: Encodable { var code: String; var name: String; var cells: [Cell] }
    struct Col: Encodable { var code: String; var name: String }
    struct Matrix: Encodable { var roles: [Col]; var rows: [Row]; var canEdit: Bool; var platformOnly: Bool }

    @Sendable func matrix(req: Request) async throws -> Response {
        let actor = try req.require(.usersView)
        let l = req.locale
        let table = try await RoleTable.load(on: req.db)
        // The table is platform-wide: RoleTable.replace refuses an admin below the top region, so
        // such an admin sees it read-only, with the reason, rather than a form whose save fails.
        let canEdit = actor.has(.rolesManage) ? try await PlatformLevel.isPlatformWide(actor.region, on: req.db) : false
        let rows = Permission.allCases.map { p in
            Row(code: p.rawValue, name: p.name.text(l), cells: table.map { role, perms in
                Cell(key: "\(role.rawValue):\(p.rawValue)", on: perms.contains(p), label: "\(role.name.text(l)) · \(p.name.text(l))")
            })
        }
        return try await WebPage.render("roles", title: UIStrings.text("roles_title", l), Matrix(
            roles: table.map { Col(code: $0.0.rawValue, name: $0.0.name.text(l)) }, rows: rows,
            canEdit: canEdit, platformOnly: actor.has(.rolesManage) && !canEdit), req: req)
    }

    struct Form: Content { var grant: [String]? }

    @Sendable func save(req: Request) async throws -> Response {
        try req.require(.rolesManage)
        let form = try req.content.decode(Form.self)
        var wanted: [Role: Set<Permission>] = [:]
        for key in form.grant ?? [] {
            let parts = key.split(separator: ":").map(String.init)
            guard parts.count == 2, let role = Role(rawValue: parts[0]), let p = Permission(rawValue: parts[1]) else { continue }
            wanted[role, default: []].insert(p)
        }
        let current = try await RoleTable.load(on: req.db)
        for (role, perms) in current where perms != (wanted[role] ?? []) {
            _ = try await RoleTable.replace(role, with: wanted[role] ?? [], req: req)
        }
        return req.redirect(to: "/roles?notice=roles_saved")
    }
}
