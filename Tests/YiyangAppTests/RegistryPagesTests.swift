@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Registry pages")
struct RegistryPagesTests {
    static let village = "130102001001"

    @Test("register through the form: errors beside the field, then the person page with its timeline", arguments: TestDatabase.all)
    func form(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_community")
            try await browser.get("/elders/new")
            let id = makeID("130102", "19390405", 117)
            let bad = try await browser.post("/elders", [("name", "孙玉兰"), ("idNumber", id), ("gender", "female"), ("householdRegion", Self.village)])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains(#"id="gender-error""#))
            #expect(bad.body.string.contains("与身份证号不符"))
            #expect(bad.body.string.contains(#"value="孙玉兰""#), "what was typed stays")
            let good = try await browser.post("/elders", [("name", "孙玉兰"), ("idNumber", id), ("householdRegion", Self.village),
                                                          ("phones", "13812345678"), ("categories[]", "living_alone"), ("economicStatus", "minimum_living"),
                                                          ("contactName_0", "孙强"), ("contactRelation_0", "儿子"), ("contactPhone_0", "13900001234"), ("contactGuardian_0", "true"), ("contactName_1", "孙丽"), ("contactRelation_1", "女儿"), ("contactPhone_1", "13900005678")])
            #expect(good.status == .seeOther, "\(good.body.string.prefix(500))")
            let location = try #require(good.headers.first(name: .location))
            let page = try await browser.get(location)
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("孙玉兰"))
            #expect(html.contains(CitizenID.mask(id)))
            #expect(!html.contains(id), "the community worker may not see the full ID number")
            #expect(html.contains("138****5678"))
            #expect(html.contains("独居"))
            #expect(html.contains("高龄"), "80+ shows as 高龄")
            #expect(html.contains("孙强（儿子，监护人）"))
            #expect(html.contains("孙丽（女儿）"), "a second contact from the form")
            #expect(html.contains("登记"), "the timeline starts with the registration")
            #expect(!html.contains("查看完整信息"), "no unmask button without the permission")

            // Edit keeps masked values, changes what was changed, and the timeline shows it.
            let elderID = String(location.split(separator: "/").last!.split(separator: "?").first!)
            let edit = try await browser.get("/elders/\(elderID)/edit")
            #expect(edit.body.string.contains(#"value="\#(CitizenID.mask(id))""#))
            #expect(edit.body.string.contains(#"name="contactName_1" value="孙丽""#) || edit.body.string.contains(#"value="孙丽""#), "both contacts in the form")
            #expect(edit.body.string.contains("contactName_2"), "and one empty slot for another")
            let saved = try await browser.post("/elders/\(elderID)", [("name", "孙玉兰"), ("idNumber", CitizenID.mask(id)), ("householdRegion", Self.village),
                                                                     ("phones", "138****5678"), ("categories[]", "living_alone"), ("economicStatus", "extreme_poverty"),
                                                                     ("contactName_0", "孙强"), ("contactRelation_0", "儿子"), ("contactPhone_0", "139****1234"), ("contactGuardian_0", "true"), ("contactName_1", "孙丽"), ("contactRelation_1", "女儿"), ("contactPhone_1", "139****5678")])
            #expect(saved.status == .seeOther, "\(saved.body.string.prefix(800))")
            let elder = try #require(try await Elder.find(UUID(uuidString: elderID), on: app.db))
            #expect(elder.economicStatus == "extreme_poverty")
            #expect(elder.phonesMasked == "138****5678")
            let secrets = try ElderService(db: app.db, vault: app.vault, actorUsername: "t", source: "t").secrets(elder)
            #expect(secrets.idNumber == id, "the masked ID sent back kept the number")
            let after = try await browser.get("/elders/\(elderID)")
            #expect(after.body.string.contains("经济状况"))
            #expect(try await ElderChange.query(on: app.db).filter(\.$field == "contacts").count() == 0, "unchanged contacts, no history line")
            let kept = try await ElderContact.query(on: app.db).filter(\.$elder.$id == elder.id!).all()
            #expect(Set(kept.map(\.phoneMasked)) == ["139****1234", "139****5678"], "masked phones sent back keep both numbers")
        }
    }

    @Test("unmasking on the page shows the full data once and writes the audit log", arguments: TestDatabase.all)
    func unmask(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19390405", 117)
            let elder = try await app.makeElder("孙玉兰", id: id, region: Self.village)
            let browser = Browser(app)
            try await browser.signIn("demo_township")
            let page = try await browser.get("/elders/\(elder.id!)")
            #expect(page.body.string.contains("查看完整信息"))
            #expect(!page.body.string.contains(id))
            let shown = try await browser.post("/elders/\(elder.id!)/unmask", [])
            #expect(shown.status == .ok)
            #expect(shown.body.string.contains(id))
            #expect(try await app.auditActions(.personalDataUnmasked).count == 1)
            let again = try await browser.get("/elders/\(elder.id!)")
            #expect(!again.body.string.contains(id), "masked again on the next page")
        }
    }

    @Test("the list filters and masks; the import page reports bad rows and offers the error CSV", arguments: TestDatabase.all)
    func listAndImport(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_township")
            try await browser.get("/elders/import")
            let good = makeID("130102", "19400512", 101)
            let csv = "姓名,身份证号,户籍地区划代码\n张桂英,\(good),\(Self.village)\n坏人,110105194912310001,\(Self.village)\n"
            let started = try await browser.upload("/elders/import", fields: [], file: ("file", "名册.csv", Data(csv.utf8), "text/csv"))
            #expect(started.status == .seeOther)
            let status = try #require(started.headers.first(name: .location))
            #expect(status.hasPrefix("/elders/import/status?job="))
            // The status page refreshes itself until the import is done.
            var res = try await browser.get(status)
            var waited = 0
            // Up to two minutes: on a loaded CI machine a background import can take many seconds.
            while res.body.string.contains(#"http-equiv="refresh""#), waited < 2_400 {
                #expect(res.body.string.contains("<progress"))
                try await Task.sleep(for: .milliseconds(50))
                res = try await browser.get(status)
                waited += 1
            }
            #expect(res.status == .ok)
            let html = res.body.string
            #expect(!html.contains(#"http-equiv="refresh""#))
            #expect(html.contains("<strong>1</strong>"))
            #expect(html.contains("校验位不正确"))
            #expect(!html.contains("110105194912310001"), "bad ID numbers are masked in the report")
            let link = try #require(html.range(of: #"/elders/import/errors\?report=[A-Za-z0-9_-]+"#, options: .regularExpression).map { String(html[$0]) })
            let csvReport = try await browser.get(link)
            #expect(csvReport.status == .ok)
            #expect(csvReport.body.string.contains("id_number.check_digit"))
            // Someone else can fetch neither the report nor the job.
            let other = Browser(app)
            try await other.signIn("demo_admin")
            #expect(try await other.get(link).status == .notFound)
            #expect(try await other.get(status).status == .notFound)

            let list = try await browser.get("/elders?q=zgy")
            #expect(list.body.string.contains("张桂英"))
            #expect(list.body.string.contains(CitizenID.mask(good)))
            #expect(!list.body.string.contains(good))
            let export = try await browser.get("/elders/export?format=csv")
            #expect(export.status == .ok)
            #expect(!export.body.string.contains(good))

            let events = try await browser.upload("/elders/events/import", fields: [("kind", "death")],
                                                  file: ("file", "death.csv", Data("身份证号,日期,来源\n\(good),2026-11-01,公安\n".utf8), "text/csv"))
            #expect(events.status == .ok)
            #expect(events.body.string.contains("已匹配：张桂英"))
            let dead = try await browser.get("/elders?status=deceased")
            #expect(dead.body.string.contains("张桂英"))
        }
    }
}
