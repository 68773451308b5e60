@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// The demo as `serve --demo` loads it: every page has realistic data, and every story can be
/// finished with the printed accounts.
@Suite("The serve demo")
struct DemoTests {
    @Test("a fresh serve demo has months of history, and a family's order is dispatched and served by the printed accounts",
          arguments: TestDatabase.all)
    func serveDemo(db: TestDatabase) async throws {
        try await withYiyang(db, demo: false) { app in
            let loaded = try #require(try await DemoData.loadForServe(app))
            #expect(try await DemoData.loadForServe(app) == nil, "a second start loads nothing")
            try await Self.history(app, loaded: loaded)
            try await Self.familyStory(app)
            try await Self.institutionOperator(app)
        }
    }

    /// Each page family has data made through the real paths, with their audit entries.
    static func history(_ app: Application, loaded: String) async throws {
        let month = Month(app.yiyang.clock.today)
        let runs = try await PaymentRun.query(on: app.db).sort(\.$month).all()
        #expect(runs.map(\.month) == month.adding(-DemoHistory.pastMonths).through(month).map(\.description), "\(loaded)")
        #expect(runs.dropLast().allSatisfy { $0.status == "approved" && $0.approvedBy == "demo_bureau2" && $0.computedBy == "demo_bureau" })
        #expect(runs.last?.status == "computed", "this month's roll waits for its approval")
        #expect(runs.allSatisfy { $0.payments > 0 && $0.totalFen > 0 })
        #expect(try await app.auditActions(.paymentRunApproved).count == DemoHistory.pastMonths)
        let cash = try await Entitlement.query(on: app.db).filter(\.$paymentForm == PaymentForm.cash.rawValue).all()
        #expect(!cash.isEmpty && cash.allSatisfy { $0.accountCipher != nil }, "every cash entitlement has an account for the bank file")
        #expect(try await BenefitCase.query(on: app.db).filter(\.$status == "approved").count() == cash.count
                + (try await Entitlement.query(on: app.db).filter(\.$paymentForm != PaymentForm.cash.rawValue).count()))
        let statements = try await ServiceStatement.query(on: app.db).all()
        #expect(statements.count == 2 * DemoHistory.pastMonths && statements.allSatisfy { $0.status == "approved" })
        #expect(statements.contains { $0.partyName == "演示·长安区颐家服务社" && $0.totals.settledCount > 0 })
        #expect(try await ServiceOrder.query(on: app.db).filter(\.$status == ServiceOrderStatus.settled.rawValue).count() > 0)
        let visits = try await ReturnVisit.query(on: app.db).all()
        #expect(visits.contains { $0.status == "done" } && visits.contains { $0.status == "pending" })
        let complaints = try await ServiceComplaint.query(on: app.db).all()
        #expect(complaints.count == 3 && complaints.filter { $0.status == "resolved" }.count == 1)
        let links = try await FamilyLink.query(on: app.db).all()
        let parent = try #require(try await DemoData.familyParent(on: app.db))
        #expect(links.count == 1 && links.first?.elderID == parent.id)
        #expect(links.first?.status == "confirmed" && links.first?.decidedBy == "demo_community")
        #expect(try await LivenessEvidence.query(on: app.db).filter(\.$recordedBy == "demo_community").count() > 0)
        #expect(try await AssessmentResult.query(on: app.db).count() > 0)

