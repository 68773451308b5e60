@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// The pages of home services, walked the way each person uses them: the son orders on the
/// portal after seeing the split, the dispatcher assigns, the caregiver checks in from the
/// phone page, staff review the exception and settle the month, the meal point serves a meal.
@Suite("Home service pages")
struct HomeServicePagesTests {
    static func location(_ res: TestingHTTPResponse) -> String { res.headers.first(name: .location) ?? "" }

    @Test("order, dispatch, check in, review and settle through the pages", arguments: TestDatabase.all)
    func pagesEndToEnd(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            let elder = f.mother.id!.uuidString
            let day = CalendarDate.today().addingDays(1).description

            let son = Browser(app)
            try await son.signIn("son")
            let empty = try await son.get("/portal/elders/\(elder)/services")
            #expect(empty.status == .ok && empty.body.string.contains("预约上门服务") && empty.body.string.contains("助浴"))
            let preview = try await son.get("/portal/elders/\(elder)/services?service=bathing&day=\(day)&from=09:00&to=10:00")
            #expect(preview.body.string.contains("政府补贴 40.00 元") && preview.body.string.contains("服务额度支付 20.00 元"), "\(preview.body.string.prefix(400))")
            let placed = try await son.post("/portal/elders/\(elder)/services", [("service", "bathing"), ("start", "\(day) 09:00"), ("end", "\(day) 10:00"), ("note", "")])
            #expect(placed.status == .seeOther && Self.location(placed).contains("notice=sv_placed"), "\(placed.body.string.prefix(300))")
            let order = try #require(try await ServiceOrder.query(on: app.db).filter(\.$elderID == f.mother.id!).first())
            let withCode = try await son.get("/portal/elders/\(elder)/services")
            #expect(withCode.body.string.contains("已下单"))

            let dispatcher = Browser(app)
            try await dispatcher.signIn("dispatch1")
            let board = try await dispatcher.get("/services/dispatch")
            #expect(board.status == .ok && board.body.string.contains("王秀英") && board.body.string.contains("李护理"))
            let assigned = try await dispatcher.post("/services/orders/\(order.id!)/assign", [("caregiverId", f.certified.uuidString)])
            #expect(assigned.status == .seeOther, "\(assigned.body.string.prefix(300))")
            #expect(try await son.get("/portal/elders/\(elder)/services").body.string.contains("确认码"))

            let carer = Browser(app)
            try await carer.signIn("carer1")
            #expect(Self.location(try await carer.get("/services")) == "/services/visits")
            let phone = try await carer.get("/services/visits?day=\(day)")
            #expect(phone.body.string.contains("data-locate") && phone.body.string.contains("到达，签到"))
            // The caregiver needs the door: the address of a visit to be made is shown, and the showing audited.
            #expect(phone.body.string.contains("3 单元 201 室"))
            #expect(try await app.auditActions(.personalDataUnmasked).contains { $0.entityType == "service_visits" })
            let far = "\(ServiceFixture.home.lat + 0.009)"
            let checkedIn = try await carer.post("/services/orders/\(order.id!)/check-in", [("latitude", far), ("longitude", "\(ServiceFixture.home.lng)")])
            #expect(Self.location(checkedIn).hasPrefix("/services/visits"))

            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            for path in ["/services", "/services/orders", "/services/points", "/services/providers", "/services/providers/\(f.providerID)",
                         "/services/menu", "/services/return-visits", "/services/statements", "/services/complaints", "/services/settings"] {
                let res = try await staff.get(path)
                #expect(res.status == .ok, "\(path): \(res.status) \(res.body.string.prefix(300))")
            }
            // The administrator changes the tolerance from today; a bad number names its field.
            let admin = Browser(app)
            try await admin.signIn("demo_admin")
            try await admin.get("/services/settings")
            #expect(try await staff.post("/services/settings", [("effectiveFrom", CalendarDate.today().description)]).status != .seeOther)
            let bad = try await admin.post("/services/settings", [("effectiveFrom", CalendarDate.today().description), ("tolerance", "5"), ("shortPercent", "50"),
                                                                  ("longPercent", "200"), ("maxHours", "25"), ("returnPercent", "10"), ("maxWindowHours", "8")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("10 到 5000 米"))
            #expect(try await admin.post("/services/settings", [("effectiveFrom", CalendarDate.today().description), ("tolerance", "500"), ("shortPercent", "50"),
                                                                 ("longPercent", "200"), ("maxHours", "25"), ("returnPercent", "20"), ("maxWindowHours", "8")]).status == .seeOther)
            #expect(try await HomeServiceSettingsRow.inForce(on: app.db).returnVisitPercent == 20)
            let queue = try await staff.get("/services/exceptions")
            #expect(queue.body.string.contains("超过 300 米"))
            let detail = try await staff.get("/services/orders/\(order.id!)")
            #expect(detail.body.string.contains("审核理由") && detail.body.string.contains("米"))
            #expect(try await staff.post("/services/orders/\(order.id!)/review", [("decision", "accept"), ("note", "电话核实")]).status == .seeOther)

            let row = try #require(try await ServiceOrder.find(order.id, on: app.db))
            row.checkInAt = Date().addingTimeInterval(-3_600)
            try await row.update(on: app.db)
            #expect(try await carer.post("/services/orders/\(order.id!)/check-out", [("latitude", "\(ServiceFixture.home.lat)"), ("longitude", "\(ServiceFixture.home.lng)")]).status == .seeOther)
            let built = try await staff.post("/services/statements", [("party", "visits:\(f.providerID)"), ("month", Month.current().description)])
            #expect(built.status == .seeOther, "\(built.body.string.prefix(300))")
            let statementPath = String(Self.location(built).split(separator: "?")[0])
            let statement = try await staff.get(statementPath)
            #expect(statement.body.string.contains("60.00") && statement.body.string.contains("康乐居家服务中心"))
            // A second bureau account approves what the first built.
            let checker = Browser(app)
            try await checker.signIn("demo_bureau2")
            try await checker.get(statementPath)
            #expect(try await checker.post(statementPath + "/approve", []).status == .seeOther)
            let balance = try await ServiceBalance.figures(elderID: f.mother.id!, on: app.db)
            #expect(balance.spentFen == 2_000)
            #expect(try await son.get("/portal/elders/\(elder)/services").body.string.contains("已结算"))
        }
    }

    @Test("a booked slot shows to the minute on every view, a missing end as the standard duration; the family sees who comes",
          arguments: TestDatabase.all)
    func slotTimes(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            let elder = f.mother.id!.uuidString
            let day = CalendarDate.today().addingDays(1).description
            let slot = "\(day) 09:00–10:00"
            let son = Browser(app)
            try await son.signIn("son")
            try await son.get("/portal/elders/\(elder)/services")
            let placed = try await son.post("/portal/elders/\(elder)/services",
                                            [("service", "bathing"), ("start", "\(day) 09:00"), ("end", "\(day) 10:00"), ("note", "")])
            #expect(placed.status == .seeOther)
            let order = try #require(try await ServiceOrder.query(on: app.db).filter(\.$elderID == f.mother.id!).first())
            #expect(!(try await son.get("/portal/elders/\(elder)/services").body.string.contains("护理员：李护理")), "nobody is given it yet")
            let dispatcher = Browser(app)
            try await dispatcher.signIn("dispatch1")
            try await dispatcher.get("/services/dispatch")
            let assigned = try await dispatcher.post("/services/orders/\(order.id!)/assign", [("caregiverId", f.certified.uuidString)])
            #expect(assigned.status == .seeOther)
            let carer = Browser(app), staff = Browser(app)
            try await carer.signIn("carer1")
            try await staff.signIn("demo_bureau")
            let views: [(Browser, String)] = [(son, "/portal/elders/\(elder)/services"), (dispatcher, "/services/dispatch"),
                                              (dispatcher, "/services/orders/\(order.id!)"), (carer, "/services/visits?day=\(day)"),
                                              (staff, "/services/orders"), (staff, "/services/orders/\(order.id!)")]
            for (browser, path) in views {
                let html = try await browser.get(path).body.string
                #expect(html.contains(slot) && !html.contains("09:00:00") && !html.contains("–00:00"), "\(path)")
            }
            #expect(try await son.get("/portal/elders/\(elder)/services").body.string.contains("护理员：李护理"))
            // A slot stored without an end of its own shows the service's 60 standard minutes.
            let row = try #require(try await ServiceOrder.find(order.id, on: app.db))
            row.windowEnd = row.windowStart
            try await row.update(on: app.db)
            #expect(try await staff.get("/services/orders/\(order.id!)").body.string.contains(slot))
        }
    }

    @Test("an account with the dispatch permission but tied to no provider is told that, not that it lacks the permission",
          arguments: TestDatabase.all)
    func dispatchWithoutProvider(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("loose_dispatch", roles: [.provider], region: ServiceFixture.county)
            let tries = [("demo_admin", "/services/dispatch"), ("loose_dispatch", "/services"), ("loose_dispatch", "/services/dispatch")]
            for (username, path) in tries {
                let b = Browser(app)
                try await b.signIn(username)
                let zh = try await b.get(path)
                #expect(zh.status == .forbidden && zh.body.string.contains("本账号未关联服务商") && !zh.body.string.contains("服务商接单与派单"),
                        "\(username) \(path): \(zh.status) \(zh.body.string.prefix(300))")
                try await b.get("/preferences?lang=en&next=/")
                let en = try await b.get(path)
                #expect(en.status == .forbidden && en.body.string.contains("This account is tied to no provider"), "\(username) \(path)")
            }
            // An account without the permission still reads that it lacks it.
            try await app.makeUser("just_carer", roles: [.caregiver], region: ServiceFixture.county)
            let carer = Browser(app)
            try await carer.signIn("just_carer")
            let res = try await carer.get("/services/dispatch")
            #expect(res.status == .forbidden && res.body.string.contains("服务商接单与派单") && !res.body.string.contains("本账号未关联服务商"))
        }
    }

    @Test("a meal point registered on the page serves a meal by ID card", arguments: TestDatabase.all)
    func mealPointPage(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            try await staff.get("/services/points")
            let created = try await staff.post("/services/points", [("kind", "meal_point"), ("name", "建北长者食堂"), ("regionCode", "130102001001"),
                                                                    ("address", "建北路 1 号"), ("latitude", "38.05"), ("longitude", "114.52"), ("capacity", "30"), ("hours", "11:00-13:00")])
            #expect(created.status == .seeOther, "\(created.body.string.prefix(300))")
            let point = try #require(try await ServicePoint.query(on: app.db).filter(\.$name == "建北长者食堂").first())
            try await staff.get("/services/meals/\(point.id!)")
            let today = CalendarDate.today().description
            #expect(try await staff.post("/services/meals/\(point.id!)/menus", [("day", today), ("meal", "lunch"), ("dishes", "清蒸鱼、米饭"), ("priceYuan", "12")]).status == .seeOther)
            let id = makeID("130102", "19400220", 222)
            _ = try await app.makeElder("陈奶奶", id: id, region: "130102001001")
            let served = try await staff.post("/services/meals/\(point.id!)/serve", [("idNumber", id), ("meal", "lunch"), ("mode", "on_the_spot")])
            #expect(served.status == .seeOther, "\(served.body.string.prefix(300))")
            let page = try await staff.get("/services/meals/\(point.id!)")
            #expect(page.body.string.contains("陈奶奶") && page.body.string.contains("清蒸鱼") && page.body.string.contains("5.00"))
        }
    }
}
