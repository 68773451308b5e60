@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// Each role's home page, signed in through the form as a person would: the work of the
/// account comes first, counted within its region, and every link on it leads somewhere.
@Suite("Home pages")
struct HomePagesTests {
    /// The `href`s of a page, as written in its HTML.
    static func links(_ html: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1).first.map(String.init) }
            .map { $0.replacingOccurrences(of: "&amp;", with: "&") }
    }

    /// The navigation of a page: the `<nav>` element's links.
    static func navigation(_ html: String) -> [String] {
        guard let start = html.range(of: "<nav"),
              let end = html.range(of: "</nav>", range: start.upperBound..<html.endIndex) else { return [] }
        return links(String(html[start.lowerBound..<end.upperBound]))
    }

    @Test("every demo account lands on a page whose links all open, with no module offered that is not built",
          arguments: TestDatabase.all)
    func everyLinkLeads(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // The demo as `serve --demo` loads it (fewer people): assessments, orders and residents.
            _ = try await DemoElders.add(300, seed: 1, app: app, progress: nil)
            _ = try await DemoAssessments.add(seed: 1, app: app)
            _ = try await DemoServices.add(seed: 1, app: app)
            _ = try await DemoInstitutions.add(app: app)
            for account in DemoData.accounts {
                let browser = Browser(app)
                try await browser.signIn(account.username)
                let home = try await browser.get("/")
                #expect(home.status == .ok, "\(account.username): \(home.status)")
                let html = home.body.string
                #expect(!html.contains("建设中"), "\(account.username) is offered a module that is not built")
                for link in Set(Self.links(html)) where link.hasPrefix("/") && !link.hasPrefix("/preferences") && link != "/logout" {
                    let res = try await browser.get(link)
                    #expect(res.status.code < 400, "\(account.username): \(link) answers \(res.status.code)")
                }
            }
        }
    }

    @Test("the navigation is built from the modules the account may use: Institutions for those who hold its permission",
          arguments: TestDatabase.all)
    func navigationFromModules(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            for (username, expected, absent) in [("demo_institution", ["/institutions"], ["/elders", "/services"]),
                                                 ("demo_bureau", ["/elders", "/assessment", "/benefits", "/institutions", "/services"],
                                                  ["/portal"]),
                                                 ("demo_family", ["/portal"], ["/institutions", "/elders"])] {
                let browser = Browser(app)
                try await browser.signIn(username)
                let nav = Self.navigation(try await browser.get("/").body.string)
                for path in expected { #expect(nav.contains(path), "\(username)'s navigation lacks \(path): \(nav)") }
                for path in absent { #expect(!nav.contains(path), "\(username)'s navigation offers \(path)") }
                #expect(nav.contains("/profile"))
            }
        }
    }

    @Test("the caregiver sees today's visits, the next first, each with its check-in; checked in, the same line offers check-out",
          arguments: TestDatabase.all)
    func caregiverHome(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            let later = try await f.assignedBathing(app, hour: 15)
            let earlier = try await f.assignedBathing(app, hour: 9)
            try await ServiceFixture.dueToday(app, later)
            try await ServiceFixture.dueToday(app, earlier)
            let carer = Browser(app)
            try await carer.signIn("carer1")
            let page = try await carer.get("/")
            let html = page.body.string
            #expect(page.status == .ok && html.contains("今天的上门服务"))
            #expect(html.contains("action=\"/services/orders/\(earlier)/check-in\""))
            #expect(html.contains("action=\"/services/orders/\(later)/check-in\""))
            let first = try #require(html.range(of: "/services/orders/\(earlier)/check-in"))
            let second = try #require(html.range(of: "/services/orders/\(later)/check-in"))
            #expect(first.lowerBound < second.lowerBound, "the earlier visit comes first")
            #expect(html.contains("王秀英") && html.contains("助浴") && html.contains("data-locate"))
            #expect(!html.contains("平台管理"), "a caregiver has no platform tools")

            let checkedIn = try await carer.post("/services/orders/\(later)/check-in",
                                                 [("latitude", "\(ServiceFixture.home.lat)"), ("longitude", "\(ServiceFixture.home.lng)")])
            #expect(checkedIn.status == .seeOther)
            let after = try await carer.get("/").body.string
            #expect(after.contains("action=\"/services/orders/\(later)/check-out\""), "the visit under way offers check-out")
            let underWay = try #require(after.range(of: "/services/orders/\(later)/check-out"))
            let next = try #require(after.range(of: "/services/orders/\(earlier)/check-in"))
            #expect(underWay.lowerBound < next.lowerBound, "the visit under way comes before the ones still to make")
        }
    }

    @Test("the dispatcher sees the orders waiting for a caregiver, oldest first, linked to dispatch", arguments: TestDatabase.all)
    func dispatcherHome(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            var ids: [UUID] = []
            for hour in [14, 10] {
                let (start, end) = ServiceFixture.window(days: 2, hour: hour)
                let o = try await app.api(.POST, "/api/v1/service-orders", token: f.township,
                                          json: #"{"elderId":"\#(f.mother.id!)","service":"bathing","start":"\#(start)","end":"\#(end)"}"#)
                #expect(o.status == .created, "\(o.body.string)")
                ids.append(try o.content.decode(HomeServicesAPI.OrderView.self).id)
            }
            _ = try await f.assignedBathing(app, hour: 8) // given to a caregiver already: not waiting
            let dispatcher = Browser(app)
            try await dispatcher.signIn("dispatch1")
            let html = try await dispatcher.get("/").body.string
            #expect(html.contains("等待派护理员的订单 <span class=\"home-count\">2</span>"), "\(html)")
            #expect(html.contains("href=\"/services/dispatch\""))
            let oldest = try #require(html.range(of: "/services/orders/\(ids[0])"))
            let newer = try #require(html.range(of: "/services/orders/\(ids[1])"))
            #expect(oldest.lowerBound < newer.lowerBound, "the order placed first comes first")
        }
    }

    @Test("the bureau sees its approvals under the four-eyes rule and the region's figures as the database counts them",
          arguments: TestDatabase.all)
    func bureauHome(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 123_456_789)
            let run = PaymentRun()
            run.month = Month.current().description; run.regionCode = "130102000000"; run.status = PaymentRun.Status.computed.rawValue
            run.startedBy = "demo_bureau"; run.computedBy = "demo_bureau"; run.payments = 3; run.totalFen = 150_000
            try await run.create(on: app.db)

            let maker = Browser(app)
            try await maker.signIn("demo_bureau")
            let own = try await maker.get("/").body.string
            #expect(!own.contains("/benefits/runs/\(run.id!)"), "the roll's own computer does not approve it while another could")
            // The figures: counted by the same rules in the database.
            let living = try await Elder.query(on: app.db).filter(\.$status == ElderStatus.living.rawValue).count()
            #expect(own.contains("登记在册的老人</a> <strong>\(Fen.grouped(living))</strong>"), "\(own)")
            #expect(own.contains("本月已发放人数</a> <strong>1</strong>"))
            #expect(own.contains("本月已发放金额</a> <strong>1,234,567.89 元</strong>"), "fen shown as yuan with thousands separators")
            #expect(own.contains("href=\"/benefits/reports?from=\(Month.current())&amp;to=\(Month.current())\"")
                    || own.contains("href=\"/benefits/reports?from=\(Month.current())&to=\(Month.current())\""))
            #expect(own.contains("本月服务订单</a> <strong>0</strong>"))
            #expect(own.contains("老年人基础信息库"), "the modules follow the work")

            let checker = Browser(app)
            try await checker.signIn("demo_bureau2")
            let other = try await checker.get("/").body.string
            #expect(other.contains("href=\"/benefits/runs/\(run.id!)\""), "a second bureau account is offered the roll")
            #expect(other.contains("待您审批 <span class=\"home-count\">1</span>"))
            _ = f
        }
    }

    @Test("a township sees its own area's people due an assessment, not a sibling township's; the assessor sees names as plain text",
          arguments: TestDatabase.all)
    func townshipScope(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let ours = try await app.makeElder("赵建北", id: makeID("130102", "19300101", 501), region: "130102001001")
            let theirs = try await app.makeElder("钱青园", id: makeID("130102", "19300202", 502), region: "130102002001")
            let township = Browser(app)
            try await township.signIn("demo_township")
            let html = try await township.get("/").body.string
            let due = try await AssessmentDueList.list(scope: RegionScope(region: RegionCode("130102001000")!), region: nil,
                                                       page: PageRequest(page: 1, per: 5), on: app.db)
            #expect(html.contains("应评估的老人 <span class=\"home-count\">\(due.total)</span>"))
            #expect(html.contains("href=\"/elders/\(ours.id!)\"") && html.contains("赵建北"))
            #expect(!html.contains("钱青园") && !html.contains(theirs.id!.uuidString), "a sibling township's person is not shown")

            let sibling = Browser(app)
            try await sibling.signIn("demo_township2")
            let other = try await sibling.get("/").body.string
            #expect(other.contains("钱青园") && !other.contains("赵建北"))

            let assessor = Browser(app)
            try await assessor.signIn("demo_assessor")
            let list = try await assessor.get("/assessment/due").body.string
            #expect(list.contains("赵建北") && !list.contains("href=\"/elders/"), "the assessor may not open the registry")
            #expect(try await assessor.get("/elders/\(ours.id!)").status == .forbidden)
        }
    }

    @Test("the assessor sees the assessments given to them and their drafts, each opening the form", arguments: TestDatabase.all)
    func assessorHome(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let me = try await app.user("demo_assessor")
            var ids: [Assessment.Status: UUID] = [:]
            for (name, n, status) in [("孙评估", 601, Assessment.Status.assigned), ("周草稿", 602, .inProgress)] {
                let elder = try await app.makeElder(name, id: makeID("130102", "19350101", n), region: "130102001001")
                let a = Assessment()
                a.elderID = elder.id!; a.regionCode = elder.residenceRegion; a.instrument = "gbt42195-2022"
                a.reason = Assessment.Reason.first.rawValue
                a.requestedVia = Assessment.Requester.automatic.rawValue; a.requestNote = ""; a.requestedBy = "demo_township"
                a.status = status.rawValue; a.draft = AssessmentAnswers(answers: [:])
                try await a.create(on: app.db)
                let tie = AssessmentAssessor()
                tie.assessmentID = a.id!; tie.userID = me.id!; tie.username = me.username; tie.displayName = me.displayName
                tie.position = 1
                try await tie.create(on: app.db)
                ids[status] = a.id!
            }
            let assessor = Browser(app)
            try await assessor.signIn("demo_assessor")
            let page = try await assessor.get("/")
            let html = page.body.string
            #expect(html.contains("派给我的评估 <span class=\"home-count\">1</span>"))
            #expect(html.contains("我的评估草稿 <span class=\"home-count\">1</span>"))
            for id in ids.values {
                #expect(html.contains("href=\"/assessment/\(id)/form\""))
                #expect(try await assessor.get("/assessment/\(id)/form").status == .ok)
            }
            #expect(!html.contains("href=\"/elders/"))
        }
    }

    @Test("the family sees each linked person with benefits in plain words and visits; one with no link sees how to link",
          arguments: TestDatabase.all)
    func familyHome(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            _ = try await f.assignedBathing(app, hour: 10)
            let son = Browser(app)
            try await son.signIn("son")
            let html = try await son.get("/").body.string
            #expect(html.contains("<h1>我的家人</h1>") && !html.contains("工作台") && !html.contains("平台管理"))
            #expect(html.contains("王秀英</h2>") && html.contains("与老人的关系：儿子") && html.contains("可以享受的补贴"))
            #expect(html.contains("助浴") && html.contains("护理员：李护理"), "the visit and who comes")
            #expect(html.contains("href=\"/portal/elders/\(f.mother.id!)\""))

            try await app.makeUser("lonely", roles: [.family], region: "130102001001")
            let lonely = Browser(app)
            try await lonely.signIn("lonely")
            let none = try await lonely.get("/").body.string
            #expect(none.contains("还没有关联家人") && none.contains("href=\"/portal\""))
        }
    }

    @Test("the meal point sees today's counter; the institution its homes with residents and free beds", arguments: TestDatabase.all)
    func mealPointAndInstitution(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let point = try await app.api(.POST, "/api/v1/service-points", token: bureau, json: """
                {"regionCode":"130102001001","kind":"meal_point","name":"东风社区长者食堂","address":"东风路 8 号",
                 "latitude":38.04,"longitude":114.51,"capacity":40,"hours":"11:00-13:00"}
                """)
            let pointID = try point.content.decode(HomeServicesAPI.PointView.self).id
            try await app.makeUser("cook", roles: [.mealPoint], region: "130102001000")
            #expect(try await app.api(.POST, "/api/v1/service-accounts", token: bureau,
                                      json: #"{"username":"cook","pointId":"\#(pointID)"}"#).status == .created)
            let cook = try await app.token("cook")
            _ = try await app.api(.POST, "/api/v1/service-points/\(pointID)/menus", token: cook,
                                  json: #"{"day":"\#(CalendarDate.today())","meal":"lunch","dishes":"红烧肉、米饭","priceFen":1200}"#)
            let id = makeID("130102", "19360505", 111)
            _ = try await app.makeElder("刘大爷", id: id, region: "130102001001")
            #expect(try await app.api(.POST, "/api/v1/service-points/\(pointID)/meals", token: cook,
                                      json: #"{"idNumber":"\#(id)","meal":"lunch"}"#).status == .created)
            let counter = Browser(app)
            try await counter.signIn("cook")
            let meals = try await counter.get("/").body.string
            #expect(meals.contains("今日已就餐 1 份") && meals.contains("href=\"/services/meals/\(pointID)\""), "\(meals)")

            let made = try await app.api(.POST, "/api/v1/institutions", token: bureau, json: """
                {"regionCode":"130102001000","name":"建北颐年养老院","creditCode":"52130102MJ0000001G","operatorKind":"private",
                 "address":"建北街道 1 号","account":"6222 0000 1111 2222"}
                """)
            #expect(made.status == .created, "\(made.body.string)")
            let home = try made.content.decode(InstitutionsAPI.InstitutionView.self)
            #expect(try await app.api(.POST, "/api/v1/institutions/\(home.id)/beds", token: bureau,
                                      json: #"{"kind":"nursing","count":10,"acceptedOn":"\#(Month.current().firstDay)"}"#)
                        .status == .created)
            let resident = try await app.makeElder("陈桂香", id: makeID("130102", "19380101", 11), region: "130102001001")
            #expect(try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: bureau,
                                      json: #"{"elderId":"\#(resident.id!)","admittedOn":"\#(CalendarDate.today())"}"#).status == .created)
            #expect(try await app.api(.POST, "/api/v1/institutions/\(home.id)/accounts", token: bureau,
                                      json: #"{"username":"demo_institution"}"#).status == .created)
            let operatorBrowser = Browser(app)
            try await operatorBrowser.signIn("demo_institution")
            let homes = try await operatorBrowser.get("/").body.string
            #expect(homes.contains("建北颐年养老院") && homes.contains("在住 1 人 · 床位 10 张 · 空床 9 张"), "\(homes)")
            #expect(homes.contains("href=\"/institutions/\(home.id)\""))
        }
    }

    @Test("the community hub shows the exception and complaint counts as text: their pages are not the community's to open",
          arguments: TestDatabase.all)
    func communityHub(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let community = Browser(app)
            try await community.signIn("demo_community")
            let hub = try await community.get("/services")
            #expect(hub.status == .ok && hub.body.string.contains("异常待审核") && hub.body.string.contains("未处理投诉"))
            #expect(!hub.body.string.contains("href=\"/services/exceptions\""))
            #expect(!hub.body.string.contains("href=\"/services/complaints\""))
            #expect(try await community.get("/services/exceptions").status == .forbidden)
            #expect(try await community.get("/services/complaints").status == .forbidden)
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            #expect(try await staff.get("/services").body.string.contains("href=\"/services/exceptions\""), "a township reviews them")
        }
    }
}
