import Fluent
import Vapor
import YiyangDomain

/// Meal assistance (助餐): a meal point publishes each meal's menu; people order it (dine in,
/// pick up, delivery) or are served on the spot, identified by their ID card; the subsidy of a
/// meal comes from the meal policy of the person's region, with its daily limit.
struct MealService {
    let req: Request
    var db: any Database { req.db }

    static let meals = ["breakfast", "lunch", "dinner"]

    static func mealName(_ m: String) -> LocalizedText {
        switch m {
        case "breakfast": .init(zh: "早餐", en: "Breakfast")
        case "dinner": .init(zh: "晚餐", en: "Dinner")
        default: .init(zh: "午餐", en: "Lunch")
        }
    }

    static func meal(_ raw: String?) throws -> String {
        let m = raw ?? "lunch"
        guard meals.contains(m) else {
            throw AppError(.unprocessableEntity, "meal.meal", field: "meal", zh: "餐次应为 breakfast（早餐）、lunch（午餐）或 dinner（晚餐）", en: "The meal is breakfast, lunch or dinner")
        }
        return m
    }

    struct MenuInput: Content {
        var day: String
        var meal: String?
        var dishes: String
        var priceFen: Int
    }

    func publish(point: ServicePoint, _ i: MenuInput) async throws -> MealMenu {
        let actor = try req.requireActor()
        guard actor.has(.servicesMeals) || actor.has(.servicesManage) else { throw AppError.forbidden(.servicesMeals) }
        guard point.kind == ServicePointKind.mealPoint.rawValue || point.kind == ServicePointKind.dayCareStation.rawValue
                || point.kind == ServicePointKind.streetCentre.rawValue else {
            throw AppError(.unprocessableEntity, "meal.point", field: "pointId", zh: "这个服务点不提供助餐", en: "This point does not serve meals")
        }
        let day = try ServiceSetup.day(i.day, field: "day"), meal = try Self.meal(i.meal)
        guard !ServiceSetup.trimmed(i.dishes).isEmpty else { throw AppError.required("dishes", zh: "菜品", en: "The dishes") }
        guard (1...100_000).contains(i.priceFen) else {
            throw AppError(.unprocessableEntity, "meal.price", field: "priceFen", zh: "餐价应在 0.01 到 1000 元之间", en: "The price must be 0.01–1000 yuan")
        }
        let menu = try await MealMenu.query(on: db).filter(\.$pointID == point.id!).filter(\.$day == day.description).filter(\.$meal == meal).first() ?? MealMenu()
        menu.pointID = point.id!; menu.regionCode = point.regionCode; menu.day = day.description; menu.meal = meal
        menu.dishes = ServiceSetup.trimmed(i.dishes); menu.priceFen = i.priceFen; menu.createdBy = actor.username
        try await menu.save(on: db)
        try await AuditLog.record(on: req, action: .mealRecorded, entityType: "meal_menu", entityID: menu.id?.uuidString, region: point.regionCode,
                                  after: ["day": menu.day, "meal": meal, "dishes": menu.dishes, "priceFen": "\(menu.priceFen)"])
        return menu
    }

    /// The subsidy of one meal for a person on a day, from the meal policy in force.
    func subsidy(for elder: Elder, day: CalendarDate) async throws -> (fen: Int?, perDay: Int?, policyID: UUID?) {
        let month = Month(day)
        let policies = try await BenefitPolicyRow.all(on: db).filter(\.isPerUse)
        guard let policy = EntitlementRules.policy(for: "meal_subsidy", region: elder.residenceRegion, month: month, among: policies),
              let facts = try await BenefitFacts.of([elder], on: db, today: day)[elder.id!] else { return (nil, nil, nil) }
        let d = EntitlementRules.decide(facts, month: month, policy: policy)
        return d.entitled ? (d.amountFen, policy.perUse?.perDay, policy.id) : (nil, policy.perUse?.perDay, nil)
    }

