import Fluent
import Vapor
import YiyangDomain

/// `/api/v1` of home and community services: setup (points, providers, menu), orders and
/// visits, the exception queue, return visits, meals, statements; the family's part under
/// `/my/elders/{elderID}`.
struct HomeServicesAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("service-points", use: points)
        routes.post("service-points", use: createPoint)
        routes.get("service-providers", use: providers)
        routes.post("service-providers", use: createProvider)
        routes.get("service-providers", ":providerID", use: provider)
        routes.post("service-providers", ":providerID", "contracts", use: createContract)
        routes.post("service-providers", ":providerID", "caregivers", use: createCaregiver)
        routes.post("caregivers", ":caregiverID", "certificates", use: addCertificate)
        routes.post("service-accounts", use: linkAccount)
        routes.get("service-items", use: items)
        routes.post("service-items", use: createItem)
        routes.put("elders", ":elderID", "service-home", use: setHome)
        routes.get("elders", ":elderID", "service-balance", use: balance)
        routes.get("service-settings", use: settings)
        routes.post("service-settings", use: saveSettings)

        routes.post("service-orders", "quote", use: quote)
        routes.post("service-orders", use: place)
        routes.get("service-orders", use: orders)
        routes.get("service-orders", ":orderID", use: order)
        routes.post("service-orders", ":orderID", "accept", use: accept)
        routes.post("service-orders", ":orderID", "assign", use: assign)
        routes.post("service-orders", ":orderID", "cancel", use: cancel)
        routes.post("service-orders", ":orderID", "check-in", use: checkIn)
        routes.post("service-orders", ":orderID", "check-out", use: checkOut)
        routes.post("service-orders", ":orderID", "office-check-in", use: officeCheckIn)
        routes.post("service-orders", ":orderID", "review", use: review)
        routes.post("service-orders", ":orderID", "confirm", use: confirm)
        routes.post("service-orders", ":orderID", "complaints", use: complain)
        routes.get("service-exceptions", use: exceptions)
        routes.get("my", "visits", use: myVisits)
        routes.get("service-complaints", use: complaints)
        routes.post("service-complaints", ":complaintID", "resolve", use: resolveComplaint)

        routes.post("return-visits", "draw", use: drawReturnVisits)
        routes.get("return-visits", use: returnVisits)
        routes.post("return-visits", ":returnVisitID", use: recordReturnVisit)

        routes.post("service-points", ":pointID", "menus", use: publishMenu)
        routes.get("service-points", ":pointID", "meals", use: meals)
        routes.post("service-points", ":pointID", "meals", use: recordMeal)
        routes.post("meal-orders", ":mealOrderID", "serve", use: serveMeal)
        routes.post("meal-orders", ":mealOrderID", "cancel", use: cancelMeal)
        routes.post("meal-orders", ":mealOrderID", "complaints", use: complainMeal)

        routes.post("service-statements", use: buildStatement)
        routes.get("service-statements", use: statements)
        routes.get("service-statements", ":statementID", use: statement)
        routes.post("service-statements", ":statementID", "approve", use: approveStatement)
        routes.get("service-statements", ":statementID", "export", use: exportStatement)

        routes.get("my", "elders", ":elderID", "service-orders", use: familyOrders)
        routes.post("my", "elders", ":elderID", "service-orders", "quote", use: familyQuote)
        routes.post("my", "elders", ":elderID", "service-orders", use: familyPlace)
        routes.post("my", "elders", ":elderID", "service-orders", ":orderID", "cancel", use: familyCancel)
        routes.post("my", "elders", ":elderID", "service-orders", ":orderID", "confirm", use: familyConfirm)
        routes.post("my", "elders", ":elderID", "service-orders", ":orderID", "complaints", use: familyComplain)
        routes.post("my", "elders", ":elderID", "meal-orders", use: familyMeal)
        routes.get("my", "elders", ":elderID", "meal-orders", use: familyMeals)
        routes.post("my", "elders", ":elderID", "meal-orders", ":mealOrderID", "complaints", use: familyMealComplaint)
    }

    // MARK: Views

    struct PointView: Content {
        var id: UUID; var regionCode: String; var kind: String; var kindName: String; var name: String; var address: String
        var latitude: Double?; var longitude: Double?; var capacity: Int; var hours: String; var providerId: UUID?; var active: Bool
        init(_ p: ServicePoint, _ l: UILocale) {
            id = p.id!; regionCode = p.regionCode; kind = p.kind; kindName = ServicePointKind(rawValue: p.kind)?.name.text(l) ?? p.kind
            name = p.name; address = p.address; latitude = p.latitude; longitude = p.longitude; capacity = p.capacity; hours = p.hours
            providerId = p.providerID; active = p.active
        }
    }

    struct ProviderView: Content {
        struct Contract: Content { var id: UUID; var regionCode: String; var prices: [String: Int]; var startsOn: String; var endsOn: String }
        struct Certificate: Content { var qualification: String; var name: String; var number: String; var validUntil: String }
        struct CaregiverView: Content { var id: UUID; var name: String; var phone: String; var hasAccount: Bool; var active: Bool; var certificates: [Certificate] }
        var id: UUID; var regionCode: String; var name: String; var creditCode: String; var qualifications: String; var contact: String; var active: Bool
        var contracts: [Contract]?; var caregivers: [CaregiverView]?
        init(_ p: ServiceProvider) {
            id = p.id!; regionCode = p.regionCode; name = p.name; creditCode = p.creditCode; qualifications = p.qualifications; contact = p.contact; active = p.active
        }
    }

    struct ItemView: Content {
        var id: UUID; var regionCode: String; var code: String; var name: String; var category: String; var categoryName: String
        var unit: String; var standardMinutes: Int; var listPriceFen: Int; var tierPrices: [String: Int]; var qualification: String?
        var balanceAllowed: Bool; var effectiveFrom: String; var effectiveTo: String?
        init(_ i: ServiceItem, _ l: UILocale) {
            id = i.id!; regionCode = i.regionCode; code = i.code; name = i.name; category = i.category
            categoryName = ServiceCategory(rawValue: i.category)?.name.text(l) ?? i.category; unit = i.unit
            standardMinutes = i.standardMinutes; listPriceFen = i.listPriceFen; tierPrices = i.tierPrices; qualification = i.qualification
            balanceAllowed = i.balanceAllowed; effectiveFrom = i.effectiveFrom; effectiveTo = i.effectiveTo
        }
    }

    struct QuoteView: Content {
        var service: String; var serviceName: String; var providerId: UUID; var providerName: String; var priceTier: String?
        var listFen: Int; var bureauFen: Int; var balanceFen: Int; var selfPayFen: Int; var plain: String
        var balance: ServiceBalance.Figures
        init(_ o: ServiceOrders.Offer, _ l: UILocale) {
            service = o.item.code; serviceName = o.item.name; providerId = o.provider.id!; providerName = o.provider.name; priceTier = o.tier
            listFen = o.quote.listFen; bureauFen = o.quote.bureauFen; balanceFen = o.quote.balanceFen; selfPayFen = o.quote.selfPayFen
            plain = o.quote.plain.text(l); balance = o.balance
        }
    }

    struct OrderView: Content {
        struct Exception: Content { var code: String; var message: String }
        struct Event: Content { var at: Date; var by: String; var status: String; var note: String }
        var id: UUID; var elderId: UUID; var regionCode: String; var service: String; var serviceName: String; var providerId: UUID
        var status: String; var statusName: String; var windowStart: Date; var windowEnd: Date; var serviceDay: String
        var placeKind: String; var pointId: UUID?; var placedBy: String; var placedVia: String; var note: String
        var listFen: Int; var bureauFen: Int; var balanceFen: Int; var selfPayFen: Int
        var caregiverId: UUID?; var checkInAt: Date?; var checkOutAt: Date?; var checkInByOffice: Bool; var officeComment: String?
        var checkInDistanceMeters: Int?; var checkOutDistanceMeters: Int?
        var exceptions: [Exception]; var review: String; var reviewNote: String?; var reviewedBy: String?
        var confirmedAt: Date?; var rating: Int?; var ratingComment: String?
        var cancelledBy: String?; var cancelReason: String?; var statementId: UUID?; var history: [Event]
        /// Shown to the person and family only: read it to the caregiver to confirm the visit.
        var confirmCode: String?

        init(_ o: ServiceOrder, req: Request, withCode: Bool = false) {
            let l = req.locale
            id = o.id!; elderId = o.elderID; regionCode = o.regionCode; service = o.serviceCode; serviceName = o.serviceName; providerId = o.providerID
            status = o.status; statusName = o.orderStatus.name.text(l); windowStart = o.windowStart; windowEnd = o.windowEnd; serviceDay = o.serviceDay
            placeKind = o.placeKind; pointId = o.pointID; placedBy = o.placedBy; placedVia = o.placedVia; note = o.note
            listFen = o.listFen; bureauFen = o.bureauFen; balanceFen = o.balanceFen; selfPayFen = o.selfPayFen
            caregiverId = o.caregiverID; checkInAt = o.checkInAt; checkOutAt = o.checkOutAt; checkInByOffice = o.checkInByOffice ?? false
            officeComment = o.officeComment
            let visit = ServiceOrders(req: req).record(o)
            checkInDistanceMeters = visit.home.flatMap { h in visit.checkInAt.map { Int($0.distance(to: h).rounded()) } }
            checkOutDistanceMeters = visit.home.flatMap { h in visit.checkOutAt.map { Int($0.distance(to: h).rounded()) } }
            exceptions = o.exceptions.map { Exception(code: $0.code.rawValue, message: $0.message.text(l)) }
            review = o.review; reviewNote = o.reviewNote; reviewedBy = o.reviewedBy; confirmedAt = o.confirmedAt; rating = o.rating
            ratingComment = o.ratingComment; cancelledBy = o.cancelledBy; cancelReason = o.cancelReason; statementId = o.statementID
            history = o.history.map { Event(at: $0.at, by: $0.by, status: $0.status, note: $0.note) }
            confirmCode = withCode && o.orderStatus.rawValue != ServiceOrderStatus.cancelled.rawValue
                ? ServiceOrders.confirmCode(for: o, secret: req.application.secret.bytes) : nil
        }
    }

    static func created<T: Content>(_ v: T) throws -> Response {
        let res = Response(status: .created)
        try res.content.encode(v, as: .json)
        return res
    }

    // MARK: Setup

    @Sendable func points(req: Request) async throws -> [PointView] {
        try req.require(.servicesUse)
        var q = try req.scoped(ServicePoint.self)
        if let k = req.query[String.self, at: "kind"] { q = q.filter(\.$kind == k) }
        return try await q.sort(\.$regionCode).sort(\.$name).all().map { PointView($0, req.locale) }
    }

    @Sendable func createPoint(req: Request) async throws -> Response {
        try Self.created(PointView(try await ServiceSetup(req: req).createPoint(try req.content.decode(ServiceSetup.PointInput.self)), req.locale))
    }

    @Sendable func providers(req: Request) async throws -> [ProviderView] {
        try req.require(.servicesUse)
        return try await req.scoped(ServiceProvider.self).sort(\.$name).all().map(ProviderView.init)
    }

    @Sendable func createProvider(req: Request) async throws -> Response {
        try Self.created(ProviderView(try await ServiceSetup(req: req).createProvider(try req.content.decode(ServiceSetup.ProviderInput.self))))
    }

    static func providerID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("providerID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    static func fullProvider(_ p: ServiceProvider, req: Request) async throws -> ProviderView {
        var v = ProviderView(p)
        v.contracts = try await req.scoped(ProviderContract.self).filter(\.$providerID == p.id!).sort(\.$startsOn).all().map {
            .init(id: $0.id!, regionCode: $0.regionCode, prices: $0.prices, startsOn: $0.startsOn, endsOn: $0.endsOn)
        }
        let caregivers = try await req.scoped(Caregiver.self).filter(\.$providerID == p.id!).sort(\.$name).all()
        let certs = try await req.scoped(CaregiverCertificate.self).filter(\.$caregiverID ~~ caregivers.compactMap(\.id)).all()
        v.caregivers = caregivers.map { c in
            .init(id: c.id!, name: c.name, phone: c.phoneMasked, hasAccount: c.userID != nil, active: c.active,
                  certificates: certs.filter { $0.caregiverID == c.id }.map {
                      .init(qualification: $0.qualification, name: Qualification(rawValue: $0.qualification)?.name.text(req.locale) ?? $0.qualification,
                            number: $0.number, validUntil: $0.validUntil)
                  })
        }
        return v
    }

    @Sendable func provider(req: Request) async throws -> ProviderView {
        try await Self.fullProvider(try await ServiceAccess.provider(req, try Self.providerID(req)), req: req)
    }

    @Sendable func createContract(req: Request) async throws -> Response {
        let p = try await ServiceAccess.provider(req, try Self.providerID(req))
        let c = try await ServiceSetup(req: req).createContract(provider: p, try req.content.decode(ServiceSetup.ContractInput.self))
        return try Self.created(ProviderView.Contract(id: c.id!, regionCode: c.regionCode, prices: c.prices, startsOn: c.startsOn, endsOn: c.endsOn))
    }

    @Sendable func createCaregiver(req: Request) async throws -> Response {
        let p = try await ServiceAccess.provider(req, try Self.providerID(req))
        let actor = try req.requireActor()
        guard actor.has(.servicesManage) || actor.has(.servicesDispatch) else { throw AppError.forbidden(.servicesDispatch) }
        let c = try await ServiceSetup(req: req).createCaregiver(provider: p, try req.content.decode(ServiceSetup.CaregiverInput.self))
        guard let view = try await Self.fullProvider(p, req: req).caregivers?.first(where: { $0.id == c.id }) else { throw AppError.notFound() }
        return try Self.created(view)
    }

    @Sendable func addCertificate(req: Request) async throws -> Response {
        guard let id = req.parameters.get("caregiverID", as: UUID.self) else { throw AppError.notFound() }
        let c = try await req.findScoped(Caregiver.self, id)
        _ = try await ServiceAccess.provider(req, c.providerID)
        let cert = try await ServiceSetup(req: req).addCertificate(c, try req.content.decode(ServiceSetup.CertificateInput.self))
        return try Self.created(ProviderView.Certificate(qualification: cert.qualification, name: Qualification(rawValue: cert.qualification)?.name.text(req.locale) ?? "",
                                                         number: cert.number, validUntil: cert.validUntil))
    }

    struct AccountView: Content { var userId: UUID; var providerId: UUID?; var pointId: UUID? }

    @Sendable func linkAccount(req: Request) async throws -> Response {
        let a = try await ServiceSetup(req: req).linkAccount(try req.content.decode(ServiceSetup.AccountInput.self))
        return try Self.created(AccountView(userId: a.userID, providerId: a.providerID, pointId: a.pointID))
    }

    /// The menu: everything in scope, or what one person can order today (`elderId`).
    @Sendable func items(req: Request) async throws -> [ItemView] {
        try req.require(.servicesUse)
        if let id = req.query[UUID.self, at: "elderId"] {
            let e = try await req.findScoped(Elder.self, id)
            return try await ServiceOrders.menu(for: e.residenceRegion, day: .today(), on: req.db).map { ItemView($0, req.locale) }
        }
        return try await ServiceAccess.menu(req).map { ItemView($0, req.locale) }
    }

    @Sendable func createItem(req: Request) async throws -> Response {
        try Self.created(ItemView(try await ServiceSetup(req: req).createItem(try req.content.decode(ServiceSetup.ItemInput.self)), req.locale))
    }

    @Sendable func setHome(req: Request) async throws -> HTTPStatus {
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        try await ServiceSetup(req: req).setHome(e, try req.content.decode(ServiceSetup.HomeInput.self))
        return .noContent
    }

    @Sendable func balance(req: Request) async throws -> ServiceBalance.Figures {
        try req.require(.servicesUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        return try await ServiceBalance.figures(elderID: e.id!, on: req.db)
    }

    @Sendable func settings(req: Request) async throws -> ServiceSetup.SettingsVersion {
        try req.require(.servicesUse)
        let v = try await HomeServiceSettingsRow.version(on: req.db)
        return .init(effectiveFrom: v.effectiveFrom ?? "2000-01-01", settings: v.settings)
    }

    @Sendable func saveSettings(req: Request) async throws -> Response {
        let v = try req.content.decode(ServiceSetup.SettingsVersion.self)
        _ = try await ServiceSetup(req: req).saveSettings(v)
        return try Self.created(v)
    }

    // MARK: Orders (staff)

    struct StaffOrderInput: Content {
        var elderId: UUID
        var service: String; var start: String; var end: String
        var place: String?; var pointId: UUID?; var note: String?; var providerId: UUID?
        var input: ServiceOrders.PlaceInput { .init(service: service, start: start, end: end, place: place, pointId: pointId, note: note, providerId: providerId) }
    }

    /// Staff order for people of their region (a community worker ordering for a person).
    static func staffElder(_ req: Request, _ id: UUID) async throws -> Elder {
        try req.require(.servicesUse)
        try req.require(.registryUse)
        return try await req.findScoped(Elder.self, id)
    }

    @Sendable func quote(req: Request) async throws -> QuoteView {
        let i = try req.content.decode(StaffOrderInput.self)
        let e = try await Self.staffElder(req, i.elderId)
        let orders = ServiceOrders(req: req)
        let w = try orders.window(i.input, settings: try await HomeServiceSettingsRow.inForce(on: req.db))
        return QuoteView(try await orders.offer(elder: e, code: i.service, day: w.day, providerID: i.providerId), req.locale)
    }

    @Sendable func place(req: Request) async throws -> Response {
        let i = try req.content.decode(StaffOrderInput.self)
        let e = try await Self.staffElder(req, i.elderId)
        return try Self.created(OrderView(try await ServiceOrders(req: req).place(elder: e, input: i.input, via: "staff"), req: req))
    }

    @Sendable func orders(req: Request) async throws -> Paged<OrderView> {
        let page = try PageRequest(req)
        var q = try await ServiceAccess.orders(req)
        if let s = req.query[String.self, at: "status"] { q = q.filter(\.$status == s) }
        if let r = req.query[String.self, at: "review"] { q = q.filter(\.$review == r) }
        if let d = req.query[String.self, at: "day"] { q = q.filter(\.$serviceDay == d) }
        if let e = req.query[UUID.self, at: "elderId"] { q = q.filter(\.$elderID == e) }
        let total = try await q.count()
        let rows = try await q.sort(\.$windowStart, .descending).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map { OrderView($0, req: req) }, page: page.page, per: page.per, total: total)
    }

    @Sendable func order(req: Request) async throws -> OrderView {
        OrderView(try await ServiceAccess.order(req, try ServiceAccess.orderID(req)), req: req)
    }

    /// Dispatchers of the order's provider, or staff who manage services.
    static func dispatchable(_ req: Request) async throws -> ServiceOrder {
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        switch try await ServiceAccess.seat(req) {
        case .dispatcher: return o
        case .staff where req.actor?.has(.servicesManage) == true: return o
        default: throw try await ServiceAccess.notDispatcher(req)
        }
    }

    @Sendable func accept(req: Request) async throws -> OrderView {
        let o = try await Self.dispatchable(req)
        try await ServiceOrders(req: req).accept(o)
        return OrderView(o, req: req)
    }

    struct AssignInput: Content { var caregiverId: UUID }

    @Sendable func assign(req: Request) async throws -> OrderView {
        let o = try await Self.dispatchable(req)
        try await ServiceOrders(req: req).assign(o, caregiverID: try req.content.decode(AssignInput.self).caregiverId)
        return OrderView(o, req: req)
    }

    struct ReasonInput: Content { var reason: String }

    @Sendable func cancel(req: Request) async throws -> OrderView {
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        if case .caregiver = try await ServiceAccess.seat(req) { throw AppError.forbidden(.servicesDispatch) }
        try await ServiceOrders(req: req).cancel(o, reason: try req.content.decode(ReasonInput.self).reason)
        return OrderView(o, req: req)
    }

    @Sendable func checkIn(req: Request) async throws -> OrderView {
        try req.require(.servicesVisit)
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        try await ServiceOrders(req: req).checkIn(o, at: try? req.content.decode(ServiceOrders.Location.self))
        return OrderView(o, req: req)
    }

    @Sendable func checkOut(req: Request) async throws -> OrderView {
        try req.require(.servicesVisit)
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        try await ServiceOrders(req: req).checkOut(o, at: try? req.content.decode(ServiceOrders.Location.self))
        return OrderView(o, req: req)
    }

    struct OfficeInput: Content { var comment: String; var time: String? }

    @Sendable func officeCheckIn(req: Request) async throws -> OrderView {
        let o = try await Self.dispatchable(req)
        let i = try req.content.decode(OfficeInput.self)
        let time = try i.time.flatMap { $0.isEmpty ? nil : $0 }.map { try ServiceOrders.parseTime($0, field: "time") }
        try await ServiceOrders(req: req).officeCheckIn(o, comment: i.comment, at: time)
        return OrderView(o, req: req)
    }

    struct ReviewInput: Content { var decision: String; var note: String }

    @Sendable func review(req: Request) async throws -> OrderView {
        try req.require(.servicesManage)
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        let i = try req.content.decode(ReviewInput.self)
        guard ["accept", "reject"].contains(i.decision) else {
            throw AppError(.unprocessableEntity, "review.decision", field: "decision", zh: "审核结论应为 accept（通过）或 reject（不通过）", en: "The decision is accept or reject")
        }
        try await ServiceOrders(req: req).review(o, accept: i.decision == "accept", note: i.note)
        return OrderView(o, req: req)
    }

    struct ConfirmInput: Content { var code: String?; var rating: Int?; var comment: String? }

    /// The caregiver confirms with the code the person reads out; staff may record a
    /// confirmation given by phone with the code too.
    @Sendable func confirm(req: Request) async throws -> OrderView {
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        let i = try req.content.decode(ConfirmInput.self)
        guard let code = i.code, !code.isEmpty else { throw AppError.required("code", zh: "老人或家属的确认码", en: "The person's confirmation code") }
        try await ServiceOrders(req: req).confirm(o, code: code, rating: i.rating, comment: i.comment)
        return OrderView(o, req: req)
    }

    struct ComplaintInput: Content { var text: String }

    struct ComplaintView: Content {
        var id: UUID; var elderId: UUID; var orderId: UUID?; var mealOrderId: UUID?; var text: String; var by: String; var status: String
        var resolution: String?; var createdAt: Date?
        init(_ c: ServiceComplaint) {
            id = c.id!; elderId = c.elderID; orderId = c.orderID; mealOrderId = c.mealOrderID; text = c.text; by = c.by; status = c.status
            resolution = c.resolution; createdAt = c.createdAt
        }
    }

    @Sendable func complain(req: Request) async throws -> Response {
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        return try Self.created(ComplaintView(try await ServiceOrders(req: req).complain(o, text: try req.content.decode(ComplaintInput.self).text)))
    }

    @Sendable func complaints(req: Request) async throws -> [ComplaintView] {
        try req.require(.servicesManage)
        var q = try req.scoped(ServiceComplaint.self)
        if let s = req.query[String.self, at: "status"] { q = q.filter(\.$status == s) }
        return try await q.sort(\.$createdAt, .descending).limit(500).all().map(ComplaintView.init)
    }

    struct ResolveInput: Content { var resolution: String }

    @Sendable func resolveComplaint(req: Request) async throws -> ComplaintView {
        let actor = try req.require(.servicesManage)
        guard let id = req.parameters.get("complaintID", as: UUID.self) else { throw AppError.notFound() }
        let c = try await req.findScoped(ServiceComplaint.self, id)
        let r = ServiceSetup.trimmed(try req.content.decode(ResolveInput.self).resolution)
        guard !r.isEmpty else { throw AppError.required("resolution", zh: "处理结果", en: "The resolution") }
        c.status = "resolved"; c.resolution = r; c.resolvedBy = actor.username; c.resolvedAt = Date()
        try await c.update(on: req.db)
        try await AuditLog.record(on: req, action: .serviceComplaint, entityType: "service_complaint", entityID: c.id?.uuidString, region: c.regionCode,
                                  before: ["status": "open"], after: ["status": "resolved", "resolution": r])
        return ComplaintView(c)
    }

    /// The exception queue: visits waiting for review, oldest first.
    @Sendable func exceptions(req: Request) async throws -> [OrderView] {
        try req.require(.servicesManage)
        _ = try await ServiceOrders.flagMissingCheckOuts(req: req)
        return try await req.scoped(ServiceOrder.self).filter(\.$review == ServiceOrder.Review.pending.rawValue).sort(\.$windowStart).limit(500).all()
            .map { OrderView($0, req: req) }
    }

    /// The caregiver's visits of a day (today by default).
    @Sendable func myVisits(req: Request) async throws -> [OrderView] {
        try req.require(.servicesVisit)
        guard case .caregiver(let me, _) = try await ServiceAccess.seat(req) else { return [] }
        let day = req.query[String.self, at: "day"] ?? CalendarDate.today().description
        return try await ServiceAccess.orders(req).filter(\.$caregiverID == me).filter(\.$serviceDay == day)
            .filter(\.$status != ServiceOrderStatus.cancelled.rawValue).sort(\.$windowStart).all().map { OrderView($0, req: req) }
    }

    // MARK: Return visits

    struct ReturnVisitView: Content {
        var id: UUID; var orderId: UUID; var weekStart: String; var status: String; var outcome: String?; var note: String?; var doneBy: String?
        init(_ r: ReturnVisit) { id = r.id!; orderId = r.orderID; weekStart = r.weekStart; status = r.status; outcome = r.outcome; note = r.note; doneBy = r.doneBy }
    }

    struct DrawInput: Content { var weekStart: String? }

    static func lastWeek() -> CalendarDate { ReturnVisitSample.weekStart(of: CalendarDate.today().addingDays(-7)) }

    @Sendable func drawReturnVisits(req: Request) async throws -> [ReturnVisitView] {
        let i = (try? req.content.decode(DrawInput.self)) ?? DrawInput(weekStart: nil)
        let week = try i.weekStart.map { try ServiceSetup.day($0, field: "weekStart") } ?? Self.lastWeek()
        return try await ReturnVisits(req: req).draw(weekStart: week).map(ReturnVisitView.init)
    }

    @Sendable func returnVisits(req: Request) async throws -> [ReturnVisitView] {
        try req.require(.servicesManage)
        var q = try req.scoped(ReturnVisit.self)
        if let w = req.query[String.self, at: "weekStart"] { q = q.filter(\.$weekStart == w) }
        return try await q.sort(\.$weekStart, .descending).limit(1000).all().map(ReturnVisitView.init)
    }

    @Sendable func recordReturnVisit(req: Request) async throws -> ReturnVisitView {
        try req.require(.servicesManage)
        guard let id = req.parameters.get("returnVisitID", as: UUID.self) else { throw AppError.notFound() }
        let r = try await req.findScoped(ReturnVisit.self, id)
        try await ReturnVisits(req: req).record(r, try req.content.decode(ReturnVisits.OutcomeInput.self))
        return ReturnVisitView(r)
    }

    // MARK: Meals

    struct MenuView: Content { var id: UUID; var day: String; var meal: String; var dishes: String; var priceFen: Int }
    struct MealView: Content {
        var id: UUID; var pointId: UUID; var elderId: UUID; var day: String; var meal: String; var mode: String; var priceFen: Int
        var subsidyFen: Int; var selfPayFen: Int; var status: String
        init(_ m: MealOrder) {
            id = m.id!; pointId = m.pointID; elderId = m.elderID; day = m.day; meal = m.meal; mode = m.mode; priceFen = m.priceFen
            subsidyFen = m.subsidyFen; selfPayFen = m.selfPayFen; status = m.status
        }
    }
    struct MealDay: Content { var day: String; var menus: [MenuView]; var counts: [MealService.DayCount]; var orders: [MealView] }

    static func pointID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("pointID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    @Sendable func publishMenu(req: Request) async throws -> Response {
        let p = try await ServiceAccess.mealPoint(req, try Self.pointID(req))
        let m = try await MealService(req: req).publish(point: p, try req.content.decode(MealService.MenuInput.self))
        return try Self.created(MenuView(id: m.id!, day: m.day, meal: m.meal, dishes: m.dishes, priceFen: m.priceFen))
    }

    @Sendable func meals(req: Request) async throws -> MealDay {
        let p = try await ServiceAccess.mealPoint(req, try Self.pointID(req))
        let day = req.query[String.self, at: "day"] ?? CalendarDate.today().description
        let (menus, orders) = try await MealService.day(point: p.id!, day: day, on: req.db)
        return MealDay(day: day, menus: menus.map { MenuView(id: $0.id!, day: $0.day, meal: $0.meal, dishes: $0.dishes, priceFen: $0.priceFen) },
                       counts: try await MealService.counts(point: p.id!, day: day, on: req.db), orders: orders.map(MealView.init))
    }

    struct PointMealInput: Content {
        var idNumber: String?; var elderId: UUID?; var day: String?; var meal: String?; var mode: String?
        /// Served now, at the counter (default), or ordered for later.
        var served: Bool?
    }

    @Sendable func recordMeal(req: Request) async throws -> Response {
        let p = try await ServiceAccess.mealPoint(req, try Self.pointID(req))
        let i = try req.content.decode(PointMealInput.self)
        let meals = MealService(req: req)
        let elder: Elder
        if let n = i.idNumber, !n.isEmpty { elder = try await meals.elder(idNumber: n) }
        else if let id = i.elderId { elder = try await req.findScoped(Elder.self, id) }
        else { throw AppError.required("idNumber", zh: "身份证号", en: "The ID number") }
        let o = try await meals.record(point: p, elder: elder, .init(idNumber: nil, elderId: elder.id, day: i.day, meal: i.meal, mode: i.mode),
                                       servedNow: i.served ?? true)
        return try Self.created(MealView(o))
    }

    static func mealOrder(_ req: Request) async throws -> MealOrder {
        guard let id = req.parameters.get("mealOrderID", as: UUID.self) else { throw AppError.notFound() }
        let o = try await req.findScoped(MealOrder.self, id)
        _ = try await ServiceAccess.mealPoint(req, o.pointID)
        return o
    }

    @Sendable func serveMeal(req: Request) async throws -> MealView {
        let o = try await Self.mealOrder(req)
        try await MealService(req: req).serve(o)
        return MealView(o)
    }

    @Sendable func cancelMeal(req: Request) async throws -> MealView {
        let o = try await Self.mealOrder(req)
        try await MealService(req: req).cancel(o)
        return MealView(o)
    }

    /// A complaint received at the meal point or by phone.
    @Sendable func complainMeal(req: Request) async throws -> Response {
        let o = try await Self.mealOrder(req)
        return try Self.created(ComplaintView(try await MealService(req: req).complain(o, text: try req.content.decode(ComplaintInput.self).text)))
    }

    // MARK: Statements

    struct StatementView: Content {
        var id: UUID; var kind: String; var partyId: UUID; var partyName: String; var month: String; var status: String
        var totals: SettlementTotals; var chargedToBureauFen: Int; var approvedBy: String?; var lines: [ServiceSettlement.Line]?
        init(_ s: ServiceStatement, lines: [ServiceSettlement.Line]? = nil) {
            id = s.id!; kind = s.kind; partyId = s.partyID; partyName = s.partyName; month = s.month; status = s.status
            totals = s.totals; chargedToBureauFen = s.totals.chargedToBureauFen; approvedBy = s.approvedBy; self.lines = lines
        }
    }

    static func statementRecord(_ req: Request) async throws -> ServiceStatement {
        try req.require(.servicesManage)
        guard let id = req.parameters.get("statementID", as: UUID.self) else { throw AppError.notFound() }
        return try await req.findScoped(ServiceStatement.self, id)
    }

    @Sendable func buildStatement(req: Request) async throws -> Response {
        let s = try await ServiceSettlement(req: req).build(try req.content.decode(ServiceSettlement.BuildInput.self))
        return try Self.created(StatementView(s, lines: try await ServiceSettlement(req: req).lines(s)))
    }

    @Sendable func statements(req: Request) async throws -> [StatementView] {
        try req.require(.servicesManage)
        var q = try req.scoped(ServiceStatement.self)
        if let m = req.query[String.self, at: "month"] { q = q.filter(\.$month == m) }
        return try await q.sort(\.$month, .descending).sort(\.$partyName).limit(500).all().map { StatementView($0) }
    }

    @Sendable func statement(req: Request) async throws -> StatementView {
        let s = try await Self.statementRecord(req)
        return StatementView(s, lines: try await ServiceSettlement(req: req).lines(s))
    }

    @Sendable func approveStatement(req: Request) async throws -> StatementView {
        let s = try await Self.statementRecord(req)
        try await ServiceSettlement(req: req).approve(s)
        return StatementView(s, lines: try await ServiceSettlement(req: req).lines(s))
    }

    @Sendable func exportStatement(req: Request) async throws -> Response {
        let s = try await Self.statementRecord(req)
        return try await ServiceStatementExport.csv(s, req: req)
    }

    // MARK: The family

    @Sendable func familyOrders(req: Request) async throws -> [OrderView] {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        return try await ServiceAccess.familyOrders(elder, on: req.db).map { OrderView($0, req: req, withCode: true) }
    }

    @Sendable func familyQuote(req: Request) async throws -> QuoteView {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let i = try req.content.decode(ServiceOrders.PlaceInput.self)
        let orders = ServiceOrders(req: req)
        let w = try orders.window(i, settings: try await HomeServiceSettingsRow.inForce(on: req.db))
        return QuoteView(try await orders.offer(elder: elder, code: i.service, day: w.day, providerID: i.providerId), req.locale)
    }

    @Sendable func familyPlace(req: Request) async throws -> Response {
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let via = link.relation == "本人" ? "elder" : "family"
        let o = try await ServiceOrders(req: req).place(elder: elder, input: try req.content.decode(ServiceOrders.PlaceInput.self), via: via)
        return try Self.created(OrderView(o, req: req, withCode: true))
    }

    static func familyOrder(_ req: Request) async throws -> ServiceOrder {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        return try await ServiceAccess.familyOrder(elder, try ServiceAccess.orderID(req), on: req.db)
    }

    @Sendable func familyCancel(req: Request) async throws -> OrderView {
        let o = try await Self.familyOrder(req)
        try await ServiceOrders(req: req).cancel(o, reason: try req.content.decode(ReasonInput.self).reason)
        return OrderView(o, req: req, withCode: true)
    }

    /// The family confirms with a tap: being linked is the proof.
    @Sendable func familyConfirm(req: Request) async throws -> OrderView {
        let o = try await Self.familyOrder(req)
        let i = (try? req.content.decode(ConfirmInput.self)) ?? ConfirmInput()
        try await ServiceOrders(req: req).confirm(o, code: nil, rating: i.rating, comment: i.comment)
        return OrderView(o, req: req, withCode: true)
    }

    @Sendable func familyComplain(req: Request) async throws -> Response {
        let o = try await Self.familyOrder(req)
        return try Self.created(ComplaintView(try await ServiceOrders(req: req).complain(o, text: try req.content.decode(ComplaintInput.self).text)))
    }

    @Sendable func familyMeals(req: Request) async throws -> [MealView] {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        return try await MealService.recent(of: elder, on: req.db).map(MealView.init)
    }

    @Sendable func familyMealComplaint(req: Request) async throws -> Response {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        guard let id = req.parameters.get("mealOrderID", as: UUID.self),
              let o = try await MealService.recent(of: elder, on: req.db).first(where: { $0.id == id }) else { throw AppError.notFound() }
        return try Self.created(ComplaintView(try await MealService(req: req).complain(o, text: try req.content.decode(ComplaintInput.self).text)))
    }

    struct FamilyMealInput: Content { var pointId: UUID; var day: String?; var meal: String?; var mode: String? }

    @Sendable func familyMeal(req: Request) async throws -> Response {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let i = try req.content.decode(FamilyMealInput.self)
        let p = try await ServiceAccess.nearbyPoint(for: elder, i.pointId, on: req.db)
        let o = try await MealService(req: req).record(point: p, elder: elder, .init(idNumber: nil, elderId: elder.id, day: i.day, meal: i.meal, mode: i.mode),
                                                       servedNow: false)
        return try Self.created(MealView(o))
    }
}


