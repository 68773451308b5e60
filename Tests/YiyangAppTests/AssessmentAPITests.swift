@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// Answers as JSON: every item of GB/T 42195 at its best score, with some overrides.
func gbtAnswers(_ overrides: [String: Int] = [:], dropping: Set<String> = []) -> String {
    var answers: [String: Int] = [:]
    for item in AssessmentInstruments.gbt42195_2022.items where !dropping.contains(item.code) { answers[item.code] = item.maxScore }
    for (k, v) in overrides { answers[k] = v }
    return "{" + answers.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}

@Suite("Assessment API")
struct AssessmentAPITests {
    static let village = "130102001001"

    @Test("the scoring endpoint scores without saving and names the item of every error", arguments: TestDatabase.all)
    func score(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_assessor")
            let best = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: token,
                                         json: #"{"answers": \#(gbtAnswers())}"#)
            #expect(best.status == .ok, "\(best.body.string)")
            let a = try best.content.decode(AssessmentsAPI.ScoreAnswer.self)
            #expect(a.total == 90)
            #expect(a.dimensions == ["B.1": 32, "B.2": 15, "B.3": 28, "B.4": 15])
            #expect(a.preliminaryLevel.code == 0 && a.finalLevel.code == 0)
            #expect(a.finalLevel.name == "能力完好")
            #expect(a.appliedRules.isEmpty)

            // 66 points (mild), a dementia diagnosis and two falls: two levels worse.
            let mild = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: token, json: """
                {"answers": \(gbtAnswers(["B.1.1": 0, "B.1.2": 0, "B.1.3": 0, "B.1.4": 0, "B.1.5": 0, "B.1.6": 0])),
                 "coma": false, "diagnoses": ["F01"], "riskEvents30d": 2}
                """)
            let m = try mild.content.decode(AssessmentsAPI.ScoreAnswer.self)
            #expect(m.total == 66)
            #expect(m.preliminaryLevel.code == 1)
            #expect(m.finalLevel.code == 3)
            #expect(m.appliedRuleCodes == ["diagnosis", "risk_events"])
            #expect(try await Assessment.query(on: app.db).count() == 0)
            #expect(try await AssessmentResult.query(on: app.db).count() == 0)

            let missing = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: token,
                                            json: #"{"answers": \#(gbtAnswers(["B.9.9": 1, "B.2.4": 4], dropping: ["B.1.1"]))}"#)
            #expect(missing.status == .unprocessableEntity)
            let body = missing.body.string
            #expect(body.contains("answers.B.1.1") && body.contains("assessment.item_missing"))
            #expect(body.contains("answers.B.9.9") && body.contains("assessment.item_unknown"))
            #expect(body.contains("answers.B.2.4") && body.contains("assessment.score_not_option"))
            let english = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: token,
                                            json: #"{"answers": \#(gbtAnswers(dropping: ["B.3.9"]))}"#, headers: ["Accept-Language": "en"])
            #expect(english.apiError?.field == "answers.B.3.9")
            #expect(english.apiError?.message.contains("has no answer") == true)

