@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Portal for families")
struct PortalTests {
    @Test("a family member links to a parent, staff confirm, the family sees plain words, applies online and follows every step", arguments: TestDatabase.all)
    func family(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19380808", 99)
            let mother = try await app.makeElder("蒋桂珍", id: id, region: "130102001001")
            let stranger = try await app.makeElder("沈某", id: makeID("130102", "19390909", 98), region: "130102001001")
            let family = Browser(app)
            try await family.signIn("demo_family")
            let home = try await family.get("/portal")
            #expect(home.body.string.contains("还没有关联家人"))
            // A wrong name gets the same answer as a right one, and links nothing.
            let wrong = try await family.post("/portal/links", [("name", "别人"), ("idNumber", id), ("relation", "女儿")])
            #expect(wrong.headers.first(name: .location)?.contains("my_link_requested") == true)
            #expect(try await FamilyLink.query(on: app.db).count() == 0)
            try await family.get("/portal")
            _ = try await family.post("/portal/links", [("name", "蒋桂珍"), ("idNumber", id), ("relation", "女儿")])
            #expect(try await FamilyLink.query(on: app.db).count() == 1)
            // Not yet confirmed: nothing to see.
            #expect(try await family.get("/portal/elders/\(mother.id!)").status == .notFound)

            let staff = Browser(app)
            try await staff.signIn("demo_township")
            let pending = try await staff.get("/family-links")
            #expect(pending.body.string.contains("蒋桂珍") && pending.body.string.contains("女儿"))
            let linkID = try #require(try await FamilyLink.query(on: app.db).first()?.id)
            #expect(try await staff.post("/family-links/\(linkID)/confirm", []).status == .seeOther)

            let page = try await family.get("/portal/elders/\(mother.id!)")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("符合高龄津贴的条件，每月 50.00 元"))
            #expect(!page.body.string.contains(id), "no full ID number in the portal")
            #expect(try await family.get("/portal/elders/\(stranger.id!)").status == .notFound, "only linked people")
            try await family.get("/portal/elders/\(mother.id!)")
            let applied = try await family.post("/portal/elders/\(mother.id!)/applications", [("benefitType", "age_allowance")])
            #expect(applied.headers.first(name: .location)?.contains("my_applied") == true)
            let c = try #require(try await BenefitCase.query(on: app.db).filter(\.$elderID == mother.id!).first())
            #expect(c.applicantKind == "family" && c.applicantName == "演示·家属" && c.applicantRelation == "女儿")
            let after = try await family.get("/portal/elders/\(mother.id!)")
            #expect(after.body.string.contains("申请进度") && after.body.string.contains("乡镇（街道）审核"))

            // The same through the API.
            let token = try await app.token("demo_family")
            let view = try await app.api(.GET, "/api/v1/my/elders/\(mother.id!)", token: token).content.decode(PortalAPI.PersonView.self)
            #expect(view.applications.first?.steps.first?.step == "received")
            #expect(try await app.api(.GET, "/api/v1/my/elders/\(stranger.id!)", token: token).status == .notFound)
        }
    }
}
