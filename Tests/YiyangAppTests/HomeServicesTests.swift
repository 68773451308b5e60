@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// A county's home services as a bureau sets them up through the API: a provider with a
/// contract for bathing, a menu item with a lower price for people on 低保, two caregivers
/// (one certified), two dispatchers, a son linked to his mother, her home on the map and a
/// service balance of 50 yuan from an approved payment run.
struct ServiceFixture {
    static let county = "130102000000"
    static let home = (lat: 38.0428, lng: 114.5149)

    var bureau: String, township: String, dispatch1: String, dispatch2: String, carer: String, son: String
    var providerID: UUID, certified: UUID, uncertified: UUID, mother: Elder

    static func make(_ app: Application, balanceFen: Int = 5_000) async throws -> ServiceFixture {
        try await app.makeUser("dispatch1", roles: [.provider], region: county)
        try await app.makeUser("dispatch2", roles: [.provider], region: county)
        try await app.makeUser("carer1", roles: [.caregiver], region: county)
        try await app.makeUser("carer2", roles: [.caregiver], region: county)
        try await app.makeUser("son", roles: [.family], region: "130102001001")
        let bureau = try await app.token("demo_bureau"), township = try await app.token("demo_township")

        let mother = try await app.makeElder("王秀英", id: makeID("130102", "19400101", 321), region: "130102001001")
        mother.economicStatus = "minimum_living"
        mother.addressCipher = try app.vault.seal("建华南大街 100 号 3 单元 201 室"); mother.addressMasked = PersonalMask.address("建华南大街 100 号 3 单元 201 室")
        try await mother.update(on: app.db)

        let provider = try await app.api(.POST, "/api/v1/service-providers", token: bureau,
                                         json: #"{"regionCode":"\#(county)","name":"康乐居家服务中心","creditCode":"91130102MA0ABCDE1W","contact":"0311-1234567"}"#)
        #expect(provider.status == .created, "\(provider.body.string)")
        let providerID = try provider.content.decode(HomeServicesAPI.ProviderView.self).id
        let today = CalendarDate.today()
        let contract = try await app.api(.POST, "/api/v1/service-providers/\(providerID)/contracts", token: bureau,
                                         json: #"{"regionCode":"\#(county)","prices":{"bathing":6000,"cleaning":4000},"startsOn":"\#(today.addingDays(-30))","endsOn":"\#(today.addingDays(365))"}"#)
        #expect(contract.status == .created, "\(contract.body.string)")
        let item = try await app.api(.POST, "/api/v1/service-items", token: bureau, json: """
            {"regionCode":"130100000000","code":"bathing","name":"助浴","category":"bathing","unit":"visit","standardMinutes":60,"listPriceFen":6000,
             "tierPrices":{"minimum_living":2000,"age_80":4000},"qualification":"care_worker","balanceAllowed":true,"effectiveFrom":"2026-01-01"}
            """)
        #expect(item.status == .created, "\(item.body.string)")
        let c1 = try await app.api(.POST, "/api/v1/service-providers/\(providerID)/caregivers", token: bureau, json: """
            {"name":"李护理","phone":"13912345678","username":"carer1","certificates":[{"qualification":"care_worker","number":"HL-0001","validUntil":"2030-12-31"}]}
            """)
        #expect(c1.status == .created, "\(c1.body.string)")
        let c2 = try await app.api(.POST, "/api/v1/service-providers/\(providerID)/caregivers", token: bureau,
                                   json: #"{"name":"赵新人","username":"carer2","certificates":[{"qualification":"care_worker","number":"HL-0002","validUntil":"2020-01-01"}]}"#)
        #expect(c2.status == .created, "\(c2.body.string)")
        for d in ["dispatch1", "dispatch2"] {
            let link = try await app.api(.POST, "/api/v1/service-accounts", token: bureau, json: #"{"username":"\#(d)","providerId":"\#(providerID)"}"#)
            #expect(link.status == .created, "\(link.body.string)")
        }
        let home = try await app.api(.PUT, "/api/v1/elders/\(mother.id!)/service-home", token: township,
                                     json: #"{"latitude":\#(home.lat),"longitude":\#(home.lng)}"#)
        #expect(home.status == .noContent, "\(home.body.string)")

        // The son asks for the link; the township confirms it.
        let son = try await app.token("son")
        #expect(try await app.api(.POST, "/api/v1/my/links", token: son,
                                  json: #"{"name":"王秀英","idNumber":"\#(makeID("130102", "19400101", 321))","relation":"儿子"}"#).status == .accepted)
        let pending = try await app.api(.GET, "/api/v1/family-links", token: township).content.decode([PortalAPI.LinkView].self)
        let link = try #require(pending.first { $0.elderId == mother.id })
        #expect(try await app.api(.POST, "/api/v1/family-links/\(link.id)/confirm", token: township).status == .ok)

        // The service subsidy credited by an approved payment run (the benefits module's output).
        if balanceFen > 0 {
            let run = PaymentRun()
            run.month = Month.current().description; run.regionCode = "130102001000"; run.status = PaymentRun.Status.approved.rawValue
            run.startedBy = "demo_township"; run.payments = 1; run.totalFen = balanceFen
            try await run.create(on: app.db)
            let pay = Payment()
            pay.runID = run.id!; pay.entitlementID = UUID(); pay.elderID = mother.id!; pay.regionCode = mother.residenceRegion
            pay.benefitType = "service_subsidy"; pay.month = run.month; pay.amountFen = balanceFen; pay.paymentForm = PaymentForm.serviceBalance.rawValue
            try await pay.create(on: app.db)
        }
        let provider2 = try await app.api(.GET, "/api/v1/service-providers/\(providerID)", token: bureau).content.decode(HomeServicesAPI.ProviderView.self)
        let carers = try #require(provider2.caregivers)
        return ServiceFixture(bureau: bureau, township: township, dispatch1: try await app.token("dispatch1"), dispatch2: try await app.token("dispatch2"),
                              carer: try await app.token("carer1"), son: son, providerID: providerID,
                              certified: try #require(carers.first { $0.name == "李护理" }).id, uncertified: try #require(carers.first { $0.name == "赵新人" }).id,
                              mother: mother)
    }

    /// A window on a day from now, at an hour, in China Standard Time.
    static func window(days: Int, hour: Int, minutes: Int = 60) -> (String, String) {
        let day = CalendarDate.today().addingDays(days)
        let start = String(format: "%@ %02d:00", day.description, hour)
        let endMinutes = hour * 60 + minutes
        return (start, String(format: "%@ %02d:%02d", day.description, endMinutes / 60, endMinutes % 60))
    }

    /// The booked day came: the visit is moved to today in the database, as the windows are in
    /// the future when placed and a visit is checked in on the day it was booked for.
    static func dueToday(_ app: Application, _ id: UUID) async throws {
        let o = try #require(try await ServiceOrder.find(id, on: app.db))
        let today = CalendarDate.today()
        var days = 0
        while CalendarDate.today().addingDays(days).description != o.serviceDay && days < 60 { days += 1 }
        try #require(days < 60, "the visit is booked within two months")
        let shift = Double(-days * 86_400)
        o.windowStart = o.windowStart.addingTimeInterval(shift); o.windowEnd = o.windowEnd.addingTimeInterval(shift)
        o.serviceDay = today.description
        try await o.update(on: app.db)
    }

    /// A check-in moved hours back falls on yesterday in the small hours (China Standard Time), which is
    /// a `wrong_day` visit: the booking moves with it, so the test means the same at any time of day.
    static func bookOnDayOfCheckIn(_ o: ServiceOrder) {
        guard let checkIn = o.checkInAt, let booked = CalendarDate(o.serviceDay) else { return }
        let day = CalendarDate.today(checkIn)
        var days = 0
        while booked.addingDays(days) != day && abs(days) < 3 { days += day < booked ? -1 : 1 }
        let shift = Double(days * 86_400)
        o.windowStart = o.windowStart.addingTimeInterval(shift); o.windowEnd = o.windowEnd.addingTimeInterval(shift)
        o.serviceDay = day.description
    }

    /// Bathing for the mother tomorrow at an hour, placed by the township and given to the
    /// certified caregiver.
    func assignedBathing(_ app: Application, hour: Int) async throws -> UUID {
        let (start, end) = Self.window(days: 1, hour: hour)
        let o = try await app.api(.POST, "/api/v1/service-orders", token: township,
                                  json: #"{"elderId":"\#(mother.id!)","service":"bathing","start":"\#(start)","end":"\#(end)"}"#)
            .content.decode(HomeServicesAPI.OrderView.self)
        #expect(try await app.api(.POST, "/api/v1/service-orders/\(o.id)/assign", token: dispatch1, json: #"{"caregiverId":"\#(certified)"}"#).status == .ok)
        return o.id
    }
}

@Suite("Home services")
struct HomeServicesTests {
    typealias OrderView = HomeServicesAPI.OrderView

    @Test("a son orders bathing; checked in 1 km away, reviewed, settled: the balance falls by its share and the statement shows it",
          arguments: TestDatabase.all)
    func familyOrderToSettlement(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            let elder = f.mother.id!
            let (start, end) = ServiceFixture.window(days: 1, hour: 9)

            // The split is shown before the order is confirmed.
            let quote = try await app.api(.POST, "/api/v1/my/elders/\(elder)/service-orders/quote", token: f.son,
                                          json: #"{"service":"bathing","start":"\#(start)","end":"\#(end)"}"#)
            #expect(quote.status == .ok, "\(quote.body.string)")
            let q = try quote.content.decode(HomeServicesAPI.QuoteView.self)
            #expect(q.listFen == 6_000 && q.bureauFen == 4_000 && q.balanceFen == 2_000 && q.selfPayFen == 0)
            #expect(q.priceTier == "minimum_living")
            #expect(q.plain.contains("政府补贴 40.00 元"))

            let placed = try await app.api(.POST, "/api/v1/my/elders/\(elder)/service-orders", token: f.son,
                                           json: #"{"service":"bathing","start":"\#(start)","end":"\#(end)","note":"老人腿脚不便"}"#)
            #expect(placed.status == .created, "\(placed.body.string)")
            var order = try placed.content.decode(OrderView.self)
            #expect(order.status == "placed" && order.placedVia == "family")
            let code = try #require(order.confirmCode)
            // The balance it will spend is held, not yet spent.
            var balance = try await app.api(.GET, "/api/v1/elders/\(elder)/service-balance", token: f.township).content.decode(ServiceBalance.Figures.self)
            #expect(balance.creditedFen == 5_000 && balance.spentFen == 0 && balance.heldFen == 2_000 && balance.availableFen == 3_000)

            // The provider accepts and assigns; a caregiver whose certificate expired is refused.
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(order.id)/accept", token: f.dispatch1).status == .ok)
            let refused = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/assign", token: f.dispatch1, json: #"{"caregiverId":"\#(f.uncertified)"}"#)
            #expect(refused.status == .unprocessableEntity && refused.body.string.contains("certificate"), "\(refused.body.string)")
            let assigned = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/assign", token: f.dispatch1, json: #"{"caregiverId":"\#(f.certified)"}"#)
            #expect(assigned.status == .ok, "\(assigned.body.string)")

            // The caregiver's phone page lists the visit and checks in 1 km north of the home.
            let visits = try await app.api(.GET, "/api/v1/my/visits?day=\(CalendarDate.today().addingDays(1))", token: f.carer).content.decode([OrderView].self)
            #expect(visits.map(\.id) == [order.id])
            try await ServiceFixture.dueToday(app, order.id)
            let checkIn = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/check-in", token: f.carer,
                                            json: #"{"latitude":\#(ServiceFixture.home.lat + 0.009),"longitude":\#(ServiceFixture.home.lng)}"#)
            #expect(checkIn.status == .ok, "\(checkIn.body.string)")
            order = try checkIn.content.decode(OrderView.self)
            #expect(order.exceptions.map(\.code) == ["place_beyond_tolerance"])
            #expect((order.checkInDistanceMeters ?? 0) > 950 && (order.checkInDistanceMeters ?? 0) < 1_050)
            let queue = try await app.api(.GET, "/api/v1/service-exceptions", token: f.bureau).content.decode([OrderView].self)
            #expect(queue.first { $0.id == order.id }?.exceptions.first?.code == "place_beyond_tolerance")

            // An hour later (moved back in the database), checked out at the door.
            let row = try #require(try await ServiceOrder.find(order.id, on: app.db))
            row.checkInAt = Date().addingTimeInterval(-3_600)
            try await row.update(on: app.db)
            let out = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/check-out", token: f.carer,
                                        json: #"{"latitude":\#(ServiceFixture.home.lat),"longitude":\#(ServiceFixture.home.lng)}"#)
            #expect(out.status == .ok, "\(out.body.string)")
            order = try out.content.decode(OrderView.self)
            #expect(order.status == "checked_out" && order.review == "pending")
            #expect(order.exceptions.map(\.code) == ["place_beyond_tolerance"])

            // Before review the visit is held back from the statement.
            let month = Month.current().description
            var statement = try await app.api(.POST, "/api/v1/service-statements", token: f.bureau,
                                              json: #"{"kind":"visits","partyId":"\#(f.providerID)","month":"\#(month)"}"#).content.decode(HomeServicesAPI.StatementView.self)
            #expect(statement.totals.heldCount == 1 && statement.totals.settledCount == 0)

            // Reviewed with a reason; the son confirms with a tap and rates it.
            let noReason = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/review", token: f.bureau, json: #"{"decision":"accept","note":" "}"#)
            #expect(noReason.status == .unprocessableEntity)
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(order.id)/review", token: f.bureau,
                                      json: #"{"decision":"accept","note":"电话核实：老人临时在女儿家，地址有误"}"#).status == .ok)
            let wrongCode = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/confirm", token: f.carer, json: #"{"code":"x\#(code)"}"#)
            #expect(wrongCode.status == .unprocessableEntity)
            let confirmed = try await app.api(.POST, "/api/v1/my/elders/\(elder)/service-orders/\(order.id)/confirm", token: f.son, json: #"{"rating":5}"#)
            #expect(confirmed.status == .ok, "\(confirmed.body.string)")

            // The statement settles it: 40 yuan subsidy + 20 yuan balance charged to the bureau.
            statement = try await app.api(.POST, "/api/v1/service-statements", token: f.bureau,
                                          json: #"{"kind":"visits","partyId":"\#(f.providerID)","month":"\#(month)"}"#).content.decode(HomeServicesAPI.StatementView.self)
            #expect(statement.totals.settledCount == 1 && statement.totals.heldCount == 0)
            #expect(statement.totals.bureauFen == 4_000 && statement.totals.balanceFen == 2_000 && statement.chargedToBureauFen == 6_000)
            balance = try await app.api(.GET, "/api/v1/elders/\(elder)/service-balance", token: f.township).content.decode(ServiceBalance.Figures.self)
            #expect(balance.spentFen == 0, "a draft statement moves no money")
            // Four eyes: who built the statement does not approve it; a second bureau account does.
            let own = try await app.api(.POST, "/api/v1/service-statements/\(statement.id)/approve", token: f.bureau)
            #expect(own.status == .forbidden && own.apiError?.code == "statement.same_person", "\(own.body.string)")
            let second = try await app.token("demo_bureau2")
            let approved = try await app.api(.POST, "/api/v1/service-statements/\(statement.id)/approve", token: second)
            #expect(approved.status == .ok, "\(approved.body.string)")
            #expect(try await app.api(.POST, "/api/v1/service-statements/\(statement.id)/approve", token: second).status == .conflict)
            balance = try await app.api(.GET, "/api/v1/elders/\(elder)/service-balance", token: f.township).content.decode(ServiceBalance.Figures.self)
            #expect(balance.creditedFen == 5_000 && balance.spentFen == 2_000 && balance.heldFen == 0 && balance.availableFen == 3_000)
            let csv = try await app.api(.GET, "/api/v1/service-statements/\(statement.id)/export", token: f.bureau)
            #expect(csv.body.string.contains("助浴") && csv.body.string.contains("40.00") && csv.body.string.contains("20.00"))

            // The son sees every step on his mother's orders.
            let mine = try await app.api(.GET, "/api/v1/my/elders/\(elder)/service-orders", token: f.son).content.decode([OrderView].self)
            #expect(mine.first?.status == "settled")
            #expect(mine.first?.history.map(\.status) == ["placed", "accepted", "assigned", "checked_in", "checked_out", "checked_out", "confirmed", "settled"])
            #expect(try await app.auditActions(.serviceVisitReviewed).count == 1)
        }
    }

    @Test("two dispatchers racing to give one caregiver two overlapping visits: exactly one succeeds", arguments: TestDatabase.all)
    func dispatchersRace(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            for round in 0..<4 {
                var ids: [UUID] = []
                for (i, hour) in [(0, 8 + round * 3), (1, 8 + round * 3)].enumerated() {
                    let (start, _) = ServiceFixture.window(days: 2, hour: hour.1)
                    let (_, end) = ServiceFixture.window(days: 2, hour: hour.1, minutes: 90)
                    let res = try await app.api(.POST, "/api/v1/service-orders", token: f.township,
                                                json: #"{"elderId":"\#(f.mother.id!)","service":"bathing","start":"\#(start)","end":"\#(end)","note":"\#(i)"}"#)
                    #expect(res.status == .created, "\(res.body.string)")
                    ids.append(try res.content.decode(OrderView.self).id)
                }
                let body = #"{"caregiverId":"\#(f.certified)"}"#
                let (first, second) = ("/api/v1/service-orders/\(ids[0])/assign", "/api/v1/service-orders/\(ids[1])/assign")
                async let a = app.api(.POST, first, token: f.dispatch1, json: body)
                async let b = app.api(.POST, second, token: f.dispatch2, json: body)
                let statuses = [try await a.status, try await b.status]
                #expect(statuses.filter { $0 == .ok }.count == 1 && statuses.filter { $0 == .conflict }.count == 1, "round \(round): \(statuses)")
                let assigned = try await ServiceOrder.query(on: app.db).filter(\.$id ~~ ids).filter(\.$status == "assigned").count()
                #expect(assigned == 1)
            }
            // The same order, two dispatchers, two caregivers: one wins.
            let (start, end) = ServiceFixture.window(days: 3, hour: 14)
            let one = try await app.api(.POST, "/api/v1/service-orders", token: f.township,
                                        json: #"{"elderId":"\#(f.mother.id!)","service":"bathing","start":"\#(start)","end":"\#(end)"}"#).content.decode(OrderView.self)
            let c2 = try await app.makeUser("carer3", roles: [.caregiver], region: ServiceFixture.county)
            _ = c2
            let third = try await app.api(.POST, "/api/v1/service-providers/\(f.providerID)/caregivers", token: f.dispatch1, json: """
                {"name":"孙护理","username":"carer3","certificates":[{"qualification":"care_worker","number":"HL-0003","validUntil":"2030-12-31"}]}
                """).content.decode(HomeServicesAPI.ProviderView.CaregiverView.self)
            async let x = app.api(.POST, "/api/v1/service-orders/\(one.id)/assign", token: f.dispatch1, json: #"{"caregiverId":"\#(f.certified)"}"#)
            async let y = app.api(.POST, "/api/v1/service-orders/\(one.id)/assign", token: f.dispatch2, json: #"{"caregiverId":"\#(third.id)"}"#)
            let both = [try await x.status, try await y.status]
            #expect(both.filter { $0 == .ok }.count == 1, "\(both)")
            let bookings = try await CaregiverBooking.query(on: app.db).filter(\.$orderID == one.id).all()
            #expect(Set(bookings.map(\.caregiverID)).count == 1)
        }
    }

    @Test("two visits of one caregiver done at the same time: both are flagged as overlapping at check-out", arguments: TestDatabase.all)
    func overlappingVisits(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            let home = #"{"latitude":\#(ServiceFixture.home.lat),"longitude":\#(ServiceFixture.home.lng)}"#
            var ids: [UUID] = []
            for hour in [8, 11] {
                let id = try await f.assignedBathing(app, hour: hour)
                try await ServiceFixture.dueToday(app, id)
                let checkIn = try await app.api(.POST, "/api/v1/service-orders/\(id)/check-in", token: f.carer, json: home)
                #expect(try checkIn.content.decode(OrderView.self).exceptions.isEmpty, "\(checkIn.body.string)")
                ids.append(id)
            }
            // Both began an hour ago (moved back in the database): the visits ran side by side.
            for id in ids {
                let row = try #require(try await ServiceOrder.find(id, on: app.db))
                row.checkInAt = Date().addingTimeInterval(-3_600)
                try await row.update(on: app.db)
            }
            for id in ids {
                let out = try await app.api(.POST, "/api/v1/service-orders/\(id)/check-out", token: f.carer, json: home)
                #expect(out.status == .ok, "\(out.body.string)")
                #expect(try out.content.decode(OrderView.self).exceptions.map(\.code) == ["overlap"], "\(out.body.string)")
            }
        }
    }

    @Test("who may touch an order: another family, another provider's dispatcher and the wrong caregiver get 404", arguments: TestDatabase.all)
    func ordersStayWithTheirPeople(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            let (start, end) = ServiceFixture.window(days: 1, hour: 15)
            let order = try await app.api(.POST, "/api/v1/my/elders/\(f.mother.id!)/service-orders", token: f.son,
                                          json: #"{"service":"bathing","start":"\#(start)","end":"\#(end)"}"#).content.decode(OrderView.self)
            try await app.makeUser("stranger", roles: [.family], region: "130102001001")
            let stranger = try await app.token("stranger")
            #expect(try await app.api(.GET, "/api/v1/my/elders/\(f.mother.id!)/service-orders", token: stranger).status == .notFound)
            #expect(try await app.api(.POST, "/api/v1/my/elders/\(f.mother.id!)/service-orders/\(order.id)/cancel", token: stranger,
                                      json: #"{"reason":"x"}"#).status == .notFound)
            try await app.makeUser("other_dispatch", roles: [.provider], region: ServiceFixture.county)
            let other = try await app.token("other_dispatch")
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(order.id)/accept", token: other).status == .notFound)
            // carer2 is of the provider but the visit is not theirs.
            _ = try await app.api(.POST, "/api/v1/service-orders/\(order.id)/assign", token: f.dispatch1, json: #"{"caregiverId":"\#(f.certified)"}"#)
            let carer2 = try await app.token("carer2")
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(order.id)/check-in", token: carer2, json: "{}").status == .notFound)
            // Bad input names the field, in English when asked.
            let bad = try await app.api(.POST, "/api/v1/my/elders/\(f.mother.id!)/service-orders", token: f.son,
                                        json: #"{"service":"bathing","start":"tomorrow","end":"\#(end)"}"#, headers: ["Accept-Language": "en"])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("\"field\":\"start\"") && bad.body.string.contains("Cannot read the time"))
            // Cancelling needs a reason and frees the caregiver's time.
            #expect(try await app.api(.POST, "/api/v1/my/elders/\(f.mother.id!)/service-orders/\(order.id)/cancel", token: f.son, json: #"{"reason":""}"#).status == .unprocessableEntity)
            let cancelled = try await app.api(.POST, "/api/v1/my/elders/\(f.mother.id!)/service-orders/\(order.id)/cancel", token: f.son, json: #"{"reason":"老人住院"}"#)
            #expect(try cancelled.content.decode(OrderView.self).cancelReason == "老人住院")
            #expect(try await CaregiverBooking.query(on: app.db).filter(\.$orderID == order.id).count() == 0)
        }
    }

    @Test("office check-in, missing check-out, rejected exceptions are never charged, return visits drawn once a week", arguments: TestDatabase.all)
    func exceptionsAndReturnVisits(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            var ids: [UUID] = []
            for hour in [8, 11] { ids.append(try await f.assignedBathing(app, hour: hour)) }
            for id in ids { try await ServiceFixture.dueToday(app, id) }
            // Forgot the phone: the office checks the first visit in, with a comment.
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(ids[0])/office-check-in", token: f.dispatch1, json: #"{"comment":""}"#).status == .unprocessableEntity)
            let office = try await app.api(.POST, "/api/v1/service-orders/\(ids[0])/office-check-in", token: f.dispatch1, json: #"{"comment":"护理员手机没电，电话确认已到达"}"#)
            #expect(try office.content.decode(OrderView.self).exceptions.map(\.code) == ["office_check_in"])
            // The second: checked in without location, and never checked out.
            let noGPS = try await app.api(.POST, "/api/v1/service-orders/\(ids[1])/check-in", token: f.carer, json: "{}")
            #expect(try noGPS.content.decode(OrderView.self).exceptions.map(\.code) == ["no_location"])
            let row = try #require(try await ServiceOrder.find(ids[1], on: app.db))
            row.checkInAt = Date().addingTimeInterval(-5 * 3_600)
            ServiceFixture.bookOnDayOfCheckIn(row)
            try await row.update(on: app.db)
            let queue = try await app.api(.GET, "/api/v1/service-exceptions", token: f.bureau).content.decode([OrderView].self)
            #expect(Set(queue.first { $0.id == ids[1] }?.exceptions.map(\.code) ?? []) == ["no_location", "check_out_missing"])
            #expect(queue.contains { $0.id == ids[0] })

            // The first is checked out at home an hour later; the second is checked out and rejected.
            let first = try #require(try await ServiceOrder.find(ids[0], on: app.db))
            first.checkInAt = Date().addingTimeInterval(-3_600)
            ServiceFixture.bookOnDayOfCheckIn(first)
            try await first.update(on: app.db)
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(ids[0])/check-out", token: f.carer,
                                      json: #"{"latitude":\#(ServiceFixture.home.lat),"longitude":\#(ServiceFixture.home.lng)}"#).status == .ok)
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(ids[0])/review", token: f.bureau, json: #"{"decision":"accept","note":"已电话核实"}"#).status == .ok)
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(ids[1])/check-out", token: f.carer, json: "{}").status == .ok)
            #expect(try await app.api(.POST, "/api/v1/service-orders/\(ids[1])/review", token: f.bureau, json: #"{"decision":"reject","note":"老人否认当天接受服务"}"#).status == .ok)
            let s = try await app.api(.POST, "/api/v1/service-statements", token: f.bureau,
                                      json: #"{"kind":"visits","partyId":"\#(f.providerID)","month":"\#(Month.current())"}"#).content.decode(HomeServicesAPI.StatementView.self)
            #expect(s.totals.settledCount == 1 && s.totals.refusedCount == 1 && s.totals.refusedFen == 6_000)
            #expect(s.lines?.first { $0.id == ids[1] }?.state == "refused")

            // This week's completed visits: the share is drawn, at least one; drawing again adds nothing.
            let monday = ReturnVisitSample.weekStart(of: .today())
            let drawn = try await app.api(.POST, "/api/v1/return-visits/draw", token: f.bureau, json: #"{"weekStart":"\#(monday)"}"#)
            let sample = try drawn.content.decode([HomeServicesAPI.ReturnVisitView].self)
            #expect(sample.count == 1 && ids.contains(sample[0].orderId))
            let again = try await app.api(.POST, "/api/v1/return-visits/draw", token: f.bureau, json: #"{"weekStart":"\#(monday)"}"#)
            #expect(try again.content.decode([HomeServicesAPI.ReturnVisitView].self).map(\.id) == sample.map(\.id))
            #expect(try await app.api(.POST, "/api/v1/return-visits/\(sample[0].id)", token: f.bureau, json: #"{"outcome":"problem"}"#).status == .unprocessableEntity)
            let done = try await app.api(.POST, "/api/v1/return-visits/\(sample[0].id)", token: f.bureau, json: #"{"outcome":"satisfied","note":"老人说洗得很干净"}"#)
            #expect(try done.content.decode(HomeServicesAPI.ReturnVisitView.self).status == "done")
        }
    }

    @Test("meals: a menu, a person served by ID card twice a day gets one subsidised meal; daily counts; a meal point statement",
          arguments: TestDatabase.all)
    func mealAssistance(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let point = try await app.api(.POST, "/api/v1/service-points", token: bureau, json: """
                {"regionCode":"130102001001","kind":"meal_point","name":"东风社区长者食堂","address":"东风路 8 号","latitude":38.04,"longitude":114.51,"capacity":40,"hours":"11:00-13:00"}
                """)
            #expect(point.status == .created, "\(point.body.string)")
            let pointID = try point.content.decode(HomeServicesAPI.PointView.self).id
            try await app.makeUser("cook", roles: [.mealPoint], region: "130102001000")
            #expect(try await app.api(.POST, "/api/v1/service-accounts", token: bureau, json: #"{"username":"cook","pointId":"\#(pointID)"}"#).status == .created)
            let cook = try await app.token("cook")
            let today = CalendarDate.today().description
            #expect(try await app.api(.POST, "/api/v1/service-points/\(pointID)/meals", token: cook,
                                      json: #"{"idNumber":"\#(makeID("130102", "19360505", 111))","meal":"lunch"}"#).status == .unprocessableEntity)
            for meal in ["lunch", "dinner"] {
                let menu = try await app.api(.POST, "/api/v1/service-points/\(pointID)/menus", token: cook,
                                             json: #"{"day":"\#(today)","meal":"\#(meal)","dishes":"红烧肉、炒青菜、米饭","priceFen":1200}"#)
                #expect(menu.status == .created, "\(menu.body.string)")
            }
            let id = makeID("130102", "19360505", 111) // 90 years old: 8 yuan a meal by the example policy
            _ = try await app.makeElder("刘大爷", id: id, region: "130102001001")
            let lunch = try await app.api(.POST, "/api/v1/service-points/\(pointID)/meals", token: cook, json: #"{"idNumber":"\#(id)","meal":"lunch"}"#)
            #expect(lunch.status == .created, "\(lunch.body.string)")
            let l = try lunch.content.decode(HomeServicesAPI.MealView.self)
            #expect(l.subsidyFen == 800 && l.selfPayFen == 400 && l.status == "served")
            let dinner = try await app.api(.POST, "/api/v1/service-points/\(pointID)/meals", token: cook, json: #"{"idNumber":"\#(id)","meal":"dinner"}"#)
            let d = try dinner.content.decode(HomeServicesAPI.MealView.self)
            #expect(d.subsidyFen == 0 && d.selfPayFen == 1_200, "one subsidised meal a day")
            // A complaint about the dinner, taken at the counter, resolved by staff.
            let complaint = try await app.api(.POST, "/api/v1/meal-orders/\(d.id)/complaints", token: cook, json: #"{"text":"饭菜偏咸"}"#)
            #expect(complaint.status == .created, "\(complaint.body.string)")
            let open = try await app.api(.GET, "/api/v1/service-complaints?status=open", token: bureau).content.decode([HomeServicesAPI.ComplaintView].self)
            let c = try #require(open.first { $0.mealOrderId == d.id })
            let resolved = try await app.api(.POST, "/api/v1/service-complaints/\(c.id)/resolve", token: bureau, json: #"{"resolution":"已提醒厨房少放盐"}"#)
            #expect(try resolved.content.decode(HomeServicesAPI.ComplaintView.self).status == "resolved")
            let day = try await app.api(.GET, "/api/v1/service-points/\(pointID)/meals", token: cook).content.decode(HomeServicesAPI.MealDay.self)
            #expect(day.counts.reduce(0) { $0 + $1.count } == 2 && day.counts.reduce(0) { $0 + $1.subsidyFen } == 800)
            // Another point's operator sees nothing of this one.
            try await app.makeUser("cook2", roles: [.mealPoint], region: "130102001000")
            #expect(try await app.api(.GET, "/api/v1/service-points/\(pointID)/meals", token: try await app.token("cook2")).status == .notFound)
            let s = try await app.api(.POST, "/api/v1/service-statements", token: bureau,
                                      json: #"{"kind":"meals","partyId":"\#(pointID)","month":"\#(Month.current())"}"#).content.decode(HomeServicesAPI.StatementView.self)
            #expect(s.totals.settledCount == 2 && s.totals.bureauFen == 800 && s.totals.selfPayFen == 1_600)
        }
    }
}

extension HomeServicesTests {
    @Test("a provider's credit code with any wrong check character (GB 32100) is refused; the right one is accepted",
          arguments: TestDatabase.all)
    func providerCreditCodeCheck(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let valid = "91130102MA0CHECK71"
            #expect(CreditCode.checkCharacter(for: valid.prefix(17)) == valid.last)
            func post(_ code: String) async throws -> TestingHTTPResponse {
                try await app.api(.POST, "/api/v1/service-providers", token: bureau,
                                  json: #"{"regionCode":"\#(ServiceFixture.county)","name":"校验服务社","creditCode":"\#(code)"}"#)
            }
            // Held out: every other character of the alphabet at the check position.
            for wrong in CreditCode.alphabet where wrong != valid.last! {
                let r = try await post(String(valid.dropLast()) + String(wrong))
                #expect(r.status == .unprocessableEntity, "\(wrong): \(r.body.string)")
                #expect(r.apiError?.code == "credit_code.check_character" && r.apiError?.field == "creditCode", "\(wrong)")
            }
            #expect(try await post("91130102MA0CHECKO7").apiError?.code == "credit_code.characters", "O is not a letter of the code")
            #expect(try await ServiceProvider.query(on: app.db).filter(\.$name == "校验服务社").count() == 0)
            let ok = try await post(valid.lowercased())
            #expect(ok.status == .created, "\(ok.body.string)")
            #expect(try ok.content.decode(HomeServicesAPI.ProviderView.self).creditCode == valid)
        }
    }

    @Test("a visit booked for tomorrow and checked in today at the home goes to the exception queue as a check-in on another day",
          arguments: TestDatabase.all)
    func checkInOnAnotherDay(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            let home = #"{"latitude":\#(ServiceFixture.home.lat),"longitude":\#(ServiceFixture.home.lng)}"#
            let early = try await f.assignedBathing(app, hour: 9)
            let checkIn = try await app.api(.POST, "/api/v1/service-orders/\(early)/check-in", token: f.carer, json: home)
            #expect(checkIn.status == .ok, "\(checkIn.body.string)")
            let order = try checkIn.content.decode(OrderView.self)
            #expect(order.exceptions.map(\.code) == ["wrong_day"] && order.review == "pending", "\(checkIn.body.string)")
            #expect(order.exceptions.first?.message.contains(CalendarDate.today().addingDays(1).description) == true)
            let queue = try await app.api(.GET, "/api/v1/service-exceptions", token: f.bureau).content.decode([OrderView].self)
            #expect(queue.first { $0.id == early }?.exceptions.map(\.code) == ["wrong_day"])
            // The same visit on its day, at the same door, is clean.
            let onTime = try await f.assignedBathing(app, hour: 12)
            try await ServiceFixture.dueToday(app, onTime)
            let clean = try await app.api(.POST, "/api/v1/service-orders/\(onTime)/check-in", token: f.carer, json: home)
            #expect(try clean.content.decode(OrderView.self).exceptions.isEmpty, "\(clean.body.string)")
        }
    }

    /// Bathing for the mother the day after tomorrow, from one time of day to another ("13:55").
    static func visit(_ app: Application, _ f: ServiceFixture, _ from: String, _ to: String) async throws -> UUID {
        let day = CalendarDate.today().addingDays(2)
        let body = #"{"elderId":"\#(f.mother.id!)","service":"bathing","start":"\#(day) \#(from)","end":"\#(day) \#(to)"}"#
        let o = try await app.api(.POST, "/api/v1/service-orders", token: f.township, json: body)
        #expect(o.status == .created, "\(o.body.string)")
        return try o.content.decode(OrderView.self).id
    }

    static func assign(_ app: Application, _ f: ServiceFixture, _ id: UUID) async throws -> TestingHTTPResponse {
        try await app.api(.POST, "/api/v1/service-orders/\(id)/assign", token: f.dispatch1, json: #"{"caregiverId":"\#(f.certified)"}"#)
    }

    @Test("back-to-back visits of one caregiver are booked at their real times; a travel gap set from a date keeps them apart",
          arguments: TestDatabase.all)
    func backToBackVisits(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            let first = try await Self.visit(app, f, "13:00", "13:50"), second = try await Self.visit(app, f, "13:55", "14:30")
            #expect(try await Self.assign(app, f, first).status == .ok)
            let next = try await Self.assign(app, f, second)
            #expect(next.status == .ok, "five minutes apart is not an overlap: \(next.body.string)")
            // A real overlap is still refused.
            let overlapping = try await Self.visit(app, f, "14:25", "15:00")
            let busy = try await Self.assign(app, f, overlapping)
            #expect(busy.status == .conflict && busy.apiError?.code == "order.caregiver_busy")

            // The administrator asks for ten minutes between visits from today; an impossible gap names its field.
            let admin = try await app.token("demo_admin")
            func settings(_ gap: Int) throws -> String {
                let version = String(decoding: try JSONEncoder().encode(HomeServiceSettings(travelGapMinutes: gap)), as: UTF8.self)
                return #"{"effectiveFrom":"\#(CalendarDate.today())","settings":"# + version + "}"
            }
            let impossible = try await app.api(.POST, "/api/v1/service-settings", token: admin, json: try settings(500))
            #expect(impossible.apiError?.field == "travelGapMinutes")
            let saved = try await app.api(.POST, "/api/v1/service-settings", token: admin, json: try settings(10))
            #expect(saved.status == .ok || saved.status == .created, "\(saved.body.string)")
            let read = try await app.api(.GET, "/api/v1/service-settings", token: f.bureau)
                .content.decode(ServiceSetup.SettingsVersion.self)
            #expect(read.settings.travelGapMinutes == 10)
            let tooClose = try await Self.visit(app, f, "14:35", "15:00")
            let refused = try await Self.assign(app, f, tooClose)
            #expect(refused.status == .conflict && refused.apiError?.message.contains("10 分钟") == true, "\(refused.body.string)")
            let later = try await Self.visit(app, f, "14:40", "15:10")
            #expect(try await Self.assign(app, f, later).status == .ok)
        }
    }

    @Test("a database booked in quarter hours upgrades: every visit stays held, back-to-back ones become possible, overlaps stay refused",
          arguments: TestDatabase.all)
    func bookingsUpgrade(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app, balanceFen: 0)
            let a = try await Self.visit(app, f, "09:00", "09:50"), b = try await Self.visit(app, f, "10:00", "11:00")
            for id in [a, b] { #expect(try await Self.assign(app, f, id).status == .ok) }
            // Back to how a database before the upgrade held them: quarter hours.
            let migration = CaregiverBookingsInFiveMinutes()
            try await migration.revert(on: app.db)
            func blocks(_ id: UUID) async throws -> [Int] {
                try await CaregiverBooking.query(on: app.db).filter(\.$orderID == id).all().map(\.block).sorted()
            }
            let orderA = try #require(try await ServiceOrder.find(a, on: app.db))
            #expect(try await blocks(a) == CaregiverBlocks.blocks(start: orderA.windowStart, end: orderA.windowEnd, blockMinutes: 15))
            // In quarter hours, a visit 09:50–09:58 collides with the one ending 09:50.
            let between = try await Self.visit(app, f, "09:50", "09:58")
            let orderBetween = try #require(try await ServiceOrder.find(between, on: app.db))
            #expect(!Set(CaregiverBlocks.blocks(start: orderBetween.windowStart, end: orderBetween.windowEnd, blockMinutes: 15))
                .isDisjoint(with: try await blocks(a)))
            try await migration.prepare(on: app.db)
            #expect(try await blocks(a) == CaregiverBlocks.blocks(start: orderA.windowStart, end: orderA.windowEnd))
            #expect(try await blocks(b).count == 12)
            #expect(try await Self.assign(app, f, between).status == .ok, "09:50–09:58 fits between the two")
            let overlapping = try await Self.visit(app, f, "10:30", "11:30")
            #expect(try await Self.assign(app, f, overlapping).apiError?.code == "order.caregiver_busy")
        }
    }
}
