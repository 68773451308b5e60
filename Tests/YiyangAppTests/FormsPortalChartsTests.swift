@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// Issue 12's fixes from trying the pages: regions typed by name, the assessor's confirmation
/// step, the portal's offers, charts with axes and amounts with separators.
@Suite("Region picker by name")
struct RegionPickerTests {
    /// Two communities of one name in two streets of 长安区, as real tables have.
    static func twins(_ app: Application) async throws {
        try await Region(code: RegionCode("130102002009")!, name: "新华社区居委会").create(on: app.db)
        try await Region(code: RegionCode("130102003009")!, name: "新华社区居委会").create(on: app.db)
    }

    @Test("the registry's filter takes a name, a code or name（code）; the list names regions; the API keeps codes",
          arguments: TestDatabase.all)
    func registryFilter(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            _ = try await app.makeElder("郑青园", id: makeID("130102", "19400101", 11), region: "130102002001")
            _ = try await app.makeElder("郑建北", id: makeID("130102", "19400101", 12), region: "130102001001")
            let staff = Browser(app)
            try await staff.signIn("demo_county")
            let form = try await staff.get("/elders")
            #expect(form.body.string.contains(#"list="region-options""#), "the field suggests regions")
            #expect(form.body.string.contains("<option value=\"青园街道（130102002000）\">"), "suggestions are name（code）")
            for typed in ["青园街道", "青园街道（130102002000）", "130102002000", "青园街"] {
                let page = try await staff.get("/elders?q=%E9%83%91&region=" + Browser.encode(typed))
                let html = page.body.string
                #expect(page.status == .ok, "\(typed)")
                #expect(html.contains("郑青园") && !html.contains("郑建北"), "\(typed) finds the street's people only")
                #expect(html.contains(#"value="\#(typed)""#), "what was typed stays in the field")
                #expect(html.contains("region=130102002000"), "the export link carries the resolved code")
            }
            let list = try await staff.get("/elders?q=%E9%83%91")
            #expect(list.body.string.contains("<td>青园社区居委会</td>"), "the residence column names the region")
            let token = try await app.token("demo_county")
            #expect(try await app.api(.GET, "/api/v1/elders?region=\(Browser.encode("青园街道"))", token: token).status == .badRequest,
                    "the API takes codes only, as before")
            #expect(try await app.api(.GET, "/api/v1/elders?region=130102002000", token: token).status == .ok)
        }
    }

    @Test("a name of several regions re-shows the search with the candidates; an unknown name says so beside the field",
          arguments: TestDatabase.all)
    func ambiguousAndUnknown(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await Self.twins(app)
            let staff = Browser(app)
            try await staff.signIn("demo_county")
            let twice = try await staff.get("/elders?q=%E9%83%91&region=" + Browser.encode("新华社区居委会"))
            let html = twice.body.string
            #expect(twice.status == .ok, "the search page, not an error page")
            #expect(html.contains(#"<select id="region" name="region" required aria-invalid="true" aria-describedby="region-error">"#))
            #expect(html.contains(#"<option value="130102002009">新华社区居委会（青园街道 · 130102002009）</option>"#))
            #expect(html.contains(#"<option value="130102003009">新华社区居委会（广安街道 · 130102003009）</option>"#))
            #expect(html.contains("有 2 个区划名为“新华社区居委会”"))
            #expect(html.contains(#"id="q" name="q" value="郑""#), "the rest of the search is kept")
            // Choosing one of them runs the search.
            #expect(try await staff.get("/elders?q=%E9%83%91&region=130102003009").status == .ok)

            let unknown = try await staff.get("/elders?region=" + Browser.encode("火星村"))
            #expect(unknown.status == .ok)
            #expect(unknown.body.string.contains(#"<p class="field-error" id="region-error">所属区划：您的管辖范围内没有名为“火星村”的区划"#))
            #expect(unknown.body.string.contains(#"value="火星村""#), "what was typed is kept")
            // Outside the account's area a name is as unknown as one that does not exist.
            let township = Browser(app)
            try await township.signIn("demo_township")
            let outside = try await township.get("/elders?region=" + Browser.encode("裕华区"))
            #expect(outside.body.string.contains("没有名为“裕华区”的区划"))
            let outsideCode = try await township.get("/elders?region=130108000000")
            #expect(outsideCode.status == .ok && outsideCode.body.string.contains("region-error"))
        }
    }

    @Test("forms take names too: a person's household, a provider, a policy; the due list and the audit log filter by name",
          arguments: TestDatabase.all)
    func formsAndFilters(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await Self.twins(app)
            let staff = Browser(app)
            try await staff.signIn("demo_county")
            try await staff.get("/elders/new")
            let id = makeID("130102", "19390505", 21)
            let made = try await staff.post("/elders", [("name", "冯广安"), ("idNumber", id), ("householdRegion", "休门社区居委会"),
                                                        ("residenceRegion", ""), ("economicStatus", "ordinary")])
            #expect(made.status == .seeOther, "\(made.body.string.prefix(400))")
            let elder = try #require(try await Elder.query(on: app.db).filter(\.$name == "冯广安").first())
            #expect(elder.householdRegion == "130102003002")
            try await staff.get("/elders/new")
            let twice = try await staff.post("/elders", [("name", "冯新华"), ("idNumber", makeID("130102", "19390505", 22)),
                                                         ("householdRegion", "新华社区居委会"), ("economicStatus", "ordinary")])
            #expect(twice.status == .unprocessableEntity)
            #expect(twice.body.string.contains(#"<select id="householdRegion" name="householdRegion""#))
            #expect(twice.body.string.contains("130102002009") && twice.body.string.contains(#"value="冯新华""#), "the form is kept")
            let nowhere = try await staff.post("/elders", [("name", "冯某"), ("idNumber", makeID("130102", "19390505", 23)),
                                                          ("householdRegion", "不存在村"), ("economicStatus", "ordinary")])
            #expect(nowhere.status == .unprocessableEntity)
            #expect(nowhere.body.string.contains(#"id="householdRegion-error">户籍地：您的管辖范围内没有名为“不存在村”的区划"#))

            // A provider's region by name; a wrong one re-shows the form with what was typed.
            try await staff.get("/services/providers")
            let wrong = try await staff.post("/services/providers", [("name", "安康护理"), ("creditCode", "91130102MA0000000X"),
                                                                     ("regionCode", "不存在街道"), ("contact", "王经理")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.string.contains(#"value="安康护理""#) && wrong.body.string.contains(#"value="不存在街道""#))
            #expect(wrong.body.string.contains(#"id="regionCode-error""#))

            // The policy form: several matches give the choice, the other fields stay.
            try await staff.get("/benefits/policies/new")
            let policy = try await staff.post("/benefits/policies", [("benefitType", "age_allowance"), ("regionCode", "新华社区居委会"),
                                                                     ("effectiveFrom", "2027-01"), ("amountKind", "flat"),
                                                                     ("flatYuan", "60")])
            #expect(policy.status == .unprocessableEntity)
            #expect(policy.body.string.contains(#"<select id="regionCode" name="regionCode""#))

            let due = try await staff.get("/assessment/due?region=" + Browser.encode("建北街道"))
            #expect(due.status == .ok)
            #expect(due.body.string.contains(#"name="region" value="130102001000""#), "the request form carries the resolved code")
            let dueUnknown = try await staff.get("/assessment/due?region=" + Browser.encode("火星"))
            #expect(dueUnknown.status == .ok && dueUnknown.body.string.contains(#"id="region-error""#))
            #expect(!dueUnknown.body.string.contains("/assessment/due/requests"), "nothing to request for a region that did not resolve")

            let admin = Browser(app)
            try await admin.signIn("demo_admin")
            let audit = try await admin.get("/audit?region=" + Browser.encode("长安区"))
            #expect(audit.status == .ok)
            #expect(audit.body.string.contains("region=130102000000"), "the export link carries the code")
            #expect(!audit.body.string.contains("region 应为区划代码"))
        }
    }
}

@Suite("The assessor's confirmation step")
struct AssessmentConfirmationTests {
    @Test("submit leads to a confirmation page with the level; back keeps the answers; only the confirmation records the result",
          arguments: TestDatabase.all)
    func confirmation(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("韩秀兰", id: makeID("130102", "19370707", 51), region: "130102001001")
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            try await staff.get("/assessment/new?elder=\(elder.id!)")
            let requested = try await staff.post("/assessment", [("elderId", elder.id!.uuidString), ("instrument", "gbt42195-2022"),
                                                               ("reason", "first"), ("requestedVia", "family"), ("requesterName", "韩强")])
            let casePath = try #require(requested.headers.first(name: .location)?.components(separatedBy: "?").first)
            try await staff.get(casePath)
            _ = try await staff.post(casePath + "/assign", [("agency", "评估中心"), ("assessors[]", "demo_assessor"),
                                                            ("assessors[]", "demo_assessor2")])

            let assessor = Browser(app)
            try await assessor.signIn("demo_assessor")
            let form = try await assessor.get(casePath + "/form")
            #expect(form.body.string.contains(#"value="submit" class="button primary">检查并提交</button>"#))
            var fields: [(String, String)] = AssessmentInstruments.gbt42195_2022.items.map { ($0.code, String($0.maxScore)) }
            fields[0] = ("B.1.1", "2")
            fields += [("diagnoses", ""), ("riskEvents30d", "0"), ("action", "submit")]
            let submitted = try await assessor.post(casePath + "/form", fields)
            #expect(submitted.status == .seeOther)
            #expect(submitted.headers.first(name: .location) == casePath + "/confirm")
            #expect(try await AssessmentResult.query(on: app.db).count() == 0, "nothing is recorded before the confirmation")

            let confirm = try await assessor.get(casePath + "/confirm")
            let html = confirm.body.string
            #expect(confirm.status == .ok)
            #expect(html.contains("提交后结果即锁定，不能再修改"))
            #expect(html.contains("88 / 90"), "the total it scores")
            #expect(html.contains("最终等级：<strong>能力轻度受损"), "the level it scores")
            #expect(html.contains("<td>B.1.1 进食</td><td>2</td>"), "every answer as it will be submitted")
            #expect(html.contains(#"action="\#(casePath)/submit""#) && html.contains(#"href="\#(casePath)/form">返回修改</a>"#))
            #expect(html.contains(#"<form method="post" action="\#(casePath)/submit" class="confirm-actions">"#),
                    "a plain form: no script needed")

            // Back to edit: the answers are the saved draft.
            let back = try await assessor.get(casePath + "/form")
            #expect(back.body.string.contains(#"id="i-B-1-1-2" name="B.1.1" value="2" checked"#))
            #expect(back.body.string.contains("已答 26 / 26"))

            // A confirmation of answers that changed since is shown again, not recorded.
            let draftToken = try #require(html.range(of: #"name="draft" value="([0-9a-f]+)""#, options: .regularExpression)
                .map { String(html[$0].split(separator: "\"")[3]) })
            var changed = fields
            changed[0] = ("B.1.1", "4")
            changed[changed.count - 1] = ("action", "save")
            _ = try await assessor.post(casePath + "/form", changed)
            try await assessor.get(casePath + "/confirm")
            let stale = try await assessor.post(casePath + "/submit", [("draft", draftToken)])
            #expect(stale.status == .conflict)
            #expect(stale.body.string.contains("答案在您打开本页后有了改动"))
            #expect(stale.body.string.contains("90 / 90"), "the page shows the answers as they are now")
            #expect(try await AssessmentResult.query(on: app.db).count() == 0)

            let fresh = stale.body.string
            let token = try #require(fresh.range(of: #"name="draft" value="([0-9a-f]+)""#, options: .regularExpression)
                .map { String(fresh[$0].split(separator: "\"")[3]) })
            let done = try await assessor.post(casePath + "/submit", [("draft", token)])
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location)?.contains("as_submitted") == true)
            let result = try #require(try await AssessmentResult.query(on: app.db).first())
            #expect(result.total == 90)
            #expect(try await assessor.get(casePath + "/confirm").status == .seeOther, "a submitted case has nothing to confirm")
            #expect(try await assessor.post(casePath + "/submit", [("draft", token)]).status == .conflict, "and is never submitted twice")
        }
    }
}

