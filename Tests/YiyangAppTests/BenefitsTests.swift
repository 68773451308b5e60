@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Benefits")
struct BenefitsTests {
    static let village = "130102001001"
    static let city = "130100000000"

    /// The example policies, published through the API by the city bureau.
    static func publishExamples(_ app: Application, from month: Month) async throws {
        let bureau = try await app.token("demo_bureau")
        let encoder = JSONEncoder()
        for p in ExamplePolicies.jiangxiStyle(region: city, from: month) {
            let res = try await app.api(.POST, "/api/v1/benefit-policies", token: bureau, json: String(decoding: try encoder.encode(p), as: UTF8.self))
            #expect(res.status == .created, "\(res.body.string)")
        }
    }

    @Test("turning 80: found by the scan that month, paid from it; a death mid-month ends it and a later payment is an overpayment", arguments: TestDatabase.all)
    func turningEighty(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await Self.publishExamples(app, from: Month("2026-01")!)
            let id = makeID("130102", "19461010", 61)
            let elder = try await app.makeElder("钱秀英", id: id, region: Self.village)
            let township = try await app.token("demo_township")

            // September: 79, not yet. October: 80, found.
            let sept = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"2026-09"}"#)
            #expect(try sept.content.decode(BenefitsAPI.ScanAnswer.self).opened == 0)
            let explainSept = try await app.api(.GET, "/api/v1/elders/\(elder.id!)/benefits?month=2026-09", token: township)
            let ageSept = try #require(try explainSept.content.decode(BenefitsAPI.Explanation.self).decisions.first { $0.benefitType == "age_allowance" })
            #expect(!ageSept.entitled)
            #expect(ageSept.plain.contains("需年满 80 周岁"), "plain Chinese for the applicant: \(ageSept.plain)")

