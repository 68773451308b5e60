import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/roles`: the permission table, readable by account managers and adjustable by
/// whoever holds `roles.manage`.
struct RolesAPI: RouteCollection {
    struct RoleView: Content {
        var code: String
        var name: String
        var permissions: [String]
    }

    struct PermissionsBody: Content {
        var permissions: [String]
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("roles", use: list)
        routes.put("roles", ":role", "permissions", use: replace)
        routes.get("permissions", use: permissions)
    }

    @Sendable func list(req: Request) async throws -> [RoleView] {
        try req.require(.usersView)
        return try await RoleTable.load(on: req.db).map { role, perms in
            RoleView(code: role.rawValue, name: req.text(role.name), permissions: perms.map(\.rawValue).sorted())
        }
    }

    @Sendable func permissions(req: Request) async throws -> [[String: String]] {
        try req.require(.usersView)
        return Permission.allCases.map { ["code": $0.rawValue, "name": req.text($0.name)] }
    }

    @Sendable func replace(req: Request) async throws -> RoleView {
        try req.require(.rolesManage)
        guard let role = Role(rawValue: req.parameters.get("role") ?? "") else { throw AppError.notFound() }
        let body = try req.content.decode(PermissionsBody.self)
        var wanted = Set<Permission>()
        for p in body.permissions {
            guard let perm = Permission(rawValue: p) else {
                throw AppError(.unprocessableEntity, "permissions.unknown", field: "permissions",
                               zh: "未知权限“\(p)”", en: "Unknown permission \"\(p)\"")
            }
            wanted.insert(perm)
        }
        let perms = try await RoleTable.replace(role, with: wanted, req: req)
        return RoleView(code: role.rawValue, name: req.text(role.name), permissions: perms.map(\.rawValue).sorted())
    }
}

enum RoleTable {
    static func load(on db: any Database) async throws -> [(Role, Set<Permission>)] {
        let rows = try await RolePermission.query(on: db).all()
        var table: [Role: Set<Permission>] = [:]
        for r in rows {
            if let role = Role(rawValue: r.role), let p = Permission(rawValue: r.permission) { table[role, default: []].insert(p) }
        }
        return Role.allCases.map { ($0, table[$0] ?? []) }
    }

    static func replace(_ role: Role, with wanted: Set<Permission>, req: Request) async throws -> Set<Permission> {
        let actor = try req.require(.rolesManage)
        // Nobody locks the platform out of its own administration.
        if role == .admin, !wanted.isSuperset(of: [.rolesManage, .usersManage]) {
            throw AppError(.unprocessableEntity, "permissions.admin_lockout", field: "permissions",
                           zh: "管理员角色必须保留“管理账号”和“调整角色权限”", en: "The admin role must keep users.manage and roles.manage")
        }
        if !wanted.isSubset(of: actor.permissions) {
            throw AppError(.forbidden, "permissions.beyond_grantor", field: "permissions",
                           zh: "不能授予您自己没有的权限", en: "You cannot grant permissions you lack")
        }
        // The permission table is one for the whole platform: only an account whose region is the
        // top of the tree may change it, or a township's admin would rewrite every county's rights.
        guard try await PlatformLevel.isPlatformWide(actor.region, on: req.db) else {
            throw AppError(.forbidden, "permissions.platform_only",
                           zh: "角色权限表对全平台生效，只能由平台级（最高一级区划）管理员调整",
                           en: "The permission table applies to the whole platform; only an administrator at the top region may change it")
        }
        let before = try await PermissionLookup.permissions(of: [role], on: req.db)
        try await req.db.transaction { tx in
            try await RolePermission.query(on: tx).filter(\.$role == role.rawValue).delete()
            for p in wanted.sorted(by: { $0.rawValue < $1.rawValue }) { try await RolePermission(role: role, permission: p).create(on: tx) }
        }
        try await AuditLog.record(on: req, action: .rolePermissionsChanged, entityType: "role", entityID: role.rawValue,
                                  region: actor.region.value, before: ["permissions": before.map(\.rawValue).sorted()],
                                  after: PermissionChange(scope: "platform", permissions: wanted.map(\.rawValue).sorted()))
        return wanted
    }
}

/// What the audit log keeps of a permission edit: it applies platform-wide, and says so.
private struct PermissionChange: Encodable {
    var scope: String
    var permissions: [String]
}

