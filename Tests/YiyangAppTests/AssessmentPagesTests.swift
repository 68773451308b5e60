@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Assessment pages")
struct AssessmentPagesTests {
    static let village = "130102001001"

    @Test("request on the person's page, assign, fill the form on the web, submit only when complete, sign off, print", arguments: TestDatabase.all)
    func fullWorkflow(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("李桂芳", id: makeID("130102", "19380303", 31), region: Self.village)
            try await app.makeUser("assessor_b", roles: [.assessor], region: "130102000000")
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            let person = try await staff.get("/elders/\(elder.id!)")
            #expect(person.body.string.contains("尚无有效的能力评估结果"))
            #expect(person.body.string.contains("/assessment/new?elder=\(elder.id!)"))

            try await staff.get("/assessment/new?elder=\(elder.id!)")
            let missingName = try await staff.post("/assessment", [("elderId", elder.id!.uuidString), ("instrument", "gbt42195-2022"),
                                                                 ("reason", "first"), ("requestedVia", "family"), ("requesterName", "")])
            #expect(missingName.status == .unprocessableEntity)
            #expect(missingName.body.string.contains("请填写家属姓名"))
            let requested = try await staff.post("/assessment", [("elderId", elder.id!.uuidString), ("instrument", "gbt42195-2022"),
                                                               ("reason", "first"), ("requestedVia", "family"), ("requesterName", "李强（儿子）")])
            #expect(requested.status == .seeOther)
            let casePath = try #require(requested.headers.first(name: .location)?.components(separatedBy: "?").first)
            let casePage = try await staff.get(casePath)
            #expect(casePage.body.string.contains("demo_assessor"), "eligible assessors are offered")
            let assigned = try await staff.post(casePath + "/assign", [("agency", "市老年人能力评估中心"), ("assessors[]", "demo_assessor"), ("assessors[]", "assessor_b")])
            #expect(assigned.status == .seeOther, "\(assigned.body.string.prefix(400))")

            let assessor = Browser(app)
            try await assessor.signIn("demo_assessor")
            let home = try await assessor.get("/assessment")
            #expect(home.body.string.contains("李桂芳"))
            let form = try await assessor.get(casePath + "/form")
            #expect(form.status == .ok)
            let html = form.body.string
            #expect(html.contains("B.1.1") && html.contains("进食"))
            #expect(html.contains("B.4.5"))
            #expect(html.contains(#"type="radio""#))
            #expect(html.contains("独立使用器具将食物送进口中并咽下，没有呛咳"), "option texts are on screen")

            // A draft as the assessor goes.
            let draft = try await assessor.post(casePath + "/form", [("B.1.1", "4"), ("B.1.2", "3"), ("action", "save")])
            #expect(draft.status == .seeOther)
            let again = try await assessor.get(casePath + "/form")
            #expect(again.body.string.contains(#"value="3" checked"#))
            #expect(again.body.string.contains("已答 2 / 26"))

            // Submitting an incomplete form is refused, with the error beside each missing item.
            let incomplete = try await assessor.post(casePath + "/form", [("B.1.1", "4"), ("action", "submit")])
            #expect(incomplete.status == .unprocessableEntity)
            #expect(incomplete.body.string.contains("B.4.5 社会交往能力 未作答"))
            #expect(try await AssessmentResult.query(on: app.db).count() == 0)

            var fields: [(String, String)] = AssessmentInstruments.gbt42195_2022.items.map { ($0.code, String($0.maxScore)) }
            fields[0] = ("B.1.1", "2")
            fields += [("diagnoses", "F03"), ("riskEvents30d", "0"), ("action", "submit")]
            let submitted = try await assessor.post(casePath + "/form", fields)
            #expect(submitted.status == .seeOther, "\(submitted.body.string.prefix(600))")
            // Submitting shows what will be recorded; the result is recorded on confirming.
            #expect(submitted.headers.first(name: .location) == casePath + "/confirm")
            let confirm = try await assessor.get(casePath + "/confirm").body.string
            let draftToken = try #require(confirm.range(of: #"name="draft" value="([0-9a-f]+)""#, options: .regularExpression)
                .map { String(confirm[$0].split(separator: "\"")[3]) })
            #expect(try await assessor.post(casePath + "/submit", [("draft", draftToken)]).status == .seeOther)
            let result = try await assessor.get(casePath)
            #expect(result.body.string.contains("88 / 90"))
            #expect(result.body.string.contains("能力中度受损"), "88 is mild; the dementia diagnosis makes it moderate")
            // After submission the form is closed to everyone.
            #expect(try await assessor.post(casePath + "/form", fields).status == .conflict)
            #expect(try await assessor.get(casePath + "/form").status == .seeOther)

