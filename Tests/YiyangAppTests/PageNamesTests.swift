@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// Pages show names, never the codes behind them, in the page's language; the public service
/// list gives each amount its own unit; the site has an icon. Issue 12, "fix what trying it showed".
@Suite("Page names")
struct PageNamesTests {
    @Test("tiers, services, audit entity types, units and the policy form show names in the page's language", arguments: TestDatabase.all)
    func namesNotCodes(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let f = try await ServiceFixture.make(app)
            let bureau = Browser(app)
            try await bureau.signIn("demo_bureau")

            // The menu: tiers by name, the unit in Chinese only; a tier typed by name is stored by its code.
            let menu = try await bureau.get("/services/menu").body.string
            #expect(menu.contains("低保 20.00") && menu.contains("80 岁及以上 40.00"), "\(menu)")
            #expect(!menu.contains("age_80") && !menu.contains("minimum_living"))
            #expect(menu.contains(#"<option value="visit">次</option>"#) && !menu.contains("/ visit") && !menu.contains("/ hour"))
            let made = try await bureau.post("/services/menu", [
                ("regionCode", "130100000000"), ("code", "foot_care"), ("name", "足部护理"), ("category", "bathing"), ("unit", "visit"),
                ("standardMinutes", "30"), ("listYuan", "50"), ("tiers", "特困=0\n80 岁及以上=30"), ("qualification", ""),
                ("effectiveFrom", "2026-01-01")])
            #expect(made.status == .seeOther, "\(made.body.string.prefix(400))")
            let item = try #require(try await ServiceItem.query(on: app.db).filter(\.$code == "foot_care").first())
            #expect(item.tierPrices == ["extreme_poverty": 0, "age_80": 3_000])

            let english = Browser(app)
            try await english.signIn("demo_bureau")
            english.cookies[WebCookie.language] = "en"
            let menuEn = try await english.get("/services/menu").body.string
            #expect(menuEn.contains(#"<option value="visit">visit</option>"#) && !menuEn.contains(">次<"))
            #expect(menuEn.contains("80 and over 40.00"))

            // A provider's contract prices by the menu's names; a contract typed by name is stored by code.
            let provider = try await bureau.get("/services/providers/\(f.providerID)").body.string
            #expect(provider.contains("助浴 60.00") && !provider.contains("bathing 60"), "\(provider)")
            let contract = try await bureau.post("/services/providers/\(f.providerID)/contracts", [
                ("regionCode", ServiceFixture.county), ("prices", "足部护理=45"), ("startsOn", "2026-01-01"), ("endsOn", "2026-12-31")])
            #expect(contract.status == .seeOther, "\(contract.body.string.prefix(400))")
            let contracts = try await ProviderContract.query(on: app.db).all()
            #expect(contracts.contains { $0.prices == ["foot_care": 4_500] })

            // The audit log names what was changed.
            let admin = Browser(app)
            try await admin.signIn("demo_admin")
            let audit = try await admin.get("/audit?entity=service_item").body.string
            #expect(audit.contains("服务项目") && !audit.contains("<td>service_item"), "\(audit.prefix(2000))")
            #expect(audit.contains(#"<option value="service_item" selected>服务项目</option>"#), "the filter names the entity types")
            let entry = try #require(try await AuditEntry.query(on: app.db).filter(\.$entityType == "service_item").first())
            let shown = try await admin.get("/audit/\(entry.id!)").body.string
            #expect(shown.contains("<dd>服务项目 ") && !shown.contains("<dd>service_item"))
            #expect(AuditEntityType.name("assessment_result", .zh) == "评估结果")
            #expect(AuditEntityType.name("assessment_result", .en) == "Assessment result")

            // The policy form chooses the benefits not to combine with by name.
            let form = try await bureau.get("/benefits/policies/new").body.string
            #expect(!form.contains("如 care_subsidy") && form.contains(#"name="notWhileReceiving[]" value="care_subsidy""#))
            let ok = try await bureau.post("/benefits/policies", [
                ("benefitType", "service_subsidy"), ("regionCode", "130102000000"), ("effectiveFrom", "2026-01"), ("minAge", "60"),
                ("notWhileReceiving[]", "care_subsidy"), ("amountKind", "flat"), ("flatYuan", "60"), ("paymentForm", "service_balance"),
                ("payer", "长安区财政"), ("summary", "长安区居家养老服务额度"), ("basis", "长安区文件")])
            #expect(ok.status == .seeOther, "\(ok.body.string.prefix(400))")
            let list = try await Browser(app).get("/service-list?region=130102000000").body.string
            #expect(list.contains("不与护理补贴同时享受"), "\(list)")
        }
    }

    @Test("the public service list gives each amount its own unit: the meal subsidy per meal, the others per month",
          arguments: TestDatabase.all)
    func serviceListUnits(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let zh = try await Browser(app).get("/service-list?region=130102000000").body.string
            #expect(zh.contains("60–79 岁每餐 3.00 元；80–89 岁每餐 5.00 元；90 岁及以上每餐 8.00 元，每天最多 1 餐"), "\(zh)")
            #expect(zh.contains("80–89 岁每月 50.00 元"))
            let en = Browser(app)
            en.cookies[WebCookie.language] = "en"
            let page = try await en.get("/service-list?region=130102000000").body.string
            #expect(page.contains("60–79: 3.00 yuan a meal; 80–89: 5.00 yuan a meal; 90+: 8.00 yuan a meal, at most 1 a day"), "\(page)")
            #expect(page.contains("80–89: 50.00 yuan a month"))
        }
    }

    @Test("the site's icon answers at /favicon.ico and from the layout's link", arguments: TestDatabase.all)
    func favicon(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            let login = try await browser.get("/login").body.string
            #expect(login.contains(#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#))
            for path in ["/favicon.ico", "/static/favicon.svg"] {
                let res = try await browser.get(path)
                #expect(res.status == .ok, "\(path)")
                #expect(res.headers.contentType == HTTPMediaType(type: "image", subType: "svg+xml"), "\(path)")
                #expect(res.body.string.hasPrefix("<svg"))
            }
        }
    }
}
