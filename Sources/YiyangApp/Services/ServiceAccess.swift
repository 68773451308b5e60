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
        if actor.has(.servicesVisit), let c = try await req.scoped(Caregiver.self).filter(\.$userID == actor.userID).filter(\.$active == true).first() {
            return .caregiver(caregiverID: c.id!, providerID: c.providerID)
        }
        let account = try await req.scoped(ServiceAccount.self).filter(\.$userID == actor.userID).first()
        if actor.has(.servicesDispatch), let p = account?.providerID { return .dispatcher(providerID: p) }
        if actor.has(.servicesMeals), let p = account?.pointID { return .mealPoint(pointID: p) }
        return .none
    }

    /// Orders the account may see.
    static func orders(_ req: Request) async throws -> QueryBuilder<ServiceOrder> {
        let q = try req.scoped(ServiceOrder.self)
        switch try await seat(req) {
        case .staff: return q
        case .dispatcher(let p): return q.filter(\.$providerID == p)
        case .caregiver(let c, _): return q.filter(\.$caregiverID == c)
        case .mealPoint, .none: return q.filter(\.$id == UUID()) // nothing
        }
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

    /// A service point a person may be served at: open, and in the person's county.
    static func nearbyPoint(for elder: Elder, _ id: UUID?, on db: any Database) async throws -> ServicePoint {
        guard let id, let p = try await ServicePoint.find(id, on: db), p.active, elder.residenceRegion.hasPrefix(String(p.regionCode.prefix(6))) else {
            throw AppError(.unprocessableEntity, "order.point", field: "pointId", zh: "请选择本县（区）内在用的服务点", en: "Choose an open service point of the county")
        }
        return p
    }

    static func requireStaffManager(_ req: Request) throws -> Actor {
        try req.require(.servicesManage)
    }
}
