import Fluent
import Vapor
import YiyangDomain

/// Synthetic assessments for the demo, so the due list, the coverage and the levels on the
/// person pages look like a bureau's: about 60 % of people aged 80+ assessed, their ability
/// falling with age, some results over a year old (so expired), some people reassessed after a
/// year (a history of two results), and a few cases under way.
enum DemoAssessments {
    static func add(seed: UInt64, app: Application) async throws -> Int {
        let db = app.db
        let today = CalendarDate.today()
        let cutoff = today.yearsBefore(80).description
        let elders = try await Elder.query(on: db).filter(\.$status == ElderStatus.living.rawValue)
            // By name and birth date, which the seed decides, not by id, which is random: the same seed assesses the same people.
            .filter(\.$birthDate <= cutoff).sort(\.$name).sort(\.$birthDate).sort(\.$id).limit(20_000).all()
        let assessed = Set(try await Assessment.query(on: db).all().map(\.elderID))
            .union(try await AssessmentResult.query(on: db).all().map(\.elderID))
        let assessors = try await User.query(on: db).filter(\.$username ~~ ["demo_assessor", "demo_assessor2"]).sort(\.$username).all()
        guard assessors.count == 2 else { return 0 }
        let instrument = AssessmentInstruments.gbt42195_2022
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var made = 0
        for e in elders where !assessed.contains(e.id!) {
            let roll = uniform()
            guard roll < 0.66 else { continue }
            let age = e.age ?? 80
            // The chance of full ability on an item falls with age: 80 → 0.85, 100 → 0.35.
            let able = max(0.2, 0.85 - Double(age - 80) * 0.025)
            var answers: [String: Int] = [:]
            for item in instrument.items {
                answers[item.code] = uniform() < able ? item.maxScore : Int(uniform() * Double(item.maxScore))
            }
            let input = AssessmentAnswers(answers: answers, coma: false, diagnoses: uniform() < 0.08 ? ["F03"] : [],
                                          riskEvents30d: uniform() < 0.05 ? 2 : 0)
            let a = Assessment()
            a.elderID = e.id!; a.regionCode = e.residenceRegion; a.instrument = instrument.id; a.reason = Assessment.Reason.first.rawValue
            a.requestedVia = Assessment.Requester.automatic.rawValue; a.requestNote = ""; a.requestedBy = "demo"
            a.agency = "演示·市老年人能力评估中心"; a.draft = input
            if roll < 0.6 {
                let assessedOn = today.addingDays(-Int(uniform() * 450))
                guard case .success(let outcome) = AssessmentScoring.score(instrument, input) else { continue }
                // About a third of those assessed within the year had their first assessment a year
                // before, a little more able: their pages show a history, this one a routine reassessment.
                if assessedOn > today.addingDays(-365), uniform() < 0.35 {
                    var abler = answers
                    for item in instrument.items { abler[item.code] = min(item.maxScore, (answers[item.code] ?? 0) + 1) }
                    let earlier = AssessmentAnswers(answers: abler, coma: false, diagnoses: input.diagnoses, riskEvents30d: 0)
                    if case .success(let before) = AssessmentScoring.score(instrument, earlier) {
                        let first = Assessment()
                        first.elderID = e.id!; first.regionCode = e.residenceRegion; first.instrument = instrument.id
                        first.reason = Assessment.Reason.first.rawValue; first.requestedVia = Assessment.Requester.automatic.rawValue
                        first.requestNote = ""; first.requestedBy = "demo"; first.agency = a.agency; first.draft = earlier
                        first.status = Assessment.Status.approved.rawValue; first.reviewedBy = "demo_township"; first.reviewedAt = Date()
                        try await first.create(on: db)
                        let firstOn = assessedOn.addingDays(-(365 + Int(uniform() * 45)))
                        let r = AssessmentService.makeResult(outcome: before, answers: earlier, elderID: e.id!, region: e.residenceRegion,
                                                             assessedOn: firstOn, validityMonths: 12,
                                                             assessors: assessors.map(\.displayName).joined(separator: "、"),
                                                             agency: first.agency ?? "", origin: "local", recordedBy: "demo")
                        r.assessmentID = first.id
                        try await r.create(on: db)
                        first.resultID = r.id
                        try await first.save(on: db)
                        for (i, u) in assessors.enumerated() {
                            try await AssessmentAssessor(assessmentID: first.id!, user: u, position: i).create(on: db)
                        }
                        a.reason = Assessment.Reason.routine.rawValue
                    }
                }
                a.status = Assessment.Status.approved.rawValue; a.reviewedBy = "demo_township"; a.reviewedAt = Date()
                try await a.create(on: db)
                let r = AssessmentService.makeResult(outcome: outcome, answers: input, elderID: e.id!, region: e.residenceRegion,
                                                     assessedOn: assessedOn, validityMonths: 12, assessors: assessors.map(\.displayName).joined(separator: "、"),
                                                     agency: a.agency ?? "", origin: "local", recordedBy: "demo")
                r.assessmentID = a.id
                try await r.create(on: db)
                a.resultID = r.id
                try await a.save(on: db)
            } else {
                // A few under way: requested, or assigned with a half-filled form.
                a.status = (roll < 0.63 ? Assessment.Status.requested : .inProgress).rawValue
                if a.status == Assessment.Status.requested.rawValue { a.agency = nil; a.draft = AssessmentAnswers(answers: [:]) }
                else { a.draft = AssessmentAnswers(answers: answers.filter { $0.key.hasPrefix("B.1") }) }
                try await a.create(on: db)
            }
            if a.statusValue != .requested {
                for (i, u) in assessors.enumerated() { try await AssessmentAssessor(assessmentID: a.id!, user: u, position: i).create(on: db) }
            }
            made += 1
        }
        return made
    }
}
