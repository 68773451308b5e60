import Fluent
import Vapor
import YiyangDomain

/// An institution's own account (role `institution`) tied to a home it runs: what it may see
/// and change. One account may run several homes, so the pair is the key. The row carries
/// the institution's region, so the bureau's staff see the ties of the homes in their area.
final class InstitutionAccount: Model, RegionScoped, @unchecked Sendable {
    static let schema = "institution_accounts"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "institution_id") var institutionID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $userID, $institutionID, $regionCode, $createdBy, $createdAt] }
    init() {}
}

struct CreateInstitutionAccounts: AsyncMigration {
    var name: String { "030_CreateInstitutionAccounts" }

    func prepare(on database: any Database) async throws {
        try await database.schema(InstitutionAccount.schema).id()
            .field("user_id", .uuid, .required).field("institution_id", .uuid, .required).field("region_code", .string, .required)
            .field("created_by", .string, .required).field("created_at", .datetime)
            .unique(on: "user_id", "institution_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(InstitutionAccount.schema).delete()
    }
}

/// Who may see which institutions. Region scope comes first (`RegionScope`); on top of it an
/// institution's own account sees only the homes it is tied to, as a provider's dispatcher sees
/// only its provider (`ServiceAccess`). Staff of the region see every home in it. Until the
/// operators' own accounts come with the institutions module, this is their whole reach.
enum InstitutionAccess {
    enum Seat: Sendable {
        /// Staff of the bureau, a township or a community, an administrator, an inspector.
        case staff
        /// An institution's account: these homes and no other.
        case homes(Set<UUID>)
    }

    /// Roles whose reach is their whole region: with one of them an account is staff, whatever
    /// other role it also holds.
    static let regionWide: Set<Role> = [.admin, .bureau, .township, .community, .inspector]

    private struct SeatKey: StorageKey { typealias Value = Seat }

    /// Worked out once a request: a page asks for the list, then for each home.
    static func seat(_ req: Request) async throws -> Seat {
        if let known = req.storage[SeatKey.self] { return known }
        let actor = try req.requireActor()
        let seat: Seat
        if actor.roles.contains(.institution) && !actor.roles.contains(where: regionWide.contains) {
            let ties = try await InstitutionAccount.query(on: req.db).filter(\.$userID == actor.userID).all()
            seat = .homes(Set(ties.map(\.institutionID)))
        } else {
            seat = .staff
        }
        req.storage[SeatKey.self] = seat
        return seat
    }

    /// The institutions the account may see.
    static func institutions(_ req: Request) async throws -> QueryBuilder<Institution> {
        let q = try req.scoped(Institution.self)
        switch try await seat(req) {
        case .staff: return q
        case .homes(let ids): return q.filter(\.$id ~~ Array(ids))
        }
    }

    /// One institution, or 404 when it does not exist, lies outside the region or is not the
    /// account's own: the three answer alike.
    static func institution(_ req: Request, _ id: UUID) async throws -> Institution {
        let n = try await req.findScoped(Institution.self, id)
        switch try await seat(req) {
        case .staff: return n
        case .homes(let ids) where ids.contains(id): return n
        case .homes: throw AppError.notFound()
        }
    }

    /// Registering new homes and tying accounts are the region's staff's, not a home's.
    static func requireStaff(_ req: Request) async throws {
        guard case .staff = try await seat(req) else {
            throw AppError(.forbidden, "institution.own_only", field: nil,
                           zh: "养老机构账号只能查看和办理与本账号关联的机构；登记机构或关联账号请联系民政部门",
                           en: "An institution's account sees and handles only the institutions tied to it; "
                               + "the civil-affairs staff register homes and tie accounts")
        }
    }

    // MARK: Tying accounts

    struct TieInput: Content {
        /// An account with the role `institution`, within the staff's area.
        var username: String
    }

    /// The accounts tied to a home, by the staff's scope.
    static func accounts(of n: Institution, req: Request) async throws -> [(tie: InstitutionAccount, user: User)] {
        let ties = try await req.scoped(InstitutionAccount.self).filter(\.$institutionID == n.id!).sort(\.$createdAt).all()
        guard !ties.isEmpty else { return [] }
        let users = Dictionary(uniqueKeysWithValues: try await req.scoped(User.self).filter(\.$id ~~ ties.map(\.userID)).all()
            .map { ($0.id!, $0) })
        return ties.compactMap { t in users[t.userID].map { (t, $0) } }
    }

    /// Ties an institution's account to the home, so it sees and handles that home (audited).
    static func tie(_ req: Request, _ n: Institution, _ i: TieInput) async throws -> (InstitutionAccount, User) {
        let actor = try req.require(.institutionsManage)
        try await requireStaff(req)
        let name = InstitutionRegister.trimmed(i.username)
        guard !name.isEmpty else { throw AppError.required("username", zh: "账号", en: "The username") }
        guard let user = try await req.scoped(User.self).filter(\.$username == name).with(\.$roles).first() else {
            throw AppError(.unprocessableEntity, "institution_account.user", field: "username",
                           zh: "找不到账号“\(name)”", en: "No account \"\(name)\"")
        }
        guard user.roles.contains(where: { $0.role == Role.institution.rawValue }) else {
            throw AppError(.unprocessableEntity, "institution_account.role", field: "username",
                           zh: "账号“\(name)”没有“养老机构”角色，不能关联到机构", en: "The account \"\(name)\" has no institution role to tie to a home")
        }
        // The tie adds to the region scope, never beyond it: an account that cannot see the home
        // would gain nothing from it.
        guard let area = RegionCode(user.regionCode), RegionScope(region: area).allows(n.regionCode) else {
            throw AppError(.unprocessableEntity, "institution_account.region", field: "username",
                           zh: "账号“\(name)”的所属区划不包含机构所在区划 \(n.regionCode)，请先调整账号区划",
                           en: "The area of \"\(name)\" does not include the institution's region \(n.regionCode); "
                               + "change the account's region first")
        }
        let tie = InstitutionAccount()
        tie.userID = user.id!; tie.institutionID = n.id!; tie.regionCode = n.regionCode; tie.createdBy = actor.username
        do {
            try await req.db.transaction { tx in
                try await tie.create(on: tx)
                try await AuditLog.record(on: req, db: tx, action: .institutionChanged, entityType: "institution_account",
                                          entityID: tie.id?.uuidString, region: n.regionCode,
                                          after: ["institution": n.name, "username": user.username, "tied": "true"])
            }
        } catch let e as any DatabaseError where e.isConstraintFailure {
            throw AppError(.conflict, "institution_account.duplicate", field: "username",
                           zh: "账号“\(name)”已关联到这家机构", en: "The account \"\(name)\" is tied to this institution already")
        }
        return (tie, user)
    }

    /// Unties an account from the home (audited); an account not tied to it answers 404.
    static func untie(_ req: Request, _ n: Institution, userID: UUID) async throws {
        let actor = try req.require(.institutionsManage)
        try await requireStaff(req)
        guard let tie = try await req.scoped(InstitutionAccount.self).filter(\.$institutionID == n.id!).filter(\.$userID == userID)
            .first() else {
            throw AppError.notFound()
        }
        let username = try await req.scoped(User.self).filter(\.$id == userID).first()?.username ?? userID.uuidString
        try await req.db.transaction { tx in
            try await tie.delete(on: tx)
            try await AuditLog.record(on: req, db: tx, action: .institutionChanged, entityType: "institution_account",
                                      entityID: tie.id?.uuidString, region: n.regionCode,
                                      after: ["institution": n.name, "username": username, "tied": "false", "by": actor.username])
        }
    }
}
