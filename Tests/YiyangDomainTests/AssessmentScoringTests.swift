import Foundation
import Testing
@testable import YiyangDomain

@Suite("Assessment scoring")
struct AssessmentScoringTests {
    let gbt = AssessmentInstruments.gbt42195_2022
    let barthel = AssessmentInstruments.barthel
    let ltc = AssessmentInstruments.ltc2021

    // MARK: - Helpers

    /// Every item at its best score.
    static func allMax(_ instrument: AssessmentInstrument) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: instrument.items.map { ($0.code, $0.maxScore) })
    }

    /// Every item at its worst score.
    static func allZero(_ instrument: AssessmentInstrument) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: instrument.items.map { ($0.code, 0) })
    }

    /// Starts from `base` (all-max by default) and lowers items, in order, until the items of
    /// `dimension` (or all items) add up to `total`. Fails the test when the total cannot be reached.
    static func answers(_ instrument: AssessmentInstrument, total: Int, in dimension: String? = nil,
                        from base: [String: Int]? = nil) throws -> [String: Int] {
        var result = base ?? allMax(instrument)
        let items = instrument.items.filter { dimension == nil || $0.dimension == dimension }
        var excess = items.reduce(0) { $0 + result[$1.code]! } - total
        for item in items where excess > 0 {
            let current = result[item.code]!
            // The lowest option that does not take away more than is left to take away.
            let best = item.options.map(\.score).filter { $0 <= current && current - $0 <= excess }.min()!
            result[item.code] = best
            excess -= current - best
        }
        try #require(excess == 0, "cannot reach \(total) in \(instrument.id) \(dimension ?? "")")
        return result
    }

    static func outcome(_ instrument: AssessmentInstrument, _ input: AssessmentAnswers) throws -> AssessmentOutcome {
        switch AssessmentScoring.score(instrument, input) {
        case .success(let outcome): return outcome
        case .failure(let issues):
            Issue.record("unexpected issues: \(issues.issues.map { "\($0.field) \($0.rule)" })")
            throw issues
        }
    }

    static func issues(_ instrument: AssessmentInstrument, _ input: AssessmentAnswers) -> [ValidationIssue] {
        switch AssessmentScoring.score(instrument, input) {
        case .success(let outcome):
            Issue.record("expected issues, got level \(outcome.finalLevel.code)")
            return []
        case .failure(let issues): return issues.issues
        }
    }

    static func bands(_ instrument: AssessmentInstrument) -> [ScoreBand] {
        guard case .totalBands(let bands) = instrument.method else { return [] }
        return bands
    }

    /// A GB/T 42195 outcome for a total and the conditions of C.4.
    func gbtOutcome(total: Int, coma: Bool = false, diagnoses: [String] = [], riskEvents: Int = 0,
                    instrument: AssessmentInstrument? = nil) throws -> AssessmentOutcome {
        let instrument = instrument ?? gbt
        let answers = try Self.answers(instrument, total: total)
        return try Self.outcome(instrument, AssessmentAnswers(answers: answers, coma: coma, diagnoses: diagnoses, riskEvents30d: riskEvents))
    }

    // MARK: - Structure

    @Test("GB/T 42195: 26 items with the standard's codes, dimension maxima 32/15/28/15, total 90")
    func gbtStructure() {
        let codes = (1...8).map { "B.1.\($0)" } + (1...4).map { "B.2.\($0)" } + (1...9).map { "B.3.\($0)" } + (1...5).map { "B.4.\($0)" }
        #expect(gbt.items.map(\.code) == codes)
        #expect(gbt.items.count == 26)
        #expect(gbt.dimensions.map(\.code) == ["B.1", "B.2", "B.3", "B.4"])
        #expect(gbt.dimensions.map(\.name) == ["自理能力", "基础运动能力", "精神状态", "感知觉与社会参与"])
        #expect(gbt.dimensions.map(\.maxScore) == [32, 15, 28, 15])
        for d in gbt.dimensions {
            let sum = gbt.items.filter { $0.dimension == d.code }.reduce(0) { $0 + $1.maxScore }
            #expect(sum == d.maxScore, "\(d.code)")
            #expect(gbt.items.filter { $0.dimension == d.code }.allSatisfy { $0.code.hasPrefix(d.code + ".") })
        }
        #expect(gbt.maxScore == 90)
        #expect(gbt.id == "gbt42195-2022")
        #expect(gbt.version == "2022")
        #expect(!gbt.provisional)
        #expect(gbt.asksConditions)
        #expect(gbt.levels.map(\.code) == [0, 1, 2, 3, 4])
        #expect(gbt.level(4)?.name.zh == "能力完全丧失（完全失能）")
        #expect(gbt.item("B.1.1")?.name == "进食")
        #expect(gbt.item("B.3.2")?.options[2].text == "不能单独外出，但知道较多有关自己日常生活的地址信息")
    }

    @Test("GB/T 42195: each item's options are the scores max…0, best first, with texts")
    func gbtOptions() {
        let maxima: [String: Int] = ["B.2.4": 3, "B.4.4": 3, "B.3.7": 1, "B.3.8": 1, "B.3.9": 2, "B.4.1": 2, "B.4.2": 2]
        for item in gbt.items {
            let max = maxima[item.code] ?? 4
            #expect(item.options.map(\.score) == Array((0...max).reversed()), "\(item.code)")
            #expect(item.options.allSatisfy { !$0.text.isEmpty && !$0.text.contains("…") }, "\(item.code)")
            #expect(Set(item.options.map(\.text)).count == item.options.count, "\(item.code)")
            #expect(!item.name.isEmpty && !item.definition.isEmpty, "\(item.code)")
        }
    }

    @Test("Barthel: 10 items, options in steps of 5 best first, maximum 100")
    func barthelStructure() {
        #expect(barthel.items.map(\.code) == (1...10).map { "BI.\($0)" })
        #expect(barthel.items.map(\.name) == ["进食", "洗澡", "修饰", "穿衣", "大便控制", "小便控制", "如厕", "床椅转移", "平地行走", "上下楼梯"])
        #expect(barthel.items.map(\.maxScore) == [10, 5, 5, 10, 10, 10, 10, 15, 15, 10])
        for item in barthel.items {
            #expect(item.options.map(\.score) == Array(stride(from: item.maxScore, through: 0, by: -5)), "\(item.code)")
        }
        #expect(barthel.dimensions.map(\.maxScore) == [100])
        #expect(barthel.maxScore == 100)
        #expect(!barthel.asksConditions)
        #expect(!barthel.provisional)
    }

    @Test("LTC 2021: 17 items, dimension maxima 100/16/12, options unique and best first")
    func ltcStructure() {
        let codes = (1...10).map { "C1.\($0)" } + (1...4).map { "C2.\($0)" } + (1...3).map { "C3.\($0)" }
        #expect(ltc.items.map(\.code) == codes)
        #expect(ltc.items.prefix(10).map(\.name) == ["进食", "穿衣", "面部与口腔清洁", "大便控制", "小便控制", "用厕", "平地行走", "床椅转移", "上下楼", "洗澡"])
        #expect(ltc.items.prefix(10).map(\.maxScore) == [10, 10, 5, 10, 10, 10, 15, 15, 10, 5])
        #expect(ltc.items.dropFirst(10).map(\.name) == ["时间定向", "人物定向", "空间定向", "记忆力", "视力", "听力", "沟通能力"])
        #expect(ltc.dimensions.map(\.code) == ["C1", "C2", "C3"])
        #expect(ltc.dimensions.map(\.maxScore) == [100, 16, 12])
        for d in ltc.dimensions {
            #expect(ltc.items.filter { $0.dimension == d.code }.reduce(0) { $0 + $1.maxScore } == d.maxScore, "\(d.code)")
        }
        for item in ltc.items {
            let step = item.dimension == "C1" ? 5 : 1
            #expect(item.options.map(\.score) == Array(stride(from: item.maxScore, through: 0, by: -step)), "\(item.code)")
        }
        #expect(ltc.maxScore == 128)
        #expect(ltc.provisional)
        #expect(!ltc.asksConditions)
        #expect(ltc.levels.map(\.name.zh) == ["基本正常", "轻度失能", "中度失能", "重度失能Ⅰ级", "重度失能Ⅱ级", "重度失能Ⅲ级"])
    }

    @Test("every band set covers its whole score range exactly once")
    func bandsCoverRanges() throws {
        for instrument in [gbt, barthel] {
            let bands = Self.bands(instrument)
            #expect(!bands.isEmpty)
            for score in 0...instrument.maxScore {
                #expect(bands.filter { $0.contains(score) }.count == 1, "\(instrument.id) \(score)")
            }
            #expect(bands.allSatisfy { instrument.level($0.level) != nil })
        }
        guard case .combination(let table) = ltc.method else { Issue.record("LTC is not a combination"); return }
        #expect(Set(table.dimensionBands.keys) == ["C1", "C2", "C3"])
        for d in ltc.dimensions {
            let bands = try #require(table.dimensionBands[d.code])
            for score in 0...d.maxScore {
                #expect(bands.filter { $0.contains(score) }.count == 1, "\(d.code) \(score)")
            }
        }
        #expect(table.matrix == [[0, 1, 1, 2], [1, 1, 2, 3], [2, 2, 3, 4], [3, 4, 5, 5]])
        #expect(table.matrix.joined().allSatisfy { ltc.level($0) != nil })
        #expect(table.gradeNames.map(\.code) == [0, 1, 2, 3])
    }

    @Test("the instruments are listed and found by id, and survive a JSON round trip")
    func registry() throws {
        #expect(AssessmentInstruments.all.map(\.id) == ["gbt42195-2022", "barthel", "ltc-2021"])
        #expect(AssessmentInstruments.named("ltc-2021") == ltc)
        #expect(AssessmentInstruments.named("nope") == nil)
        for instrument in AssessmentInstruments.all {
            let data = try JSONEncoder().encode(instrument)
            #expect(try JSONDecoder().decode(AssessmentInstrument.self, from: data) == instrument)
        }
    }

    // MARK: - GB/T 42195 bands (C.3)

    @Test("GB/T 42195 band boundaries", arguments: [
        (90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4),
    ])
    func gbtBands(total: Int, level: Int) throws {
        let o = try gbtOutcome(total: total)
        #expect(o.total == total)
        #expect(o.dimensions.values.reduce(0, +) == total)
        #expect(o.preliminaryLevel.code == level)
        #expect(o.finalLevel.code == level)
        #expect(o.appliedRules.isEmpty)
        #expect(o.instrument == "gbt42195-2022")
        #expect(o.version == "2022")
        #expect(!o.provisional)
        #expect(o.dimensionGrades.isEmpty)
    }

    @Test("dimension sums are reported per dimension")
    func gbtDimensionSums() throws {
        var answers = Self.allMax(gbt)
        answers["B.1.1"] = 1   // −3
        answers["B.2.4"] = 0   // −3
        answers["B.3.9"] = 1   // −1
        answers["B.4.5"] = 2   // −2
        let o = try Self.outcome(gbt, AssessmentAnswers(answers: answers))
        #expect(o.dimensions == ["B.1": 29, "B.2": 12, "B.3": 27, "B.4": 13])
        #expect(o.total == 81)
        #expect(o.finalLevel.code == 1)
    }

    // MARK: - GB/T 42195 level changes (C.4)

    @Test("coma gives level 4 from any preliminary level", arguments: [90, 70, 50, 35, 10])
    func coma(total: Int) throws {
        let o = try gbtOutcome(total: total, coma: true)
        #expect(o.finalLevel.code == 4)
        #expect(o.finalLevel.name.zh == "能力完全丧失（完全失能）")
        #expect(o.appliedRules.map(\.code) == ["coma"])
        #expect(o.preliminaryLevel.code == Self.bands(gbt).first { $0.contains(total) }!.level)
    }

    @Test("coma overrides the other rules")
    func comaOverrides() throws {
        let o = try gbtOutcome(total: 90, coma: true, diagnoses: ["F01"], riskEvents: 3)
        #expect(o.preliminaryLevel.code == 0)
        #expect(o.finalLevel.code == 4)
        #expect(o.appliedRules.map(\.code) == ["coma"])
    }

    @Test("a diagnosis from F00 to F99 makes it one level worse", arguments: ["F00", "F03.9", "F04", "F99", "f01"])
    func diagnosisRaises(code: String) throws {
        let o = try gbtOutcome(total: 80, diagnoses: [code])
        #expect(o.preliminaryLevel.code == 1)
        #expect(o.finalLevel.code == 2)
        #expect(o.appliedRules.map(\.code) == ["diagnosis"])
        #expect(o.appliedRules[0].description.zh.contains(code))
    }

    @Test("other diagnoses change nothing", arguments: [["I10"], ["G30"], ["I10", "G30", "E11.9"]])
    func diagnosisIgnored(codes: [String]) throws {
        let o = try gbtOutcome(total: 80, diagnoses: codes)
        #expect(o.preliminaryLevel.code == 1)
        #expect(o.finalLevel.code == 1)
        #expect(o.appliedRules.isEmpty)
    }

    @Test("two or more risk events in 30 days make it one level worse", arguments: [(0, 1), (1, 1), (2, 2), (3, 2)])
    func riskEvents(count: Int, level: Int) throws {
        let o = try gbtOutcome(total: 80, riskEvents: count)
        #expect(o.preliminaryLevel.code == 1)
        #expect(o.finalLevel.code == level)
        #expect(o.appliedRules.map(\.code) == (level == 2 ? ["risk_events"] : []))
    }

    @Test("diagnosis and risk events: +2 when each rule counts, +1 when they count once")
    func stacking() throws {
        let each = try gbtOutcome(total: 80, diagnoses: ["F03"], riskEvents: 2)
        #expect(gbt.adjustments.stacking == .each)
        #expect(each.preliminaryLevel.code == 1)
        #expect(each.finalLevel.code == 3)
        #expect(each.appliedRules.map(\.code) == ["diagnosis", "risk_events"])

        var onceInstrument = gbt
        onceInstrument.adjustments.stacking = .once
        let once = try gbtOutcome(total: 80, diagnoses: ["F03"], riskEvents: 2, instrument: onceInstrument)
        #expect(once.preliminaryLevel.code == 1)
        #expect(once.finalLevel.code == 2)
        #expect(once.appliedRules.map(\.code) == ["diagnosis", "risk_events"])

        let onceSingle = try gbtOutcome(total: 80, riskEvents: 5, instrument: onceInstrument)
        #expect(onceSingle.finalLevel.code == 2)
    }

    @Test("the level never goes past 能力完全丧失", arguments: [(40, 3), (10, 4)])
    func cap(total: Int, preliminary: Int) throws {
        let o = try gbtOutcome(total: total, diagnoses: ["F20"], riskEvents: 4)
        #expect(o.preliminaryLevel.code == preliminary)
        #expect(o.finalLevel.code == 4)
        #expect(o.appliedRules.map(\.code) == ["diagnosis", "risk_events"])
    }

    // MARK: - Errors

    @Test("a missing item, an unknown item and scores that are not options are all reported at once")
    func answerErrors() {
        var answers = Self.allMax(gbt)
        answers["B.1.1"] = nil
        answers["B.9.9"] = 1
        answers["B.2.4"] = 4
        answers["B.3.7"] = 2
        let found = Self.issues(gbt, AssessmentAnswers(answers: answers))
        #expect(found.count == 4)
        let pairs = Set(found.map { "\($0.field) \($0.rule)" })
        #expect(pairs == [
            "answers.B.1.1 assessment.item_missing",
            "answers.B.9.9 assessment.item_unknown",
            "answers.B.2.4 assessment.score_not_option",
            "answers.B.3.7 assessment.score_not_option",
        ])
        let notOption = found.first { $0.field == "answers.B.2.4" }
        #expect(notOption?.message.zh.contains("3、2、1、0") == true)
        #expect(found.allSatisfy { !$0.message.zh.isEmpty && !$0.message.en.isEmpty })
    }

    @Test("each answer error alone names its item", arguments: [
        ("B.1.1", nil, "assessment.item_missing"),
        ("B.9.9", 1, "assessment.item_unknown"),
        ("B.2.4", 4, "assessment.score_not_option"),
        ("B.3.7", 2, "assessment.score_not_option"),
        ("B.1.1", -1, "assessment.score_not_option"),
    ] as [(String, Int?, String)])
    func singleAnswerError(code: String, score: Int?, rule: String) {
        var answers = Self.allMax(gbt)
        answers[code] = score
        let found = Self.issues(gbt, AssessmentAnswers(answers: answers))
        #expect(found.map(\.field) == ["answers.\(code)"])
        #expect(found.map(\.rule) == [rule])
    }

    @Test("a bad diagnosis code and a negative event count are reported with the answer errors")
    func conditionErrors() {
        let bad = Self.issues(gbt, AssessmentAnswers(answers: Self.allMax(gbt), diagnoses: ["F01", "XYZ"]))
        #expect(bad.map(\.field) == ["diagnoses"])
        #expect(bad.map(\.rule) == ["assessment.diagnosis_code"])
        #expect(bad[0].message.zh.contains("XYZ"))

        let negative = Self.issues(gbt, AssessmentAnswers(answers: Self.allMax(gbt), riskEvents30d: -1))
        #expect(negative.map(\.field) == ["riskEvents30d"])
        #expect(negative.map(\.rule) == ["assessment.risk_events_negative"])

        var answers = Self.allMax(gbt)
        answers["B.4.2"] = nil
        let all = Self.issues(gbt, AssessmentAnswers(answers: answers, diagnoses: ["XYZ"], riskEvents30d: -2))
        #expect(Set(all.map(\.field)) == ["answers.B.4.2", "diagnoses", "riskEvents30d"])
    }

    @Test("a draft may leave items out but not give wrong scores")
    func draft() {
        #expect(AssessmentScoring.answerIssues(gbt, ["B.1.1": 3], requireAll: false).isEmpty)
        #expect(AssessmentScoring.answerIssues(gbt, ["B.1.1": 5], requireAll: false).map(\.rule) == ["assessment.score_not_option"])
        #expect(AssessmentScoring.answerIssues(gbt, [:], requireAll: true).count == 26)
    }

    // MARK: - Barthel

    @Test("Barthel: all best is 100 and independent")
    func barthelMax() throws {
        let o = try Self.outcome(barthel, AssessmentAnswers(answers: Self.allMax(barthel)))
        #expect(o.total == 100)
        #expect(o.dimensions == ["ADL": 100])
        #expect(o.finalLevel.code == 0)
        #expect(o.finalLevel.name.zh == "能力完好")
        #expect(o.appliedRules.isEmpty)
        #expect(o.instrument == "barthel")
    }

    @Test("Barthel levels at the MZ/T 039 cut points", arguments: [(100, 0), (95, 1), (65, 1), (60, 2), (45, 2), (40, 3), (0, 3)])
    func barthelLevels(total: Int, level: Int) throws {
        let o = try Self.outcome(barthel, AssessmentAnswers(answers: try Self.answers(barthel, total: total)))
        #expect(o.total == total)
        #expect(o.finalLevel.code == level)
    }

    @Test("Barthel: every reachable total (multiples of 5) has the documented level")
    func barthelEveryTotal() throws {
        for total in stride(from: 0, through: 100, by: 5) {
            let o = try Self.outcome(barthel, AssessmentAnswers(answers: try Self.answers(barthel, total: total)))
            let expected = total == 100 ? 0 : total >= 65 ? 1 : total >= 45 ? 2 : 3
            #expect(o.total == total)
            #expect(o.finalLevel.code == expected, "\(total)")
        }
    }

    @Test("Barthel ignores conditions: it has no level changes")
    func barthelNoAdjustments() throws {
        let o = try Self.outcome(barthel, AssessmentAnswers(answers: Self.allMax(barthel), coma: true, diagnoses: ["F01"], riskEvents30d: 3))
        #expect(o.finalLevel.code == 0)
        #expect(o.appliedRules.isEmpty)
    }

    // MARK: - LTC 2021

    @Test("LTC: all best is 基本正常 and the result is marked provisional")
    func ltcMax() throws {
        let o = try Self.outcome(ltc, AssessmentAnswers(answers: Self.allMax(ltc)))
        #expect(o.total == 128)
        #expect(o.dimensions == ["C1": 100, "C2": 16, "C3": 12])
        #expect(o.dimensionGrades == ["C1": 0, "C2": 0, "C3": 0])
        #expect(o.finalLevel.code == 0)
        #expect(o.finalLevel.name.zh == "基本正常")
        #expect(o.provisional)
        #expect(o.instrument == "ltc-2021")
    }

    @Test("LTC: all worst is 重度失能Ⅲ级")
    func ltcZero() throws {
        let o = try Self.outcome(ltc, AssessmentAnswers(answers: Self.allZero(ltc)))
        #expect(o.total == 0)
        #expect(o.dimensionGrades == ["C1": 3, "C2": 3, "C3": 3])
        #expect(o.finalLevel.code == 5)
        #expect(o.finalLevel.name.zh == "重度失能Ⅲ级")
        #expect(o.provisional)
    }

    @Test("LTC: the row is the ADL grade, the column the worse of cognition and perception")
    func ltcMixed() throws {
        var answers = try Self.answers(ltc, total: 50, in: "C1")          // grade 2
        answers = try Self.answers(ltc, total: 13, in: "C2", from: answers) // grade 1
        answers = try Self.answers(ltc, total: 7, in: "C3", from: answers)  // grade 2
        let o = try Self.outcome(ltc, AssessmentAnswers(answers: answers))
        #expect(o.dimensions == ["C1": 50, "C2": 13, "C3": 7])
        #expect(o.dimensionGrades == ["C1": 2, "C2": 1, "C3": 2])
        #expect(o.finalLevel.code == 3)       // matrix[2][2]
        #expect(o.finalLevel.name.zh == "重度失能Ⅰ级")

        // Same ADL, cognition now the worse of the two (grade 3): matrix[2][3].
        answers = try Self.answers(ltc, total: 5, in: "C2", from: answers)
        let worse = try Self.outcome(ltc, AssessmentAnswers(answers: answers))
        #expect(worse.dimensionGrades == ["C1": 2, "C2": 3, "C3": 2])
        #expect(worse.finalLevel.code == 4)

        // ADL intact, perception mildly impaired: matrix[0][1].
        var mild = Self.allMax(ltc)
        mild = try Self.answers(ltc, total: 10, in: "C3", from: mild)
        let light = try Self.outcome(ltc, AssessmentAnswers(answers: mild))
        #expect(light.dimensionGrades == ["C1": 0, "C2": 0, "C3": 1])
        #expect(light.finalLevel.code == 1)
    }

    // MARK: - ICD-10

    @Test("ICD-10 categories", arguments: [
        ("F03.9", "F03"), ("f01", "F01"), (" F00.0 ", "F00"), ("G30", "G30"), ("F0", nil), ("XYZ", nil), ("F03.", nil), ("", nil),
    ] as [(String, String?)])
    func icd10(code: String, category: String?) {
        #expect(ICD10.category(code) == category)
    }
}
