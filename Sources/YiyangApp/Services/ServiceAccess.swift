import Fluent
import Vapor
import YiyangDomain

/// Who may see which orders. Region scope comes first (`RegionScope`); on top of it a
/// provider's dispatcher sees only the provider's orders, a caregiver only the visits given to
/// them, a meal point's operator only that point. Staff of the region see everything in it.
enum ServiceAccess {
    enum Seat: Sendable {
        /// Staff of the bureau, a township or a community.
        case staff
        case dispatcher(providerID: UUID)
        case caregiver(caregiverID: UUID, providerID: UUID)
        case mealPoint(pointID: UUID)
        case none
    }

    private struct SeatKey: StorageKey { typealias Value = Seat }

    /// Worked out once a request: routes ask twice (which orders, then who may act).
    static func seat(_ req: Request) async throws -> Seat {
        if let known = req.storage[SeatKey.self] { return known }
        let seat = try await findSeat(req)
        req.storage[SeatKey.self] = seat
        return seat
    }

    private static func findSeat(_ req: Request) async throws -> Seat {
        let actor = try req.require(.servicesUse)
        if actor.has(.servicesManage) || actor.has(.registryUse) { return .staff }
        // The account's own link, whatever the region of the provider it works for.
        if actor.has(.servicesVisit), let c = try await Caregiver.query(on: req.db).filter(\.$userID == actor.userID).filter(\.$active == true).first() {
            return .caregiver(caregiverID: c.id!, providerID: c.providerID)
        }
        let account = try await ServiceAccount.query(on: req.db).filter(\.$userID == actor.userID).first()
        if actor.has(.servicesDispatch), let p = account?.providerID { return .dispatcher(providerID: p) }
        if actor.has(.servicesMeals), let p = account?.pointID { return .mealPoint(pointID: p) }
        return .none
    }

    /// Orders the account may see. A caregiver sees the visits given to them wherever the
    /// person lives: the dispatcher's assignment is what opens them.
    static func orders(_ req: Request) async throws -> QueryBuilder<ServiceOrder> {
        let q = try req.scoped(ServiceOrder.self)
        switch try await seat(req) {
        case .staff: return q
        case .dispatcher(let p): return q.filter(\.$providerID == p)
        case .caregiver(let c, _): return ServiceOrder.query(on: req.db).filter(\.$caregiverID == c)
        case .mealPoint, .none: return q.filter(\.$id == UUID()) // nothing
        }
    }

    /// The people of orders (or meals) the account was allowed to load, by id: a caregiver
    /// or a meal point serves people of other communities than its own account's.
    static func people(of orders: [ServiceOrder], on db: any Database) async throws -> [UUID: Elder] {
        try await people(orders.map(\.elderID), on: db)
    }

    static func people(_ ids: [UUID], on db: any Database) async throws -> [UUID: Elder] {
        Dictionary(uniqueKeysWithValues: try await Elder.query(on: db).filter(\.$id ~~ Array(Set(ids))).all().map { ($0.id!, $0) })
    }

    /// The caregivers of orders the account was allowed to load.
    static func caregivers(of orders: [ServiceOrder], on db: any Database) async throws -> [UUID: Caregiver] {
        Dictionary(uniqueKeysWithValues: try await Caregiver.query(on: db).filter(\.$id ~~ Array(Set(orders.compactMap(\.caregiverID)))).all().map { ($0.id!, $0) })
    }

    /// The menu a staff account works with: the items of its region and below, and those of the
    /// regions above that apply to it (a city-wide menu is the township's menu too).
    static func menu(_ req: Request) async throws -> [ServiceItem] {
        let region = try req.regionScope().region
        let own = try await req.scoped(ServiceItem.self).all()
        let above = try await ServiceItem.query(on: req.db).all().filter { i in
            RegionCode(i.regionCode).map { $0.contains(region) && $0 != region } ?? false
        }
        return (above + own).sorted { ($0.category, $0.code, $0.effectiveFrom) < ($1.category, $1.code, $1.effectiveFrom) }
    }

    static func order(_ req: Request, _ id: UUID) async throws -> ServiceOrder {
        guard let o = try await orders(req).filter(\.$id == id).first() else { throw AppError.notFound() }
        return o
    }

    static func orderID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("orderID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    /// The provider a dispatcher works for, or any provider in scope for staff.
    static func provider(_ req: Request, _ id: UUID) async throws -> ServiceProvider {
        let p = try await req.findScoped(ServiceProvider.self, id)
        switch try await seat(req) {
        case .staff: return p
        case .dispatcher(let mine) where mine == id: return p
        default: throw AppError.notFound()
        }
    }

    /// A meal point the account runs (its operator) or oversees (staff).
    static func mealPoint(_ req: Request, _ id: UUID) async throws -> ServicePoint {
        let p = try await req.findScoped(ServicePoint.self, id)
        switch try await seat(req) {
        case .staff: return p
        case .mealPoint(let mine) where mine == id: return p
        default: throw AppError.notFound()
        }
    }

    // The family's side: a confirmed link (`FamilyAccess`) opens the person's orders.

    static func familyOrders(_ elder: Elder, on db: any Database) async throws -> [ServiceOrder] {
        try await ServiceOrder.query(on: db).filter(\.$elderID == elder.id!).sort(\.$windowStart, .descending).limit(200).all()
    }

    static func familyOrder(_ elder: Elder, _ id: UUID, on db: any Database) async throws -> ServiceOrder {
        guard let o = try await ServiceOrder.query(on: db).filter(\.$id == id).filter(\.$elderID == elder.id!).first() else { throw AppError.notFound() }
        return o
    }

    /// A service point a person may be served at: open, and in the person's county. Looked up
    /// within that county, never by id alone (the person, already in reach, is what bounds it).
    static func nearbyPoint(for elder: Elder, _ id: UUID?, on db: any Database) async throws -> ServicePoint {
        guard let id, let county = RegionCode(String(elder.residenceRegion.prefix(6)) + "000000"),
              let p = try await RegionScope(region: county).query(ServicePoint.self, on: db).filter(\.$id == id).filter(\.$active == true)
                .first() else {
            throw AppError(.unprocessableEntity, "order.point", field: "pointId", zh: "请选择本县（区）内在用的服务点", en: "Choose an open service point of the county")
        }
        return p
    }

    /// Meal points of the person's county, for booking a meal.
    static func mealPoints(near elder: Elder, on db: any Database) async throws -> [ServicePoint] {
        try await ServicePoint.query(on: db).filter(\.$kind == ServicePointKind.mealPoint.rawValue).filter(\.$active == true)
            .filter(\.$regionCode, .custom("LIKE"), String(elder.residenceRegion.prefix(6)) + "%").sort(\.$name).all()
    }

    /// Why an account may not take or dispatch orders. One that holds the permission but is tied
    /// to no provider is told so: "no permission" would send it to ask for what it already has.
    static func notDispatcher(_ req: Request) async throws -> AppError {
        guard let actor = req.actor, actor.has(.servicesDispatch),
              try await ServiceAccount.query(on: req.db).filter(\.$userID == actor.userID).first()?.providerID == nil else {
            return AppError.forbidden(.servicesDispatch)
        }
        return AppError(.forbidden, "services.no_provider",
                        zh: "本账号未关联服务商，不能接单和派单；请管理员在服务商页面关联本账号",
                        en: "This account is tied to no provider, so it cannot take or dispatch orders; "
                            + "an administrator ties it on the provider's page")
    }

    static func requireStaffManager(_ req: Request) throws -> Actor {
        try req.require(.servicesManage)
    }
}