        // The pages show it, to the accounts whose work it is.
        let bureau = Browser(app)
        try await bureau.signIn("demo_bureau")
        let benefits = try await bureau.get("/benefits")
        #expect(benefits.status == .ok && benefits.body.string.contains(month.previous.description))
        let run = try #require(runs.first)
        let bank = try await bureau.get("/benefits/runs/\(run.id!)/bank-file")
        // Lines end in CRLF, one Character to Swift: counted by the made-up card numbers instead.
        #expect(bank.status == .ok && bank.body.string.components(separatedBy: ",6217").count > 100 && bank.body.string.contains(",50.00,"),
                "\(bank.status) \(bank.body.string.prefix(400))")
        for (path, text) in [("/benefits/reports", month.previous.description), ("/services/statements", "演示·长安区颐家服务社"),
                             ("/services/return-visits", "满意"), ("/services/complaints", "水温偏低")] {
            let page = try await bureau.get(path)
            #expect(page.status == .ok && page.body.string.contains(text), "\(path) shows \(text)")
        }
        let community = Browser(app)
        try await community.signIn("demo_community")
        #expect(try await community.get("/benefits/liveness").status == .ok)
        let family = Browser(app)
        try await family.signIn("demo_family")
        let portal = try await family.get("/portal/elders/\(parent.id!)/services")
        #expect(portal.status == .ok && portal.body.string.contains(parent.name))
    }

    /// demo_family orders a visit for their parent; demo_provider2 sees it waiting and gives it
    /// to demo_caregiver2, who checks in and out: through the pages, as in the browser.
    static func familyStory(_ app: Application) async throws {
        let parent = try #require(try await DemoData.familyParent(on: app.db))
        let family = Browser(app)
        try await family.signIn("demo_family")
        let path = "/portal/elders/\(parent.id!)/services"
        try await family.get(path)
        // A week ahead: clear of the demo's own bookings, which reach three days out.
        let day = app.yiyang.clock.today.addingDays(7).description
        let placed = try await family.post(path, [("service", "cleaning"), ("start", "\(day)T09:00"), ("end", "\(day)T10:00"),
                                                  ("note", "")])
        #expect(placed.status == .seeOther && placed.headers.first(name: .location)?.contains("sv_placed") == true,
                "\(placed.body.string.prefix(300))")
        let order = try #require(try await ServiceOrder.query(on: app.db).filter(\.$elderID == parent.id!)
            .filter(\.$serviceDay == day).first())
        #expect(order.status == "placed" && order.placedVia == "family")

        let dispatcher = Browser(app)
        try await dispatcher.signIn("demo_provider2")
        let waiting = try await dispatcher.get("/services/dispatch")
        #expect(waiting.status == .ok && waiting.body.string.contains(order.id!.uuidString), "the order waits on the dispatcher's page")
        let carerAccount = try await app.user("demo_caregiver2")
        let carer = try #require(try await Caregiver.query(on: app.db).filter(\.$userID == carerAccount.id!).first())
        #expect(carer.providerID == order.providerID && carer.name == "长安·演示·护理员")
        try await dispatcher.get("/services/orders/\(order.id!)")
        let assigned = try await dispatcher.post("/services/orders/\(order.id!)/assign", [("caregiverId", carer.id!.uuidString)])
        #expect(assigned.status == .seeOther, "\(assigned.body.string.prefix(300))")

        let caregiver = Browser(app)
        try await caregiver.signIn("demo_caregiver2")
        let visits = try await caregiver.get("/services/visits?day=\(day)")
        #expect(visits.status == .ok && visits.body.string.contains(parent.name))
        for action in ["check-in", "check-out"] {
            let res = try await caregiver.post("/services/orders/\(order.id!)/\(action)", [("latitude", "38.02"), ("longitude", "114.53")])
            #expect(res.status == .seeOther && res.headers.first(name: .location)?.hasPrefix("/services/visits") == true,
                    "\(action): \(res.body.string.prefix(300))")
            try await caregiver.get("/services/visits?day=\(day)")
        }
        #expect(try await ServiceOrder.find(order.id!, on: app.db)?.status == ServiceOrderStatus.checkedOut.rawValue)
        #expect(try await family.get(path).body.string.contains("长安·演示·护理员"), "the family sees who came")

        // The administrator holds the dispatch permission but works for no provider: the page says that,
        // not that the permission is missing (HomeServicePagesTests covers an account of the provider role).
        let admin = Browser(app)
        try await admin.signIn("demo_admin")
        let refused = try await admin.get("/services/dispatch")
        #expect(refused.status == .forbidden && refused.body.string.contains("本账号未关联服务商"))
        #expect(!refused.body.string.contains("服务商接单与派单"))
    }

    /// demo_institution sees its home on `/institutions` and admits and discharges there.
    static func institutionOperator(_ app: Application) async throws {
        let home = try #require(try await Institution.query(on: app.db).filter(\.$name == "演示·建北颐年养老院").first())
        let operatorPages = Browser(app)
        try await operatorPages.signIn("demo_institution")
        let list = try await operatorPages.get("/institutions")
        #expect(list.status == .ok && list.body.string.contains("演示·建北颐年养老院"))
        let parent = try await DemoData.familyParent(on: app.db)
        let person = try #require(try await Elder.query(on: app.db).filter(\.$residenceRegion, .custom("LIKE"), "130102001%")
            .filter(\.$status == ElderStatus.living.rawValue).filter(\.$livingArrangement != InstitutionRegister.inInstitution)
            .filter(\.$id != parent!.id!).sort(\.$name).first())
        let path = "/institutions/\(home.id!)"
        try await operatorPages.get(path)
        let today = app.yiyang.clock.today.description
        let idNumber = try app.vault.open(person.idCipher)
        let admitted = try await operatorPages.post(path + "/residents", [("idNumber", idNumber), ("admittedOn", today)])
        #expect(admitted.status == .seeOther, "\(admitted.body.string.prefix(300))")
        let stay = try #require(try await InstitutionResident.query(on: app.db).filter(\.$elderID == person.id!).first())
        #expect(try await operatorPages.get(path).body.string.contains(person.name))
        let left = try await operatorPages.post(path + "/residents/\(stay.id!)/discharge", [("dischargedOn", today), ("reason", "回家")])
        #expect(left.status == .seeOther, "\(left.body.string.prefix(300))")
        #expect(try await InstitutionResident.find(stay.id!, on: app.db)?.dischargedOn == today)
    }
}
