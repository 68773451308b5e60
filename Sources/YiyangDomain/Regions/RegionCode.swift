/// The level of a statistical division code (统计用区划代码). `nation` is the platform's own
/// root above the provinces (code 000000000000), so a national deployment has one top.
public enum RegionLevel: String, Sendable, Codable, CaseIterable, Comparable {
    case nation, province, city, county, township, village

    /// How many leading digits of the 12 identify a region of this level.
    public var prefixLength: Int {
        switch self {
        case .nation: 0
        case .province: 2
        case .city: 4
        case .county: 6
        case .township: 9
        case .village: 12
        }
    }

    public var depth: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: Self, b: Self) -> Bool { a.depth < b.depth }

    public var parentLevel: RegionLevel? { depth == 0 ? nil : Self.allCases[depth - 1] }

    public var name: LocalizedText {
        switch self {
        case .nation: LocalizedText(zh: "全国", en: "Nation")
        case .province: LocalizedText(zh: "省级", en: "Province")
        case .city: LocalizedText(zh: "地级", en: "City")
        case .county: LocalizedText(zh: "县级", en: "County")
        case .township: LocalizedText(zh: "乡级", en: "Township")
        case .village: LocalizedText(zh: "村级", en: "Village / community")
        }
    }

    static func forPrefixLength(_ n: Int) -> RegionLevel? {
        allCases.first { $0.prefixLength == n }
    }
}

/// A 12-digit statistical division code: 2 province + 2 city + 2 county + 3 township + 3 village
/// digits, zero-padded at higher levels (130102000000 is a county). A code's ancestors are its
/// prefixes, which is what makes "everything under 130102" a single `LIKE '130102%'`.
public struct RegionCode: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Always 12 ASCII digits.
    public let value: String
    public let level: RegionLevel

    public static let root = RegionCode(unchecked: "000000000000", level: .nation)

    private init(unchecked value: String, level: RegionLevel) {
        self.value = value
        self.level = level
    }

    public enum Problem: Error, Sendable, Equatable {
        case notDigits
        case wrongLength(Int)
        /// A segment is zero while a lower segment is not (e.g. 130100000001: village under
        /// township 000), or a level's own segment is zero.
        case doesNotNest
    }

    /// Accepts the 12-digit padded form and the short forms of 2, 4, 6 and 9 digits.
    public static func parse(_ raw: String) -> Result<RegionCode, Problem> {
        let text = raw.trimmingASCIIWhitespace()
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return .failure(.notDigits) }
        let digits = Array(text.utf8)
        switch digits.count {
        case 2, 4, 6, 9:
            let level = RegionLevel.forPrefixLength(digits.count)!
            let padded = text + String(repeating: "0", count: 12 - digits.count)
            return check(padded, level: level)
        case 12:
            if text == root.value { return .success(root) }
            // The level is the deepest segment that is not all zeros.
            let levels: [RegionLevel] = [.village, .township, .county, .city, .province]
            for level in levels {
                let start = level.parentLevel!.prefixLength
                let segment = digits[start..<level.prefixLength]
                if segment.contains(where: { $0 != 48 }) { return check(text, level: level) }
            }
            return .failure(.doesNotNest)
        default:
            return .failure(.wrongLength(digits.count))
        }
    }

    public init?(_ raw: String) {
        guard case .success(let code) = Self.parse(raw) else { return nil }
        self = code
    }

    private static func check(_ padded: String, level: RegionLevel) -> Result<RegionCode, Problem> {
        let digits = Array(padded.utf8)
        // Every segment down to the code's own level must be non-zero: a county code needs a
        // real province and city above it, not 00.
        var previous = 0
        for l in RegionLevel.allCases.dropFirst() where l <= level {
            if digits[previous..<l.prefixLength].allSatisfy({ $0 == 48 }) { return .failure(.doesNotNest) }
            previous = l.prefixLength
        }
        if digits[level.prefixLength...].contains(where: { $0 != 48 }) { return .failure(.doesNotNest) }
        return .success(RegionCode(unchecked: padded, level: level))
    }

    /// The digits that identify this region; every descendant's code starts with them.
    public var prefix: String { String(value.prefix(level.prefixLength)) }

    public var parent: RegionCode? {
        guard let parentLevel = level.parentLevel else { return nil }
        if parentLevel == .nation { return .root }
        let p = String(value.prefix(parentLevel.prefixLength))
        return RegionCode(unchecked: p + String(repeating: "0", count: 12 - p.count), level: parentLevel)
    }

    /// This region and its ancestors up to the root, nearest first.
    public var lineage: [RegionCode] {
        var out = [self]
        while let p = out.last!.parent { out.append(p) }
        return out
    }

    /// True when `other` is this region or lies below it.
    public func contains(_ other: RegionCode) -> Bool {
        other.value.hasPrefix(prefix) && other.level >= level
    }

    public var description: String { value }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// The 城乡分类代码 of a village-level unit, as the statistics bureau publishes it.
public enum UrbanRuralClass: String, Sendable, Codable, CaseIterable {
    case mainUrban = "111"
    case urbanFringe = "112"
    case townCentre = "121"
    case townFringe = "122"
    case specialArea = "123"
    case townshipCentre = "210"
    case village = "220"

    public var name: LocalizedText {
        switch self {
        case .mainUrban: LocalizedText(zh: "主城区", en: "Main urban area")
        case .urbanFringe: LocalizedText(zh: "城乡结合区", en: "Urban-rural fringe")
        case .townCentre: LocalizedText(zh: "镇中心区", en: "Town centre")
        case .townFringe: LocalizedText(zh: "镇乡结合区", en: "Town-rural fringe")
        case .specialArea: LocalizedText(zh: "特殊区域", en: "Special area")
        case .townshipCentre: LocalizedText(zh: "乡中心区", en: "Township centre")
        case .village: LocalizedText(zh: "村庄", en: "Village")
        }
    }

    public var isUrban: Bool { rawValue.hasPrefix("1") }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\u{3000}" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\u{3000}" { s = s.dropLast() }
        return String(s)
    }
}