/// A statement as a CSV file for the finance office (UTF-8 with BOM, so Excel reads Chinese).
enum ServiceStatementExport {
    static func csv(_ s: ServiceStatement, req: Request) async throws -> Response {
        let lines = try await ServiceSettlement(req: req).lines(s)
        func cell(_ v: String) -> String { v.contains(where: { ",\"\n".contains($0) }) ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v }
        var out = "\u{FEFF}日期,服务,状态,标准价(元),政府补贴(元),服务额度(元),自付(元),说明\n"
        let states = ["settled": "结算", "held": "暂缓（异常待审核）", "refused": "不予结算"]
        for l in lines {
            out += [l.day, l.service, states[l.state] ?? l.state, Fen.yuan(l.listFen), Fen.yuan(l.bureauFen), Fen.yuan(l.balanceFen), Fen.yuan(l.selfPayFen), l.note]
                .map(cell).joined(separator: ",") + "\n"
        }
        let t = s.totals
        out += ["合计", s.partyName + " " + s.month, "结算 \(t.settledCount) 笔", Fen.yuan(t.listFen), Fen.yuan(t.bureauFen), Fen.yuan(t.balanceFen), Fen.yuan(t.selfPayFen),
                "暂缓 \(t.heldCount) 笔 \(Fen.yuan(t.heldFen)) 元；不予结算 \(t.refusedCount) 笔"].map(cell).joined(separator: ",") + "\n"
        try await AuditLog.record(on: req, action: .serviceStatementApproved, entityType: "service_statement_export", entityID: s.id?.uuidString,
                                  region: s.regionCode, after: ["lines": "\(lines.count)"])
        let res = Response(status: .ok, body: .init(string: out))
        res.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        res.headers.contentDisposition = .init(.attachment, filename: "statement-\(s.month)-\(s.id!.uuidString.prefix(8)).csv")
        return res
    }
}
