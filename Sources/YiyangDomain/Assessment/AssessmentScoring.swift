import Foundation

/// What an assessor records: a score per item, and the conditions that change the level.
public struct AssessmentAnswers: Sendable, Codable, Hashable {
    public var answers: [String: Int]
    public var coma: Bool
    /// ICD-10 codes diagnosed (such as `F01` or `F03.9`).
    public var diagnoses: [String]
    /// Care-risk events (falls, choking, suicide, self-harm, wandering…) in the last 30 days.
    public var riskEvents30d: Int

    public init(answers: [String: Int], coma: Bool = false, diagnoses: [String] = [], riskEvents30d: Int = 0) {
        self.answers = answers; self.coma = coma; self.diagnoses = diagnoses; self.riskEvents30d = riskEvents30d
    }
}

/// A rule that changed the level, with why.
public struct AppliedRule: Sendable, Codable, Hashable {
    /// `coma`, `diagnosis` or `risk_events`.
    public var code: String
    public var description: LocalizedText

    public init(code: String, description: LocalizedText) {
        self.code = code; self.description = description
    }
}

/// The result of scoring: totals, levels, and the rules that applied.
public struct AssessmentOutcome: Sendable, Codable, Hashable {
    public var instrument: String
    public var version: String
    public var total: Int
    public var dimensions: [String: Int]
    /// Grade per dimension, for instruments that combine grades.
    public var dimensionGrades: [String: Int]
    public var preliminaryLevel: AssessmentLevel
    public var finalLevel: AssessmentLevel
    public var appliedRules: [AppliedRule]
    public var provisional: Bool
}

public enum AssessmentScoring {
    /// Scores a complete set of answers. Every missing item, unknown item and score that is not
    /// an option of its item is reported, each naming the item.
    public static func score(_ instrument: AssessmentInstrument, _ input: AssessmentAnswers) -> Result<AssessmentOutcome, ValidationIssues> {
        var issues = answerIssues(instrument, input.answers, requireAll: true)
        if input.riskEvents30d < 0 {
            issues.append(ValidationIssue(field: "riskEvents30d", rule: "assessment.risk_events_negative",
                                          message: .init(zh: "近30天照护风险事件次数不能为负数", en: "riskEvents30d cannot be negative")))
        }
        for code in input.diagnoses where ICD10.category(code) == nil {
            issues.append(ValidationIssue(field: "diagnoses", rule: "assessment.diagnosis_code",
                                          message: .init(zh: "“\(code)”不是有效的 ICD-10 编码", en: "“\(code)” is not an ICD-10 code")))
        }
        guard issues.isEmpty else { return .failure(ValidationIssues(issues)) }

        var dimensions: [String: Int] = [:]
        for d in instrument.dimensions { dimensions[d.code] = 0 }
        for item in instrument.items { dimensions[item.dimension, default: 0] += input.answers[item.code]! }
        let total = dimensions.values.reduce(0, +)

        var grades: [String: Int] = [:]
        let preliminary: Int
        switch instrument.method {
        case .totalBands(let bands):
            guard let band = bands.first(where: { $0.contains(total) }) else {
                return .failure(ValidationIssues([ValidationIssue(field: "answers", rule: "assessment.no_band", message: .init(
                    zh: "总分 \(total) 不在任何等级区间内，请检查等级设置", en: "The total \(total) is in no level band; check the instrument's settings"))]))
            }
            preliminary = band.level
        case .combination(let table):
            for (code, bands) in table.dimensionBands {
                guard let band = bands.first(where: { $0.contains(dimensions[code] ?? 0) }) else {
                    return .failure(ValidationIssues([ValidationIssue(field: "answers", rule: "assessment.no_band", message: .init(
                        zh: "\(code) 得分 \(dimensions[code] ?? 0) 不在任何分级区间内，请检查等级设置", en: "\(code) score \(dimensions[code] ?? 0) is in no grade band; check the settings"))]))
                }
                grades[code] = band.level
            }
            let row = grades[table.rowDimension] ?? 0
            let column = table.columnDimensions.map { grades[$0] ?? 0 }.max() ?? 0
            guard table.matrix.indices.contains(row), table.matrix[row].indices.contains(column) else {
                return .failure(ValidationIssues([ValidationIssue(field: "answers", rule: "assessment.matrix", message: .init(
                    zh: "组合矩阵缺少第 \(row) 行第 \(column) 列", en: "The combination matrix has no cell (\(row), \(column))"))]))
            }
            preliminary = table.matrix[row][column]
        }

        let (final, rules) = adjust(preliminary, instrument: instrument, input: input)
        return .success(AssessmentOutcome(
            instrument: instrument.id, version: instrument.version, total: total, dimensions: dimensions, dimensionGrades: grades,
            preliminaryLevel: instrument.level(preliminary)!, finalLevel: instrument.level(final)!, appliedRules: rules,
            provisional: instrument.provisional))
    }