            // Sign-off by staff; the level reaches the person's page.
            try await staff.get(casePath)
            let signed = try await staff.post(casePath + "/review", [("decision", "approve"), ("note", "")])
            #expect(signed.status == .seeOther)
            let after = try await staff.get("/elders/\(elder.id!)")
            #expect(after.body.string.contains("能力中度受损（中度失能）"))
            #expect(after.body.string.contains("有效期至"))

            let report = try await staff.get(casePath + "/report")
            #expect(report.status == .ok)
            let r = report.body.string
            #expect(r.contains("B.3.9") && r.contains("意识水平"))
            #expect(r.contains("F03"))
            #expect(r.contains("评估员签字") && r.contains("审核人签字"))
            #expect(r.contains(CitizenID.mask(makeID("130102", "19380303", 31))))
            #expect(!r.contains(makeID("130102", "19380303", 31)))

            let due = try await staff.get("/assessment/due")
            #expect(due.status == .ok)
            #expect(due.body.string.contains("<svg class=\"bar\""))
            #expect(!due.body.string.contains("李桂芳"), "assessed: off the due list")
        }
    }

    @Test("requests for everyone due, twice without duplicates; settings as dated versions; a result imported through the page", arguments: TestDatabase.all)
    func dueSettingsImport(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let a = try await app.makeElder("甲老人", id: makeID("130102", "19360101", 41), region: Self.village)
            let b = try await app.makeElder("乙老人", id: makeID("130102", "19370101", 42), region: Self.village)
            let staff = Browser(app)
            try await staff.signIn("demo_township")
            try await staff.get("/assessment/due")
            let first = try await staff.post("/assessment/due/requests", [("region", "")])
            #expect(first.status == .seeOther)
            #expect(try await Assessment.query(on: app.db).filter(\.$requestedVia == "automatic").count() == 2)
            try await staff.get("/assessment/due")
            _ = try await staff.post("/assessment/due/requests", [("region", "")])
            #expect(try await Assessment.query(on: app.db).count() == 2, "a second run opens nothing new")
            let due = try await staff.get("/assessment/due")
            #expect(due.body.string.contains("评估进行中"))
            _ = (a, b)

            // Settings: read by all, changed by administrators as a new dated version.
            #expect(try await staff.get("/assessment/settings").body.string.contains("暂行"))
            #expect(try await staff.post("/assessment/settings", [("effectiveFrom", "2026-01-01"), ("stacking", "once")]).status == .forbidden)
            let admin = Browser(app)
            try await admin.signIn("demo_admin")
            try await admin.get("/assessment/settings")
            let bad = try await admin.post("/assessment/settings", [("effectiveFrom", "2026-01-01"), ("validityMonths", "0"), ("stacking", "once")])
            #expect(bad.status == .unprocessableEntity)
            let saved = try await admin.post("/assessment/settings", [("effectiveFrom", CalendarDate.today().description), ("validityMonths", "24"),
                                                                    ("assessorsRequired", "2"), ("dueAge", "80"), ("dueSoonDays", "30"), ("stacking", "once")])
            #expect(saved.status == .seeOther)
            let policy = try await AssessmentService.policy(on: app.db)
            #expect(policy.stacking == .once && policy.validityMonths == 24)
            let token = try await app.token("demo_assessor")
            let scored = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: token,
                                           json: #"{"answers": \#(gbtAnswers()), "diagnoses": ["F01"], "riskEvents30d": 3}"#)
            #expect(try scored.content.decode(AssessmentsAPI.ScoreAnswer.self).finalLevel.code == 1, "with 'once' two rules move one level")

            // A result made elsewhere, pasted on the import page, becomes the person's level.
            try await staff.get("/assessment/import")
            let doc = """
                {"format":"yiyang-assessment-result/1","instrument":"barthel","version":"1965","person":{"idNumber":"\(makeID("130102", "19360101", 41))","name":"甲老人"},
                 "assessedOn":"\(CalendarDate.today().addingDays(-1))","agency":"邻市评估中心","assessors":["丙","丁"],
                 "answers":{"BI.1":10,"BI.2":5,"BI.3":5,"BI.4":10,"BI.5":10,"BI.6":10,"BI.7":10,"BI.8":15,"BI.9":15,"BI.10":10}}
                """
            let broken = try await staff.post("/assessment/import", [("text", "{not json")])
            #expect(broken.status == .unprocessableEntity)
            let imported = try await staff.post("/assessment/import", [("text", doc)])
            #expect(imported.status == .seeOther, "\(imported.body.string.prefix(500))")
            let page = try await staff.get("/elders/\(a.id!)")
            #expect(page.body.string.contains("外部结果（邻市评估中心）"))
        }
    }
}
