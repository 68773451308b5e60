import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// A person's account. Every account belongs to one region and sees that region and below.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID(key: .id) var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @OptionalField(key: "phone") var phone: String?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "enabled") var enabled: Bool
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "failed_logins") var failedLogins: Int
    @OptionalField(key: "locked_until") var lockedUntil: Date?
    /// Set when an administrator resets the password: the next sign-in must pick a new one.
    @Field(key: "must_change_password") var mustChangePassword: Bool
    @OptionalField(key: "password_changed_at") var passwordChangedAt: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    @Field(key: "locale") var locale: String
    /// Demo accounts carry a published password; pages mark them.
    @Field(key: "is_demo") var isDemo: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Children(for: \.$user) var roles: [UserRole]

    var properties: [any AnyProperty] {
        [$id, $username, $displayName, $phone, $regionCode, $enabled, $passwordHash, $failedLogins, $lockedUntil, $mustChangePassword,
         $passwordChangedAt, $lastLoginAt, $locale, $isDemo, $createdAt, $updatedAt, $roles]
    }
    init() {}

    init(username: String, displayName: String, phone: String?, regionCode: String, passwordHash: String,
         mustChangePassword: Bool = false, isDemo: Bool = false) {
        self.username = username
        self.displayName = displayName
        self.phone = phone
        self.regionCode = regionCode
        self.enabled = true
        self.passwordHash = passwordHash
        self.failedLogins = 0
        self.mustChangePassword = mustChangePassword
        self.locale = "zh"
        self.isDemo = isDemo
        self.passwordChangedAt = Date()
    }
}

extension User: RegionScoped {
    static let regionCodeKey: FieldKey = "region_code"
}

/// One role held by one account; an account may hold several.
final class UserRole: Model, @unchecked Sendable {
    static let schema = "user_roles"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "role") var role: String

    var properties: [any AnyProperty] { [$id, $user, $role] }
    init() {}
    init(userID: UUID, role: Role) {
        self.$user.id = userID
        self.role = role.rawValue
    }
}

/// The permission table: which role may do what. Data, so a deployment can adjust it.
final class RolePermission: Model, @unchecked Sendable {
    static let schema = "role_permissions"

    @ID(key: .id) var id: UUID?
    @Field(key: "role") var role: String
    @Field(key: "permission") var permission: String

    var properties: [any AnyProperty] { [$id, $role, $permission] }
    init() {}
    init(role: Role, permission: Permission) {
        self.role = role.rawValue
        self.permission = permission.rawValue
    }
}

/// A signed-in browser (web) or an API bearer token. Only a keyed hash of the secret is
/// stored, so a copy of the database signs nobody in.
final class AuthSession: Model, @unchecked Sendable {
    static let schema = "auth_sessions"

    enum Kind: String, Codable { case web, api }

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "kind") var kind: String
    @Field(key: "token_hash") var tokenHash: String
    /// The CSRF token of a web session, checked on every state-changing form post.
    @OptionalField(key: "csrf_token") var csrfToken: String?
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @Field(key: "client_address") var clientAddress: String
    @Field(key: "user_agent") var userAgent: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $user, $kind, $tokenHash, $csrfToken, $expiresAt, $revokedAt, $clientAddress, $userAgent, $createdAt] }
    init() {}
}

struct CreateAccounts: AsyncMigration {
    var name: String { "002_CreateAccounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .id()
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("phone", .string)
            .field("region_code", .string, .required)
            .field("enabled", .bool, .required)
            .field("password_hash", .string, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("must_change_password", .bool, .required)
            .field("password_changed_at", .datetime)
            .field("last_login_at", .datetime)
            .field("locale", .string, .required)
            .field("is_demo", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "username")
            .create()
        try await database.schema(UserRole.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("role", .string, .required)
            .unique(on: "user_id", "role")
            .create()
        try await database.schema(RolePermission.schema)
            .id()
            .field("role", .string, .required)
            .field("permission", .string, .required)
            .unique(on: "role", "permission")
            .create()
        try await database.schema(AuthSession.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("kind", .string, .required)
            .field("token_hash", .string, .required)
            .field("csrf_token", .string)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("client_address", .string, .required)
            .field("user_agent", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
        // The starting permission table; the deployment's own from here on.
        for (role, permissions) in PermissionTable.defaults {
            for p in permissions.sorted(by: { $0.rawValue < $1.rawValue }) {
                try await RolePermission(role: role, permission: p).create(on: database)
            }
        }
    }

    func revert(on database: any Database) async throws {
        for s in [AuthSession.schema, RolePermission.schema, UserRole.schema, User.schema] {
            try await database.schema(s).delete()
        }
    }
}

/// Indexes that lists and the scope filter lean on. Fluent's schema builder has no index
/// call, so these are plain SQL both SQLite and PostgreSQL accept.
struct CreateFoundationIndexes: AsyncMigration {
    var name: String { "004_CreateFoundationIndexes" }

    static let statements = [
        "CREATE INDEX IF NOT EXISTS regions_parent_idx ON regions (parent_code)",
        "CREATE INDEX IF NOT EXISTS users_region_idx ON users (region_code)",
        "CREATE INDEX IF NOT EXISTS auth_sessions_user_idx ON auth_sessions (user_id)",
        "CREATE INDEX IF NOT EXISTS audit_entries_region_idx ON audit_entries (region_code)",
        "CREATE INDEX IF NOT EXISTS audit_entries_at_idx ON audit_entries (at)",
    ]

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for s in Self.statements { try await sql.raw(SQLQueryString(s)).run() }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for s in ["regions_parent_idx", "users_region_idx", "auth_sessions_user_idx", "audit_entries_region_idx", "audit_entries_at_idx"] {
            try await sql.raw(SQLQueryString("DROP INDEX IF EXISTS \(unsafeRaw: s)")).run()
        }
    }
}