            let oct = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"2026-10"}"#)
            #expect(try oct.content.decode(BenefitsAPI.ScanAnswer.self).opened == 1)
            let again = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"2026-10"}"#)
            #expect(try again.content.decode(BenefitsAPI.ScanAnswer.self).opened == 0, "a second scan opens nothing twice")
            let cases = try await app.api(.GET, "/api/v1/benefit-cases?status=pending", token: township).content.decode(Paged<BenefitsAPI.CaseView>.self)
            let c = try #require(cases.items.first { $0.elderId == elder.id })
            #expect(c.benefitType == "age_allowance" && c.amountFen == 5_000 && c.month == "2026-10")
            #expect(c.plain.contains("每月 50.00 元"))
            #expect(c.checks.contains { $0.code == "min_age" && $0.held && $0.staff.contains("80") })

            let badAccount = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: township, json: #"{"account":"12ab"}"#)
            #expect(badAccount.apiError?.field == "account")
            let granted = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: township, json: #"{"account":"6222 0212 3456 7890"}"#)
            #expect(granted.status == .ok, "\(granted.body.string)")
            let ent = try granted.content.decode(BenefitsAPI.EntitlementView.self)
            #expect(ent.startMonth == "2026-10" && ent.amountFen == 5_000)
            #expect(ent.account == "6222********7890")
            #expect(!granted.body.string.contains("6222021234567890"))

            // October and November are paid; a rerun adds nothing.
            for m in ["2026-10", "2026-11"] {
                let run = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(m)"}"#)
                #expect(run.status == .ok, "\(run.body.string)")
                let v = try run.content.decode(BenefitsAPI.RunView.self)
                #expect(v.payments == 1 && v.totalFen == 5_000)
                let rerun = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(m)"}"#)
                let r = try rerun.content.decode(BenefitsAPI.RunView.self)
                #expect(r.id == v.id && r.payments == 1 && r.totalFen == 5_000)
            }
            #expect(try await Payment.query(on: app.db).count() == 2)

            // The death record arrives late: died 20 October. Paid through October; November is an overpayment.
            let died = try await app.api(.POST, "/api/v1/elders/\(elder.id!)/events", token: township, json: #"{"kind":"death","date":"2026-10-20","source":"公安"}"#)
            #expect(died.status == .ok, "\(died.body.string)")
            let ended = try #require(try await Entitlement.find(ent.id, on: app.db))
            #expect(ended.status == "ended" && ended.endMonth == "2026-10" && ended.statusReason == "death")
            let over = try await app.api(.GET, "/api/v1/overpayments", token: township).content.decode(Paged<BenefitsAPI.OverpaymentView>.self)
            #expect(over.items.count == 1)
            #expect(over.items.first?.months == ["2026-11"] && over.items.first?.amountFen == 5_000 && over.items.first?.status == "open")
            let dec = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-12"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(dec.payments == 0, "nothing for the dead")

            // The report counts what was paid and what is owed back; then the money comes back.
            let report = try await app.api(.GET, "/api/v1/benefit-reports?from=2026-09&to=2026-12", token: township).content.decode(BenefitReports.Report.self)
            #expect(report.rows.map(\.month) == ["2026-10", "2026-11"])
            #expect(report.rows.allSatisfy { $0.totalFen == 5_000 && $0.beneficiaries == 1 && $0.region == "130102001001" })
            #expect(report.overpaymentsOutstanding.cases == 1 && report.overpaymentsOutstanding.totalFen == 5_000)
            let overID = try #require(over.items.first?.id)
            let bare = try await app.api(.POST, "/api/v1/overpayments/\(overID)/resolve", token: township, json: #"{"status":"waived"}"#)
            #expect(bare.apiError?.field == "note")
            let back = try await app.api(.POST, "/api/v1/overpayments/\(overID)/resolve", token: township, json: #"{"status":"recovered"}"#)
            #expect(try back.content.decode(BenefitsAPI.OverpaymentView.self).status == "recovered")
            let after = try await app.api(.GET, "/api/v1/benefit-reports?from=2026-09&to=2026-12", token: township).content.decode(BenefitReports.Report.self)
            #expect(after.overpaymentsOutstanding.cases == 0)

            // Approval locks the month.
            let runs = try await app.api(.GET, "/api/v1/payment-runs", token: township).content.decode(Paged<BenefitsAPI.RunView>.self)
            let octRun = try #require(runs.items.first { $0.month == "2026-10" })
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(octRun.id)/approve", token: try await app.token("demo_bureau")).status == .ok)
            let locked = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-10"}"#)
            #expect(locked.status == .conflict && locked.apiError?.code == "payment_run.approved")
            let payment = try #require(try await Payment.query(on: app.db).first())
            payment.amountFen = 1
            await #expect(throws: (any Error).self) { try await payment.save(on: app.db) }
        }
    }

    /// Entitlements made directly: `count` people, amounts 100, 200, … fen.
    static func seedEntitlements(_ app: Application, count: Int) async throws -> [Entitlement] {
        var out: [Entitlement] = []
        for i in 0..<count {
            let e = Entitlement()
            e.elderID = UUID(); e.regionCode = i % 2 == 0 ? village : "130102001002"; e.benefitType = "age_allowance"
            e.policyID = UUID(); e.policyVersion = 1; e.amountFen = 100 * (i + 1); e.paymentForm = "cash"; e.startMonth = "2026-01"
            e.status = "active"; e.accountMasked = ""; e.createdBy = "test"
            try await e.create(on: app.db)
            out.append(e)
        }
        return out
    }

    struct Crash: Error {}

    /// Follows a run through the API until it is no longer running (two minutes at most).
    static func finishedRun(_ app: Application, token: String, _ id: UUID) async throws -> BenefitsAPI.RunView {
        for _ in 0..<1200 {
            let v = try await app.api(.GET, "/api/v1/payment-runs/\(id)", token: token).content.decode(BenefitsAPI.RunView.self)
            if v.status != "running" || v.progress?.stalled == true { return v }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("run \(id) still running after two minutes")
        return try await app.api(.GET, "/api/v1/payment-runs/\(id)", token: token).content.decode(BenefitsAPI.RunView.self)
    }

    @Test("a run stopped half way shows so on its page and is continued from there; background runs report progress; overlapping runs show the region's whole month",
          arguments: TestDatabase.all)
    func runProgressAndOverlap(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let ents = try await Self.seedEntitlements(app, count: 29) // in 建北街道 (130102001000)
            let other = Entitlement()
            other.elderID = UUID(); other.regionCode = "130102002001"; other.benefitType = "care_subsidy"; other.policyID = UUID(); other.policyVersion = 1
            other.amountFen = 7_000; other.paymentForm = "cash"; other.startMonth = "2026-01"; other.status = "active"; other.accountMasked = ""; other.createdBy = "test"
            try await other.create(on: app.db)
            let township = try await app.token("demo_township")
            let all = ents.reduce(0) { $0 + $1.amountFen }

            // Killed after four batches of three: the row says how far it got.
            await #expect(throws: Crash.self) {
                _ = try await PaymentRuns.run(month: Month("2026-03")!, region: RegionCode("130102001000")!, actor: "t", db: app.db,
                                              today: Month("2026-03")!.lastDay, batchSize: 3,
                                              afterBatch: { if $0 == 4 { throw Crash() } })
            }
            let stopped = try #require(try await PaymentRun.query(on: app.db).filter(\.$month == "2026-03").first())
            #expect(stopped.status == "running" && stopped.progressDone == 12 && stopped.progressTotal == 29)
            let fresh = try await app.api(.GET, "/api/v1/payment-runs/\(stopped.id!)", token: township).content.decode(BenefitsAPI.RunView.self)
            #expect(fresh.progress?.done == 12 && fresh.progress?.total == 29 && fresh.progress?.stalled == false, "just written: still counted as running")
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            let running = try await staff.get("/benefits/runs/\(stopped.id!)")
            #expect(running.body.string.contains("正在计算：已写入 12") && running.body.string.contains("http-equiv=\"refresh\""))
            // Two minutes without a batch: stopped, and the page offers to continue.
            stopped.progressAt = Date().addingTimeInterval(-PaymentRun.stalledAfter - 60)
            try await stopped.save(on: app.db)
            let stalled = try await staff.get("/benefits/runs/\(stopped.id!)")
            #expect(stalled.body.string.contains("计算中途停止了") && stalled.body.string.contains("继续计算"))
            #expect(!stalled.body.string.contains("http-equiv=\"refresh\""))
            let resumed = try await staff.post("/benefits/runs", [("month", "2026-03"), ("region", "130102001000")])
            #expect(resumed.status == .seeOther && resumed.headers.first(name: .location) == "/benefits/runs/\(stopped.id!)")
            let completed = try await Self.finishedRun(app, token: township, stopped.id!)
            #expect(completed.status == "computed" && completed.payments == 29 && completed.totalFen == all)
            #expect(try await Payment.query(on: app.db).filter(\.$month == "2026-03").count() == 29, "nothing paid twice")
            // The outcome is audited once the run has finished (just after its status says so).
            var audited = 0
            for _ in 0..<100 where audited == 0 {
                audited = try await app.auditActions(.paymentRunComputed).count
                if audited == 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(audited == 1, "the background run's outcome is audited")

            // Through the API in the background: 202 at once, then followed to the end.
            let started = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-04","background":true}"#)
            #expect(started.status == .accepted, "\(started.body.string)")
            let april = try await Self.finishedRun(app, token: township, try started.content.decode(BenefitsAPI.RunView.self).id)
            #expect(april.status == "computed" && april.payments == 29)

            // The county runs April after its township: it pays only the other township's
            // entitlement, and both its page and the API show the county's whole month.
            try await app.makeUser("county_staff", roles: [.township], region: "130102000000")
            let county = try await app.token("county_staff")
            let countyRun = try await app.api(.POST, "/api/v1/payment-runs", token: county, json: #"{"month":"2026-04"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(countyRun.payments == 1 && countyRun.totalFen == 7_000)
            let shares = try #require(countyRun.regionMonth)
            #expect(shares.count == 2)
            #expect(shares.first { $0.isThisRun }?.payments == 1)
            let townshipShare = try #require(shares.first { !$0.isThisRun })
            #expect(townshipShare.runId == april.id && townshipShare.payments == 29 && townshipShare.totalFen == all)
            #expect(shares.reduce(0) { $0 + $1.totalFen } == all + 7_000)
            let countyBrowser = Browser(app)
            try await countyBrowser.signIn("county_staff")
            let countyPage = try await countyBrowser.get("/benefits/runs/\(countyRun.id)")
            #expect(countyPage.body.string.contains("本月本地区的全部发放") && countyPage.body.string.contains("（本表）"))
            #expect(countyPage.body.string.contains(Fen.yuan(all + 7_000)), "the whole month's sum")
            #expect(countyPage.body.string.contains("/benefits/runs/\(april.id)"), "the township's roll is linked")
            // The township's own roll shows only its region: the county's payment elsewhere is not in it.
            let townshipRun = try await app.api(.GET, "/api/v1/payment-runs/\(april.id)", token: township).content.decode(BenefitsAPI.RunView.self)
            #expect(townshipRun.regionMonth?.count == 1 && townshipRun.regionMonth?.first?.isThisRun == true)
        }
    }

    @Test("a run killed at random points and run again pays everyone exactly once", arguments: TestDatabase.all)
    func killedRuns(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let ents = try await Self.seedEntitlements(app, count: 29)
            let expected = Set(ents.map { "\($0.id!)|\($0.amountFen)" })
            var rng = SystemRandomNumberGenerator()
            for i in 1...12 {
                let month = Month("2026-01")!.adding(i)
                let killAt = Int.random(in: 1...9, using: &rng)
                await #expect(throws: Crash.self) {
                    _ = try await PaymentRuns.run(month: month, region: RegionCode("130102000000")!, actor: "t", db: app.db, today: month.lastDay, batchSize: 3,
                                                  afterBatch: { if $0 == killAt { throw Crash() } })
                }
                let partial = try await Payment.query(on: app.db).filter(\.$month == month.description).count()
                #expect(partial == min(killAt * 3, 29), "batches before the crash are kept")
                let run = try await PaymentRuns.run(month: month, region: RegionCode("130102000000")!, actor: "t", db: app.db, today: month.lastDay, batchSize: 3)
                let paid = try await Payment.query(on: app.db).filter(\.$month == month.description).all()
                #expect(Set(paid.map { "\($0.entitlementID)|\($0.amountFen)" }) == expected, "month \(month), killed after batch \(killAt)")
                #expect(paid.count == 29)
                #expect(run.payments == 29 && run.totalFen == ents.reduce(0) { $0 + $1.amountFen })
            }
            // Two runs racing for the same month pay once.
            let month = Month("2027-06")!
            async let a = PaymentRuns.run(month: month, region: RegionCode("130102000000")!, actor: "a", db: app.db, today: month.firstDay, batchSize: 4)
            async let b = PaymentRuns.run(month: month, region: RegionCode("130102001000")!, actor: "b", db: app.db, today: month.firstDay, batchSize: 4)
            _ = try await (a, b)
            #expect(try await Payment.query(on: app.db).filter(\.$month == month.description).count() == 29)
        }
    }

    @Test("the public service list, and the staff pages from scan to bank file, in plain Chinese", arguments: TestDatabase.all)
    func pages(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // The demo publishes the example policies for the city; no account needed to read them.
            let visitor = Browser(app)
            let list = try await visitor.get("/service-list?region=130102000000")
            #expect(list.status == .ok)
            let html = list.body.string
            #expect(html.contains("基本养老服务清单"))
            #expect(html.contains("高龄津贴") && html.contains("年满 80 周岁") && html.contains("80–89 岁每月 50.00 元"))
            #expect(html.contains("护理补贴") && html.contains("低保"), "codes appear by their Chinese names")
            #expect(!html.contains("minimum_living") && !html.contains("age_allowance"), "no raw codes for residents")
            #expect(html.contains("养老机构运营补贴") && html.contains("第 4 级 200.00 元/人/月"))
            #expect(html.contains("新增护理型床位建设补贴") && html.contains("在本地新增护理型床位并通过验收的养老机构") && html.contains("每张 5,000.00 元（一次性）"))

            let id = makeID("130102", "19400505", 71)
            let elder = try await app.makeElder("郑桂兰", id: id, region: Self.village)
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            try await staff.get("/benefits")
            let scanned = try await staff.post("/benefits/scan", [("month", Month.current().description)])
            #expect(scanned.status == .seeOther)
            let home = try await staff.get("/benefits")
            let link = try #require(home.body.string.range(of: #"/benefits/cases/[0-9A-F-]{36}"#, options: .regularExpression).map { String(home.body.string[$0]) })
            let casePage = try await staff.get(link)
            #expect(casePage.body.string.contains("符合高龄津贴的条件，每月 50.00 元"))
            #expect(casePage.body.string.contains("月末年龄"))
            let granted = try await staff.post(link + "/approve", [("account", "6222021234567890")])
            #expect(granted.status == .seeOther, "\(granted.body.string.prefix(300))")
            let person = try await staff.get("/elders/\(elder.id!)")
            #expect(person.body.string.contains("补贴待遇") && person.body.string.contains("享受中"))

            let started = try await staff.post("/benefits/runs", [("month", Month.current().description)])
            #expect(started.status == .seeOther)
            let runPath = try #require(started.headers.first(name: .location))
            let runID = try #require(UUID(uuidString: String(runPath.split(separator: "/").last ?? "")))
            #expect(try await Self.finishedRun(app, token: try await app.token("demo_township"), runID).status == "computed")
            #expect(try await staff.get(runPath + "/bank-file").status == .conflict, "not before approval")
            #expect(try await staff.get(runPath).body.string.contains("待审批"))
            // The township computed the roll; the city bureau approves it.
            let approver = Browser(app)
            try await approver.signIn("demo_bureau")
            try await approver.get(runPath)
            #expect(try await approver.post(runPath + "/approve", []).status == .seeOther)
            let bank = try await staff.get(runPath + "/bank-file")
            #expect(bank.status == .ok)
            #expect(bank.body.string.contains(id) && bank.body.string.contains("6222021234567890") && bank.body.string.contains("50.00"))
            let custom = try await staff.get(runPath + "/bank-file?columns=account,amountFen")
            #expect(custom.body.string.hasPrefix("\u{FEFF}银行账号,金额（分）"))
            #expect(try await app.auditActions(.paymentRunExported).count == 2)
            let reports = try await staff.get("/benefits/reports")
            #expect(reports.status == .ok)
            #expect(reports.body.string.contains("<svg class=\"chart\"") && reports.body.string.contains("<rect"))
            // A community worker without the unmask permission gets no bank file.
            let community = Browser(app)
            try await community.signIn("demo_community")
            #expect(try await community.get(runPath + "/bank-file").status == .forbidden)
        }
    }

    @Test("an application by a family member: township review, county approval, public notice with an objection, decision; every step visible", arguments: TestDatabase.all)
    func application(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("冯淑珍", id: makeID("130102", "19420202", 81), region: Self.village)
            let township = try await app.token("demo_township")
            try await app.makeUser("county_staff", roles: [.township], region: "130102000000")
            let county = try await app.token("county_staff")

            let noProxy = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                            json: #"{"elderId":"\#(elder.id!)","benefitType":"age_allowance","applicantKind":"family","applicantName":"冯强"}"#)
            #expect(noProxy.apiError?.field == "applicantRelation")
            let forHomes = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                             json: #"{"elderId":"\#(elder.id!)","benefitType":"institution_operating_subsidy","applicantKind":"staff"}"#)
            #expect(forHomes.apiError?.code == "benefit.for_institutions" && forHomes.apiError?.field == "benefitType", "\(forHomes.body.string)")
            let made = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                         json: #"{"elderId":"\#(elder.id!)","benefitType":"age_allowance","applicantKind":"family","applicantName":"冯强","applicantRelation":"儿子","note":"线上申请"}"#)
            #expect(made.status == .created, "\(made.body.string)")
            let c = try made.content.decode(BenefitsAPI.CaseView.self)
            #expect(c.stage == "review" && c.currentStep == "乡镇（街道）审核")
            let twice = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                          json: #"{"elderId":"\#(elder.id!)","benefitType":"age_allowance","applicantKind":"person"}"#)
            #expect(twice.status == .conflict && twice.apiError?.message.contains("/benefits/cases/\(c.id)") == true)

            // A document, kept privately and read back with an audit entry.
            let doc = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/attachments?name=bank-card.png", token: township,
                                        headers: ["Content-Type": "image/png"], body: "PNGDATA")
            #expect(doc.status == .ok, "\(doc.body.string)")
            let withDoc = try doc.content.decode(BenefitsAPI.CaseView.self)
            let aid = try #require(withDoc.attachments.first?.id)
            let read = try await app.api(.GET, "/api/v1/benefit-cases/\(c.id)/attachments/\(aid)", token: township)
            #expect(read.body.string == "PNGDATA")
            #expect(try await app.auditActions(.benefitAttachmentRead).count == 1)

            // Township review passes; the county step is not the township's.
            let reviewed = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: township, json: #"{"decision":"pass","note":"材料齐全"}"#)
            #expect(try reviewed.content.decode(BenefitsAPI.CaseView.self).currentStep == "县（区）民政部门审批")
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: township, json: #"{"decision":"pass"}"#).status == .forbidden)
            let approvedStep = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: county, json: #"{"decision":"pass"}"#)
            let notice = try approvedStep.content.decode(BenefitsAPI.CaseView.self)
            #expect(notice.stage == "notice" && notice.noticeUntil == CalendarDate.today().addingDays(7).description)

            // During the notice: no decision yet; an objection is recorded.
            let early = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: county, json: "{}")
            #expect(early.apiError?.code == "benefit.notice_running")
            _ = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/objections", token: township, json: #"{"from":"邻居","text":"已随子女迁居外省"}"#)
            // Seven days later.
            let stored = try #require(try await BenefitCase.find(c.id, on: app.db))
            stored.noticeUntil = CalendarDate.today().addingDays(-1).description
            try await stored.save(on: app.db)
            // The decision is by an account that took no earlier step.
            let reviewer = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: county, json: #"{"note":"经核实"}"#)
            #expect(reviewer.status == .forbidden && reviewer.apiError?.code == "benefit.same_person")
            let bureau = try await app.token("demo_bureau")
            let unanswered = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: bureau, json: "{}")
            #expect(unanswered.apiError?.field == "note")
            let granted = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: bureau, json: #"{"note":"经核实仍居住本地，异议不成立"}"#)
            #expect(granted.status == .ok, "\(granted.body.string)")

            // The applicant's view: every step, in order.
            let final = try await app.api(.GET, "/api/v1/benefit-cases/\(c.id)", token: township).content.decode(BenefitsAPI.CaseView.self)
            #expect(final.steps.map(\.step) == ["received", "township_review", "county_approval", "notice", "decision"])
            #expect(final.steps.map(\.name) == ["受理", "乡镇（街道）审核", "县（区）民政部门审批", "公示", "决定"])
            #expect(final.objections.count == 1 && final.status == "approved")
        }
    }

    @Test("the monthly review suspends what no longer holds and lifts it when it holds again; unverified too long is suspended, not ended", arguments: TestDatabase.all)
    func review(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("褚玉英", id: makeID("130102", "19400303", 91), region: Self.village)
            let township = try await app.token("demo_township")
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: "{}")
            let cases = try await app.api(.GET, "/api/v1/benefit-cases?status=pending", token: township).content.decode(Paged<BenefitsAPI.CaseView>.self)
            let c = try #require(cases.items.first { $0.elderId == elder.id && $0.benefitType == "age_allowance" })
            let ent = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: township, json: "{}").content.decode(BenefitsAPI.EntitlementView.self)
            // The entitlement started long ago and nobody has seen her since: seven months.
            let stored = try #require(try await Entitlement.find(ent.id, on: app.db))
            stored.startMonth = Month.current().adding(-7).description
            try await stored.save(on: app.db)
            let tasks = try await app.api(.GET, "/api/v1/liveness-tasks", token: township).content.decode([EntitlementReview.Task].self)
            #expect(tasks.first { $0.elderId == elder.id }?.due == "suspend")
            let first = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, json: "{}").content.decode(EntitlementReview.Outcome.self)
            #expect(first.suspended >= 1)
            var now = try #require(try await Entitlement.find(ent.id, on: app.db))
            #expect(now.status == "suspended" && now.statusReason == "liveness")
            let run = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(Month.current())"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(run.payments == 0, "a suspended entitlement is not paid")

            // A community worker sees her; the next review lifts the suspension.
            let community = try await app.token("demo_community")
            let seen = try await app.api(.POST, "/api/v1/elders/\(elder.id!)/liveness", token: community, json: #"{"method":"worker_confirmation"}"#)
            #expect(seen.status == .created)
            let second = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, json: "{}").content.decode(EntitlementReview.Outcome.self)
            #expect(second.reactivated >= 1)
            now = try #require(try await Entitlement.find(ent.id, on: app.db))
            #expect(now.status == "active" && now.statusReason == nil)
            let tasksAfter = try await app.api(.GET, "/api/v1/liveness-tasks", token: township).content.decode([EntitlementReview.Task].self)
            #expect(!tasksAfter.contains { $0.elderId == elder.id })

            // Moving into a care home suspends the service subsidy's kind of benefit only where the policy says so;
            // the age allowance has no such condition and stays.
            elder.livingArrangement = "institution"
            try await elder.save(on: app.db)
            _ = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, json: "{}")
            now = try #require(try await Entitlement.find(ent.id, on: app.db))
            #expect(now.status == "active")
        }
    }

    @Test("applying on the person's page, the township step on the case page, and the liveness list", arguments: TestDatabase.all)
    func applicationPages(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("卫秀芳", id: makeID("130102", "19410404", 95), region: Self.village)
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            let person = try await staff.get("/elders/\(elder.id!)")
            #expect(person.body.string.contains("代为申请补贴"))
            let applied = try await staff.post("/benefits/applications", [("elderId", elder.id!.uuidString), ("benefitType", "age_allowance"),
                                                                         ("applicantKind", "family"), ("applicantName", "卫东"), ("applicantRelation", "儿子")])
            #expect(applied.status == .seeOther)
            let casePath = try #require(applied.headers.first(name: .location)?.components(separatedBy: "?").first)
            let page = try await staff.get(casePath)
            #expect(page.body.string.contains("家属代为申请：卫东，儿子"))
            #expect(page.body.string.contains("乡镇（街道）审核"))
            #expect(page.body.string.contains("办理进度"))
            let step = try await staff.post(casePath + "/review", [("decision", "pass"), ("note", "材料齐全")])
            #expect(step.status == .seeOther)
            let after = try await staff.get(casePath)
            #expect(after.body.string.contains("县（区）民政部门审批"))
            #expect(after.body.string.contains("材料齐全"))
            let twice = try await staff.post("/benefits/applications", [("elderId", elder.id!.uuidString), ("benefitType", "age_allowance"), ("applicantKind", "person")])
            #expect(twice.headers.first(name: .location)?.contains("bn_apply_failed") == true)
            #expect(try await staff.get("/benefits/liveness").status == .ok)
        }
    }

    @Test("a correction of an approved month is paid with the next roll, once", arguments: TestDatabase.all)
    func corrections(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let ents = try await Self.seedEntitlements(app, count: 3)
            let township = try await app.token("demo_township")
            let oct = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-10"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(oct.payments == 3 && oct.totalFen == 600)
            _ = try await app.api(.POST, "/api/v1/payment-runs/\(oct.id)/approve", token: try await app.token("demo_bureau"))
            let noReason = try await app.api(.POST, "/api/v1/payment-adjustments", token: township,
                                             json: #"{"entitlementId":"\#(ents[0].id!)","forMonth":"2026-10","amountFen":2000,"reason":" "}"#)
            #expect(noReason.apiError?.field == "reason")
            let plus = try await app.api(.POST, "/api/v1/payment-adjustments", token: township,
                                         json: #"{"entitlementId":"\#(ents[0].id!)","forMonth":"2026-10","amountFen":2000,"reason":"十月少发"}"#)
            #expect(plus.status == .created)
            _ = try await app.api(.POST, "/api/v1/payment-adjustments", token: township,
                                  json: #"{"entitlementId":"\#(ents[1].id!)","forMonth":"2026-10","amountFen":-200,"reason":"十月多发"}"#)
            let nov = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-11"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(nov.totalFen == 600 + 2000 - 200)
            #expect(nov.byBenefit?.contains { $0.name == "高龄津贴（更正）" && $0.payments == 2 && $0.totalFen == 1800 } == true)
            let again = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-11"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(again.totalFen == nov.totalFen, "a rerun takes no correction twice")
            let list = try await app.api(.GET, "/api/v1/payment-adjustments", token: township).content.decode(Paged<BenefitsAPI.AdjustmentView>.self)
            #expect(list.items.allSatisfy { $0.status == "paid" && $0.paidMonth == "2026-11" })
        }
    }

    @Test("a bureau publishes a county's own version through the form; it overrides the city's there and shows on the service list", arguments: TestDatabase.all)
    func policyForm(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = Browser(app)
            try await bureau.signIn("demo_bureau")
            let form = try await bureau.get("/benefits/policies/new")
            #expect(form.status == .ok, "\(form.body.string.prefix(300))")
            let bad = try await bureau.post("/benefits/policies", [("benefitType", "age_allowance"), ("regionCode", "130102000000"), ("effectiveFrom", "2026-01"),
                                                                   ("minAge", "80"), ("amountKind", "age"), ("ageBands", "80-89"), ("paymentForm", "cash"),
                                                                   ("payer", "区财政"), ("summary", "x"), ("basis", "y")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains("80-89:50"), "the error shows how to write it")
            let ok = try await bureau.post("/benefits/policies", [("benefitType", "age_allowance"), ("regionCode", "130102000000"), ("effectiveFrom", "2026-01"),
                                                                  ("minAge", "80"), ("amountKind", "age"), ("ageBands", "80-89:80, 90-:200"), ("paymentForm", "cash"),
                                                                  ("payer", "长安区财政"), ("summary", "长安区 80 周岁以上老人高龄津贴"), ("basis", "长安区文件")])
            #expect(ok.status == .seeOther, "\(ok.body.string.prefix(400))")
            let list = try await Browser(app).get("/service-list?region=130102000000")
            #expect(list.body.string.contains("80–89 岁每月 80.00 元") && list.body.string.contains("长安区财政"))
            let other = try await Browser(app).get("/service-list?region=130104000000")
            #expect(other.body.string.contains("80–89 岁每月 50.00 元"), "another county keeps the city's")
            // A subsidy to institutions through the same form: person conditions refused, then published.
            let withAge = try await bureau.post("/benefits/policies", [("benefitType", "bed_construction_subsidy"), ("regionCode", "130102000000"), ("effectiveFrom", "2026-01"),
                                                                       ("minAge", "60"), ("amountKind", "institution_beds"), ("bedKind", "nursing"), ("perBedYuan", "8000"),
                                                                       ("paymentForm", "cash"), ("payer", "长安区财政"), ("summary", "新增护理型床位建设补贴"), ("basis", "长安区文件")])
            #expect(withAge.status == .unprocessableEntity && withAge.body.string.contains("发给机构的补贴不设个人条件"))
            let beds = try await bureau.post("/benefits/policies", [("benefitType", "bed_construction_subsidy"), ("regionCode", "130102000000"), ("effectiveFrom", "2026-01"),
                                                                    ("amountKind", "institution_beds"), ("bedKind", "nursing"), ("perBedYuan", "8000"),
                                                                    ("paymentForm", "cash"), ("payer", "长安区财政"), ("summary", "新增护理型床位建设补贴"), ("basis", "长安区文件")])
            #expect(beds.status == .seeOther, "\(beds.body.string.prefix(400))")
            let withBeds = try await Browser(app).get("/service-list?region=130102000000")
            #expect(withBeds.body.string.contains("每张 8,000.00 元（一次性）") && withBeds.body.string.contains("在本地新增护理型床位并通过验收的养老机构"))
        }
    }

    @Test("a one-off benefit is paid once and never proposed again", arguments: TestDatabase.all)
    func oneOff(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let policy = BenefitPolicy(benefitType: "home_modification_subsidy", regionCode: Self.city, effectiveFrom: Month("2026-01")!,
                                       eligibility: EligibilityRule(minAge: 60, economicStatusesAny: ["minimum_living"]), amount: AmountRule(flatFen: 300_000),
                                       payer: "市财政", summary: "低保老人家庭适老化改造一次性补贴", basis: "示例", oneOff: true)
            let made = try await app.api(.POST, "/api/v1/benefit-policies", token: bureau, json: String(decoding: try JSONEncoder().encode(policy), as: UTF8.self))
            #expect(made.status == .created, "\(made.body.string)")
            let elder = try await app.makeElder("韩玉兰", id: makeID("130102", "19500101", 97), region: Self.village)
            elder.economicStatus = "minimum_living"
            try await elder.save(on: app.db)
            let township = try await app.token("demo_township")
            let m = Month.current()
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"\#(m)"}"#)
            let cases = try await app.api(.GET, "/api/v1/benefit-cases?status=pending", token: township).content.decode(Paged<BenefitsAPI.CaseView>.self)
            let c = try #require(cases.items.first { $0.elderId == elder.id && $0.benefitType == "home_modification_subsidy" })
            #expect(c.plain.contains("一次性 3,000.00 元"))
            let ent = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: township, json: "{}").content.decode(BenefitsAPI.EntitlementView.self)
            #expect(ent.startMonth == m.description && ent.endMonth == m.description)
            let first = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(m)"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(first.byBenefit?.first { $0.benefitType == "home_modification_subsidy" }?.totalFen == 300_000)
            app.yiyang.clock.set(m.next.firstDay) // next month's roll, once the month has begun
            let next = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(m.next)"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(next.byBenefit?.contains { $0.benefitType == "home_modification_subsidy" } != true)
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"\#(m.next)"}"#)
            let again = try await app.api(.GET, "/api/v1/benefit-cases?status=pending", token: township).content.decode(Paged<BenefitsAPI.CaseView>.self)
            #expect(!again.items.contains { $0.elderId == elder.id && $0.benefitType == "home_modification_subsidy" })
            let list = try await Browser(app).get("/service-list?region=130102000000")
            #expect(list.body.string.contains("一次性 3,000.00 元"))
        }
    }
}
