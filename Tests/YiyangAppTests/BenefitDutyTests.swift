@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// Money and duty (issue 11, points 12–19): amounts of the month paid, no roll ahead of its
/// month, four eyes on every step, applications that can be finished, bulk approval, and a CLI
/// that says which region it works on and prints errors as the API words them.
@Suite("Benefits: money and duty")
struct BenefitDutyTests {
    static let village = "130102001001"

    /// A clock pinned to a day, shared by the application under test.
    static func clock(_ y: Int, _ m: Int, _ d: Int) -> AppClock {
        let c = AppClock()
        c.set(CalendarDate(year: y, month: m, day: d)!)
        return c
    }

    /// Runs a command's own code with a console that keeps what it prints.
    static func command(_ app: Application, _ command: any AnyAsyncCommand, _ args: [String]) async throws -> String {
        let console = RecordingConsole()
        var context = CommandContext(console: console, input: CommandInput(arguments: ["yiyang"] + args))
        context.application = app
        try await command.run(using: &context)
        return console.text
    }

    /// The pending scan case of a person for a benefit.
    static func scanCase(_ app: Application, token: String, elder: Elder, benefit: String = "age_allowance") async throws -> BenefitsAPI.CaseView {
        let cases = try await app.api(.GET, "/api/v1/benefit-cases?status=pending&per=200", token: token).content.decode(Paged<BenefitsAPI.CaseView>.self)
        return try #require(cases.items.first { $0.elderId == elder.id && $0.benefitType == benefit })
    }

    static func payments(_ app: Application, token: String, run: UUID) async throws -> [BenefitsAPI.PaymentView] {
        try await app.api(.GET, "/api/v1/payment-runs/\(run)/payments?per=200", token: token).content.decode(Paged<BenefitsAPI.PaymentView>.self).items
    }

