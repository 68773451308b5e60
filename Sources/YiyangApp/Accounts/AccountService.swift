import Fluent
import Vapor
import YiyangDomain

/// Creating and changing accounts, shared by the API, the web pages and the CLI, so the rules
/// (username form, password strength, region in scope, no granting beyond one's own powers)
/// hold whichever door is used.
enum AccountService {
    struct NewAccount {
        var username: String
        var displayName: String
        var phone: String?
        var regionCode: String
        var roles: [String]
        var password: String
    }

    /// Checks a new account's fields; returns every problem at once.
    static func validate(_ a: NewAccount, policy: PasswordPolicy, checkPassword: Bool = true) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        let username = a.username.trimmingCharacters(in: .whitespaces).lowercased()
        issues += [AccountFields.usernameIssue(username), AccountFields.displayNameIssue(a.displayName),
                   AccountFields.phoneIssue(a.phone ?? "")].compactMap { $0 }
        if a.roles.isEmpty {
            issues.append(ValidationIssue(field: "roles", rule: "roles.required", message: LocalizedText(zh: "至少选择一个角色", en: "Choose at least one role")))
        }
        for r in a.roles where Role(rawValue: r) == nil {
            issues.append(ValidationIssue(field: "roles", rule: "roles.unknown", message: LocalizedText(
                zh: "未知角色“\(r)”，可选：\(Role.allCases.map(\.rawValue).joined(separator: "、"))",
                en: "Unknown role \"\(r)\"; one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")))
        }
        if checkPassword { issues += policy.check(a.password, username: username) }
        return issues
    }

    /// Creates an account. `grantor` is the permissions of whoever creates it (nil for the CLI
    /// run by the machine's operator), who may give no role with powers they lack themselves.
    static func create(_ a: NewAccount, grantor: Set<Permission>?, on db: any Database, app: Application,
                       mustChangePassword: Bool = false, isDemo: Bool = false) async throws -> User {
        let issues = validate(a, policy: app.yiyang.passwordPolicy)
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        let username = a.username.trimmingCharacters(in: .whitespaces).lowercased()
        let roles = a.roles.compactMap(Role.init(rawValue:))
        guard let region = RegionCode(a.regionCode), try await Region.find(region.value, on: db) != nil else {
            throw AppError(.unprocessableEntity, "region.not_found", field: "regionCode",
                           zh: "区划 \(a.regionCode) 不存在", en: "Region \(a.regionCode) does not exist")
        }
        if let grantor { try await checkGrant(roles, grantor: grantor, on: db) }
        if try await User.query(on: db).filter(\.$username == username).count() > 0 {
            throw AppError(.conflict, "username.taken", field: "username", zh: "用户名“\(username)”已被使用", en: "Username \"\(username)\" is taken")
        }
        let hash = try await app.password.async.hash(a.password)
        let phone = a.phone?.trimmingCharacters(in: .whitespaces)
        let user = User(username: username, displayName: a.displayName.trimmingCharacters(in: .whitespaces),
                        phone: (phone?.isEmpty ?? true) ? nil : phone, regionCode: region.value, passwordHash: hash,
                        mustChangePassword: mustChangePassword, isDemo: isDemo)
        try await db.transaction { tx in
            try await user.create(on: tx)
            // A role named twice is one role (the pair is unique in the table).
            for role in Set(roles) { try await UserRole(userID: user.requireID(), role: role).create(on: tx) }
        }
        return user
    }

    /// A grantor may hand out a role only if they hold every permission that role carries.
    static func checkGrant(_ roles: [Role], grantor: Set<Permission>, on db: any Database) async throws {
        for role in roles {
            let carried = try await PermissionLookup.permissions(of: [role], on: db)
            if !carried.isSubset(of: grantor) {
                throw AppError(.forbidden, "roles.beyond_grantor", field: "roles",
                               zh: "不能授予“\(role.name.zh)”角色：它拥有您自己没有的权限", en: "Cannot grant \"\(role.name.en)\": it carries permissions you lack")
            }
        }
    }

    static func setRoles(_ user: User, to roles: [Role], on db: any Database) async throws {
        let id = try user.requireID()
        try await db.transaction { tx in
            try await UserRole.query(on: tx).filter(\.$user.$id == id).delete()
            for role in Set(roles) { try await UserRole(userID: id, role: role).create(on: tx) }
        }
    }

    static func changePassword(_ user: User, to newPassword: String, app: Application, on db: any Database) async throws {
        let issues = app.yiyang.passwordPolicy.check(newPassword, username: user.username, field: "newPassword")
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        if (try? await app.password.async.verify(newPassword, created: user.passwordHash)) == true {
            throw AppError(.unprocessableEntity, "password.unchanged", field: "newPassword",
                           zh: "新密码不能与当前密码相同", en: "The new password must differ from the current one")
        }
        user.passwordHash = try await app.password.async.hash(newPassword)
        user.passwordChangedAt = Date()
        user.mustChangePassword = false
        try await user.save(on: db)
    }

    /// A password for resets and the first administrator: 16 characters from an alphabet
    /// without look-alikes (0/O, 1/l/I), with every kind of character the policy wants.
    static func randomPassword() -> String {
        let lower = Array("abcdefghijkmnpqrstuvwxyz"), upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")
        let digits = Array("23456789"), symbols = Array("-_.!@#%+=")
        var rng = SystemRandomNumberGenerator()
        var chars: [Character] = [lower.randomElement(using: &rng)!, upper.randomElement(using: &rng)!,
                                  digits.randomElement(using: &rng)!, symbols.randomElement(using: &rng)!]
        let all = lower + upper + digits + symbols
        while chars.count < 16 { chars.append(all.randomElement(using: &rng)!) }
        chars.shuffle(using: &rng)
        return String(chars)
    }

    /// The account as the API and the audit log show it: phone masked, no hash.
    struct View: Content {
        var id: UUID
        var username: String
        var displayName: String
        var phone: String?
        var regionCode: String
        var roles: [String]
        var enabled: Bool
        var locked: Bool
        var mustChangePassword: Bool
        var isDemo: Bool
        var lastLoginAt: Date?
        var createdAt: Date?
    }

    static func view(_ u: User, roles: [Role], unmasked: Bool = false) -> View {
        View(id: u.id ?? UUID(), username: u.username, displayName: u.displayName,
             phone: u.phone.map { unmasked ? $0 : Masking.phone($0) }, regionCode: u.regionCode,
             roles: roles.map(\.rawValue), enabled: u.enabled, locked: (u.lockedUntil ?? .distantPast) > Date(),
             mustChangePassword: u.mustChangePassword, isDemo: u.isDemo, lastLoginAt: u.lastLoginAt, createdAt: u.createdAt)
    }

    /// The first administrator of an empty installation, with a random password printed once.
    static func bootstrapAdministrator(app: Application) async throws -> (username: String, password: String)? {
        guard try await User.query(on: app.db).count() == 0 else { return nil }
        let password = randomPassword()
        let user = try await create(NewAccount(username: "admin", displayName: "系统管理员", phone: nil,
                                               regionCode: RegionCode.root.value, roles: [Role.admin.rawValue], password: password),
                                    grantor: nil, on: app.db, app: app, mustChangePassword: true)
        try await AuditLog.recordSystem(on: app.db, actor: "system", action: .administratorBootstrapped, entityType: "user",
                                        entityID: user.id?.uuidString, region: user.regionCode,
                                        after: ["username": user.username])
        return ("admin", password)
    }
}