    struct MealInput: Content {
        /// The person: their ID number (card reader, or typed) or, from the portal, their id.
        var idNumber: String?
        var elderId: UUID?
        var day: String?
        var meal: String?
        var mode: String?
    }

    /// Records a meal: ordered for later, or served now (`servedNow`, the on-the-spot case).
    func record(point: ServicePoint, elder: Elder, _ i: MealInput, servedNow: Bool) async throws -> MealOrder {
        let actor = try req.requireActor()
        guard elder.status == ElderStatus.living.rawValue else {
            throw AppError(.unprocessableEntity, "meal.not_living", field: "idNumber", zh: "此人不在册", en: "This person is not on the register")
        }
        let day = try i.day.map { try ServiceSetup.day($0, field: "day") } ?? .today()
        let meal = try Self.meal(i.meal)
        guard let mode = MealOrder.Mode(rawValue: i.mode ?? (servedNow ? "on_the_spot" : "dine_in")) else {
            throw AppError(.unprocessableEntity, "meal.mode", field: "mode", zh: "就餐方式应为 dine_in（堂食）、pick_up（自取）、delivery（送餐）或 on_the_spot（现场）",
                           en: "The mode is dine_in, pick_up, delivery or on_the_spot")
        }
        guard day >= .today() || servedNow else {
            throw AppError(.unprocessableEntity, "meal.past", field: "day", zh: "不能预订过去的餐", en: "A past meal cannot be ordered")
        }
        guard let menu = try await MealMenu.query(on: db).filter(\.$pointID == point.id!).filter(\.$day == day.description).filter(\.$meal == meal).first() else {
            throw AppError(.unprocessableEntity, "meal.no_menu", field: "meal", zh: "\(point.name) \(day) 的\(Self.mealName(meal).zh)还没有发布菜单", en: "\(point.name) has no \(meal) menu for \(day)")
        }
        let (perMeal, perDay, policyID) = try await subsidy(for: elder, day: day)
        // The database keeps the daily limit: subsidised meals of a person and day are numbered
        // 1, 2… under a unique index; when a number is taken, the next is tried, then none.
        for attempt in 0..<4 {
            let used = try await MealOrder.query(on: db).filter(\.$elderID == elder.id!).filter(\.$day == day.description)
                .filter(\.$subsidyNumber != nil).count()
            let split = MealSubsidy.split(priceFen: menu.priceFen, subsidyPerMealFen: perMeal, perDay: perDay, subsidisedToday: used)
            let o = MealOrder()
            o.pointID = point.id!; o.regionCode = point.regionCode; o.elderID = elder.id!; o.day = day.description; o.meal = meal
            o.mode = mode.rawValue; o.priceFen = split.priceFen; o.subsidyFen = split.subsidyFen; o.selfPayFen = split.selfPayFen
            o.subsidyNumber = split.subsidyFen > 0 ? used + 1 : nil; o.policyID = split.subsidyFen > 0 ? policyID : nil
            o.status = (servedNow ? MealOrder.Status.served : .ordered).rawValue; o.servedAt = servedNow ? Date() : nil
            o.createdBy = actor.username
            do {
                try await o.create(on: db)
            } catch let e as any DatabaseError where e.isConstraintFailure && attempt < 3 {
                continue
            }
            try await AuditLog.record(on: req, action: .mealRecorded, entityType: "meal_order", entityID: o.id?.uuidString, region: point.regionCode,
                                      after: ["elder": elder.id!.uuidString, "day": o.day, "meal": meal, "mode": o.mode, "subsidyFen": "\(o.subsidyFen)",
                                              "selfPayFen": "\(o.selfPayFen)", "served": servedNow ? "yes" : "no"])
            return o
        }
        throw AppError(.conflict, "meal.busy", field: nil, zh: "同时登记的人太多，请再试一次", en: "Too many at once; try again")
    }