@Suite("Portal offers and the elderly person's own link")
struct PortalOffersTests {
    @Test("apply is offered only for a benefit the person qualifies for; the others say why", arguments: TestDatabase.all)
    func offers(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19380808", 61)
            let mother = try await app.makeElder("罗桂英", id: id, region: "130102001001")
            let family = Browser(app)
            try await family.signIn("demo_family")
            try await family.get("/portal")
            _ = try await family.post("/portal/links", [("name", "罗桂英"), ("idNumber", id), ("relation", "女儿")])
            let link = try #require(try await FamilyLink.query(on: app.db).first())
            link.status = FamilyLink.Status.confirmed.rawValue
            try await link.save(on: app.db)

            let page = try await family.get("/portal/elders/\(mother.id!)")
            let html = page.body.string
            #expect(html.contains(#"name="benefitType" value="age_allowance""#), "88 years old: the age allowance can be applied for")
            #expect(!html.contains(#"name="benefitType" value="care_subsidy""#), "no valid assessment: not offered")
            #expect(html.contains("暂不能网上申请"))
            #expect(html.contains("按登记的信息暂不符合上面的条件"))
            // A stale page's button is refused the same way.
            let refused = try await family.post("/portal/elders/\(mother.id!)/applications", [("benefitType", "care_subsidy")])
            #expect(refused.headers.first(name: .location)?.contains("my_apply_refused") == true)
            #expect(try await BenefitCase.query(on: app.db).filter(\.$source == "application").count() == 0)
            try await family.get("/portal/elders/\(mother.id!)")
            let applied = try await family.post("/portal/elders/\(mother.id!)/applications", [("benefitType", "age_allowance")])
            #expect(applied.headers.first(name: .location)?.contains("my_applied") == true)
        }
    }

    @Test("an elderly person links to their own record directly, checked as a family link is, and applies as themself",
          arguments: TestDatabase.all)
    func selfLink(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19360606", 71)
            let me = try await app.makeElder("周玉兰", id: id, region: "130102001001")
            let elder = Browser(app)
            try await elder.signIn("demo_elder")
            let home = try await elder.get("/portal")
            #expect(home.body.string.contains("这是我本人") && home.body.string.contains(#"action="/portal/links/self""#))
            #expect(home.body.string.contains("为家人办理（关联家人）"), "the family form comes second, named for what it is")
            // A wrong name links nothing and says nothing about whether the number is registered.
            let wrong = try await elder.post("/portal/links/self", [("name", "别人"), ("idNumber", id)])
            #expect(wrong.headers.first(name: .location)?.contains("my_self_requested") == true)
            #expect(try await FamilyLink.query(on: app.db).count() == 0)
            try await elder.get("/portal")
            _ = try await elder.post("/portal/links/self", [("name", "周玉兰"), ("idNumber", id)])
            let link = try #require(try await FamilyLink.query(on: app.db).first())
            #expect(link.relation == "本人" && link.status == FamilyLink.Status.pending.rawValue, "staff still confirm it")
            #expect(try await elder.get("/portal/elders/\(me.id!)").status == .notFound)
            #expect(!(try await elder.get("/portal")).body.string.contains(#"action="/portal/links/self""#), "asked once")

            let staff = Browser(app)
            try await staff.signIn("demo_township")
            try await staff.get("/family-links")
            #expect(try await staff.post("/family-links/\(link.id!)/confirm", []).status == .seeOther)
            try await elder.get("/portal/elders/\(me.id!)")
            _ = try await elder.post("/portal/elders/\(me.id!)/applications", [("benefitType", "age_allowance")])
            let c = try #require(try await BenefitCase.query(on: app.db).filter(\.$elderID == me.id!).first())
            #expect(c.applicantKind == "person")

            // A family account is not offered the "this is me" form, nor can it post it.
            let family = Browser(app)
            try await family.signIn("demo_family")
            #expect(!(try await family.get("/portal")).body.string.contains(#"action="/portal/links/self""#))
            _ = try await family.post("/portal/links/self", [("name", "周玉兰"), ("idNumber", id)])
            #expect(try await FamilyLink.query(on: app.db).count() == 1)
        }
    }
}

