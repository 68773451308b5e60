@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Institutions and the subsidies to them")
struct InstitutionsTests {
    static let township = "130102001000"

    /// A signed-off result of the national instrument, as if recognised from elsewhere.
    static func assess(_ app: Application, _ elder: Elder, level: Int, validUntil: String = "2027-12-31") async throws {
        let r = AssessmentResult()
        r.elderID = elder.id!; r.regionCode = elder.residenceRegion; r.instrument = "gbt42195-2022"; r.instrumentVersion = "2022"
        r.answersJSON = "{}"; r.outcomeJSON = "{}"; r.total = 0; r.preliminaryLevel = level; r.finalLevel = level; r.finalLevelName = "第 \(level) 级"
        r.provisional = false; r.assessedOn = "2026-06-01"; r.validUntil = validUntil; r.assessors = ""; r.agency = "测试评估机构"; r.origin = "imported"
        r.recordedBy = "test"
        try await r.create(on: app.db)
    }

    @Test("an institution's residents and new beds are paid by the monthly run once, explained line by line, and the bank file pays its account",
          arguments: TestDatabase.all)
    func subsidiesPaid(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let township = try await app.token("demo_township")
            let body = #"{"regionCode":"130102001000","name":"建北颐年养老院","creditCode":"52130102MJ0000001G","operatorKind":"private","address":"建北街道 1 号","account":"6222 0000 1111 2222"}"#
            #expect(try await app.api(.POST, "/api/v1/institutions", token: township, json: body).status == .forbidden, "townships do not register institutions")
            let badCode = try await app.api(.POST, "/api/v1/institutions", token: bureau, json: body.replacingOccurrences(of: "52130102MJ0000001G", with: "123"))
            #expect(badCode.apiError?.field == "creditCode")
            let made = try await app.api(.POST, "/api/v1/institutions", token: bureau, json: body)
            #expect(made.status == .created, "\(made.body.string)")
            let home = try made.content.decode(InstitutionsAPI.InstitutionView.self)
            #expect(home.account == "6222********2222" && !made.body.string.contains("6222000011112222"))
            #expect(try await app.api(.POST, "/api/v1/institutions", token: bureau, json: body).status == .conflict, "one credit code, one institution")

            // Four residents: levels 4 and 3, one never assessed, one at level 4 who leaves in December.
            let a = try await app.makeElder("陈桂香", id: makeID("130102", "19380101", 11), region: "130102001001")
            let b = try await app.makeElder("林玉珍", id: makeID("130102", "19390202", 12), region: "130102001002")
            let c = try await app.makeElder("黄秀兰", id: makeID("130102", "19400303", 13), region: "130102001001")
            let d = try await app.makeElder("吴淑英", id: makeID("130102", "19410404", 14), region: "130102001001")
            try await Self.assess(app, a, level: 4)
            try await Self.assess(app, b, level: 3)
            try await Self.assess(app, d, level: 4)
            var stays: [UUID: UUID] = [:]
            for e in [a, b, c, d] {
                let r = try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: bureau, json: #"{"elderId":"\#(e.id!)","admittedOn":"2026-10-01"}"#)
                #expect(r.status == .created, "\(r.body.string)")
                stays[e.id!] = try r.content.decode(InstitutionsAPI.ResidentView.self).id
            }
            let twice = try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: bureau, json: #"{"elderId":"\#(a.id!)","admittedOn":"2026-11-01"}"#)
            #expect(twice.status == .conflict && twice.apiError?.code == "institution.already_resident")
            // Two staff admitting one person at once: exactly one succeeds.
            let e = try await app.makeElder("何素珍", id: makeID("130102", "19420606", 15), region: "130102001001")
            let admit = #"{"elderId":"\#(e.id!)","admittedOn":"2026-11-01"}"#
            async let first = app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: bureau, json: admit)
            async let second = app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: bureau, json: admit)
            let raced = try await [first.status, second.status]
            #expect(raced.filter { $0 == .created }.count == 1 && raced.filter { $0 == .conflict }.count == 1, "\(raced)")
            #expect(try await InstitutionResident.query(on: app.db).filter(\.$elderID == e.id!).count() == 1)
            let early = try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents/\(stays[d.id!]!)/discharge", token: bureau,
                                          json: #"{"dischargedOn":"2026-09-01","reason":"回家"}"#)
            #expect(early.apiError?.field == "dischargedOn")
            let left = try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents/\(stays[d.id!]!)/discharge", token: bureau,
                                         json: #"{"dischargedOn":"2026-12-15","reason":"回家"}"#)
            #expect(left.status == .ok, "\(left.body.string)")
            // The registry follows: in an institution while there, as before once gone, each change in the person's history.
            #expect(try await Elder.find(a.id!, on: app.db)?.livingArrangement == "institution")
            #expect(try await Elder.find(d.id!, on: app.db)?.livingArrangement == d.livingArrangement)
            let history = try await ElderChange.query(on: app.db).filter(\.$elderID == d.id!).filter(\.$source == "institution").sort(\.$at).all()
            #expect(history.map(\.after) == ["institution", d.livingArrangement].map { $0 }, "moved in, then back")

            // New beds accepted in December: 20 nursing count, 10 general do not.
            let badKind = try await app.api(.POST, "/api/v1/institutions/\(home.id)/beds", token: bureau, json: #"{"kind":"luxury","count":5,"acceptedOn":"2026-12-03"}"#)
            #expect(badKind.apiError?.field == "kind")
            for (kind, n) in [("nursing", 20), ("general", 10)] {
                let r = try await app.api(.POST, "/api/v1/institutions/\(home.id)/beds", token: bureau, json: #"{"kind":"\#(kind)","count":\#(n),"acceptedOn":"2026-12-03"}"#)
                #expect(r.status == .created, "\(r.body.string)")
            }

            // What December pays, explained before any run.
            let preview = try await app.api(.GET, "/api/v1/institutions/\(home.id)/subsidies?month=2026-12", token: bureau).content.decode(InstitutionsAPI.SubsidyView.self)
            let operating = try #require(preview.subsidies.first { $0.benefitType == "institution_operating_subsidy" })
            #expect(operating.amountFen == 10_000 + 20_000)
            #expect(operating.lines.map(\.count) == [1, 1])
            #expect(operating.notCounted == ["2 位在院老人月末没有有效的能力评估结果，不计入"])
            let construction = try #require(preview.subsidies.first { $0.benefitType == "bed_construction_subsidy" })
            #expect(construction.amountFen == 20 * 500_000)
            #expect(construction.notCounted == ["本月验收的其他类型床位 10 张不在补贴范围内"])

            // The township's December run pays both, once; a rerun adds nothing.
            let run = try await app.api(.POST, "/api/v1/payment-runs", token: bureau, json: #"{"month":"2026-12","region":"130102001000"}"#)
            #expect(run.status == .ok, "\(run.body.string)")
            let dec = try run.content.decode(BenefitsAPI.RunView.self)
            #expect(dec.byBenefit?.first { $0.benefitType == "institution_operating_subsidy" }?.totalFen == 30_000)
            #expect(dec.byBenefit?.first { $0.benefitType == "bed_construction_subsidy" }?.totalFen == 10_000_000)
            #expect(dec.payments == 2 && dec.totalFen == 10_030_000)
            let rerun = try await app.api(.POST, "/api/v1/payment-runs", token: bureau, json: #"{"month":"2026-12","region":"130102001000"}"#)
                .content.decode(BenefitsAPI.RunView.self)
            #expect(rerun.payments == 2 && rerun.totalFen == 10_030_000)
            #expect(try await InstitutionPayment.query(on: app.db).count() == 2)
            // The county's run the same month pays the institution nothing more.
            let county = try await app.api(.POST, "/api/v1/payment-runs", token: bureau, json: #"{"month":"2026-12","region":"130102000000"}"#)
                .content.decode(BenefitsAPI.RunView.self)
            #expect(county.payments == 0)
            #expect(county.regionMonth?.first { !$0.isThisRun }.map { ($0.payments, $0.totalFen) } ?? (0, 0) == (2, 10_030_000), "the township's roll holds them")
            #expect(try await InstitutionPayment.query(on: app.db).count() == 2)

            // January, once it has begun: the operating subsidy again (the resident who left no longer counts); no new beds.
            app.yiyang.clock.set(CalendarDate(year: 2027, month: 1, day: 1)!)
            let jan = try await app.api(.POST, "/api/v1/payment-runs", token: bureau, json: #"{"month":"2027-01","region":"130102001000"}"#)
                .content.decode(BenefitsAPI.RunView.self)
            #expect(jan.payments == 1 && jan.totalFen == 30_000)
            let report = try await app.api(.GET, "/api/v1/benefit-reports?from=2026-12&to=2027-01&region=130102001000", token: bureau)
                .content.decode(BenefitReports.Report.self)
            #expect(report.rows.filter { $0.benefitType == "institution_operating_subsidy" }.map(\.totalFen) == [30_000, 30_000])
            #expect(report.rows.first { $0.benefitType == "bed_construction_subsidy" }.map { ($0.month, $0.beneficiaries, $0.totalFen) } ?? ("", 0, 0) == ("2026-12", 1, 10_000_000))

            // The approved roll's bank file pays the institution's account.
            // By a second account: the one who computed the roll does not approve it.
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(dec.id)/approve", token: try await app.token("demo_bureau2")).status == .ok)
            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            let bank = try await staff.get("/benefits/runs/\(dec.id)/bank-file")
            #expect(bank.status == .ok)
            #expect(bank.body.string.contains("建北颐年养老院") && bank.body.string.contains("52130102MJ0000001G") && bank.body.string.contains("6222000011112222"))
            #expect(bank.body.string.contains("100000.00") && bank.body.string.contains("300.00"))
            let page = try await staff.get("/benefits/runs/\(dec.id)")
            #expect(page.body.string.contains("养老机构运营补贴") && page.body.string.contains("新增护理型床位建设补贴"))
            #expect(try await app.auditActions(.institutionChanged).count == 9, "the institution, five admissions, a discharge, two bed records")
        }
    }

    @Test("the pages: register an institution, admit a person by ID number, record new beds, see this month's subsidies; a sibling township sees none of it",
          arguments: TestDatabase.all)
    func pages(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19360505", 21)
            let elder = try await app.makeElder("郭凤英", id: id, region: "130102001001")
            try await Self.assess(app, elder, level: 4)
            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            let list = try await staff.get("/institutions")
            #expect(list.status == .ok && list.body.string.contains("登记养老机构"))
            let made = try await staff.post("/institutions", [("name", "建北颐年养老院"), ("creditCode", "52130102MJ0000002K"), ("operatorKind", "public_private"),
                                                              ("regionCode", Self.township), ("address", "建北街道 2 号"), ("account", "6222000011113333")])
            #expect(made.status == .seeOther, "\(made.body.string.prefix(300))")
            let path = try #require(made.headers.first(name: .location)?.components(separatedBy: "?").first)
            let unknown = try await staff.post(path + "/residents", [("idNumber", makeID("130102", "19360505", 99)), ("admittedOn", "2026-11-01")])
            #expect(unknown.status == .unprocessableEntity && unknown.body.string.contains("请先登记"))
            #expect(try await staff.post(path + "/residents", [("idNumber", id), ("admittedOn", "2026-11-01")]).status == .seeOther)
            #expect(try await staff.post(path + "/beds", [("kind", "nursing"), ("count", "12"), ("acceptedOn", CalendarDate.today().description), ("note", "二期")]).status == .seeOther)
            let page = try await staff.get(path)
            let html = page.body.string
            #expect(html.contains("郭凤英") && html.contains("公建民营") && html.contains("6222********3333") && !html.contains("6222000011113333"))
            #expect(html.contains("养老机构运营补贴：200.00") && html.contains("月末在院第 4 级老人"))
            #expect(html.contains("新增护理型床位建设补贴：60,000.00") && html.contains("二期"))
            // The list counts the resident; a sibling township's staff see neither the list entry nor the page.
            #expect(try await staff.get("/institutions").body.string.contains("建北颐年养老院"))
            try await app.makeUser("qingyuan_staff", roles: [.bureau], region: "130102002000")
            let sibling = Browser(app)
            try await sibling.signIn("qingyuan_staff")
            #expect(!(try await sibling.get("/institutions").body.string.contains("建北颐年养老院")))
            #expect(try await sibling.get(path).status == .notFound)
        }
    }
}

extension InstitutionsTests {
    /// Two answers alike: the same status and the same body (whose JSON keys come in any order).
    static func alike(_ a: TestingHTTPResponse, _ b: TestingHTTPResponse) -> Bool {
        func json(_ r: TestingHTTPResponse) -> NSDictionary? { try? JSONSerialization.jsonObject(with: Data(r.body.string.utf8)) as? NSDictionary }
        guard a.status == b.status, let x = json(a), let y = json(b) else { return false }
        return x == y
    }

    @Test("new beds accepted after today are refused on the API and the page, in Chinese and English, and nothing is recorded",
          arguments: TestDatabase.all)
    func futureBeds(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let made = try await app.api(.POST, "/api/v1/institutions", token: bureau,
                                         json: #"{"regionCode":"\#(Self.township)","name":"建北颐年养老院","creditCode":"52130102MJ0000002K"}"#)
            #expect(made.status == .created, "\(made.body.string)")
            let home = try made.content.decode(InstitutionsAPI.InstitutionView.self).id
            let tomorrow = CalendarDate.today().addingDays(1).description
            let beds = #"{"kind":"nursing","count":20,"acceptedOn":"\#(tomorrow)"}"#
            let zh = try await app.api(.POST, "/api/v1/institutions/\(home)/beds", token: bureau, json: beds)
            #expect(zh.status == .unprocessableEntity && zh.apiError?.field == "acceptedOn" && zh.apiError?.message == "验收日期不能晚于今天",
                    "\(zh.body.string)")
            let en = try await app.api(.POST, "/api/v1/institutions/\(home)/beds", token: bureau, json: beds,
                                       headers: ["Accept-Language": "en"])
            #expect(en.apiError?.field == "acceptedOn" && en.apiError?.message == "The acceptance date cannot be after today",
                    "\(en.body.string)")
            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            try await staff.get("/institutions/\(home)")
            let page = try await staff.post("/institutions/\(home)/beds",
                                            [("kind", "nursing"), ("count", "20"), ("acceptedOn", tomorrow), ("note", "二期")])
            #expect(page.status == .unprocessableEntity && page.body.string.contains("验收日期不能晚于今天"), "\(page.body.string.prefix(300))")
            #expect(try await InstitutionBeds.query(on: app.db).count() == 0)
            // Today's acceptance is still taken.
            let today = #"{"kind":"nursing","count":20,"acceptedOn":"\#(CalendarDate.today())"}"#
            #expect(try await app.api(.POST, "/api/v1/institutions/\(home)/beds", token: bureau, json: today).status == .created)
        }
    }

    @Test("a refused institution form comes back filled in with the field's error, not an error page: admit, beds, tie and a new home",
          arguments: TestDatabase.all)
    func refusedFormsKeepInput(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            try await staff.get("/institutions")
            // A wrong check character: the form keeps the name and the code, never the bank account.
            let bad = try await staff.post("/institutions", [("name", "建北颐年养老院"), ("creditCode", "52130102MJ0000002X"),
                                                             ("operatorKind", "public"), ("regionCode", Self.township),
                                                             ("address", "建北街道 2 号"), ("account", "6222000011113333")])
            let badHTML = bad.body.string
            #expect(bad.status == .unprocessableEntity && badHTML.contains(#"id="creditCode-error""#), "\(badHTML.prefix(300))")
            #expect(badHTML.contains(#"value="建北颐年养老院""#) && badHTML.contains(#"value="52130102MJ0000002X""#)
                    && badHTML.contains(#"value="建北街道 2 号""#) && badHTML.contains(#"<option value="public" selected>"#))
            #expect(!badHTML.contains("6222000011113333") && !badHTML.contains("error-box"))
            let made = try await staff.post("/institutions", [("name", "建北颐年养老院"), ("creditCode", "52130102MJ0000002K"),
                                                              ("regionCode", Self.township)])
            let path = try #require(made.headers.first(name: .location)?.components(separatedBy: "?").first)

            let admit = try await staff.post(path + "/residents", [("idNumber", "13010219360505123"), ("admittedOn", "2026-11-01")])
            let admitHTML = admit.body.string
            #expect(admit.status == .unprocessableEntity && admitHTML.contains(#"<p class="field-error" id="idNumber-error">身份证号无效</p>"#),
                    "\(admitHTML.prefix(300))")
            #expect(admitHTML.contains(#"value="13010219360505123""#) && admitHTML.contains(#"value="2026-11-01""#)
                    && admitHTML.contains("建北颐年养老院"))
            let nobody = try await staff.post(path + "/residents",
                                              [("idNumber", makeID("130102", "19360505", 99)), ("admittedOn", "2026-11-01")])
            #expect(nobody.status == .unprocessableEntity && nobody.body.string.contains(#"id="idNumber-error">登记库中没有"#))

            let count = try await staff.post(path + "/beds",
                                             [("kind", "dementia"), ("count", "十二"), ("acceptedOn", "2026-12-01"), ("note", "二期")])
            let countHTML = count.body.string
            #expect(count.status == .unprocessableEntity && countHTML.contains(#"id="count-error">床位数应为 1–5000"#),
                    "\(countHTML.prefix(300))")
            #expect(countHTML.contains(#"value="十二""#) && countHTML.contains(#"value="2026-12-01""#) && countHTML.contains(#"value="二期""#)
                    && countHTML.contains(#"<option value="dementia" selected>"#))

            let tie = try await staff.post(path + "/accounts", [("username", "nobody_here")])
            #expect(tie.status == .unprocessableEntity && tie.body.string.contains(#"id="tie-user-error""#)
                    && tie.body.string.contains(#"value="nobody_here""#),
                    "\(tie.body.string.prefix(300))")
            #expect(try await InstitutionBeds.query(on: app.db).count() == 0)
            #expect(try await InstitutionResident.query(on: app.db).count() == 0)

            // A discharge before the admission: the page comes back with why, above the residents.
            let id = makeID("130102", "19360505", 21)
            _ = try await app.makeElder("郭凤英", id: id, region: "130102001001")
            #expect(try await staff.post(path + "/residents", [("idNumber", id), ("admittedOn", "2026-11-01")]).status == .seeOther)
            let stay = try #require(try await InstitutionResident.query(on: app.db).first())
            try await staff.get(path)
            let early = try await staff.post(path + "/residents/\(stay.id!)/discharge",
                                             [("dischargedOn", "2026-10-01"), ("reason", "回家")])
            let earlyHTML = early.body.string
            #expect(early.status == .unprocessableEntity, "\(earlyHTML.prefix(300))")
            #expect(earlyHTML.contains(#"<p class="error-box" role="alert">退住日期早于入住日期 2026-11-01"#) && earlyHTML.contains("郭凤英"))
        }
    }

    @Test("an institution's credit code with any wrong check character (GB 32100) is refused; the right one is accepted",
          arguments: TestDatabase.all)
    func creditCodeCheck(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let valid = "52130102MJ0000003N"
            #expect(CreditCode.checkCharacter(for: valid.prefix(17)) == valid.last)
            func post(_ code: String) async throws -> TestingHTTPResponse {
                try await app.api(.POST, "/api/v1/institutions", token: bureau,
                                  json: #"{"regionCode":"\#(Self.township)","name":"校验养老院","creditCode":"\#(code)"}"#)
            }
            // Held out: every other character of the alphabet at the check position.
            for wrong in CreditCode.alphabet where wrong != valid.last! {
                let r = try await post(String(valid.dropLast()) + String(wrong))
                #expect(r.status == .unprocessableEntity, "\(wrong): \(r.body.string)")
                #expect(r.apiError?.code == "credit_code.check_character" && r.apiError?.field == "creditCode", "\(wrong)")
            }
            #expect(try await Institution.query(on: app.db).filter(\.$name == "校验养老院").count() == 0)
            let ok = try await post(valid)
            #expect(ok.status == .created, "\(ok.body.string)")
        }
    }

    @Test("a county's staff cannot admit or discharge a person of another county: answered as an id nobody has; nothing changes",
          arguments: TestDatabase.all)
    func foreignPersonLikeUnknown(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("yuhua_bureau", roles: [.bureau], region: "130108000000")
            let yuhua = try await app.token("yuhua_bureau"), city = try await app.token("demo_bureau")
            let made = try await app.api(.POST, "/api/v1/institutions", token: yuhua,
                                         json: #"{"regionCode":"130108001000","name":"裕兴养老院","creditCode":"52130108MJ00000017"}"#)
            #expect(made.status == .created, "\(made.body.string)")
            let home = try made.content.decode(InstitutionsAPI.InstitutionView.self)
            let idNumber = makeID("130102", "19370707", 31)
            let foreign = try await app.makeElder("长安老人", id: idNumber, region: "130102001001")
            #expect(try await app.api(.GET, "/api/v1/elders/\(foreign.id!)", token: yuhua).status == .notFound, "out of its scope")

            func admit(_ id: UUID, _ token: String) async throws -> TestingHTTPResponse {
                try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents", token: token,
                                  json: #"{"elderId":"\#(id)","admittedOn":"2026-12-01"}"#)
            }
            let real = try await admit(foreign.id!, yuhua), madeUp = try await admit(UUID(), yuhua)
            #expect(real.status == .unprocessableEntity && real.apiError?.code == "institution.elder" && real.apiError?.field == "elderId")
            #expect(Self.alike(real, madeUp), "no existence oracle")
            #expect(try await Elder.find(foreign.id!, on: app.db)?.livingArrangement == foreign.livingArrangement)
            #expect(try await ElderChange.query(on: app.db).filter(\.$elderID == foreign.id!).filter(\.$source == "institution")
                .count() == 0)
            #expect(try await InstitutionResident.query(on: app.db).filter(\.$elderID == foreign.id!).count() == 0)

            // The page, by ID number: a person of another county answers like a number nobody has.
            let staff = Browser(app)
            try await staff.signIn("yuhua_bureau")
            #expect(try await staff.get("/institutions/\(home.id)").status == .ok) // the form, and its CSRF token
            let byPage = try await staff.post("/institutions/\(home.id)/residents", [("idNumber", idNumber), ("admittedOn", "2026-12-01")])
            let unknown = try await staff.post("/institutions/\(home.id)/residents",
                                               [("idNumber", makeID("130102", "19370707", 32)), ("admittedOn", "2026-12-01")])
            #expect(byPage.status == .unprocessableEntity && byPage.status == unknown.status, "\(byPage.status) \(byPage.body.string.prefix(400))")
            #expect(byPage.body.string.contains("请先登记") && unknown.body.string.contains("请先登记"))
            #expect(try await InstitutionResident.query(on: app.db).filter(\.$elderID == foreign.id!).count() == 0)

            // The city, above both, admits; the county of the home then cannot discharge a person it cannot see.
            let stay = try await admit(foreign.id!, city)
            #expect(stay.status == .created, "\(stay.body.string)")
            let stayID = try stay.content.decode(InstitutionsAPI.ResidentView.self).id
            let leave = #"{"dischargedOn":"2026-12-20","reason":"回家"}"#
            let stays = "/api/v1/institutions/\(home.id)/residents"
            let refused = try await app.api(.POST, "\(stays)/\(stayID)/discharge", token: yuhua, json: leave)
            let noStay = try await app.api(.POST, "\(stays)/\(UUID())/discharge", token: yuhua, json: leave)
            #expect(refused.status == .notFound && Self.alike(refused, noStay))
            #expect(try await InstitutionResident.find(stayID, on: app.db)?.dischargedOn == nil)
            #expect(try await Elder.find(foreign.id!, on: app.db)?.livingArrangement == "institution")
            let done = try await app.api(.POST, "/api/v1/institutions/\(home.id)/residents/\(stayID)/discharge", token: city, json: leave)
            #expect(done.status == .ok, "\(done.body.string)")
            #expect(try await Elder.find(foreign.id!, on: app.db)?.livingArrangement == foreign.livingArrangement)
        }
    }

    @Test("an institution's account sees and changes only the homes tied to it: another home of its township answers like an unknown id",
          arguments: TestDatabase.all)
    func accountSeesOnlyItsHomes(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // Let institution accounts handle residents and beds, so a refusal can only come from the tie.
            try await RolePermission(role: .institution, permission: .institutionsManage).create(on: app.db)
            try await app.makeUser("home_a", roles: [.institution], region: Self.township)
            try await app.makeUser("qingyuan_home", roles: [.institution], region: "130102002000")
            let bureau = try await app.token("demo_bureau"), own = try await app.token("home_a")
            var homes: [UUID] = []
            for (name, code) in [("甲养老院", "52130102MJ0000004R"), ("乙养老院", "52130102MJ0000005W")] {
                let body = #"{"regionCode":"\#(Self.township)","name":"\#(name)","creditCode":"\#(code)","account":"6222000011114444"}"#
                let made = try await app.api(.POST, "/api/v1/institutions", token: bureau, json: body)
                #expect(made.status == .created, "\(made.body.string)")
                homes.append(try made.content.decode(InstitutionsAPI.InstitutionView.self).id)
            }
            let (mine, other) = (homes[0], homes[1])
            let resident = try await app.makeElder("钱玉兰", id: makeID("130102", "19390909", 41), region: "130102001001")
            #expect(try await app.api(.POST, "/api/v1/institutions/\(other)/residents", token: bureau,
                                      json: #"{"elderId":"\#(resident.id!)","admittedOn":"2026-11-01"}"#).status == .created)
            // Untied, the account sees no home at all.
            typealias Page = Paged<InstitutionsAPI.InstitutionView>
            #expect(try await app.api(.GET, "/api/v1/institutions", token: own).content.decode(Page.self).total == 0)
            #expect(try await app.api(.GET, "/api/v1/institutions/\(mine)", token: own).status == .notFound)

            // The bureau ties the account to one home; a wrong role, an account that cannot see the home, a second tie are refused.
            let tie = #"{"username":"home_a"}"#
            #expect(try await app.api(.POST, "/api/v1/institutions/\(mine)/accounts", token: own, json: tie).status == .notFound)
            #expect(try await app.api(.POST, "/api/v1/institutions/\(mine)/accounts", token: bureau, json: #"{"username":"demo_township"}"#)
                .apiError?.code == "institution_account.role")
            #expect(try await app.api(.POST, "/api/v1/institutions/\(mine)/accounts", token: bureau, json: #"{"username":"qingyuan_home"}"#)
                .apiError?.code == "institution_account.region")
            let tied = try await app.api(.POST, "/api/v1/institutions/\(mine)/accounts", token: bureau, json: tie)
            #expect(tied.status == .created, "\(tied.body.string)")
            #expect(try await app.api(.POST, "/api/v1/institutions/\(mine)/accounts", token: bureau, json: tie).status == .conflict)
            let shown = try await app.api(.GET, "/api/v1/institutions/\(mine)", token: bureau)
                .content.decode(InstitutionsAPI.InstitutionView.self)
            #expect(shown.accounts?.map(\.username) == ["home_a"])

            // Its own home: listed, read, changed.
            let list = try await app.api(.GET, "/api/v1/institutions", token: own).content.decode(Page.self)
            #expect(list.total == 1 && list.items.map(\.id) == [mine])
            #expect(try await app.api(.GET, "/api/v1/institutions/\(mine)", token: own).status == .ok)
            #expect(try await app.api(.GET, "/api/v1/institutions/\(mine)/subsidies", token: own).status == .ok)
            let beds = #"{"kind":"nursing","count":3,"acceptedOn":"2026-12-01"}"#
            #expect(try await app.api(.POST, "/api/v1/institutions/\(mine)/beds", token: own, json: beds).status == .created)

            // The other home of its township: every read and write answers as an id nobody has, and nothing changes.
            let madeUp = UUID()
            for (method, tail, body) in [(HTTPMethod.GET, "", nil), (.GET, "/subsidies", nil), (.POST, "/beds", beds),
                                         (.POST, "/residents", #"{"elderId":"\#(resident.id!)","admittedOn":"2026-12-01"}"#),
                                         (.POST, "/accounts", tie)] as [(HTTPMethod, String, String?)] {
                let res = try await app.api(method, "/api/v1/institutions/\(other)\(tail)", token: own, json: body)
                let none = try await app.api(method, "/api/v1/institutions/\(madeUp)\(tail)", token: own, json: body)
                #expect(res.status == .notFound && Self.alike(res, none), "\(method) \(tail): \(res.body.string) / \(none.body.string)")
                #expect(!res.body.string.contains("乙养老院"))
            }
            let stay = try #require(try await InstitutionResident.query(on: app.db).filter(\.$institutionID == other).first())
            let leave = try await app.api(.POST, "/api/v1/institutions/\(other)/residents/\(stay.id!)/discharge", token: own,
                                          json: #"{"dischargedOn":"2026-12-20","reason":"回家"}"#)
            #expect(leave.status == .notFound)
            #expect(try await InstitutionBeds.query(on: app.db).filter(\.$institutionID == other).count() == 0)
            #expect(try await InstitutionResident.find(stay.id!, on: app.db)?.dischargedOn == nil)
            // A home's account does not register homes.
            let create = try await app.api(.POST, "/api/v1/institutions", token: own,
                                           json: #"{"regionCode":"\#(Self.township)","name":"丙养老院","creditCode":"52130102MJ0000003N"}"#)
            #expect(create.status == .forbidden && create.apiError?.code == "institution.own_only")

            // The pages obey the same tie.
            let browser = Browser(app)
            try await browser.signIn("home_a")
            let page = try await browser.get("/institutions")
            #expect(page.status == .ok && page.body.string.contains("甲养老院") && !page.body.string.contains("乙养老院"))
            #expect(try await browser.get("/institutions/\(mine)").status == .ok)
            #expect(try await browser.get("/institutions/\(other)").status == .notFound)

            // Staff untie on the institution's page: the home is gone from the account's sight.
            let staff = Browser(app)
            try await staff.signIn("demo_bureau")
            let staffPage = try await staff.get("/institutions/\(mine)")
            #expect(staffPage.body.string.contains("home_a") && staffPage.body.string.contains("/accounts"))
            let homeA = try await app.user("home_a")
            #expect(try await staff.post("/institutions/\(mine)/accounts/\(homeA.id!)/remove", []).status == .seeOther)
            #expect(try await app.api(.GET, "/api/v1/institutions/\(mine)", token: own).status == .notFound)
            #expect(try await staff.post("/institutions/\(mine)/accounts", [("username", "home_a")]).status == .seeOther)
            #expect(try await app.api(.GET, "/api/v1/institutions/\(mine)", token: own).status == .ok)
            #expect(try await app.api(.DELETE, "/api/v1/institutions/\(mine)/accounts/\(homeA.id!)", token: bureau).status == .noContent)
            #expect(try await app.api(.DELETE, "/api/v1/institutions/\(mine)/accounts/\(homeA.id!)", token: bureau).status == .notFound)
            #expect(try await app.auditActions(.institutionChanged).filter { $0.entityType == "institution_account" }.count == 4)
        }
    }

    @Test("the demo ties demo_institution to its home in its own township: it sees that home and no other", arguments: TestDatabase.all)
    func demoInstitutionAccount(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            _ = try await DemoInstitutions.add(app: app)
            let bureau = try await app.token("demo_bureau")
            let other = try await app.api(.POST, "/api/v1/institutions", token: bureau,
                                          json: #"{"regionCode":"\#(Self.township)","name":"另一家养老院","creditCode":"52130102MJ0000004R"}"#)
            #expect(other.status == .created)
            let token = try await app.token("demo_institution")
            let list = try await app.api(.GET, "/api/v1/institutions", token: token)
                .content.decode(Paged<InstitutionsAPI.InstitutionView>.self)
            #expect(list.items.map(\.name) == ["演示·建北颐年养老院"])
            let home = try #require(list.items.first)
            #expect(try await app.api(.GET, "/api/v1/institutions/\(home.id)", token: token).status == .ok)
            let otherID = try other.content.decode(InstitutionsAPI.InstitutionView.self).id
            #expect(try await app.api(.GET, "/api/v1/institutions/\(otherID)", token: token).status == .notFound)
        }
    }
}
