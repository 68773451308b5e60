import Foundation

/// What an institution had in a month, as the subsidies to institutions count it.
public struct InstitutionMonthFacts: Sendable, Hashable, Codable {
    /// A resident on the roll: admitted on or before a day, discharged (or died) after it or not at all.
    public struct Resident: Sendable, Hashable, Codable {
        public var id: UUID
        public var admittedOn: CalendarDate
        public var dischargedOn: CalendarDate?
        /// The resident's latest signed-off assessment, if any.
        public var assessment: PersonFacts.Assessment?
        public init(id: UUID, admittedOn: CalendarDate, dischargedOn: CalendarDate? = nil, assessment: PersonFacts.Assessment? = nil) {
            self.id = id; self.admittedOn = admittedOn; self.dischargedOn = dischargedOn; self.assessment = assessment
        }
        /// On the roll at the end of a day: admitted by then and not yet discharged.
        public func onRoll(at day: CalendarDate) -> Bool { admittedOn <= day && (dischargedOn.map { $0 > day } ?? true) }
    }

    /// New beds accepted (验收) on a day.
    public struct NewBeds: Sendable, Hashable, Codable {
        public var kind: String
        public var count: Int
        public var acceptedOn: CalendarDate
        public init(kind: String, count: Int, acceptedOn: CalendarDate) { self.kind = kind; self.count = count; self.acceptedOn = acceptedOn }
    }

    public var residents: [Resident]
    public var newBeds: [NewBeds]
    public init(residents: [Resident] = [], newBeds: [NewBeds] = []) { self.residents = residents; self.newBeds = newBeds }
}

/// What a policy to institutions pays one institution for a month, line by line.
public struct InstitutionSubsidy: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        /// What is counted: `level_4`, `nursing`…
        public var code: String
        public var label: LocalizedText
        public var count: Int
        public var unitFen: Int
        public var fen: Int
    }
    public var benefitType: String
    public var policyID: UUID
    public var policyVersion: Int
    public var lines: [Line]
    public var amountFen: Int
    /// Counted but paying nothing, with why (no valid assessment, a level without an amount).
    public var notCounted: [LocalizedText]
}

/// The subsidies to institutions: per resident a month by assessed level, or once per newly
/// accepted bed. Residents count when on the roll at the month's end with an assessment of the
/// policy's instrument valid on that day; beds count in the month they are accepted.
public enum InstitutionSubsidies {
    public static func decide(_ facts: InstitutionMonthFacts, month: Month, policy: BenefitPolicy) -> InstitutionSubsidy? {
        guard let rule = policy.institution, policy.inForce(month) else { return nil }
        var lines: [InstitutionSubsidy.Line] = []
        var notCounted: [LocalizedText] = []
        switch rule.basis {
        case .residentMonth:
            let end = month.lastDay
            var byLevel: [Int: Int] = [:]
            var unassessed = 0, otherLevels = 0
            for r in facts.residents where r.onRoll(at: end) {
                guard let a = r.assessment, a.instrument == rule.instrument, a.validUntil >= end else { unassessed += 1; continue }
                if (rule.perResidentByLevel ?? []).contains(where: { $0.level == a.level }) { byLevel[a.level, default: 0] += 1 } else { otherLevels += 1 }
            }
            for band in (rule.perResidentByLevel ?? []).sorted(by: { $0.level < $1.level }) {
                let n = byLevel[band.level] ?? 0
                guard n > 0 else { continue }
                lines.append(.init(code: "level_\(band.level)", label: .init(zh: "月末在院第 \(band.level) 级老人", en: "Residents at level \(band.level) at the month's end"),
                                   count: n, unitFen: band.fen, fen: n * band.fen))
            }
            if unassessed > 0 {
                notCounted.append(.init(zh: "\(unassessed) 位在院老人月末没有有效的能力评估结果，不计入", en: "\(unassessed) residents had no valid assessment at the month's end"))
            }
            if otherLevels > 0 {
                notCounted.append(.init(zh: "\(otherLevels) 位在院老人的评估等级不在补贴范围内", en: "\(otherLevels) residents were at levels the policy does not pay for"))
            }
        case .newBed:
            let kinds = Set(rule.bedKinds ?? [])
            for kind in (rule.bedKinds ?? []) {
                let n = facts.newBeds.filter { $0.kind == kind && Month($0.acceptedOn) == month }.reduce(0) { $0 + $1.count }
                guard n > 0 else { continue }
                let name = InstitutionRule.bedKindName(kind)
                lines.append(.init(code: kind, label: .init(zh: "本月验收的新增\(name.zh)", en: "New \(name.en) accepted this month"),
                                   count: n, unitFen: rule.perBedFen ?? 0, fen: n * (rule.perBedFen ?? 0)))
            }
            let others = facts.newBeds.filter { !kinds.contains($0.kind) && Month($0.acceptedOn) == month }.reduce(0) { $0 + $1.count }
            if others > 0 {
                notCounted.append(.init(zh: "本月验收的其他类型床位 \(others) 张不在补贴范围内", en: "\(others) other beds accepted this month are not subsidised"))
            }
        }
        return InstitutionSubsidy(benefitType: policy.benefitType, policyID: policy.id, policyVersion: policy.version, lines: lines,
                                  amountFen: lines.reduce(0) { $0 + $1.fen }, notCounted: notCounted)
    }
}
