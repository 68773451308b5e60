import Fluent
import Vapor
import YiyangDomain

/// The pages of home services, one set per role: staff (`/services`, orders, exceptions,
/// setup, return visits, statements), the provider's dispatcher (`/services/dispatch`), the
/// caregiver's phone page (`/services/visits`), the meal point (`/services/meals/{pointID}`).
/// The family's pages live under the portal (`/portal/elders/{elderID}/services`).
struct HomeServicePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let s = routes.grouped("services")
        s.get(use: hub)
        s.get("orders", use: orders)
        s.get("orders", "new", use: newOrder)
        s.post("orders", use: place)
        s.get("orders", ":orderID", use: order)
        for action in ["accept", "assign", "cancel", "office-check-in", "review", "confirm", "complaints", "check-in", "check-out"] {
            s.post("orders", ":orderID", .constant(action)) { req in try await act(req, action) }
        }
        s.get("dispatch", use: dispatch)
        s.get("visits", use: visits)
        s.get("exceptions", use: exceptions)
        s.get("points", use: points)
        s.post("points", use: createPoint)
        s.get("providers", use: providers)
        s.post("providers", use: createProvider)
        s.get("providers", ":providerID", use: provider)
        s.post("providers", ":providerID", "contracts", use: createContract)
        s.post("providers", ":providerID", "caregivers", use: createCaregiver)
        s.post("providers", ":providerID", "accounts", use: linkAccount)
        s.get("menu", use: menu)
        s.post("menu", use: createItem)
        s.get("return-visits", use: returnVisits)
        s.post("return-visits", "draw", use: drawReturnVisits)
        s.post("return-visits", ":returnVisitID", use: recordReturnVisit)
        s.get("meals", ":pointID", use: meals)
        s.post("meals", ":pointID", "menus", use: publishMenu)
        s.post("meals", ":pointID", "serve", use: serveMeal)
        s.get("settings", use: settings)
        s.post("settings", use: saveSettings)
        s.get("complaints", use: complaints)
        s.post("complaints", ":complaintID", "resolve", use: resolveComplaint)
        s.get("statements", use: statements)
        s.post("statements", use: buildStatement)
        s.get("statements", ":statementID", use: statement)
        s.post("statements", ":statementID", "approve", use: approveStatement)
        s.get("statements", ":statementID", "export", use: exportStatement)
        routes.post("elders", ":elderID", "service-home", use: setHome)
    }

    static func t(_ key: String, _ req: Request) -> String { UIStrings.text(key, req.locale) }

    // MARK: Lines shared by the lists

    struct OrderLine: Encodable {
        var id: String; var elder: String; var service: String; var time: String; var status: String; var statusCode: String
        var caregiver: String; var exceptions: [String]; var review: String
    }

    /// A booked slot, `2026-12-06 09:00–10:00`: to the minute, as it was booked. A slot with no
    /// end of its own shows the service's standard duration; one that ends on a later day names that day.
    static func time(_ o: ServiceOrder) -> String {
        let end = o.windowEnd > o.windowStart ? o.windowEnd : o.windowStart.addingTimeInterval(Double(max(o.standardMinutes, 0) * 60))
        let from = ChinaTime.dateTime(o.windowStart).prefix(16), to = ChinaTime.dateTime(end).prefix(16)
        return "\(from)–\(to.prefix(10) == from.prefix(10) ? to.suffix(5) : to)"
    }

    static func lines(_ orders: [ServiceOrder], req: Request) async throws -> [OrderLine] {
        let elders = try await ServiceAccess.people(of: orders, on: req.db)
        let carers = try await ServiceAccess.caregivers(of: orders, on: req.db).mapValues(\.name)
        return orders.map { o in
            OrderLine(id: o.id!.uuidString, elder: elders[o.elderID].map { "\($0.name)（\($0.idMasked)）" } ?? "—", service: o.serviceName,
                      time: time(o), status: o.orderStatus.name.text(req.locale), statusCode: o.status,
                      caregiver: o.caregiverID.flatMap { carers[$0] } ?? t("sv_not_assigned", req),
                      exceptions: o.exceptions.map { $0.message.text(req.locale) }, review: o.review)
        }
    }

    // MARK: Hub

    struct Hub: Encodable {
        var canManage: Bool; var today: Int; var open: Int; var exceptions: Int; var complaints: Int
        var recent: [OrderLine]; var mealPoints: [Option]
    }
    struct Option: Encodable { var value: String; var label: String; var selected: Bool = false }

    @Sendable func hub(req: Request) async throws -> Response {
        let actor = try req.require(.servicesUse)
        switch try await ServiceAccess.seat(req) {
        case .dispatcher: return req.redirect(to: "/services/dispatch")
        case .caregiver: return req.redirect(to: "/services/visits")
        case .mealPoint(let p): return req.redirect(to: "/services/meals/\(p.uuidString)")
        case .none: throw try await ServiceAccess.notDispatcher(req)
        case .staff: break
        }
        let q = { try req.scoped(ServiceOrder.self) }
        let today = CalendarDate.today().description
        let points = try await req.scoped(ServicePoint.self).filter(\.$kind == ServicePointKind.mealPoint.rawValue).sort(\.$name).all()
        let page = Hub(canManage: actor.has(.servicesManage),
                       today: try await q().filter(\.$serviceDay == today).filter(\.$status != ServiceOrderStatus.cancelled.rawValue).count(),
                       open: try await q().filter(\.$status ~~ [ServiceOrderStatus.placed, .accepted].map(\.rawValue)).count(),
                       exceptions: try await q().filter(\.$review == ServiceOrder.Review.pending.rawValue).count(),
                       complaints: try await req.scoped(ServiceComplaint.self).filter(\.$status == "open").count(),
                       recent: try await Self.lines(try await q().sort(\.$createdAt, .descending).limit(20).all(), req: req),
                       mealPoints: points.map { Option(value: $0.id!.uuidString, label: $0.name) })
        return try await WebPage.render("services", title: Self.t("sv_title", req), page, req: req)
    }

    // MARK: Orders

    struct OrderList: Encodable { var heading: String; var lines: [OrderLine]; var statuses: [Option]; var filter: Bool; var total: Int }

    @Sendable func orders(req: Request) async throws -> Response {
        try req.require(.servicesUse)
        var q = try await ServiceAccess.orders(req)
        let status = req.query[String.self, at: "status"] ?? ""
        if !status.isEmpty { q = q.filter(\.$status == status) }
        let total = try await q.count()
        let rows = try await q.sort(\.$windowStart, .descending).limit(200).all()
        let statuses = [Option(value: "", label: Self.t("sv_all", req), selected: status.isEmpty)]
            + ServiceOrderStatus.allCases.map { Option(value: $0.rawValue, label: $0.name.text(req.locale), selected: $0.rawValue == status) }
        return try await WebPage.render("service-orders", title: Self.t("sv_orders", req),
                                        OrderList(heading: Self.t("sv_orders", req), lines: try await Self.lines(rows, req: req), statuses: statuses, filter: true, total: total), req: req)
    }

    @Sendable func exceptions(req: Request) async throws -> Response {
        try req.require(.servicesManage)
        _ = try await ServiceOrders.flagMissingCheckOuts(req: req)
        let rows = try await req.scoped(ServiceOrder.self).filter(\.$review == ServiceOrder.Review.pending.rawValue).sort(\.$windowStart).limit(200).all()
        return try await WebPage.render("service-orders", title: Self.t("sv_exceptions", req),
                                        OrderList(heading: Self.t("sv_exceptions", req), lines: try await Self.lines(rows, req: req), statuses: [], filter: false, total: rows.count), req: req)
    }

    struct Dispatch: Encodable { var lines: [OrderLine]; var caregivers: [Option]; var provider: String }

    @Sendable func dispatch(req: Request) async throws -> Response {
        try req.require(.servicesDispatch)
        guard case .dispatcher(let pid) = try await ServiceAccess.seat(req) else { throw try await ServiceAccess.notDispatcher(req) }
        let p = try await req.findScoped(ServiceProvider.self, pid)
        let rows = try await ServiceAccess.orders(req).filter(\.$status ~~ [ServiceOrderStatus.placed, .accepted, .assigned, .checkedIn].map(\.rawValue))
            .sort(\.$windowStart).limit(300).all()
        let carers = try await req.scoped(Caregiver.self).filter(\.$providerID == pid).filter(\.$active == true).sort(\.$name).all()
        return try await WebPage.render("service-dispatch", title: Self.t("sv_dispatch", req),
                                        Dispatch(lines: try await Self.lines(rows, req: req), caregivers: carers.map { Option(value: $0.id!.uuidString, label: $0.name) },
                                                 provider: p.name), req: req)
    }

    struct Visits: Encodable { var day: String; var visits: [Visit] }
    struct Visit: Encodable {
        var id: String; var elder: String; var service: String; var time: String; var status: String
        var canCheckIn: Bool; var canCheckOut: Bool; var canConfirm: Bool; var exceptions: [String]; var note: String
        /// The full address, for visits still to be made: the caregiver has to find the door.
        var address: String?
    }

    /// The caregiver's phone page: today's visits, one big button each.
    @Sendable func visits(req: Request) async throws -> Response {
        try req.require(.servicesVisit)
        guard case .caregiver(let me, _) = try await ServiceAccess.seat(req) else { throw AppError.forbidden(.servicesVisit) }
        let day = req.query[String.self, at: "day"].flatMap(CalendarDate.init) ?? .today()
        let rows = try await ServiceAccess.orders(req).filter(\.$caregiverID == me).filter(\.$serviceDay == day.description)
            .filter(\.$status != ServiceOrderStatus.cancelled.rawValue).sort(\.$windowStart).all()
        let lines = try await Self.lines(rows, req: req)
        // Addresses are unmasked only for visits still to be made, and every showing is audited.
        let open = rows.filter { [.assigned, .checkedIn].contains($0.orderStatus) }
        let people = try await ServiceAccess.people(of: open, on: req.db)
        var addresses: [UUID: String] = [:]
        for o in open { addresses[o.id!] = people[o.elderID]?.addressCipher.flatMap { try? req.application.vault.open($0) } }
        if !addresses.isEmpty {
            try await AuditLog.record(on: req, action: .personalDataUnmasked, entityType: "service_visits", entityID: nil, region: try req.regionScope().region.value,
                                      after: ["field": "address", "orders": addresses.keys.map(\.uuidString).sorted().joined(separator: ",")])
        }
        return try await WebPage.render("service-visits", title: Self.t("sv_my_visits", req), Visits(day: day.description, visits: zip(rows, lines).map { o, l in
            Visit(id: l.id, elder: l.elder, service: l.service, time: l.time, status: l.status, canCheckIn: o.orderStatus == .assigned,
                  canCheckOut: o.orderStatus == .checkedIn, canConfirm: o.orderStatus == .checkedOut, exceptions: l.exceptions, note: o.note,
                  address: addresses[o.id!])
        }), req: req)
    }

    struct OrderPage: Encodable {
        var id: String; var elder: String; var elderId: String; var service: String; var time: String; var status: String; var place: String
        var provider: String; var caregiver: String; var note: String
        var list: String; var bureau: String; var balance: String; var selfPay: String
        var exceptions: [String]; var review: String; var reviewNote: String?; var distanceIn: Int?; var distanceOut: Int?
        var officeComment: String?; var rating: Int?; var cancelReason: String?
        var history: [Event]
        var canAccept: Bool; var canAssign: Bool; var caregivers: [Option]; var canCancel: Bool; var canOffice: Bool; var canReview: Bool
        var canConfirm: Bool; var canVisit: Bool; var canCheckIn: Bool; var canCheckOut: Bool
    }
    struct Event: Encodable { var at: String; var by: String; var status: String; var note: String }

    @Sendable func order(req: Request) async throws -> Response {
        let o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req))
        let seat = try await ServiceAccess.seat(req)
        let actor = try req.requireActor()
        let line = try await Self.lines([o], req: req)[0]
        let provider = try await req.scoped(ServiceProvider.self).filter(\.$id == o.providerID).first()?.name ?? "—"
        var carers: [Option] = []
        let dispatching: Bool
        switch seat {
        case .dispatcher: dispatching = true
        case .staff: dispatching = actor.has(.servicesManage)
        default: dispatching = false
        }
        if dispatching && [.placed, .accepted, .assigned].contains(o.orderStatus) {
            carers = try await req.scoped(Caregiver.self).filter(\.$providerID == o.providerID).filter(\.$active == true).sort(\.$name).all()
                .map { Option(value: $0.id!.uuidString, label: $0.name, selected: $0.id == o.caregiverID) }
        }
        let view = HomeServicesAPI.OrderView(o, req: req)
        var isCaregiver = false
        if case .caregiver(let me, _) = seat, o.caregiverID == me { isCaregiver = true }
        let page = OrderPage(
            id: line.id, elder: line.elder, elderId: o.elderID.uuidString, service: o.serviceName, time: line.time, status: line.status,
            place: o.placeKind == "home" ? Self.t("sv_home", req) : (try await req.scoped(ServicePoint.self).filter(\.$id == (o.pointID ?? UUID())).first()?.name ?? "—"),
            provider: provider, caregiver: line.caregiver, note: o.note,
            list: Fen.display(o.listFen), bureau: Fen.display(o.bureauFen), balance: Fen.display(o.balanceFen), selfPay: Fen.display(o.selfPayFen),
            exceptions: line.exceptions, review: o.review, reviewNote: o.reviewNote, distanceIn: view.checkInDistanceMeters, distanceOut: view.checkOutDistanceMeters,
            officeComment: o.officeComment, rating: o.rating, cancelReason: o.cancelReason,
            history: o.history.map { Event(at: ChinaTime.dateTime($0.at), by: $0.by, status: ServiceOrderStatus(rawValue: $0.status)?.name.text(req.locale) ?? $0.status, note: $0.note) },
            canAccept: dispatching && o.orderStatus == .placed, canAssign: !carers.isEmpty, caregivers: carers,
            canCancel: !isCaregiver && o.orderStatus.cancellable, canOffice: dispatching && o.orderStatus == .assigned,
            canReview: actor.has(.servicesManage) && o.review == ServiceOrder.Review.pending.rawValue,
            canConfirm: o.orderStatus == .checkedOut && (isCaregiver || actor.has(.servicesManage)),
            canVisit: isCaregiver, canCheckIn: isCaregiver && o.orderStatus == .assigned, canCheckOut: isCaregiver && o.orderStatus == .checkedIn)
        return try await WebPage.render("service-order", title: o.serviceName, page, req: req)
    }

    struct ActionForm: Content {
        var caregiverId: UUID?; var reason: String?; var comment: String?; var time: String?; var decision: String?; var note: String?
        var code: String?; var rating: Int?; var text: String?; var latitude: String?; var longitude: String?
    }

    @Sendable func act(_ req: Request, _ action: String) async throws -> Response {
        let f = try req.content.decode(ActionForm.self)
        let orders = ServiceOrders(req: req)
        let o: ServiceOrder
        if ["accept", "assign", "office-check-in"].contains(action) { o = try await HomeServicesAPI.dispatchable(req) }
        else { o = try await ServiceAccess.order(req, try ServiceAccess.orderID(req)) }
        let location = ServiceOrders.Location(latitude: f.latitude.flatMap(Double.init), longitude: f.longitude.flatMap(Double.init))
        var notice = "sv_changed"
        switch action {
        case "accept": try await orders.accept(o)
        case "assign":
            guard let c = f.caregiverId else { throw AppError.required("caregiverId", zh: "护理员", en: "The caregiver") }
            try await orders.assign(o, caregiverID: c)
        case "cancel":
            if case .caregiver = try await ServiceAccess.seat(req) { throw AppError.forbidden(.servicesDispatch) }
            try await orders.cancel(o, reason: f.reason ?? "")
        case "office-check-in":
            try await orders.officeCheckIn(o, comment: f.comment ?? "", at: try f.time.flatMap { $0.isEmpty ? nil : $0 }.map { try ServiceOrders.parseTime($0, field: "time") })
        case "review":
            try req.require(.servicesManage)
            try await orders.review(o, accept: f.decision == "accept", note: f.note ?? ""); notice = "sv_reviewed"
        case "confirm":
            guard let code = f.code, !code.isEmpty else { throw AppError.required("code", zh: "确认码", en: "The code") }
            try await orders.confirm(o, code: code, rating: f.rating, comment: f.comment)
        case "complaints": _ = try await orders.complain(o, text: f.text ?? ""); notice = "sv_complained"
        case "check-in":
            try req.require(.servicesVisit); try await orders.checkIn(o, at: location); notice = "sv_checked_in"
            return req.redirect(to: "/services/visits?notice=\(notice)")
        case "check-out":
            try req.require(.servicesVisit); try await orders.checkOut(o, at: location); notice = "sv_checked_out"
            return req.redirect(to: "/services/visits?notice=\(notice)")
        default: throw AppError.notFound()
        }
        return req.redirect(to: "/services/orders/\(o.id!.uuidString)?notice=\(notice)")
    }

    // MARK: Ordering for a person (staff)

    struct NewOrder: Encodable {
        var action: String; var elderId: String; var elder: String; var services: [Option]; var day: String; var from: String; var to: String; var note: String
        var quote: Quote?; var balance: String; var hasHome: Bool; var canSetHome: Bool
    }
    struct Quote: Encodable { var plain: String; var list: String; var bureau: String; var balance: String; var selfPay: String; var provider: String; var start: String; var end: String }

    static func newOrderPage(req: Request, elder: Elder, action: String) async throws -> NewOrder {
        let day = req.query[String.self, at: "day"] ?? CalendarDate.today().addingDays(1).description
        let from = req.query[String.self, at: "from"] ?? "09:00", to = req.query[String.self, at: "to"] ?? "10:00"
        let chosen = req.query[String.self, at: "service"] ?? ""
        let items = try await ServiceOrders.menu(for: elder.residenceRegion, day: CalendarDate(day) ?? .today(), on: req.db)
        var quote: Quote? = nil
        if !chosen.isEmpty {
            let orders = ServiceOrders(req: req)
            let input = ServiceOrders.PlaceInput(service: chosen, start: "\(day) \(from)", end: "\(day) \(to)", place: nil, pointId: nil, note: nil, providerId: nil)
            let w = try orders.window(input, settings: try await HomeServiceSettingsRow.inForce(on: req.db))
            let offer = try await orders.offer(elder: elder, code: chosen, day: w.day)
            quote = Quote(plain: offer.quote.plain.text(req.locale), list: Fen.display(offer.quote.listFen), bureau: Fen.display(offer.quote.bureauFen),
                          balance: Fen.display(offer.quote.balanceFen), selfPay: Fen.display(offer.quote.selfPayFen), provider: offer.provider.name,
                          start: input.start, end: input.end)
        }
        let balance = try await ServiceBalance.figures(elderID: elder.id!, on: req.db)
        return NewOrder(action: action, elderId: elder.id!.uuidString, elder: "\(elder.name)（\(elder.idMasked)）",
                        services: items.map { Option(value: $0.code, label: "\($0.name) · \(Fen.display($0.listPriceFen))元/\(ServiceUnit(rawValue: $0.unit)?.name.text(req.locale) ?? $0.unit)", selected: $0.code == chosen) },
                        day: day, from: from, to: to, note: req.query[String.self, at: "note"] ?? "", quote: quote, balance: Fen.display(balance.availableFen),
                        hasHome: req.actor?.has(.registryEdit) == true ? try await req.scoped(ServiceHome.self).filter(\.$elderID == elder.id!).count() > 0 : true,
                        canSetHome: req.actor?.has(.registryEdit) == true)
    }

    @Sendable func newOrder(req: Request) async throws -> Response {
        guard let id = req.query[UUID.self, at: "elder"] else { return req.redirect(to: "/elders") }
        let elder = try await HomeServicesAPI.staffElder(req, id)
        return try await WebPage.render("service-order-new", title: Self.t("sv_order_new", req), try await Self.newOrderPage(req: req, elder: elder, action: "/services/orders"), req: req)
    }

    struct PlaceForm: Content { var elderId: UUID?; var service: String; var start: String; var end: String; var note: String? }

    @Sendable func place(req: Request) async throws -> Response {
        let f = try req.content.decode(PlaceForm.self)
        guard let id = f.elderId else { throw AppError.required("elderId", zh: "老人", en: "The person") }
        let elder = try await HomeServicesAPI.staffElder(req, id)
        let o = try await ServiceOrders(req: req).place(elder: elder, input: .init(service: f.service, start: f.start, end: f.end, place: nil, pointId: nil, note: f.note, providerId: nil), via: "staff")
        return req.redirect(to: "/services/orders/\(o.id!.uuidString)?notice=sv_placed")
    }

    struct HomeForm: Content { var latitude: String; var longitude: String; var next: String? }

    @Sendable func setHome(req: Request) async throws -> Response {
        let elder = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let f = try req.content.decode(HomeForm.self)
        guard let la = Double(f.latitude.trimmingCharacters(in: .whitespaces)), let lo = Double(f.longitude.trimmingCharacters(in: .whitespaces)) else {
            throw AppError(.unprocessableEntity, "home.geo", field: "latitude", zh: "经纬度应为数字，如 38.0428、114.5149", en: "Latitude and longitude are numbers, e.g. 38.0428, 114.5149")
        }
        try await ServiceSetup(req: req).setHome(elder, .init(latitude: la, longitude: lo))
        return req.redirect(to: WebPage.safeNext(f.next) + (f.next?.contains("?") == true ? "&" : "?") + "notice=sv_saved")
    }

    // MARK: Setup pages

    struct Points: Encodable {
        var points: [PointRow]; var kinds: [Option]; var canManage: Bool; var region: String
        /// The new point's region by name, and the form as sent when that name did not resolve.
        var regionField: RegionPicker.Field; var values: [String: String]
    }
    /// A point or provider with its region named.
    struct PointRow: Encodable { var point: HomeServicesAPI.PointView; var region: String }
    struct ProviderRow: Encodable { var provider: HomeServicesAPI.ProviderView; var region: String }

    /// A setup form's fields as sent, to fill the form again beside a region that did not resolve.
    static func sentValues(_ req: Request, _ keys: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for k in keys { if let v = try? req.content.get(String.self, at: k) { out[k] = v } }
        return out
    }

    /// The region field of a setup form: the account's own region to start with, what was typed after.
    static func regionField(_ req: Request, id: String = "regionCode", typed: String?, picked: RegionPicker.Resolution) async throws
        -> RegionPicker.Field {
        try await RegionPicker.field(id: id, name: "regionCode", label: t("sv_region", req), value: typed ?? req.actor?.region.value ?? "",
                                     resolution: picked, required: true, req: req)
    }

    @Sendable func points(req: Request) async throws -> Response { try await renderPoints(req) }

    func renderPoints(_ req: Request, values: [String: String] = [:], picked: RegionPicker.Resolution = .empty) async throws -> Response {
        let actor = try req.require(.servicesUse)
        let points = try await req.scoped(ServicePoint.self).sort(\.$regionCode).sort(\.$name).all()
        let regionNames = try await RegionPicker.names(of: points.map(\.regionCode), req: req)
        return try await WebPage.render("service-points", title: Self.t("sv_points", req), Points(
            points: points.map { PointRow(point: .init($0, req.locale), region: regionNames[$0.regionCode] ?? $0.regionCode) }, kinds: ServicePointKind.allCases.map { Option(value: $0.rawValue, label: $0.name.text(req.locale)) },
            canManage: actor.has(.servicesManage), region: actor.region.value,
            regionField: try await Self.regionField(req, typed: values["regionCode"], picked: picked), values: values),
            req: req, status: picked.isResolved ? .ok : .unprocessableEntity)
    }

    struct PointForm: Content { var regionCode: String; var kind: String; var name: String; var address: String; var latitude: String?; var longitude: String?; var capacity: String?; var hours: String? }

    @Sendable func createPoint(req: Request) async throws -> Response {
        let f = try req.content.decode(PointForm.self)
        func number(_ s: String?) -> Double? { s.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
        let picked = try await RegionPicker.resolve(f.regionCode, req: req)
        guard picked.isResolved else {
            return try await renderPoints(req, values: Self.sentValues(req, ["regionCode", "kind", "name", "address", "latitude", "longitude",
                                                                              "capacity", "hours"]), picked: picked)
        }
        _ = try await ServiceSetup(req: req).createPoint(.init(regionCode: picked.code ?? f.regionCode, kind: f.kind, name: f.name, address: f.address, latitude: number(f.latitude),
                                                               longitude: number(f.longitude), capacity: f.capacity.flatMap { Int($0) }, hours: f.hours, providerId: nil))
        return req.redirect(to: "/services/points?notice=sv_saved")
    }

    struct Providers: Encodable {
        var providers: [ProviderRow]; var canManage: Bool; var region: String
        var regionField: RegionPicker.Field; var values: [String: String]
    }

    @Sendable func providers(req: Request) async throws -> Response { try await renderProviders(req) }

    func renderProviders(_ req: Request, values: [String: String] = [:], picked: RegionPicker.Resolution = .empty) async throws -> Response {
        let actor = try req.require(.servicesUse)
        let providers = try await req.scoped(ServiceProvider.self).sort(\.$name).all().map(HomeServicesAPI.ProviderView.init)
        let regionNames = try await RegionPicker.names(of: providers.map(\.regionCode), req: req)
        return try await WebPage.render("service-providers", title: Self.t("sv_providers", req), Providers(
            providers: providers.map { ProviderRow(provider: $0, region: regionNames[$0.regionCode] ?? $0.regionCode) }, canManage: actor.has(.servicesManage), region: actor.region.value,
            regionField: try await Self.regionField(req, typed: values["regionCode"], picked: picked), values: values),
            req: req, status: picked.isResolved ? .ok : .unprocessableEntity)
    }

    @Sendable func createProvider(req: Request) async throws -> Response {
        var input = try req.content.decode(ServiceSetup.ProviderInput.self)
        let picked = try await RegionPicker.resolve(input.regionCode, req: req)
        guard picked.isResolved else {
            return try await renderProviders(req, values: Self.sentValues(req, ["regionCode", "name", "creditCode", "qualifications", "contact"]),
                                             picked: picked)
        }
        input.regionCode = picked.code ?? input.regionCode
        let p = try await ServiceSetup(req: req).createProvider(input)
        return req.redirect(to: "/services/providers/\(p.id!.uuidString)?notice=sv_saved")
    }

    struct ProviderPage: Encodable {
        var p: HomeServicesAPI.ProviderView; var contracts: [Contract]; var caregivers: [Carer]; var qualifications: [Option]
        var canManage: Bool; var canAddCaregiver: Bool; var today: String; var inAYear: String
        /// The provider's own region by name, and the contract form's region field.
        var regionName: String; var contractRegion: RegionPicker.Field; var values: [String: String]
    }
    struct Contract: Encodable { var region: String; var prices: String; var period: String }
    struct Carer: Encodable { var name: String; var phone: String; var account: Bool; var certificates: [Cert] }
    struct Cert: Encodable { var name: String; var number: String; var until: String; var expired: Bool }

    @Sendable func provider(req: Request) async throws -> Response {
        try await renderProvider(req, try await ServiceAccess.provider(req, try HomeServicesAPI.providerID(req)))
    }

    func renderProvider(_ req: Request, _ p: ServiceProvider, values: [String: String] = [:],
                        picked: RegionPicker.Resolution = .empty) async throws -> Response {
        let v = try await HomeServicesAPI.fullProvider(p, req: req)
        let regionNames = try await RegionPicker.names(of: [v.regionCode] + (v.contracts ?? []).map(\.regionCode), req: req)
        let actor = try req.requireActor()
        let today = CalendarDate.today().description
        let names = Dictionary(try await ServiceAccess.menu(req).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        return try await WebPage.render("service-provider", title: p.name, ProviderPage(
            p: v, contracts: (v.contracts ?? []).map { c in
                // A contract prices menu items by code: show each item's name, as the menu does.
                Contract(region: regionNames[c.regionCode] ?? c.regionCode, prices: c.prices.sorted { $0.key < $1.key }
                            .map { "\(names[$0.key] ?? $0.key) \(Fen.display($0.value))" }.joined(separator: "、"),
                         period: "\(c.startsOn) – \(c.endsOn)")
            },
            caregivers: (v.caregivers ?? []).map { c in
                Carer(name: c.name, phone: c.phone, account: c.hasAccount, certificates: c.certificates.map { Cert(name: $0.name, number: $0.number, until: $0.validUntil, expired: $0.validUntil < today) })
            },
            qualifications: Qualification.allCases.map { Option(value: $0.rawValue, label: $0.name.text(req.locale)) },
            canManage: actor.has(.servicesManage), canAddCaregiver: actor.has(.servicesManage) || actor.has(.servicesDispatch),
            today: today, inAYear: CalendarDate.today().addingMonths(12).description,
            regionName: RegionPicker.display(v.regionCode, regionNames),
            contractRegion: try await Self.regionField(req, id: "c-region", typed: values["regionCode"] ?? v.regionCode, picked: picked),
            values: values), req: req, status: picked.isResolved ? .ok : .unprocessableEntity)
    }

    /// `code=yuan` lines, as typed on the forms, into fen.
    /// `names` maps a name as a person types it (上门助浴, 低保, 80 岁及以上) to its code, so nobody has to know the codes;
    /// a code typed as such still works.
    static func priceLines(_ text: String?, field: String, names: [String: String] = [:]) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for raw in (text ?? "").split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "，" || $0 == "、" }) {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let yuan = Decimal(string: parts[1]), yuan >= 0 else {
                throw AppError(.unprocessableEntity, "form.price_line", field: field,
                               zh: "“\(line)”应写成 名称=元，如 上门助浴=60", en: "\"\(line)\" should read name=yuan, e.g. 上门助浴=60")
            }
            out[names[parts[0]] ?? parts[0]] = NSDecimalNumber(decimal: yuan * 100).intValue
        }
        return out
    }

    struct ContractForm: Content { var regionCode: String; var prices: String; var startsOn: String; var endsOn: String }

    @Sendable func createContract(req: Request) async throws -> Response {
        let p = try await ServiceAccess.provider(req, try HomeServicesAPI.providerID(req))
        let f = try req.content.decode(ContractForm.self)
        let names = Dictionary(try await ServiceAccess.menu(req).map { ($0.name, $0.code) }, uniquingKeysWith: { a, _ in a })
        let prices = try Self.priceLines(f.prices, field: "prices", names: names)
        let picked = try await RegionPicker.resolve(f.regionCode, req: req)
        guard picked.isResolved else {
            return try await renderProvider(req, p, values: Self.sentValues(req, ["regionCode", "prices", "startsOn", "endsOn"]), picked: picked)
        }
        _ = try await ServiceSetup(req: req).createContract(provider: p, .init(regionCode: picked.code ?? f.regionCode, prices: prices,
                                                                                startsOn: f.startsOn, endsOn: f.endsOn))
        return req.redirect(to: "/services/providers/\(p.id!.uuidString)?notice=sv_saved")
    }

    struct CaregiverForm: Content { var name: String; var phone: String?; var username: String?; var qualification: String?; var number: String?; var validUntil: String? }

    @Sendable func createCaregiver(req: Request) async throws -> Response {
        let p = try await ServiceAccess.provider(req, try HomeServicesAPI.providerID(req))
        let actor = try req.requireActor()
        guard actor.has(.servicesManage) || actor.has(.servicesDispatch) else { throw AppError.forbidden(.servicesDispatch) }
        let f = try req.content.decode(CaregiverForm.self)
        var certs: [ServiceSetup.CertificateInput] = []
        if let q = f.qualification, !q.isEmpty { certs.append(.init(qualification: q, number: f.number ?? "", validUntil: f.validUntil ?? "")) }
        _ = try await ServiceSetup(req: req).createCaregiver(provider: p, .init(name: f.name, phone: f.phone, username: f.username, certificates: certs))
        return req.redirect(to: "/services/providers/\(p.id!.uuidString)?notice=sv_saved")
    }

    struct AccountForm: Content { var username: String }

    @Sendable func linkAccount(req: Request) async throws -> Response {
        let p = try await ServiceAccess.provider(req, try HomeServicesAPI.providerID(req))
        _ = try await ServiceSetup(req: req).linkAccount(.init(username: try req.content.decode(AccountForm.self).username, providerId: p.id, pointId: nil))
        return req.redirect(to: "/services/providers/\(p.id!.uuidString)?notice=sv_saved")
    }

    struct Menu: Encodable {
        var items: [Item]; var categories: [Option]; var units: [Option]; var qualifications: [Option]
        var canManage: Bool; var region: String; var today: String
        var regionField: RegionPicker.Field; var values: [String: String]
    }
    struct Item: Encodable { var code: String; var name: String; var category: String; var unit: String; var minutes: Int; var list: String; var tiers: String; var qualification: String; var period: String; var region: String }

    @Sendable func menu(req: Request) async throws -> Response { try await renderMenu(req) }

    func renderMenu(_ req: Request, values: [String: String] = [:], picked: RegionPicker.Resolution = .empty) async throws -> Response {
        let actor = try req.require(.servicesUse)
        let items = try await ServiceAccess.menu(req)
        let codes = try await RegistryVocabulary.load(on: req.db).1
        let regionNames = try await RegionPicker.names(of: items.map(\.regionCode), req: req)
        let l = req.locale
        return try await WebPage.render("service-menu", title: Self.t("sv_menu", req), Menu(
            items: items.map { i in
                Item(code: i.code, name: i.name, category: ServiceCategory(rawValue: i.category)?.name.text(l) ?? i.category,
                     unit: ServiceUnit(rawValue: i.unit)?.name.text(l) ?? i.unit, minutes: i.standardMinutes, list: Fen.display(i.listPriceFen),
                     tiers: i.tierPrices.sorted { $0.key < $1.key }
                        .map { "\(PriceTiers.name($0.key, codes: codes).text(l)) \(Fen.display($0.value))" }.joined(separator: "、"),
                     qualification: i.qualification.flatMap { Qualification(rawValue: $0)?.name.text(l) } ?? Self.t("sv_none", req),
                     period: i.effectiveFrom + (i.effectiveTo.map { " – \($0)" } ?? " –"), region: regionNames[i.regionCode] ?? i.regionCode)
            },
            categories: ServiceCategory.allCases.map { Option(value: $0.rawValue, label: $0.name.text(l)) },
            units: ServiceUnit.allCases.map { Option(value: $0.rawValue, label: $0.name.text(l)) },
            qualifications: [Option(value: "", label: Self.t("sv_none", req))] + Qualification.allCases.map { Option(value: $0.rawValue, label: $0.name.text(l)) },
            canManage: actor.has(.servicesManage), region: actor.region.value, today: CalendarDate.today().description,
            regionField: try await Self.regionField(req, typed: values["regionCode"], picked: picked), values: values),
            req: req, status: picked.isResolved ? .ok : .unprocessableEntity)
    }

    struct ItemForm: Content {
        var regionCode: String; var code: String; var name: String; var category: String; var unit: String?; var standardMinutes: String
        var listYuan: String; var tiers: String?; var qualification: String?; var balanceAllowed: String?; var effectiveFrom: String; var effectiveTo: String?
    }

    @Sendable func createItem(req: Request) async throws -> Response {
        let f = try req.content.decode(ItemForm.self)
        guard let minutes = Int(f.standardMinutes.trimmingCharacters(in: .whitespaces)) else {
            throw AppError(.unprocessableEntity, "menu.minutes", field: "standardMinutes", zh: "标准时长应为整数分钟", en: "The standard duration is whole minutes")
        }
        let list = try Self.priceLines("x=\(f.listYuan)", field: "listYuan")["x"] ?? 0
        let codes = try await RegistryVocabulary.load(on: req.db).1
        var tierNames: [String: String] = [:]
        for c in codes where c.kind == .economicStatus || c.kind == .category {
            tierNames[c.name.zh] = c.code; tierNames[c.name.en] = c.code
        }
        for age in stride(from: 60, through: 100, by: 5) {
            let n = PriceTiers.name("age_\(age)"); tierNames[n.zh] = "age_\(age)"; tierNames[n.en] = "age_\(age)"
            tierNames[n.zh.replacingOccurrences(of: " ", with: "")] = "age_\(age)"
        }
        let tiers = try Self.priceLines(f.tiers, field: "tiers", names: tierNames)
        let picked = try await RegionPicker.resolve(f.regionCode, req: req)
        guard picked.isResolved else {
            return try await renderMenu(req, values: Self.sentValues(req, ["regionCode", "code", "name", "standardMinutes", "listYuan", "tiers",
                                                                            "effectiveFrom", "effectiveTo"]), picked: picked)
        }
        _ = try await ServiceSetup(req: req).createItem(.init(regionCode: picked.code ?? f.regionCode, code: f.code, name: f.name, category: f.category, unit: f.unit,
                                                              standardMinutes: minutes, listPriceFen: list, tierPrices: tiers,
                                                              qualification: f.qualification, balanceAllowed: f.balanceAllowed == "true",
                                                              effectiveFrom: f.effectiveFrom, effectiveTo: f.effectiveTo))
        return req.redirect(to: "/services/menu?notice=sv_saved")
    }

    // MARK: Return visits

    struct ReturnVisitsPage: Encodable { var lastWeek: String; var visits: [RV]; var outcomes: [Option] }
    struct RV: Encodable { var id: String; var orderId: String; var week: String; var order: String; var status: String; var outcome: String; var note: String }

    @Sendable func returnVisits(req: Request) async throws -> Response {
        try req.require(.servicesManage)
        let rows = try await req.scoped(ReturnVisit.self).sort(\.$weekStart, .descending).limit(300).all()
        let orders = Dictionary(uniqueKeysWithValues: try await Self.lines(try await req.scoped(ServiceOrder.self).filter(\.$id ~~ rows.map(\.orderID)).all(), req: req).map { ($0.id, $0) })
        let outcomes = ReturnVisit.Outcome.allCases.map { Option(value: $0.rawValue, label: Self.t("sv_outcome_\($0.rawValue)", req)) }
        return try await WebPage.render("service-return-visits", title: Self.t("sv_return_visits", req), ReturnVisitsPage(
            lastWeek: HomeServicesAPI.lastWeek().description, visits: rows.map { r in
                let o = orders[r.orderID.uuidString]
                return RV(id: r.id!.uuidString, orderId: r.orderID.uuidString, week: r.weekStart, order: o.map { "\($0.elder) · \($0.service) · \($0.time)" } ?? "—",
                          status: r.status, outcome: r.outcome.map { Self.t("sv_outcome_\($0)", req) } ?? "", note: r.note ?? "")
            }, outcomes: outcomes), req: req)
    }

    @Sendable func drawReturnVisits(req: Request) async throws -> Response {
        let week = try req.content.decode(HomeServicesAPI.DrawInput.self).weekStart.flatMap { $0.isEmpty ? nil : $0 }
        _ = try await ReturnVisits(req: req).draw(weekStart: try week.map { try ServiceSetup.day($0, field: "weekStart") } ?? HomeServicesAPI.lastWeek())
        return req.redirect(to: "/services/return-visits?notice=sv_drawn")
    }

    @Sendable func recordReturnVisit(req: Request) async throws -> Response {
        try req.require(.servicesManage)
        guard let id = req.parameters.get("returnVisitID", as: UUID.self) else { throw AppError.notFound() }
        try await ReturnVisits(req: req).record(try await req.findScoped(ReturnVisit.self, id), try req.content.decode(ReturnVisits.OutcomeInput.self))
        return req.redirect(to: "/services/return-visits?notice=sv_saved")
    }

    // MARK: Meal point

    struct MealsPage: Encodable {
        var pointId: String; var name: String; var day: String; var menus: [Menu1]; var counts: [Count]; var orders: [MealLine]
        var meals: [Option]; var modes: [Option]; var total: Int; var subsidy: String
    }
    struct Menu1: Encodable { var meal: String; var dishes: String; var price: String }
    struct Count: Encodable { var meal: String; var mode: String; var status: String; var count: Int; var subsidy: String; var selfPay: String }
    struct MealLine: Encodable { var id: String; var elder: String; var meal: String; var mode: String; var subsidy: String; var selfPay: String; var status: String; var canServe: Bool }

    @Sendable func meals(req: Request) async throws -> Response {
        let p = try await ServiceAccess.mealPoint(req, try HomeServicesAPI.pointID(req))
        let day = req.query[String.self, at: "day"].flatMap(CalendarDate.init) ?? .today()
        let (menus, orders) = try await MealService.day(point: p.id!, day: day.description, on: req.db)
        let counts = try await MealService.counts(point: p.id!, day: day.description, on: req.db)
        let elders = try await ServiceAccess.people(orders.map(\.elderID), on: req.db).mapValues { "\($0.name)（\($0.idMasked)）" }
        let l = req.locale
        func mode(_ m: String) -> String { Self.t("sv_mode_\(m)", req) }
        return try await WebPage.render("service-meals", title: p.name, MealsPage(
            pointId: p.id!.uuidString, name: p.name, day: day.description,
            menus: menus.map { Menu1(meal: MealService.mealName($0.meal).text(l), dishes: $0.dishes, price: Fen.display($0.priceFen)) },
            counts: counts.map { Count(meal: MealService.mealName($0.meal).text(l), mode: mode($0.mode), status: $0.status, count: $0.count, subsidy: Fen.display($0.subsidyFen), selfPay: Fen.display($0.selfPayFen)) },
            orders: orders.map { MealLine(id: $0.id!.uuidString, elder: elders[$0.elderID] ?? "—", meal: MealService.mealName($0.meal).text(l), mode: mode($0.mode),
                                          subsidy: Fen.display($0.subsidyFen), selfPay: Fen.display($0.selfPayFen), status: $0.status, canServe: $0.status == "ordered") },
            meals: MealService.meals.map { Option(value: $0, label: MealService.mealName($0).text(l), selected: $0 == "lunch") },
            modes: MealOrder.Mode.allCases.map { Option(value: $0.rawValue, label: mode($0.rawValue), selected: $0 == .onTheSpot) },
            total: counts.filter { $0.status != "cancelled" }.reduce(0) { $0 + $1.count }, subsidy: Fen.display(counts.reduce(0) { $0 + $1.subsidyFen })), req: req)
    }

    struct MenuForm: Content { var day: String; var meal: String?; var dishes: String; var priceYuan: String }

    @Sendable func publishMenu(req: Request) async throws -> Response {
        let p = try await ServiceAccess.mealPoint(req, try HomeServicesAPI.pointID(req))
        let f = try req.content.decode(MenuForm.self)
        let fen = try Self.priceLines("x=\(f.priceYuan)", field: "priceYuan")["x"] ?? 0
        _ = try await MealService(req: req).publish(point: p, .init(day: f.day, meal: f.meal, dishes: f.dishes, priceFen: fen))
        return req.redirect(to: "/services/meals/\(p.id!.uuidString)?day=\(f.day)&notice=sv_saved")
    }

    struct ServeForm: Content { var idNumber: String?; var meal: String?; var mode: String?; var orderId: UUID? }

    @Sendable func serveMeal(req: Request) async throws -> Response {
        let p = try await ServiceAccess.mealPoint(req, try HomeServicesAPI.pointID(req))
        let f = try req.content.decode(ServeForm.self)
        let meals = MealService(req: req)
        if let id = f.orderId {
            let o = try await req.findScoped(MealOrder.self, id)
            guard o.pointID == p.id else { throw AppError.notFound() }
            try await meals.serve(o)
        } else {
            let elder = try await meals.elder(idNumber: f.idNumber ?? "")
            _ = try await meals.record(point: p, elder: elder, .init(idNumber: nil, elderId: elder.id, day: nil, meal: f.meal, mode: f.mode), servedNow: true)
        }
        return req.redirect(to: "/services/meals/\(p.id!.uuidString)?notice=sv_meal_served")
    }

    // MARK: Settings

    struct SettingsPage: Encodable {
        var effectiveFrom: String; var tolerance: Int; var shortPercent: Int; var longPercent: Int; var maxHours: Int
        var returnPercent: Int; var settleOnlyConfirmed: Bool; var maxWindowHours: Int; var canChange: Bool; var today: String
        var travelGapMinutes: Int
    }

    @Sendable func settings(req: Request) async throws -> Response {
        let actor = try req.require(.servicesManage)
        let (from, s) = try await HomeServiceSettingsRow.version(on: req.db)
        return try await WebPage.render("service-settings", title: Self.t("sv_settings", req), SettingsPage(
            effectiveFrom: from ?? "2000-01-01", tolerance: Int(s.visitRules.toleranceMeters), shortPercent: Int((s.visitRules.shortRatio * 100).rounded()),
            longPercent: Int((s.visitRules.longRatio * 100).rounded()), maxHours: Int(s.visitRules.maxHours), returnPercent: s.returnVisitPercent,
            settleOnlyConfirmed: s.settleOnlyConfirmed, maxWindowHours: s.maxWindowHours,
            canChange: actor.has(.rolesManage), today: CalendarDate.today().description, travelGapMinutes: s.travelGapMinutes), req: req)
    }

    struct SettingsForm: Content {
        var effectiveFrom: String; var tolerance: String; var shortPercent: String; var longPercent: String; var maxHours: String
        var returnPercent: String; var settleOnlyConfirmed: String?; var maxWindowHours: String
        /// Left out (a form of before the setting), the version in force keeps its gap.
        var travelGapMinutes: String?
    }

    @Sendable func saveSettings(req: Request) async throws -> Response {
        let f = try req.content.decode(SettingsForm.self)
        func number(_ s: String, _ field: String) throws -> Double {
            guard let v = Double(s.trimmingCharacters(in: .whitespaces)) else {
                throw AppError(.unprocessableEntity, "settings.\(field)", field: field, zh: "请填写数字", en: "Enter a number")
            }
            return v
        }
        var s = try await HomeServiceSettingsRow.inForce(on: req.db)
        s.visitRules.toleranceMeters = try number(f.tolerance, "toleranceMeters")
        s.visitRules.shortRatio = try number(f.shortPercent, "shortRatio") / 100
        s.visitRules.longRatio = try number(f.longPercent, "longRatio") / 100
        s.visitRules.maxHours = try number(f.maxHours, "maxHours")
        s.returnVisitPercent = Int(try number(f.returnPercent, "returnVisitPercent"))
        s.maxWindowHours = Int(try number(f.maxWindowHours, "maxWindowHours"))
        if let gap = f.travelGapMinutes { s.travelGapMinutes = Int(try number(gap, "travelGapMinutes")) }
        s.settleOnlyConfirmed = f.settleOnlyConfirmed == "true"
        _ = try await ServiceSetup(req: req).saveSettings(.init(effectiveFrom: f.effectiveFrom, settings: s))
        return req.redirect(to: "/services/settings?notice=sv_saved")
    }

    // MARK: Complaints

    struct ComplaintsPage: Encodable { var complaints: [ComplaintLine] }
    struct ComplaintLine: Encodable { var id: String; var elder: String; var about: String; var orderId: String?; var text: String; var by: String; var at: String; var open: Bool; var resolution: String }

    @Sendable func complaints(req: Request) async throws -> Response {
        try req.require(.servicesManage)
        let rows = try await req.scoped(ServiceComplaint.self).sort(\.$status, .descending).sort(\.$createdAt, .descending).limit(300).all()
        let elders = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ rows.map(\.elderID)).all().map { ($0.id!, "\($0.name)（\($0.idMasked)）") })
        return try await WebPage.render("service-complaints", title: Self.t("sv_complaints", req), ComplaintsPage(complaints: rows.map {
            ComplaintLine(id: $0.id!.uuidString, elder: elders[$0.elderID] ?? "—", about: $0.orderID != nil ? Self.t("sv_orders", req) : Self.t("sv_meals", req),
                          orderId: $0.orderID?.uuidString, text: $0.text, by: $0.by, at: $0.createdAt.map(ChinaTime.dateTime) ?? "",
                          open: $0.status == "open", resolution: $0.resolution ?? "")
        }), req: req)
    }

    @Sendable func resolveComplaint(req: Request) async throws -> Response {
        _ = try await HomeServicesAPI().resolveComplaint(req: req)
        return req.redirect(to: "/services/complaints?notice=sv_saved")
    }

    // MARK: Statements

    struct StatementsPage: Encodable { var statements: [StatementLine]; var providers: [Option]; var points: [Option]; var month: String }
    struct StatementLine: Encodable { var id: String; var kind: String; var party: String; var month: String; var status: String; var settled: Int; var held: Int; var charged: String }

    @Sendable func statements(req: Request) async throws -> Response {
        try req.require(.servicesManage)
        let rows = try await req.scoped(ServiceStatement.self).sort(\.$month, .descending).sort(\.$partyName).limit(300).all()
        return try await WebPage.render("service-statements", title: Self.t("sv_statements", req), StatementsPage(
            statements: rows.map {
                StatementLine(id: $0.id!.uuidString, kind: Self.t($0.kind == "visits" ? "sv_kind_visits" : "sv_kind_meals", req), party: $0.partyName, month: $0.month,
                              status: $0.status == "approved" ? Self.t("sv_settled", req) : "草稿 / draft", settled: $0.totals.settledCount, held: $0.totals.heldCount,
                              charged: Fen.display($0.totals.chargedToBureauFen))
            },
            providers: try await req.scoped(ServiceProvider.self).sort(\.$name).all().map { Option(value: $0.id!.uuidString, label: $0.name) },
            points: try await req.scoped(ServicePoint.self).filter(\.$kind == ServicePointKind.mealPoint.rawValue).sort(\.$name).all().map { Option(value: $0.id!.uuidString, label: $0.name) },
            month: Month.current().description), req: req)
    }

    struct BuildForm: Content { var party: String; var month: String }

    @Sendable func buildStatement(req: Request) async throws -> Response {
        let f = try req.content.decode(BuildForm.self)
        let parts = f.party.split(separator: ":").map(String.init)
        guard parts.count == 2, let id = UUID(uuidString: parts[1]) else { throw AppError.required("party", zh: "结算对象", en: "What to settle") }
        let s = try await ServiceSettlement(req: req).build(.init(kind: parts[0], partyId: id, month: f.month))
        return req.redirect(to: "/services/statements/\(s.id!.uuidString)?notice=sv_statement_built")
    }

    struct StatementPage: Encodable {
        var id: String; var party: String; var partyId: String; var month: String; var approved: Bool; var kind: String
        var settled: Int; var held: Int; var refused: Int; var list: String; var bureau: String; var balance: String; var selfPay: String; var charged: String
        var heldFen: String; var lines: [Line]
    }
    struct Line: Encodable { var day: String; var service: String; var state: String; var list: String; var bureau: String; var balance: String; var selfPay: String; var note: String; var orderId: String; var isVisit: Bool }

    @Sendable func statement(req: Request) async throws -> Response {
        let s = try await HomeServicesAPI.statementRecord(req)
        let t = s.totals
        let lines = try await ServiceSettlement(req: req).lines(s)
        let states = ["settled": Self.t("sv_settled", req), "held": Self.t("sv_held", req), "refused": Self.t("sv_refused", req)]
        return try await WebPage.render("service-statement", title: "\(s.partyName) \(s.month)", StatementPage(
            id: s.id!.uuidString, party: s.partyName, partyId: s.partyID.uuidString, month: s.month, approved: s.status == "approved", kind: s.kind,
            settled: t.settledCount, held: t.heldCount, refused: t.refusedCount, list: Fen.display(t.listFen), bureau: Fen.display(t.bureauFen), balance: Fen.display(t.balanceFen),
            selfPay: Fen.display(t.selfPayFen), charged: Fen.display(t.chargedToBureauFen), heldFen: Fen.display(t.heldFen),
            lines: lines.map { Line(day: $0.day, service: $0.service, state: states[$0.state] ?? $0.state, list: Fen.display($0.listFen), bureau: Fen.display($0.bureauFen),
                                    balance: Fen.display($0.balanceFen), selfPay: Fen.display($0.selfPayFen), note: $0.note, orderId: $0.id.uuidString, isVisit: s.kind == "visits") }), req: req)
    }

    @Sendable func approveStatement(req: Request) async throws -> Response {
        let s = try await HomeServicesAPI.statementRecord(req)
        try await ServiceSettlement(req: req).approve(s)
        return req.redirect(to: "/services/statements/\(s.id!.uuidString)?notice=sv_statement_approved")
    }

    @Sendable func exportStatement(req: Request) async throws -> Response {
        try await ServiceStatementExport.csv(try await HomeServicesAPI.statementRecord(req), req: req)
    }
}