            #expect(try await app.api(.POST, "/api/v1/assessment-instruments/nope/score", token: token, json: "{}").status == .notFound)
            let ltc = try await app.api(.GET, "/api/v1/assessment-instruments", token: token)
            let list = try ltc.content.decode([AssessmentsAPI.InstrumentSummary].self)
            #expect(list.map(\.id) == ["gbt42195-2022", "barthel", "ltc-2021"])
            #expect(list.first { $0.id == "ltc-2021" }?.provisional == true)
        }
    }

    @Test("request, assign two assessors, draft, submit only when complete, sign off; the level reaches the registry", arguments: TestDatabase.all)
    func workflow(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("王秀兰", id: makeID("130102", "19400512", 11), region: Self.village)
            try await app.makeUser("assessor_b", roles: [.assessor], region: "130102000000")
            let township = try await app.token("demo_township")
            let assessorA = try await app.token("demo_assessor")
            let assessorB = try await app.token("assessor_b")

            let made = try await app.api(.POST, "/api/v1/assessments", token: township,
                                         json: #"{"elderId":"\#(elder.id!)","reason":"first","requestedVia":"family","requesterName":"王强（儿子）"}"#)
            #expect(made.status == .created, "\(made.body.string)")
            let c = try made.content.decode(AssessmentsAPI.CaseView.self)
            #expect(c.status == "requested")
            // One open case per person.
            let twice = try await app.api(.POST, "/api/v1/assessments", token: township, json: #"{"elderId":"\#(elder.id!)","reason":"first"}"#)
            #expect(twice.status == .conflict)
            #expect(twice.apiError?.message.contains("/assessment/\(c.id)") == true)

            let one = try await app.api(.POST, "/api/v1/assessments/\(c.id)/assign", token: township, json: #"{"agency":"市评估中心","assessors":["demo_assessor"]}"#)
            #expect(one.apiError?.code == "assessment.assessor_count")
            let notAssessor = try await app.api(.POST, "/api/v1/assessments/\(c.id)/assign", token: township,
                                                json: #"{"agency":"市评估中心","assessors":["demo_assessor","demo_community"]}"#)
            #expect(notAssessor.apiError?.code == "assessment.assessor_not_qualified")
            let assigned = try await app.api(.POST, "/api/v1/assessments/\(c.id)/assign", token: township,
                                             json: #"{"agency":"市评估中心","assessors":["demo_assessor","assessor_b"]}"#)
            #expect(assigned.status == .ok, "\(assigned.body.string)")

            // Drafts as the assessor goes; a bad score is refused even in a draft.
            let partial = try await app.api(.PUT, "/api/v1/assessments/\(c.id)/draft", token: assessorA, json: #"{"answers":{"B.1.1":3,"B.1.2":4}}"#)
            #expect(partial.status == .ok)
            #expect(try partial.content.decode(AssessmentsAPI.CaseView.self).status == "in_progress")
            let badDraft = try await app.api(.PUT, "/api/v1/assessments/\(c.id)/draft", token: assessorA, json: #"{"answers":{"B.3.7":3}}"#)
            #expect(badDraft.apiError?.field == "answers.B.3.7")
            // Township staff are not its assessors.
            #expect(try await app.api(.PUT, "/api/v1/assessments/\(c.id)/draft", token: township, json: #"{"answers":{}}"#).status == .forbidden)
            let incomplete = try await app.api(.POST, "/api/v1/assessments/\(c.id)/submit", token: assessorB)
            #expect(incomplete.status == .unprocessableEntity)
            #expect(incomplete.apiError?.code == "assessment.item_missing")

            let answers = gbtAnswers(["B.1.1": 3, "B.2.3": 2, "B.3.4": 2])
            let submitted = try await app.api(.POST, "/api/v1/assessments/\(c.id)/submit", token: assessorB,
                                              json: #"{"answers": \#(answers), "diagnoses": ["F03.9"], "riskEvents30d": 1}"#)
            #expect(submitted.status == .ok, "\(submitted.body.string)")
            let s = try submitted.content.decode(AssessmentsAPI.SubmitAnswer.self)
            #expect(s.assessment.status == "submitted")
            // The saved workflow and the scoring endpoint agree.
            let scored = try await app.api(.POST, "/api/v1/assessment-instruments/gbt42195-2022/score", token: assessorA,
                                           json: #"{"answers": \#(answers), "diagnoses": ["F03.9"], "riskEvents30d": 1}"#)
            let direct = try scored.content.decode(AssessmentsAPI.ScoreAnswer.self)
            #expect(direct.total == s.result.total && direct.total == 85)
            #expect(direct.finalLevel.code == s.result.finalLevel.code && s.result.finalLevel.code == 2)
            #expect(direct.appliedRules == s.result.appliedRules)
            #expect(direct.dimensions == s.result.dimensions)

            // Submitted means final: no route changes it.
            #expect(try await app.api(.PUT, "/api/v1/assessments/\(c.id)/draft", token: assessorA, json: #"{"answers":{"B.1.1":0}}"#).status == .conflict)
            #expect(try await app.api(.POST, "/api/v1/assessments/\(c.id)/submit", token: assessorA).status == .conflict)
            #expect(try await app.api(.POST, "/api/v1/assessments/\(c.id)/cancel", token: township).status == .conflict)
            let stored = try #require(try await AssessmentResult.find(s.result.id, on: app.db))
            stored.total = 1
            await #expect(throws: (any Error).self) { try await stored.save(on: app.db) }
            await #expect(throws: (any Error).self) { try await stored.delete(on: app.db) }

            // Not in force until signed off, and never by one of its assessors.
            let before = try await app.api(.GET, "/api/v1/elders/\(elder.id!)/assessment-results", token: township)
            #expect(try before.content.decode(AssessmentsAPI.ElderResults.self).current == nil)
            #expect(try await app.api(.POST, "/api/v1/assessments/\(c.id)/review", token: assessorA, json: #"{"decision":"approve"}"#).status == .forbidden)
            let rejectBare = try await app.api(.POST, "/api/v1/assessments/\(c.id)/review", token: township, json: #"{"decision":"reject"}"#)
            #expect(rejectBare.apiError?.field == "note")
            let approved = try await app.api(.POST, "/api/v1/assessments/\(c.id)/review", token: township, json: #"{"decision":"approve","note":"符合"}"#)
            #expect(try approved.content.decode(AssessmentsAPI.CaseView.self).status == "approved")
            let after = try await app.api(.GET, "/api/v1/elders/\(elder.id!)/assessment-results", token: township)
            let current = try #require(try after.content.decode(AssessmentsAPI.ElderResults.self).current)
            #expect(current.finalLevel.code == 2)
            #expect(current.validUntil == CalendarDate.today().validUntil(months: 12).description)
            let level = try #require(try await AssessmentService.current(elderID: elder.id!, on: app.db))
            #expect(level.finalLevel == 2)

            // A dispute is a new assessment by different assessors, linked to the old one.
            let dispute = try await app.api(.POST, "/api/v1/assessments", token: township,
                                            json: #"{"elderId":"\#(elder.id!)","reason":"dispute","previousId":"\#(c.id)","note":"家属对结果有疑问"}"#)
            #expect(dispute.status == .created, "\(dispute.body.string)")
            let d = try dispute.content.decode(AssessmentsAPI.CaseView.self)
            #expect(d.previousId == c.id)
            try await app.makeUser("assessor_c", roles: [.assessor], region: "130102000000")
            let same = try await app.api(.POST, "/api/v1/assessments/\(d.id)/assign", token: township,
                                         json: #"{"agency":"市评估中心","assessors":["assessor_c","demo_assessor"]}"#)
            #expect(same.apiError?.code == "assessment.dispute_same_assessor")
            #expect(try await app.auditActions(.assessmentSubmitted).count == 1)
            #expect(try await app.auditActions(.assessmentApproved).count == 1)
        }
    }

    @Test("the due list shows everyone of 80+ without a valid result, with the coverage", arguments: TestDatabase.all)
    func dueList(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let old = try await app.makeElder("老寿星", id: makeID("130102", "19350101", 21), region: Self.village)
            let young = try await app.makeElder("年轻人", id: makeID("130102", "19600101", 22), region: Self.village)
            let elsewhere = try await app.makeElder("青园人", id: makeID("130102", "19300101", 23), region: "130102002001")
            let township = try await app.token("demo_township")
            let due = try await app.api(.GET, "/api/v1/assessments/due", token: township)
            let answer = try due.content.decode(AssessmentsAPI.DueAnswer.self)
            let ids = answer.due.items.map(\.elderId)
            #expect(ids.contains(old.id!))
            #expect(!ids.contains(young.id!), "under 80 and never assessed: not due")
            #expect(!ids.contains(elsewhere.id!), "another township")
            #expect(answer.due.items.first { $0.elderId == old.id }?.why == "never")
            #expect(answer.coverage.people == 1 && answer.coverage.assessed == 0)

            // A result recognised from elsewhere takes the person off the list.
            let doc = """
                {"format":"yiyang-assessment-result/1","instrument":"gbt42195-2022","version":"2022",
                 "person":{"idNumber":"\(makeID("130102", "19350101", 21))","name":"老寿星"},"assessedOn":"\(CalendarDate.today().addingDays(-3))",
                 "agency":"外市评估中心","assessors":["甲","乙"],"answers":\(gbtAnswers()),
                 "result":{"total":90,"dimensions":{},"preliminaryLevel":{"code":0,"name":"能力完好"},"finalLevel":{"code":1,"name":"x"},"appliedRules":[]}}
                """
            let mismatch = try await app.api(.POST, "/api/v1/assessment-results/import", token: township, json: doc)
            #expect(mismatch.apiError?.code == "assessment.import_mismatch")
            let fixed = doc.replacingOccurrences(of: #""finalLevel":{"code":1"#, with: #""finalLevel":{"code":0"#)
            let imported = try await app.api(.POST, "/api/v1/assessment-results/import", token: township, json: fixed)
            #expect(imported.status == .created, "\(imported.body.string)")
            let r = try imported.content.decode(AssessmentsAPI.ResultView.self)
            #expect(r.origin == "imported")
            #expect(try await app.api(.POST, "/api/v1/assessment-results/import", token: township, json: fixed).status == .conflict)
            let again = try await app.api(.GET, "/api/v1/assessments/due", token: township).content.decode(AssessmentsAPI.DueAnswer.self)
            #expect(!again.due.items.map(\.elderId).contains(old.id!))
            #expect(again.coverage.assessed == 1 && again.coverage.percent == 100)

            // Exported masked by default, in full only with the permission; both audited.
            let masked = try await app.api(.GET, "/api/v1/assessment-results/\(r.id)/export", token: township)
            let m = try masked.content.decode(AssessmentResultDocument.self)
            #expect(m.person.idNumber == CitizenID.mask(makeID("130102", "19350101", 21)))
            #expect(m.instrument == "gbt42195-2022" && m.version == "2022")
            let full = try await app.api(.GET, "/api/v1/assessment-results/\(r.id)/export?unmasked=true", token: township)
            #expect(try full.content.decode(AssessmentResultDocument.self).person.idNumber == makeID("130102", "19350101", 21))
            #expect(try await app.auditActions(.assessmentExported).count == 2)
            // A sibling township sees none of it.
            let sibling = try await app.token("demo_township2")
            #expect(try await app.api(.GET, "/api/v1/assessment-results/\(r.id)", token: sibling).status == .notFound)
        }
    }

    @Test("after submission no route changes the result: every write route of a case or result is tried", arguments: TestDatabase.all)
    func finalByEveryRoute(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("周立", id: makeID("130102", "19390909", 51), region: Self.village)
            try await app.makeUser("assessor_b", roles: [.assessor], region: "130102000000")
            let township = try await app.token("demo_township")
            let c = try await app.api(.POST, "/api/v1/assessments", token: township, json: #"{"elderId":"\#(elder.id!)","reason":"first"}"#)
                .content.decode(AssessmentsAPI.CaseView.self)
            _ = try await app.api(.POST, "/api/v1/assessments/\(c.id)/assign", token: township, json: #"{"agency":"中心","assessors":["demo_assessor","assessor_b"]}"#)
            let assessor = try await app.token("demo_assessor")
            let s = try await app.api(.POST, "/api/v1/assessments/\(c.id)/submit", token: assessor, json: #"{"answers": \#(gbtAnswers())}"#)
            let result = try s.content.decode(AssessmentsAPI.SubmitAnswer.self).result
            let before = try #require(try await AssessmentResult.find(result.id, on: app.db))
            let snapshot = (before.answersJSON, before.outcomeJSON, before.total, before.finalLevel, before.validUntil)

            let body = #"{"answers": \#(gbtAnswers(["B.1.1": 0])), "decision": "reject", "note": "x", "agency": "y", "assessors": ["assessor_b"]}"#
            var tried = 0
            for token in [assessor, township, try await app.token("demo_admin")] {
                for route in app.routes.all where route.method != .GET {
                    let path = route.path.map { component -> String in
                        switch component {
                        case .parameter("assessmentID"): return c.id.uuidString
                        case .parameter("resultID"): return result.id.uuidString
                        case .constant(let s): return s
                        default: return "x"
                        }
                    }.joined(separator: "/")
                    guard path.hasPrefix("api/v1/assessment"), path.contains(c.id.uuidString) || path.contains(result.id.uuidString) else { continue }
                    _ = try await app.api(route.method, "/" + path, token: token, json: body)
                    tried += 1
                }
            }
            #expect(tried >= 15)
            let after = try #require(try await AssessmentResult.find(result.id, on: app.db))
            #expect((after.answersJSON, after.outcomeJSON, after.total, after.finalLevel, after.validUntil) == snapshot)
            #expect(try await AssessmentResult.query(on: app.db).count() == 1)
        }
    }
}
