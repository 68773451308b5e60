import Fluent
import Vapor
import YiyangDomain

/// The family's (and the person's own) home-service pages in the portal: order a visit with
/// the price split shown first, follow it, confirm it with a tap and rate it, cancel, complain,
/// book a meal. 子女网上下单，老人线下体验.
struct PortalServicePages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let p = routes.grouped("portal", "elders", ":elderID")
        p.get("services", use: page)
        p.post("services", use: place)
        p.post("services", ":orderID", "confirm", use: confirm)
        p.post("services", ":orderID", "cancel", use: cancel)
        p.post("services", ":orderID", "complaints", use: complain)
        p.post("meals", use: bookMeal)
        p.post("meals", ":mealOrderID", "complaints", use: complainMeal)
    }

    struct Page: Encodable {
        var elderId: String; var name: String; var order: HomeServicePages.NewOrder; var orders: [Line]
        var points: [HomeServicePages.Option]; var meals: [HomeServicePages.Option]; var modes: [HomeServicePages.Option]; var tomorrow: String
        var mealOrders: [Meal]
    }
    struct Meal: Encodable { var id: String; var day: String; var meal: String; var mode: String; var subsidy: String; var selfPay: String; var status: String }
    struct Line: Encodable {
        var id: String; var service: String; var time: String; var status: String; var code: String?; var split: String
        /// Who comes, once the provider has given the visit to someone.
        var caregiver: String?
        var canConfirm: Bool; var canCancel: Bool; var rating: Int?; var exceptions: [String]; var steps: [HomeServicePages.Event]
    }

    @Sendable func page(req: Request) async throws -> Response {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let l = req.locale
        let orders = try await ServiceAccess.familyOrders(elder, on: req.db)
        let carers = try await ServiceAccess.caregivers(of: orders, on: req.db)
        var form = try await HomeServicePages.newOrderPage(req: req, elder: elder, action: "/portal/elders/\(elder.id!.uuidString)/services")
        form.canSetHome = false
        let points = try await ServiceAccess.mealPoints(near: elder, on: req.db)
        return try await WebPage.render("portal-services", title: "\(elder.name) · \(UIStrings.text("sv_family_orders", l))", Page(
            elderId: elder.id!.uuidString, name: elder.name, order: form,
            orders: orders.map { o in
                Line(id: o.id!.uuidString, service: o.serviceName, time: HomeServicePages.time(o), status: o.orderStatus.name.text(l),
                     code: [.assigned, .checkedIn, .checkedOut].contains(o.orderStatus) ? ServiceOrders.confirmCode(for: o, secret: req.application.secret.bytes) : nil,
                     split: OrderQuote(listFen: o.listFen, bureauFen: o.bureauFen, balanceFen: o.balanceFen, selfPayFen: o.selfPayFen).plain.text(l),
                     caregiver: o.caregiverID.flatMap { carers[$0]?.name },
                     canConfirm: o.orderStatus == .checkedOut, canCancel: o.orderStatus.cancellable, rating: o.rating,
                     exceptions: o.exceptions.map { $0.message.text(l) },
                     steps: o.history.map { .init(at: ChinaTime.dateTime($0.at), by: "", status: ServiceOrderStatus(rawValue: $0.status)?.name.text(l) ?? $0.status, note: "") })
            },
            points: points.map { .init(value: $0.id!.uuidString, label: "\($0.name)（\($0.address)）") },
            meals: MealService.meals.map { .init(value: $0, label: MealService.mealName($0).text(l), selected: $0 == "lunch") },
            modes: [MealOrder.Mode.dineIn, .pickUp, .delivery].map { .init(value: $0.rawValue, label: UIStrings.text("sv_mode_\($0.rawValue)", l)) },
            tomorrow: CalendarDate.today().addingDays(1).description,
            mealOrders: try await MealService.recent(of: elder, on: req.db).map {
                Meal(id: $0.id!.uuidString, day: $0.day, meal: MealService.mealName($0.meal).text(l), mode: UIStrings.text("sv_mode_\($0.mode)", l),
                     subsidy: Fen.display($0.subsidyFen), selfPay: Fen.display($0.selfPayFen), status: $0.status)
            }), req: req)
    }

    @Sendable func place(req: Request) async throws -> Response {
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let f = try req.content.decode(HomeServicePages.PlaceForm.self)
        _ = try await ServiceOrders(req: req).place(elder: elder, input: .init(service: f.service, start: f.start, end: f.end, place: nil, pointId: nil, note: f.note, providerId: nil),
                                                    via: link.relation == "本人" ? "elder" : "family")
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_placed")
    }

    static func order(_ req: Request) async throws -> (Elder, ServiceOrder) {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        return (elder, try await ServiceAccess.familyOrder(elder, try ServiceAccess.orderID(req), on: req.db))
    }

    struct ConfirmForm: Content { var rating: Int?; var comment: String? }

    @Sendable func confirm(req: Request) async throws -> Response {
        let (elder, o) = try await Self.order(req)
        let f = try req.content.decode(ConfirmForm.self)
        try await ServiceOrders(req: req).confirm(o, code: nil, rating: f.rating, comment: f.comment)
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_changed")
    }

    @Sendable func cancel(req: Request) async throws -> Response {
        let (elder, o) = try await Self.order(req)
        try await ServiceOrders(req: req).cancel(o, reason: try req.content.decode(HomeServicesAPI.ReasonInput.self).reason)
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_changed")
    }

    @Sendable func complain(req: Request) async throws -> Response {
        let (elder, o) = try await Self.order(req)
        _ = try await ServiceOrders(req: req).complain(o, text: try req.content.decode(HomeServicesAPI.ComplaintInput.self).text)
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_complained")
    }

    @Sendable func complainMeal(req: Request) async throws -> Response {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        guard let id = req.parameters.get("mealOrderID", as: UUID.self),
              let o = try await MealService.recent(of: elder, on: req.db).first(where: { $0.id == id }) else { throw AppError.notFound() }
        _ = try await MealService(req: req).complain(o, text: try req.content.decode(HomeServicesAPI.ComplaintInput.self).text)
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_complained")
    }

    @Sendable func bookMeal(req: Request) async throws -> Response {
        let (elder, _) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let f = try req.content.decode(HomeServicesAPI.FamilyMealInput.self)
        let p = try await ServiceAccess.nearbyPoint(for: elder, f.pointId, on: req.db)
        _ = try await MealService(req: req).record(point: p, elder: elder, .init(idNumber: nil, elderId: elder.id, day: f.day, meal: f.meal, mode: f.mode), servedNow: false)
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)/services?notice=sv_meal_served")
    }
}
