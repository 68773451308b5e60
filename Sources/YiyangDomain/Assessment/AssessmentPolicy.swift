import Foundation

/// A bureau's settings for assessments, as data with the date they take effect.
public struct AssessmentPolicy: Sendable, Codable, Hashable {
    /// How long a result stays valid.
    public var validityMonths: Int
    /// Assessors per assessment (the standard's practice: two).
    public var assessorsRequired: Int
    /// People whose result runs out within this many days are listed as due.
    public var dueSoonDays: Int
    /// Age from which a person without a valid result is due (the plans: everyone 80+).
    public var dueAge: Int
    /// How GB/T 42195's "one level worse" rules combine.
    public var stacking: LevelAdjustmentPolicy.Stacking
    /// Barthel dependency bands, replacing the shipped ones when set.
    public var barthelBands: [ScoreBand]?
    /// The long-term-care combination table, replacing the provisional one when set; with
    /// `ltcConfirmed` the bureau states it has checked it against the official text.
    public var ltcTable: CombinationTable?
    public var ltcConfirmed: Bool

    public init(validityMonths: Int = 12, assessorsRequired: Int = 2, dueSoonDays: Int = 30, dueAge: Int = 80,
                stacking: LevelAdjustmentPolicy.Stacking = .each, barthelBands: [ScoreBand]? = nil,
                ltcTable: CombinationTable? = nil, ltcConfirmed: Bool = false) {
        self.validityMonths = validityMonths; self.assessorsRequired = assessorsRequired; self.dueSoonDays = dueSoonDays
        self.dueAge = dueAge; self.stacking = stacking; self.barthelBands = barthelBands; self.ltcTable = ltcTable; self.ltcConfirmed = ltcConfirmed
    }

    public static let defaults = AssessmentPolicy()

    /// Problems with the settings, each naming its field.
    public func issues() -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        if !(1...60).contains(validityMonths) {
            out.append(.init(field: "validityMonths", rule: "policy.range", message: .init(zh: "有效期应为 1–60 个月", en: "validityMonths must be 1–60")))
        }
        if !(1...5).contains(assessorsRequired) {
            out.append(.init(field: "assessorsRequired", rule: "policy.range", message: .init(zh: "评估员人数应为 1–5", en: "assessorsRequired must be 1–5")))
        }
        if !(0...365).contains(dueSoonDays) {
            out.append(.init(field: "dueSoonDays", rule: "policy.range", message: .init(zh: "提前提醒天数应为 0–365", en: "dueSoonDays must be 0–365")))
        }
        if !(60...120).contains(dueAge) {
            out.append(.init(field: "dueAge", rule: "policy.range", message: .init(zh: "应评估年龄应为 60–120", en: "dueAge must be 60–120")))
        }
        if let bands = barthelBands, !Self.covers(bands, 0...100) {
            out.append(.init(field: "barthelBands", rule: "policy.bands_gap", message: .init(
                zh: "Barthel 分级区间须无缝覆盖 0–100 分且互不重叠", en: "barthelBands must cover 0–100 without gaps or overlaps")))
        }
        return out
    }

    /// Whether bands cover every score of `range` exactly once.
    public static func covers(_ bands: [ScoreBand], _ range: ClosedRange<Int>) -> Bool {
        range.allSatisfy { s in bands.filter { $0.contains(s) }.count == 1 }
    }

    /// The instrument with this policy's settings applied.
    public func apply(to instrument: AssessmentInstrument) -> AssessmentInstrument {
        var i = instrument
        if i.adjustments != .none { i.adjustments.stacking = stacking }
        if i.id == "barthel", let bands = barthelBands { i.method = .totalBands(bands) }
        if i.id == "ltc-2021" {
            if let table = ltcTable { i.method = .combination(table) }
            i.provisional = !ltcConfirmed
        }
        return i
    }
}

/// A policy and the day it takes effect; the one in force on a day is the latest that started.
public struct DatedAssessmentPolicy: Sendable, Codable, Hashable {
    public var effectiveFrom: CalendarDate
    public var policy: AssessmentPolicy

    public init(effectiveFrom: CalendarDate, policy: AssessmentPolicy) {
        self.effectiveFrom = effectiveFrom; self.policy = policy
    }

    public static func inForce(_ versions: [DatedAssessmentPolicy], on day: CalendarDate) -> AssessmentPolicy {
        versions.filter { $0.effectiveFrom <= day }.max { $0.effectiveFrom < $1.effectiveFrom }?.policy ?? .defaults
    }
}

extension CalendarDate {
    /// The same day `n` months later, or the month's last day when it has no such day.
    public func addingMonths(_ n: Int) -> CalendarDate {
        let total = year * 12 + (month - 1) + n
        let y = total / 12, m = total % 12 + 1
        return CalendarDate(year: y, month: m, day: Swift.min(day, CalendarDate.daysIn(year: y, month: m)))!
    }

    public func addingDays(_ n: Int) -> CalendarDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        let c = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: n, to: start)!)
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The last day of a result's validity: `months` later, less one day.
    public func validUntil(months: Int) -> CalendarDate { addingMonths(months).addingDays(-1) }
}