@Suite("Charts and amounts")
struct ChartsAndAmountsTests {
    @Test("amounts on pages have thousands separators; files keep plain numbers")
    func amounts() {
        #expect(Fen.display(123_456_789) == "1,234,567.89")
        #expect(Fen.display(100_000) == "1,000.00")
        #expect(Fen.display(99_999) == "999.99")
        #expect(Fen.display(-250_000) == "-2,500.00")
        #expect(Fen.display(5) == "0.05")
        #expect(Fen.yuan(123_456_789) == "1234567.89", "bank files and spreadsheets stay plain")
        #expect(Fen.grouped(1_000_000) == "1,000,000")
    }

    @Test("the axis has a few round ticks covering the peak")
    func ticks() {
        #expect(BarChart.step(for: 1_234) == 500)
        #expect(BarChart.step(for: 100) == 25)
        #expect(BarChart.step(for: 9_000) == 2_500)
        let months: [(month: Month, fen: Int)] = [(Month("2026-11")!, 123_400), (Month("2026-12")!, 98_000_000),
                                                  (Month("2027-01")!, 0)]
        let chart = BarChart.months(months, elder: false, locale: .zh)
        #expect(chart.ticks.map(\.label) == ["0", "250,000", "500,000", "750,000", "1,000,000"])
        #expect(chart.ticks.first?.position == chart.plotBottom && chart.ticks.last?.position == chart.plotTop)
        #expect(chart.bars.map(\.label) == ["11月", "12月", "1月"])
        #expect(chart.bars.map(\.year) == ["2026", nil, "2027"])
        #expect(chart.bars[1].value == "980,000.00")
        let elder = BarChart.months(months, elder: true, locale: .zh)
        #expect(elder.width > chart.width && elder.plotBottom > chart.plotBottom, "more room for larger words in elder mode")
        #expect(elder.ticks.map(\.label) == chart.ticks.map(\.label))
    }