    func serve(_ o: MealOrder) async throws {
        guard o.status == MealOrder.Status.ordered.rawValue else {
            throw AppError(.conflict, "meal.status", field: nil, zh: "这份餐已取餐或已取消", en: "This meal is already served or cancelled")
        }
        o.status = MealOrder.Status.served.rawValue; o.servedAt = Date()
        try await o.update(on: db)
        try await AuditLog.record(on: req, action: .mealRecorded, entityType: "meal_order", entityID: o.id?.uuidString, region: o.regionCode,
                                  before: ["status": "ordered"], after: ["status": "served"])
    }

    func cancel(_ o: MealOrder) async throws {
        guard o.status == MealOrder.Status.ordered.rawValue else {
            throw AppError(.conflict, "meal.status", field: nil, zh: "只有未取的餐可以取消", en: "Only a meal not yet served can be cancelled")
        }
        // Frees the day's subsidised meal for another.
        o.status = MealOrder.Status.cancelled.rawValue; o.subsidyNumber = nil
        try await o.update(on: db)
        try await AuditLog.record(on: req, action: .mealRecorded, entityType: "meal_order", entityID: o.id?.uuidString, region: o.regionCode,
                                  before: ["status": "ordered"], after: ["status": "cancelled"])
    }

    static func day(point: UUID, day: String, on db: any Database) async throws -> ([MealMenu], [MealOrder]) {
        (try await MealMenu.query(on: db).filter(\.$pointID == point).filter(\.$day == day).sort(\.$meal).all(),
         try await MealOrder.query(on: db).filter(\.$pointID == point).filter(\.$day == day).sort(\.$createdAt).all())
    }

    func complain(_ o: MealOrder, text: String) async throws -> ServiceComplaint {
        try await ServiceComplaints.file(req, elderID: o.elderID, region: o.regionCode, about: .meal(o.id!), text: text)
    }

    /// A person's meals of the last weeks and the days ahead, for the family.
    static func recent(of elder: Elder, on db: any Database) async throws -> [MealOrder] {
        try await MealOrder.query(on: db).filter(\.$elderID == elder.id!).filter(\.$day >= CalendarDate.today().addingDays(-30).description)
            .sort(\.$day, .descending).limit(60).all()
    }

    struct DayCount: Content { var meal: String; var mode: String; var status: String; var count: Int; var subsidyFen: Int; var selfPayFen: Int }

    /// A point's meals of a day, counted by meal, mode and status.
    static func counts(point: UUID, day: String, on db: any Database) async throws -> [DayCount] {
        let orders = try await MealOrder.query(on: db).filter(\.$pointID == point).filter(\.$day == day).all()
        var out: [String: DayCount] = [:]
        for o in orders {
            let k = "\(o.meal)|\(o.mode)|\(o.status)"
            var c = out[k] ?? DayCount(meal: o.meal, mode: o.mode, status: o.status, count: 0, subsidyFen: 0, selfPayFen: 0)
            c.count += 1; c.subsidyFen += o.subsidyFen; c.selfPayFen += o.selfPayFen
            out[k] = c
        }
        return out.values.sorted { ($0.meal, $0.mode, $0.status) < ($1.meal, $1.mode, $1.status) }
    }

    /// The person behind an ID number, within the account's region.
    func elder(idNumber: String) async throws -> Elder {
        guard let id = CitizenID(idNumber.trimmingCharacters(in: .whitespaces)) else {
            throw AppError(.unprocessableEntity, "id_number.invalid", field: "idNumber", zh: "身份证号无效", en: "Invalid ID number")
        }
        guard let e = try await req.scoped(Elder.self).filter(\.$idHash == req.application.vault.lookupHash(id.value)).first() else {
            throw AppError(.unprocessableEntity, "meal.unknown_person", field: "idNumber", zh: "本地区名册中没有这个身份证号", en: "No one with this ID number is registered here")
        }
        return e
    }
}
