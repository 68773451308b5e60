import Foundation

/// One answer choice of an item, as printed in the standard.
public struct AssessmentOption: Sendable, Codable, Hashable {
    public var score: Int
    public var text: String

    public init(_ score: Int, _ text: String) {
        self.score = score
        self.text = text
    }
}

/// One item (二级指标) of an instrument, coded as in the standard (`B.1.1`).
public struct AssessmentItem: Sendable, Codable, Hashable {
    public var code: String
    /// The code of its dimension (一级指标), such as `B.1`.
    public var dimension: String
    public var name: String
    /// What the item measures, as the standard defines it.
    public var definition: String
    /// Best first.
    public var options: [AssessmentOption]

    public init(_ code: String, dimension: String, name: String, definition: String, options: [AssessmentOption]) {
        self.code = code; self.dimension = dimension; self.name = name; self.definition = definition; self.options = options
    }

    public var maxScore: Int { options.map(\.score).max() ?? 0 }
    public func allows(_ score: Int) -> Bool { options.contains { $0.score == score } }
}

/// A dimension (一级指标): its items' scores add up.
public struct AssessmentDimension: Sendable, Codable, Hashable {
    public var code: String
    public var name: String
    public var maxScore: Int

    public init(_ code: String, name: String, maxScore: Int) {
        self.code = code; self.name = name; self.maxScore = maxScore
    }
}

/// A level of an instrument's scale: code 0 is the best.
public struct AssessmentLevel: Sendable, Codable, Hashable {
    public var code: Int
    public var name: LocalizedText

    public init(_ code: Int, zh: String, en: String) {
        self.code = code
        self.name = LocalizedText(zh: zh, en: en)
    }
}

/// A score range that gives a level (both ends included).
public struct ScoreBand: Sendable, Codable, Hashable {
    public var level: Int
    public var min: Int
    public var max: Int

    public init(level: Int, min: Int, max: Int) {
        self.level = level; self.min = min; self.max = max
    }

    public func contains(_ score: Int) -> Bool { score >= min && score <= max }
}

/// How a level follows from the scores.
public enum LevelMethod: Sendable, Codable, Hashable {
    /// The total falls in one band (GB/T 42195 C.3, Barthel).
    case totalBands([ScoreBand])
    /// Each listed dimension gets a grade from its own bands; the final level is read from a
    /// matrix whose rows are the grade of `rowDimension` and whose columns are the worst grade
    /// of `columnDimensions` (the 组合法 of the long-term-care standard).
    case combination(CombinationTable)
}

public struct CombinationTable: Sendable, Codable, Hashable {
    /// Dimension code → its grade bands (grade 0 best).
    public var dimensionBands: [String: [ScoreBand]]
    public var gradeNames: [AssessmentLevel]
    public var rowDimension: String
    public var columnDimensions: [String]
    /// `matrix[row grade][column grade]` → level code.
    public var matrix: [[Int]]

    public init(dimensionBands: [String: [ScoreBand]], gradeNames: [AssessmentLevel], rowDimension: String,
                columnDimensions: [String], matrix: [[Int]]) {
        self.dimensionBands = dimensionBands; self.gradeNames = gradeNames; self.rowDimension = rowDimension
        self.columnDimensions = columnDimensions; self.matrix = matrix
    }
}

/// The level changes of GB/T 42195-2022 C.4, with their numbers as settings.
public struct LevelAdjustmentPolicy: Sendable, Codable, Hashable {
    /// How several "one level worse" rules combine.
    public enum Stacking: String, Sendable, Codable, CaseIterable {
        /// Each rule that holds moves the level one step (capped at the worst level).
        case each
        /// However many hold, the level moves one step once.
        case once
    }

    /// A person in a coma gets this level directly (C.4 item 1: 能力完全丧失).
    public var comaLevel: Int?
    /// ICD-10 codes from `diagnosisFrom` to `diagnosisTo` (by their three-character category)
    /// make the level one step worse (C.4 item 2: F00–F03 dementia, F04–F99 other mental and
    /// behavioural disorders diagnosed by a psychiatrist).
    public var diagnosisFrom: String?
    public var diagnosisTo: String?
    /// This many care-risk events in the last 30 days or more make it one step worse (C.4 item 3).
    public var riskEventThreshold: Int?
    public var stacking: Stacking

    public init(comaLevel: Int?, diagnosisFrom: String?, diagnosisTo: String?, riskEventThreshold: Int?, stacking: Stacking) {
        self.comaLevel = comaLevel; self.diagnosisFrom = diagnosisFrom; self.diagnosisTo = diagnosisTo
        self.riskEventThreshold = riskEventThreshold; self.stacking = stacking
    }

    public static let none = LevelAdjustmentPolicy(comaLevel: nil, diagnosisFrom: nil, diagnosisTo: nil, riskEventThreshold: nil, stacking: .each)
}

/// An assessment instrument as versioned data: items, options, dimensions, levels, the way a
/// level follows from the scores, and the adjustment rules. A result always names the
/// instrument and version that made it.
public struct AssessmentInstrument: Sendable, Codable, Hashable {
    public var id: String
    public var version: String
    public var name: String
    public var source: String
    public var dimensions: [AssessmentDimension]
    public var items: [AssessmentItem]
    public var levels: [AssessmentLevel]
    public var method: LevelMethod
    public var adjustments: LevelAdjustmentPolicy
    /// True while a part of the instrument (bands, matrix) is not confirmed against the
    /// official text: the UI says so beside every result.
    public var provisional: Bool
    /// Whether the form asks for coma, diagnoses and risk events.
    public var asksConditions: Bool { adjustments != .none }

    public init(id: String, version: String, name: String, source: String, dimensions: [AssessmentDimension], items: [AssessmentItem],
                levels: [AssessmentLevel], method: LevelMethod, adjustments: LevelAdjustmentPolicy = .none, provisional: Bool = false) {
        self.id = id; self.version = version; self.name = name; self.source = source; self.dimensions = dimensions; self.items = items
        self.levels = levels; self.method = method; self.adjustments = adjustments; self.provisional = provisional
    }

    public var maxScore: Int { items.reduce(0) { $0 + $1.maxScore } }
    public func item(_ code: String) -> AssessmentItem? { items.first { $0.code == code } }
    public func level(_ code: Int) -> AssessmentLevel? { levels.first { $0.code == code } }
    public var worstLevel: Int { levels.map(\.code).max() ?? 0 }
}
