import Foundation
import Synchronization

/// One entry of a code list the registry uses (categories, economic status, living
/// arrangement, status). These are the lists a new deployment starts with; they are rows of a
/// table afterwards, and a bureau adds its own.
public struct ReferenceCode: Sendable, Hashable, Codable {
    public var kind: Kind
    public var code: String
    public var name: LocalizedText

    public enum Kind: String, Sendable, Codable, CaseIterable {
        case category, economicStatus = "economic_status", livingArrangement = "living_arrangement", healthInsurance = "health_insurance"
    }

    public init(_ kind: Kind, _ code: String, zh: String, en: String) {
        self.kind = kind; self.code = code; self.name = LocalizedText(zh: zh, en: en)
    }

    public static let defaults: [ReferenceCode] = [
        .init(.category, "empty_nest", zh: "空巢", en: "Empty nest"),
        .init(.category, "living_alone", zh: "独居", en: "Living alone"),
        .init(.category, "left_behind", zh: "留守", en: "Left behind"),
        .init(.category, "disabled_care", zh: "失能", en: "Loss of capability"),
        .init(.category, "dementia", zh: "失智", en: "Dementia"),
        .init(.category, "disability", zh: "残疾", en: "Disabled person"),
        .init(.category, "family_planning_special", zh: "计划生育特殊家庭", en: "Special family-planning family"),
        .init(.category, "veteran", zh: "重点优抚对象", en: "Veteran / entitled group"),
        .init(.economicStatus, "extreme_poverty", zh: "特困", en: "Extreme poverty (特困)"),
        .init(.economicStatus, "minimum_living", zh: "低保", en: "Minimum living allowance (低保)"),
        .init(.economicStatus, "low_income", zh: "低收入", en: "Low income"),
        .init(.economicStatus, "ordinary", zh: "一般", en: "Ordinary"),
        .init(.livingArrangement, "alone", zh: "独居", en: "Alone"),
        .init(.livingArrangement, "with_spouse", zh: "与配偶同住", en: "With spouse"),
        .init(.livingArrangement, "with_children", zh: "与子女同住", en: "With children"),
        .init(.livingArrangement, "with_others", zh: "与其他亲属或他人同住", en: "With others"),
        .init(.livingArrangement, "institution", zh: "入住养老机构", en: "In an institution"),
        .init(.healthInsurance, "employee", zh: "职工医保", en: "Employee medical insurance"),
        .init(.healthInsurance, "resident", zh: "城乡居民医保", en: "Resident medical insurance"),
        .init(.healthInsurance, "none", zh: "无", en: "None"),
    ]

    /// Age from which a person counts as 高龄: derived from the birth date, never stored.
    public static let advancedAge = 80
}

/// Where a person stands in the registry.
public enum ElderStatus: String, Sendable, Codable, CaseIterable {
    case living, deceased
    case movedOut = "moved_out"

    public var name: LocalizedText {
        switch self {
        case .living: LocalizedText(zh: "在册", en: "Living")
        case .deceased: LocalizedText(zh: "已故", en: "Deceased")
        case .movedOut: LocalizedText(zh: "已迁出", en: "Moved out")
        }
    }
}

/// Pinyin initials of a Chinese name (张三丰 → zsf), for searching the way staff type.
/// The transliteration is slow, and names reuse few characters, so each character's initial
/// is remembered.
public enum PinyinInitials {
    private static let cache = Mutex<[Character: Character?]>([:])

    public static func of(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isASCII {
                if ch.isLetter { out.append(Character(ch.lowercased())) }
                continue
            }
            if let initial = initial(ch) { out.append(initial) }
        }
        return out
    }

    static func initial(_ ch: Character) -> Character? {
        if let hit = cache.withLock({ $0[ch] }) { return hit }
        var found: Character? = nil
        if let latin = String(ch).applyingTransform(.mandarinToLatin, reverse: false)?
            .applyingTransform(.stripDiacritics, reverse: false), let first = latin.first, first.isASCII, first.isLetter {
            found = Character(first.lowercased())
        }
        cache.withLock { $0[ch] = .some(found) }
        return found
    }
}