    @Test("the report's chart has tick values and labels that grow in elder mode; its amounts are separated", arguments: TestDatabase.all)
    func reportPage(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let month = Month.current()
            for (n, fen) in [123_456_00, 7_890_00].enumerated() {
                let p = Payment()
                p.runID = UUID(); p.entitlementID = UUID(); p.elderID = UUID(); p.regionCode = "130102001001"
                p.benefitType = "age_allowance"; p.month = month.adding(-n).description; p.amountFen = fen; p.paymentForm = "cash"
                try await p.create(on: app.db)
            }
            let bureau = Browser(app)
            try await bureau.signIn("demo_bureau")
            let page = try await bureau.get("/benefits/reports")
            let html = page.body.string
            #expect(page.status == .ok)
            #expect(html.contains(#"class="value" text-anchor="end" dominant-baseline="middle">0</text>"#), "the axis starts at 0")
            #expect(html.contains(">150,000</text>"), "round ticks with separators")
            #expect(html.contains("<strong>131,346.00</strong>"), "the total with separators")
            #expect(html.contains("<td>123,456.00</td>"), "table amounts with separators")
            #expect(html.contains("<td>长安区（130102000000）</td>"), "the region named")
            let svgStart = #"<svg class="chart" viewBox="0 0 (\d+)"#
            let normalWidth = try #require(html.range(of: svgStart, options: .regularExpression).map { html[$0] })
            try await bureau.get("/preferences?elder=1&next=/benefits/reports")
            let elder = try await bureau.get("/benefits/reports")
            #expect(elder.body.string.contains(#"<body class="elder">"#))
            let elderWidth = try #require(elder.body.string.range(of: svgStart, options: .regularExpression)
                .map { elder.body.string[$0] })
            #expect(elderWidth != normalWidth, "elder mode lays the chart out for its larger words")
            let css = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Sources/YiyangApp/Resources/Public/app.css"), encoding: .utf8)
            #expect(css.contains("body.elder svg.chart text { font-size: 20px; }"))
        }
    }
}