    /// Checks answers; with `requireAll` false (a draft) missing items are fine.
    public static func answerIssues(_ instrument: AssessmentInstrument, _ answers: [String: Int], requireAll: Bool) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for code in answers.keys.sorted() where instrument.item(code) == nil {
            issues.append(ValidationIssue(field: "answers.\(code)", rule: "assessment.item_unknown",
                                          message: .init(zh: "\(instrument.name) 没有项目 \(code)", en: "\(instrument.id) has no item \(code)")))
        }
        for item in instrument.items {
            guard let score = answers[item.code] else {
                if requireAll {
                    issues.append(ValidationIssue(field: "answers.\(item.code)", rule: "assessment.item_missing",
                                                  message: .init(zh: "\(item.code) \(item.name) 未作答", en: "\(item.code) \(item.name) has no answer")))
                }
                continue
            }
            if !item.allows(score) {
                let allowed = item.options.map { String($0.score) }.joined(separator: "、")
                issues.append(ValidationIssue(field: "answers.\(item.code)", rule: "assessment.score_not_option",
                                              message: .init(zh: "\(item.code) \(item.name) 的得分 \(score) 不是可选项（可选：\(allowed)）",
                                                             en: "\(item.code) \(item.name): \(score) is not one of its options (\(allowed))")))
            }
        }
        return issues
    }

    /// The level changes of C.4, in the standard's order. Coma sets the worst level directly;
    /// the others move it one step each (or once, per the policy), never beyond the worst.
    static func adjust(_ preliminary: Int, instrument: AssessmentInstrument, input: AssessmentAnswers) -> (Int, [AppliedRule]) {
        let policy = instrument.adjustments
        let worst = instrument.worstLevel
        var rules: [AppliedRule] = []
        if input.coma, let coma = policy.comaLevel {
            let name = instrument.level(coma)?.name ?? .init(zh: "\(coma)", en: "\(coma)")
            rules.append(AppliedRule(code: "coma", description: .init(zh: "处于昏迷状态，直接评定为\(name.zh)", en: "In a coma: directly \(name.en)")))
            return (coma, rules)
        }
        var steps = 0
        if let from = policy.diagnosisFrom, let to = policy.diagnosisTo {
            let matching = input.diagnoses.filter { ICD10.category($0).map { $0 >= from && $0 <= to } ?? false }
            if !matching.isEmpty {
                steps += 1
                rules.append(AppliedRule(code: "diagnosis", description: .init(
                    zh: "确诊痴呆或其他精神和行为障碍（\(matching.joined(separator: "、"))），提高一个等级",
                    en: "Diagnosed dementia or another mental or behavioural disorder (\(matching.joined(separator: ", "))): one level worse")))
            }
        }
        if let threshold = policy.riskEventThreshold, input.riskEvents30d >= threshold {
            steps += 1
            rules.append(AppliedRule(code: "risk_events", description: .init(
                zh: "近30天内发生照护风险事件 \(input.riskEvents30d) 次（≥\(threshold)），提高一个等级",
                en: "\(input.riskEvents30d) care-risk events in the last 30 days (≥\(threshold)): one level worse")))
        }
        if policy.stacking == .once { steps = min(steps, 1) }
        return (min(worst, preliminary + steps), rules)
    }
}

/// ICD-10 codes as assessors write them: `F01`, `f03.9`, `F00.0`.
public enum ICD10 {
    /// The three-character category (`F03`), or nil when the code is not ICD-10 shaped.
    public static func category(_ code: String) -> String? {
        let c = code.trimmingCharacters(in: .whitespaces).uppercased()
        let chars = Array(c)
        guard chars.count >= 3, chars[0].isASCII, chars[0].isLetter, chars[1].isASCII, chars[1].isNumber,
              chars[2].isASCII, chars[2].isNumber || chars[0] == "U" else { return nil }
        if chars.count > 3 {
            guard chars[3] == ".", chars.count > 4, chars[4...].allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else { return nil }
        }
        return String(chars[0..<3])
    }
}
