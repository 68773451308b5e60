import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/users`: account administration within the administrator's region.
struct UsersAPI: RouteCollection {
    struct CreateBody: Content {
        var username: String
        var displayName: String
        var phone: String?
        var regionCode: String
        var roles: [String]
        var password: String
    }

    struct UpdateBody: Content {
        var displayName: String?
        var phone: String?
        var regionCode: String?
        var roles: [String]?
        var enabled: Bool?
    }

    struct ResetAnswer: Content {
        var temporaryPassword: String
        var mustChangePassword: Bool
    }

    func boot(routes: any RoutesBuilder) throws {
        let users = routes.grouped("users")
        users.get(use: list)
        users.post(use: create)
        users.get(":userID", use: show)
        users.patch(":userID", use: update)
        users.post(":userID", "password-reset", use: resetPassword)
    }

    @Sendable func list(req: Request) async throws -> Paged<AccountService.View> {
        try req.require(.usersView)
        let page = try PageRequest(req)
        let q = try UserListFilter(req).apply(to: req.scoped(User.self))
        let total = try await q.count()
        let users = try await q.sort(\.$username).range(page.offset..<(page.offset + page.per)).with(\.$roles).all()
        return Paged(items: users.map { AccountService.view($0, roles: $0.roles.compactMap { Role(rawValue: $0.role) }) },
                    page: page.page, per: page.per, total: total)
    }

    @Sendable func show(req: Request) async throws -> AccountService.View {
        try req.require(.usersView)
        let user = try await req.findScoped(User.self, try userID(req))
        let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
        return AccountService.view(user, roles: roles)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.usersManage)
        let body = try req.content.decode(CreateBody.self)
        _ = try req.requireInScope(body.regionCode, field: "regionCode")
        let user = try await AccountService.create(
            .init(username: body.username, displayName: body.displayName, phone: body.phone, regionCode: body.regionCode,
                  roles: body.roles, password: body.password),
            grantor: actor.permissions, on: req.db, app: req.application)
        let roles = try await PermissionLookup.roles(of: user.requireID(), on: req.db)
        let view = AccountService.view(user, roles: roles)
        try await AuditLog.record(on: req, action: .userCreated, entityType: "user", entityID: user.id?.uuidString,
                                  region: user.regionCode, after: view)
        let res = Response(status: .created)
        try res.content.encode(view, as: .json)
        res.headers.replaceOrAdd(name: .location, value: "/api/v1/users/\(user.id!.uuidString)")
        return res
    }

    @Sendable func update(req: Request) async throws -> AccountService.View {
        let actor = try req.require(.usersManage)
        let body = try req.content.decode(UpdateBody.self)
        let user = try await req.findScoped(User.self, try userID(req))
        return try await UserChanges.apply(body, to: user, actor: actor, req: req)
    }

    @Sendable func resetPassword(req: Request) async throws -> ResetAnswer {
        try req.require(.usersManage)
        let user = try await req.findScoped(User.self, try userID(req))
        let password = try await UserChanges.resetPassword(user, req: req)
        return ResetAnswer(temporaryPassword: password, mustChangePassword: true)
    }

    func userID(_ req: Request) throws -> UUID {
        // A malformed id is as unknown as a missing one.
        guard let raw = req.parameters.get("userID"), let id = UUID(uuidString: raw) else { throw AppError.notFound() }
        return id
    }
}

/// Filters of the account list, shared by the API and the page.
struct UserListFilter {
    var text: String?
    var role: Role?
    var regionCode: String?
    var enabled: Bool?

    init(_ req: Request) throws {
        text = req.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces)
        if let r = req.query[String.self, at: "role"], !r.isEmpty {
            guard let role = Role(rawValue: r) else {
                throw AppError(.badRequest, "query.role", field: "role", zh: "未知角色“\(r)”", en: "Unknown role \"\(r)\"")
            }
            self.role = role
        }
        regionCode = req.query[String.self, at: "region"].flatMap { $0.isEmpty ? nil : $0 }
        if let e = req.query[String.self, at: "enabled"], !e.isEmpty { enabled = (e == "true" || e == "1") }
    }

    func apply(to q: QueryBuilder<User>) -> QueryBuilder<User> {
        var q = q
        if let text, !text.isEmpty {
            q = q.group(.or) {
                _ = LikePattern.filter($0, "username", before: "%", text: text.lowercased(), after: "%")
                _ = LikePattern.filter($0, "display_name", before: "%", text: text, after: "%")
            }
        }
        if let role {
            q = q.join(UserRole.self, on: \UserRole.$user.$id == \User.$id).filter(UserRole.self, \.$role == role.rawValue)
        }
        if let regionCode, let code = RegionCode(regionCode) {
            q = q.filter(\.$regionCode, .custom("LIKE"), code.prefix + "%")
        }
        if let enabled { q = q.filter(\.$enabled == enabled) }
        return q
    }
}

/// Changes to an account by an administrator, shared by the API and the pages.
enum UserChanges {
    static func apply(_ body: UsersAPI.UpdateBody, to user: User, actor: Actor, req: Request) async throws -> AccountService.View {
        let id = try user.requireID()
        let oldRoles = try await PermissionLookup.roles(of: id, on: req.db)
        let before = AccountService.view(user, roles: oldRoles)
        var issues: [ValidationIssue] = []
        if let name = body.displayName {
            if let issue = AccountFields.displayNameIssue(name) { issues.append(issue) } else { user.displayName = name.trimmingCharacters(in: .whitespaces) }
        }
        if let phone = body.phone {
            let p = phone.trimmingCharacters(in: .whitespaces)
            // A masked value sent back unchanged by a form keeps the stored number.
            if let issue = AccountFields.phoneIssue(p) { if !p.contains("*") { issues.append(issue) } }
            else { user.phone = p.isEmpty ? nil : p }
        }
        var newRoles: [Role]? = nil
        if let roles = body.roles {
            let parsed = roles.compactMap(Role.init(rawValue:))
            if parsed.count != roles.count || parsed.isEmpty {
                issues.append(ValidationIssue(field: "roles", rule: "roles.unknown",
                                              message: .init(zh: "角色无效：至少一个，且须为已知角色", en: "Roles invalid: at least one known role")))
            } else { newRoles = Role.allCases.filter(parsed.contains) }
        }
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        if let region = body.regionCode, region != user.regionCode {
            let code = try req.requireInScope(region, field: "regionCode")
            guard try await req.scoped(Region.self).filter(\.$id == code.value).count() > 0 else {
                throw AppError(.unprocessableEntity, "region.not_found", field: "regionCode", zh: "区划 \(region) 不存在", en: "Region \(region) does not exist")
            }
            user.regionCode = code.value
        }
        if let newRoles, Set(newRoles) != Set(oldRoles) {
            if id == actor.userID {
                throw AppError(.forbidden, "roles.self", field: "roles", zh: "不能修改自己的角色", en: "You cannot change your own roles")
            }
            try await AccountService.checkGrant(newRoles, grantor: actor.permissions, on: req.db)
        }
        var action = AuditAction.userUpdated
        if let enabled = body.enabled, enabled != user.enabled {
            if id == actor.userID, !enabled {
                throw AppError(.forbidden, "user.disable_self", field: "enabled", zh: "不能停用自己的账号", en: "You cannot disable your own account")
            }
            user.enabled = enabled
            action = enabled ? .userEnabled : .userDisabled
        }
        let rolesToSet = newRoles.flatMap { Set($0) != Set(oldRoles) ? $0 : nil }
        try await req.db.transaction { tx in
            try await user.save(on: tx)
            if let rolesToSet { try await AccountService.setRoles(user, to: rolesToSet, on: tx) }
            if !user.enabled { try await SignIn.revokeAll(userID: id, on: tx) }
        }
        let after = AccountService.view(user, roles: newRoles ?? oldRoles)
        try await AuditLog.record(on: req, action: action, entityType: "user", entityID: id.uuidString,
                                  region: user.regionCode, before: before, after: after)
        return after
    }

    /// Sets a random temporary password, unlocks the account, signs it out everywhere and
    /// makes the next sign-in choose a new password. The password is shown once to the admin.
    static func resetPassword(_ user: User, req: Request) async throws -> String {
        let password = AccountService.randomPassword()
        user.passwordHash = try await req.password.async.hash(password)
        user.mustChangePassword = true
        user.failedLogins = 0
        user.lockedUntil = nil
        try await user.save(on: req.db)
        // The reset lifts the delay others' wrong passwords put on the name.
        try await LoginThrottles(db: req.db, policy: req.application.yiyang.throttlePolicy).clearAccount(user.username)
        try await SignIn.revokeAll(userID: user.requireID(), on: req.db)
        try await AuditLog.record(on: req, action: .passwordReset, entityType: "user", entityID: user.id?.uuidString,
                                  region: user.regionCode, after: ["mustChangePassword": true, "sessionsRevoked": true])
        return password
    }
}