    @Test("17: a policy is published without id and version; the server numbers it", arguments: TestDatabase.all)
    func policyWithoutPlaceholders(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let bureau = try await app.token("demo_bureau")
            let body = """
                {"benefitType":"age_allowance","regionCode":"130102000000","effectiveFrom":"2027-01",
                 "eligibility":{"minAge":80,"categoriesAny":[],"economicStatusesAny":[],"notWhileReceiving":[],"notInInstitution":false},
                 "amount":{"flatFen":6000},"paymentForm":"cash","payer":"长安区财政","summary":"长安区高龄津贴","basis":"长安区文件"}
                """
            let first = try await app.api(.POST, "/api/v1/benefit-policies", token: bureau, json: body)
            #expect(first.status == .created, "\(first.body.string)")
            let v1 = try first.content.decode(BenefitsAPI.PolicyView.self)
            #expect(v1.policy.version == 1 && v1.policy.regionCode == "130102000000")
            let second = try await app.api(.POST, "/api/v1/benefit-policies", token: bureau, json: body)
            let v2 = try second.content.decode(BenefitsAPI.PolicyView.self)
            #expect(v2.policy.version == 2 && v2.policy.id != v1.policy.id, "the next version, a new id")
            let stored = try await BenefitPolicyRow.query(on: app.db).filter(\.$regionCode == "130102000000").count()
            #expect(stored == 2)
        }
    }

    @Test("13: no roll for a month that has not begun, unless the dated setting opens it some days early", arguments: TestDatabase.all)
    func noRollAhead(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            let township = try await app.token("demo_township")
            for month in ["2027-02", "2027-01"] {
                let res = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(month)"}"#)
                #expect(res.status == .unprocessableEntity && res.apiError?.code == "payment_run.month_not_started" && res.apiError?.field == "month",
                        "\(month): \(res.body.string)")
                let background = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"\#(month)","background":true}"#)
                #expect(background.apiError?.code == "payment_run.month_not_started")
            }
            #expect(try await PaymentRun.query(on: app.db).count() == 0, "nothing computed")
            #expect(try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-12"}"#).status == .ok)

            // The bureau lets a roll be computed five days before its month, from 1 December.
            let admin = try await app.token("demo_admin")
            let settings = BenefitsAPI.DatedSettings(effectiveFrom: "2026-12-01", settings: BenefitSettings(runOpensDaysBefore: 5))
            let saved = try await app.api(.POST, "/api/v1/benefit-settings", token: admin,
                                          json: String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))
            #expect(saved.status == .created, "\(saved.body.string)")
            let tooMany = BenefitsAPI.DatedSettings(effectiveFrom: "2026-12-01", settings: BenefitSettings(runOpensDaysBefore: 40))
            let refused = try await app.api(.POST, "/api/v1/benefit-settings", token: admin,
                                            json: String(decoding: try JSONEncoder().encode(tooMany), as: UTF8.self))
            #expect(refused.body.string.contains("settings.runOpensDaysBefore"))
            clock.set(CalendarDate(year: 2026, month: 12, day: 26)!)
            #expect(try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2027-01"}"#).apiError?.code
                    == "payment_run.month_not_started")
            clock.set(CalendarDate(year: 2026, month: 12, day: 27)!)
            #expect(try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2027-01"}"#).status == .ok)
            #expect(try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2027-02"}"#).apiError?.code
                    == "payment_run.month_not_started")

            // The command line keeps the same rule.
            await #expect(throws: AppError.self) {
                _ = try await Self.command(app, PaymentRunCommand(), ["--month", "2027-02", "--region", "130102001000"])
            }
        }
    }

    @Test("19: a failed command prints the API's message with its code, in the operator's language", arguments: TestDatabase.all)
    func commandErrors(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            let out = try await Self.command(app, PaymentRunCommand(), ["--month", "2026-11", "--region", "130102001000"])
            #expect(out.contains("2026-11 130102001000"), "\(out)")
            let run = try #require(try await PaymentRun.query(on: app.db).filter(\.$month == "2026-11").first())
            let bureau = try await app.token("demo_bureau")
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(run.id!)/approve", token: bureau).status == .ok, "computed by the CLI")
            var failure: (any Error)? = nil
            do {
                _ = try await Self.command(app, PaymentRunCommand(), ["--month", "2026-11", "--region", "130102001000"])
            } catch { failure = error }
            let error = try #require(failure, "rerunning an approved month fails")
            let zh = CommandFailure.message(for: error, locale: .zh)
            #expect(zh == "yiyang: [payment_run.approved] month: 2026-11 的发放表已审批锁定；更正请在以后月份调整", "\(zh)")
            let en = CommandFailure.message(for: error, locale: .en)
            #expect(en == "yiyang: [payment_run.approved] month: The roll of 2026-11 is approved and locked; correct it in a later month", "\(en)")
            #expect(!zh.contains("AppError("), "no Swift values")
            // The same words the API answers with.
            let api = try await app.api(.POST, "/api/v1/payment-runs", token: bureau, json: #"{"month":"2026-11","region":"130102001000"}"#)
            #expect(api.apiError.map { zh.hasSuffix($0.message) && $0.code == "payment_run.approved" } == true)
            // A bad option is named the same way.
            do {
                _ = try await Self.command(app, BenefitScanCommand(), ["--month", "2026-13"])
                Issue.record("a bad month is refused")
            } catch {
                #expect(CommandFailure.message(for: error, locale: .zh).hasPrefix("yiyang: [month.invalid] month: 月份应为 YYYY-MM"))
            }
            // `user create` no longer rewords what the account rules say: a weak password lists each rule broken, with its code.
            do {
                _ = try await AccountService.create(.init(username: "cli_weak", displayName: "x", phone: nil, regionCode: Self.village,
                                                          roles: ["community"], password: "123"), grantor: nil, on: app.db, app: app)
                Issue.record("a weak password is refused")
            } catch {
                let lines = CommandFailure.message(for: error, locale: .zh).split(separator: "\n")
                #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("yiyang: [") && $0.contains("] password: ") }, "\(lines)")
            }
            #expect(CommandFailure.locale(["LANG": "en_US.UTF-8"]) == .en)
            #expect(CommandFailure.locale(["LANG": "en_US.UTF-8", "LC_ALL": "zh_CN.UTF-8"]) == .zh, "LC_ALL wins")
            #expect(CommandFailure.locale([:]) == .zh)
        }
    }

    @Test("18: the CLI works on --region, or on the single top of the imported tree, and says which", arguments: TestDatabase.all)
    func commandRegion(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            _ = try await app.makeElder("邱桂芝", id: makeID("130102", "19380606", 41), region: Self.village)
            let scanned = try await Self.command(app, BenefitScanCommand(), ["--month", "2026-12"])
            #expect(scanned.contains("地区 region: 130100000000 石家庄市"), "\(scanned)")
            let out = try await Self.command(app, PaymentRunCommand(), ["--month", "2026-12"])
            #expect(out.contains("地区 region: 130100000000 石家庄市"), "\(out)")
            let run = try #require(try await PaymentRun.query(on: app.db).filter(\.$month == "2026-12").first())
            #expect(run.regionCode == "130100000000", "the city's roll, not the whole tree's")
            // The city bureau lists it and approves it.
            let bureau = try await app.token("demo_bureau")
            let listed = try await app.api(.GET, "/api/v1/payment-runs", token: bureau).content.decode(Paged<BenefitsAPI.RunView>.self)
            #expect(listed.items.contains { $0.id == run.id })
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(run.id!)/approve", token: bureau).status == .ok)
            let reviewed = try await Self.command(app, EntitlementReviewCommand(), ["--month", "2026-12", "--region", "130102000000"])
            #expect(reviewed.contains("地区 region: 130102000000 长安区"), "\(reviewed)")
            await #expect(throws: AppError.self) { _ = try await Self.command(app, PaymentRunCommand(), ["--month", "2026-12", "--region", "130199000000"]) }
            // Two provinces at the top: no default, the operator is asked for --region.
            try await Region(code: RegionCode("410000000000")!, name: "河南省").create(on: app.db)
            do {
                _ = try await Self.command(app, PaymentRunCommand(), ["--month", "2026-12"])
                Issue.record("no single top region")
            } catch {
                #expect(CommandFailure.message(for: error, locale: .zh).contains("[region.required] region:"))
            }
        }
    }

    @Test("12: a run pays the month's amount by the month's rules and facts, reviewed or not, and keeps them", arguments: TestDatabase.all)
    func monthAmounts(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 10)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            try await BenefitsTests.publishExamples(app, from: Month("2026-01")!)
            // 89 in December; 90 from January (24 January 1937).
            let a = try await app.makeElder("谢秀兰", id: makeID("130102", "19370124", 51), region: Self.village)
            // 99 until February 2027, then 100.
            let b = try await app.makeElder("薛桂英", id: makeID("130102", "19270210", 62), region: Self.village)
            let township = try await app.token("demo_township")
            let bureau = try await app.token("demo_bureau")
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"2026-12"}"#)
            for e in [a, b] {
                let c = try await Self.scanCase(app, token: township, elder: e)
                #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: township, json: "{}").status == .ok)
            }
            let policy = try #require(try await BenefitPolicyRow.all(on: app.db).filter { $0.benefitType == "age_allowance" && $0.regionCode == "130100000000" }
                .max { $0.version < $1.version })

            // January, with no review run for it: she is 90 and is paid the 90–99 band.
            clock.set(CalendarDate(year: 2027, month: 1, day: 5)!)
            let jan = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2027-01"}"#).content.decode(BenefitsAPI.RunView.self)
            let janPaid = try await Self.payments(app, token: township, run: jan.id)
            #expect(janPaid.first { $0.elderId == a.id }?.amountFen == 10_000, "90 in January 2027")
            #expect(janPaid.first { $0.elderId == b.id }?.amountFen == 10_000)
            let kept = try #require(janPaid.first { $0.elderId == a.id })
            #expect(kept.policyId == policy.id && kept.policyVersion == policy.version)
            #expect(kept.basis?.age == 90 && kept.basis?.facts.birthDate == CalendarDate(year: 1937, month: 1, day: 24))

            // February's review runs before December's roll: December still pays December's amounts.
            clock.set(CalendarDate(year: 2027, month: 2, day: 3)!)
            let reviewed = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, json: #"{"month":"2027-02"}"#)
            #expect(try reviewed.content.decode(EntitlementReview.Outcome.self).amountChanged == 2, "\(reviewed.body.string)")
            let dec = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-12"}"#).content.decode(BenefitsAPI.RunView.self)
            let decPaid = try await Self.payments(app, token: township, run: dec.id)
            #expect(decPaid.first { $0.elderId == a.id }?.amountFen == 5_000, "89 in December")
            #expect(decPaid.first { $0.elderId == b.id }?.amountFen == 10_000, "99 in December")
            #expect(decPaid.first { $0.elderId == b.id }?.basis?.age == 99)
            let feb = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2027-02"}"#).content.decode(BenefitsAPI.RunView.self)
            let febPaid = try await Self.payments(app, token: township, run: feb.id)
            #expect(febPaid.first { $0.elderId == b.id }?.amountFen == 100_000, "100 in February 2027")
            #expect(febPaid.first { $0.elderId == a.id }?.amountFen == 10_000)
            // The roll is approved by another account than the one who computed it.
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(feb.id)/approve", token: bureau).status == .ok)
        }
    }

    @Test("14: each step by another account at the step's own level; the roll approved by someone else when someone else can", arguments: TestDatabase.all)
    func fourEyes(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            let elder = try await app.makeElder("孔玉珍", id: makeID("130102", "19400707", 72), region: Self.village)
            let township = try await app.token("demo_township"), county = try await app.token("demo_county")
            let bureau = try await app.token("demo_bureau"), admin = try await app.token("demo_admin")
            let filed = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                          json: #"{"elderId":"\#(elder.id!)","benefitType":"age_allowance","applicantKind":"person"}"#)
            let c = try filed.content.decode(BenefitsAPI.CaseView.self)
            // The township step is the township's: not the county's, nor the city's.
            for token in [county, bureau] {
                let above = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: token, json: #"{"decision":"pass"}"#)
                #expect(above.status == .forbidden && above.apiError?.code == "benefit.step_level", "\(above.body.string)")
            }
            // Refusing in review is the step's too: not by the county through the reject endpoint.
            let rejected = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/reject", token: county, json: #"{"note":"不符合"}"#)
            #expect(rejected.status == .forbidden && rejected.apiError?.code == "benefit.step_level", "\(rejected.body.string)")
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: township, json: #"{"decision":"pass"}"#).status == .ok)
            // The county step: not the city's either.
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: bureau, json: #"{"decision":"pass"}"#).apiError?.code
                    == "benefit.step_level")

            // Where the settings let a step be taken from above, still nobody takes two steps of one case.
            var flow = ApplicationWorkflow.standard
            flow.steps[0].orAbove = true
            let settings = BenefitsAPI.DatedSettings(effectiveFrom: "2026-12-01", settings: BenefitSettings(workflow: flow))
            #expect(try await app.api(.POST, "/api/v1/benefit-settings", token: admin,
                                      json: String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)).status == .created)
            let other = try await app.makeElder("孔秀英", id: makeID("130102", "19410808", 83), region: Self.village)
            let second = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                           json: #"{"elderId":"\#(other.id!)","benefitType":"age_allowance","applicantKind":"person"}"#)
                .content.decode(BenefitsAPI.CaseView.self)
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(second.id)/review", token: county, json: #"{"decision":"pass"}"#).status == .ok)
            let twice = try await app.api(.POST, "/api/v1/benefit-cases/\(second.id)/review", token: county, json: #"{"decision":"pass"}"#)
            #expect(twice.status == .forbidden && twice.apiError?.code == "benefit.same_person", "\(twice.body.string)")

            // A roll: who computed it does not approve it while another account could.
            let run = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-12"}"#).content.decode(BenefitsAPI.RunView.self)
            let own = try await app.api(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: township)
            #expect(own.status == .forbidden && own.apiError?.code == "payment_run.same_person", "\(own.body.string)")
            // Its page tells the one who computed it that someone else approves it, and offers them no approval.
            let computer = Browser(app)
            try await computer.signIn("demo_township")
            let ownPage = try await computer.get("/benefits/runs/\(run.id)").body.string
            #expect(ownPage.contains("须由另一名有权限的工作人员审批") && !ownPage.contains("/benefits/runs/\(run.id)/approve"))
            let checker = Browser(app)
            try await checker.signIn("demo_bureau")
            #expect(try await checker.get("/benefits/runs/\(run.id)").body.string.contains("/benefits/runs/\(run.id)/approve"))
            // Completed by another account, neither of the two approves it.
            let completed = try await app.api(.POST, "/api/v1/payment-runs", token: county, json: #"{"month":"2026-12","region":"130102001000"}"#)
            #expect(try completed.content.decode(BenefitsAPI.RunView.self).computedBy == ["demo_county", "demo_township"])
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: county).apiError?.code == "payment_run.same_person")
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: bureau).status == .ok)
            // A township alone (everyone above disabled): it computes and approves its own roll.
            try await User.query(on: app.db).filter(\.$username ~~ ["demo_admin", "demo_bureau", "demo_bureau2", "demo_county"])
                .set(\.$enabled, to: false).update()
            let nov = try await app.api(.POST, "/api/v1/payment-runs", token: township, json: #"{"month":"2026-11"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(nov.id)/approve", token: township).status == .ok)
        }
    }

    @Test("15 and done-when: an application walked through the API from filing to its first payment as the notice's days pass",
          arguments: TestDatabase.all)
    func walkThroughAPI(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            let elder = try await app.makeElder("严淑华", id: makeID("130102", "19400505", 94), region: Self.village)
            let township = try await app.token("demo_township"), county = try await app.token("demo_county"), bureau = try await app.token("demo_bureau")
            let filed = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                          json: #"{"elderId":"\#(elder.id!)","benefitType":"age_allowance","applicantKind":"family","applicantName":"严军","applicantRelation":"儿子"}"#)
            #expect(filed.status == .created, "\(filed.body.string)")
            let c = try filed.content.decode(BenefitsAPI.CaseView.self)
            #expect(c.canDecide == false && c.decisionFrom == nil)
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: township, json: #"{"decision":"pass","note":"材料齐全"}"#).status == .ok)
            let inNotice = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/review", token: county, json: #"{"decision":"pass"}"#)
                .content.decode(BenefitsAPI.CaseView.self)
            #expect(inNotice.stage == "notice" && inNotice.noticeUntil == "2026-12-11" && inNotice.decisionFrom == "2026-12-12")
            #expect(inNotice.canDecide == false)

            // The notice's last day: not yet.
            clock.set(CalendarDate(year: 2026, month: 12, day: 11)!)
            #expect(try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: bureau, json: "{}").apiError?.code == "benefit.notice_running")
            // The day after: offered, and decided by an account that neither filed nor reviewed it.
            clock.advance(days: 1)
            let offered = try await app.api(.GET, "/api/v1/benefit-cases/\(c.id)", token: bureau).content.decode(BenefitsAPI.CaseView.self)
            #expect(offered.canDecide == true)
            for token in [township, county] {
                let refused = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: token, json: "{}")
                #expect(refused.status == .forbidden && refused.apiError?.code == "benefit.same_person", "\(refused.body.string)")
            }
            let granted = try await app.api(.POST, "/api/v1/benefit-cases/\(c.id)/approve", token: bureau, json: #"{"account":"6222021234567890"}"#)
            #expect(granted.status == .ok, "\(granted.body.string)")
            let ent = try granted.content.decode(BenefitsAPI.EntitlementView.self)
            #expect(ent.startMonth == "2026-12" && ent.amountFen == 5_000)

            // Its first payment: December's roll of the county, approved by another account.
            let run = try await app.api(.POST, "/api/v1/payment-runs", token: county, json: #"{"month":"2026-12"}"#).content.decode(BenefitsAPI.RunView.self)
            #expect(run.regionCode == "130102000000")
            let paid = try await Self.payments(app, token: county, run: run.id)
            #expect(paid.contains { $0.elderId == elder.id && $0.amountFen == 5_000 && $0.month == "2026-12" })
            #expect(try await app.api(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: county).apiError?.code == "payment_run.same_person")
            let approved = try await app.api(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: bureau)
            #expect(try approved.content.decode(BenefitsAPI.RunView.self).status == "approved")
            let steps = try await app.api(.GET, "/api/v1/benefit-cases/\(c.id)", token: township).content.decode(BenefitsAPI.CaseView.self).steps
            #expect(steps.map(\.step) == ["received", "township_review", "county_approval", "notice", "decision"])
            #expect(steps.map(\.by) == ["demo_township", "demo_township", "demo_county", "demo_county", "demo_bureau"])
        }
    }

    @Test("15 and done-when: the same walk on the pages, the decision offered the day after the notice", arguments: TestDatabase.all)
    func walkThroughPages(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            let elder = try await app.makeElder("常桂珍", id: makeID("130102", "19400909", 15), region: Self.village)
            let township = Browser(app), county = Browser(app), bureau = Browser(app)
            try await township.signIn("demo_township")
            try await county.signIn("demo_county")
            try await bureau.signIn("demo_bureau")
            try await township.get("/elders/\(elder.id!)")
            let applied = try await township.post("/benefits/applications", [("elderId", elder.id!.uuidString), ("benefitType", "age_allowance"),
                                                                            ("applicantKind", "person")])
            let casePath = try #require(applied.headers.first(name: .location)?.components(separatedBy: "?").first)
            try await township.get(casePath)
            #expect(try await township.post(casePath + "/review", [("decision", "pass"), ("note", "材料齐全")]).status == .seeOther)
            try await county.get(casePath)
            #expect(try await county.post(casePath + "/review", [("decision", "pass"), ("note", "同意")]).status == .seeOther)

            let during = try await bureau.get(casePath)
            #expect(during.body.string.contains("公示期满后作出决定，最早可在 2026-12-12"))
            #expect(!during.body.string.contains(casePath + "/approve"), "no decision during the notice")
            clock.set(CalendarDate(year: 2026, month: 12, day: 12)!)
            let after = try await bureau.get(casePath)
            #expect(after.body.string.contains(casePath + "/approve"), "offered the day after the notice")
            let filer = try await township.get(casePath)
            #expect(filer.body.string.contains(casePath + "/approve"))
            let refused = try await township.post(casePath + "/approve", [("account", "")])
            #expect(refused.status == .unprocessableEntity || refused.status == .forbidden)
            #expect(refused.body.string.contains("另一名工作人员"))
            try await bureau.get(casePath)
            let granted = try await bureau.post(casePath + "/approve", [("account", "6222021234567890"), ("note", "")])
            #expect(granted.status == .seeOther, "\(granted.body.string.prefix(300))")
            #expect(try await Entitlement.query(on: app.db).filter(\.$elderID == elder.id!).count() == 1)

            try await county.get("/benefits")
            let started = try await county.post("/benefits/runs", [("month", "2026-12")])
            let runPath = try #require(started.headers.first(name: .location))
            let runID = try #require(UUID(uuidString: String(runPath.split(separator: "/").last ?? "")))
            #expect(try await BenefitsTests.finishedRun(app, token: try await app.token("demo_county"), runID).status == "computed")
            try await bureau.get(runPath)
            #expect(try await bureau.post(runPath + "/approve", []).status == .seeOther)
            #expect(try await PaymentRun.find(runID, on: app.db)?.approvedBy == "demo_bureau")
            #expect(try await Payment.query(on: app.db).filter(\.$elderID == elder.id!).first()?.amountFen == 5_000)
        }
    }

    @Test("16: bulk approval of selected or all listed cases, each checked and audited, with an outcome per case", arguments: TestDatabase.all)
    func bulkApproval(db: TestDatabase) async throws {
        let clock = Self.clock(2026, 12, 4)
        try await withYiyang(db, config: { $0.clock = clock }) { app in
            var people: [Elder] = []
            for (i, birth) in ["19400101", "19410202", "19420303", "19430404"].enumerated() {
                people.append(try await app.makeElder("鲁秀\(["兰", "英", "珍", "芳"][i])", id: makeID("130102", birth, 30 + i), region: Self.village))
            }
            let elsewhere = try await app.makeElder("鲁淑英", id: makeID("130102", "19440505", 39), region: "130102002001")
            let township = try await app.token("demo_township")
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: township, json: #"{"month":"2026-12"}"#)
            _ = try await app.api(.POST, "/api/v1/benefit-scans", token: try await app.token("demo_township2"), json: #"{"month":"2026-12"}"#)
            let foreign = try #require(try await BenefitCase.query(on: app.db).filter(\.$elderID == elsewhere.id!).first())
            var ids: [UUID] = []
            for p in people.prefix(3) { ids.append(try await Self.scanCase(app, token: township, elder: p).id) }
            // The fourth applies; in review, bulk approval must not decide it.
            let applied = try await app.api(.POST, "/api/v1/benefit-applications", token: township,
                                            json: #"{"elderId":"\#(people[3].id!)","benefitType":"care_subsidy","applicantKind":"person"}"#)
            #expect(applied.status == .created, "\(applied.body.string)")
            let application = try applied.content.decode(BenefitsAPI.CaseView.self).id

            let none = try await app.api(.POST, "/api/v1/benefit-case-approvals", token: township, json: "{}")
            #expect(none.apiError?.field == "caseIds")
            let selected = try await app.api(.POST, "/api/v1/benefit-case-approvals", token: township,
                                             json: #"{"caseIds":["\#(ids[0])","\#(foreign.id!)","\#(ids[0])"]}"#)
            #expect(selected.status == .ok, "\(selected.body.string)")
            let first = try selected.content.decode(BenefitsAPI.BulkAnswer.self)
            #expect(first.approved == 1 && first.refused == 1 && first.results.count == 2, "a repeated id counts once")
            #expect(first.results.first { $0.caseId == foreign.id }?.code == "not_found", "another township's case is not reached")
            #expect(try await app.auditActions(.benefitApproved).count == 1)

            // Page: tick one, see what became of it.
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            let home = try await staff.get("/benefits?source=scan")
            #expect(home.body.string.contains("name=\"ids[]\" value=\"\(ids[1])\""))
            let page = try await staff.post("/benefits/cases/approve", [("ids[]", ids[1].uuidString), ("benefitType", ""), ("source", "scan")])
            #expect(page.status == .ok && page.body.string.contains("批量认定结果") && page.body.string.contains("✔ 已认定"), "\(page.body.string.prefix(400))")

            // All listed by the filter: the last scan case is granted; the application in review is not, and says why.
            try await staff.get("/benefits")
            let all = try await app.api(.POST, "/api/v1/benefit-case-approvals", token: township, json: #"{"all":true}"#)
            let rest = try all.content.decode(BenefitsAPI.BulkAnswer.self)
            #expect(rest.results.first { $0.caseId == ids[2] }?.outcome == "approved")
            let r = rest.results.first { $0.caseId == application }
            #expect(r?.outcome == "refused" && r?.code == "benefit.not_reviewed" && r?.message?.contains("尚未完成审核") == true)
            #expect(!rest.results.contains { $0.caseId == foreign.id })
            #expect(try await app.auditActions(.benefitApproved).count == rest.approved + 2, "one audit entry per case granted")
            #expect(try await Entitlement.query(on: app.db).filter(\.$elderID ~~ people.prefix(3).compactMap(\.id)).count() == 3)
        }
    }
}

/// A console that keeps what a command prints.
final class RecordingConsole: Console, @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    var text: String { lock.withLock { out } }
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (120, 40) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) {
        lock.withLock { out += text.fragments.map(\.string).joined() + (newLine ? "\n" : "") }
    }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) { lock.withLock { out += error + (newLine ? "\n" : "") } }
}
