import Foundation

public enum Gender: String, Sendable, Codable, CaseIterable {
    case male, female

    public var name: LocalizedText {
        switch self {
        case .male: LocalizedText(zh: "男", en: "Male")
        case .female: LocalizedText(zh: "女", en: "Female")
        }
    }

    /// Reads 男/女, male/female, M/F, 1/2 as rosters write them.
    public static func parse(_ raw: String) -> Gender? {
        switch raw.trimmingCharacters(in: .whitespaces).lowercased() {
        case "男", "男性", "male", "m", "1": .male
        case "女", "女性", "female", "f", "2": .female
        default: nil
        }
    }
}

/// A calendar date without a time, as the registry keeps birth and event dates.
public struct CalendarDate: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1800...2200).contains(year), (1...12).contains(month), day >= 1, day <= Self.daysIn(year: year, month: month) else { return nil }
        self.year = year; self.month = month; self.day = day
    }

    /// `YYYY-MM-DD`, also `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYYMMDD` and `YYYY年M月D日`.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.count == 8, t.allSatisfy(\.isASCII), let y = Int(t.prefix(4)), let m = Int(t.dropFirst(4).prefix(2)), let d = Int(t.suffix(2)) {
            self.init(year: y, month: m, day: d); return
        }
        let parts = t.replacingOccurrences(of: "年", with: "-").replacingOccurrences(of: "月", with: "-").replacingOccurrences(of: "日", with: "")
            .split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." }).map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2] else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// A spreadsheet date serial (days since 1899-12-30, the 1900 system).
    public init?(excelSerial: Int) {
        let c = ChinaTime.calendar
        var base = DateComponents()
        base.year = 1899; base.month = 12; base.day = 30
        guard let start = c.date(from: base), let d = c.date(byAdding: .day, value: excelSerial, to: start) else { return nil }
        let dc = c.dateComponents([.year, .month, .day], from: d)
        self.init(year: dc.year!, month: dc.month!, day: dc.day!)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// In JSON a date is its `YYYY-MM-DD` text, as every API field with a date is.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let d = CalendarDate(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(text) is not a YYYY-MM-DD date")
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    /// Whole years of age on `date`.
    public func age(on date: CalendarDate) -> Int {
        var age = date.year - year
        if (date.month, date.day) < (month, day) { age -= 1 }
        return age
    }

    /// Today in China Standard Time.
    public static func today(_ now: Date = Date()) -> CalendarDate {
        let c = ChinaTime.calendar.dateComponents([.year, .month, .day], from: now)
        return CalendarDate(year: c.year!, month: c.month!, day: c.day!)!
    }

    /// The latest birth date of someone who is at least `age` on `date`.
    public func yearsBefore(_ age: Int) -> CalendarDate {
        let y = year - age
        return CalendarDate(year: y, month: month, day: min(day, Self.daysIn(year: y, month: month)))!
    }
}

/// A citizen identity number (公民身份号码, GB 11643-1999): 6-digit address code, 8-digit birth
/// date, 3-digit sequence (odd: male, even: female), and an ISO 7064 MOD 11-2 check character.
public struct CitizenID: Sendable, Hashable, CustomStringConvertible {
    /// 18 characters, upper-case X.
    public let value: String
    public let birthDate: CalendarDate
    public let gender: Gender
    /// The county-level code of the household registration when the number was issued.
    public var addressCode: String { String(value.prefix(6)) }
    /// True when the input was a 15-digit legacy number, upgraded here.
    public let upgradedFromLegacy: Bool

    public enum Problem: Error, Sendable, Equatable {
        case empty
        case length(Int)
        case characters
        /// The first two digits name no province, autonomous region, municipality or SAR (GB/T 2260).
        case region(String)
        case birthDate
        case checkDigit(expected: Character)
    }

    /// The province-level codes of GB/T 2260 that numbers start with: every county code lies
    /// under one. The county digits are not checked, as numbers keep the codes of counties since
    /// merged or renamed, which no current table lists.
    static let provinceCodes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
        "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
    ]

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check character of the first 17 digits.
    public static func checkCharacter(for first17: String) -> Character {
        let sum = zip(first17.compactMap(\.wholeNumberValue), weights).reduce(0) { $0 + $1.0 * $1.1 }
        return checkCharacters[sum % 11]
    }

    public static func parse(_ raw: String, today: CalendarDate = .today()) -> Result<CitizenID, Problem> {
        let text = raw.trimmingCharacters(in: .whitespaces).uppercased()
        if text.isEmpty { return .failure(.empty) }
        let chars = Array(text)
        switch chars.count {
        case 15:
            guard chars.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.characters) }
            guard provinceCodes.contains(String(chars[0...1])) else { return .failure(.region(String(chars[0...1]))) }
            // Legacy numbers have a two-digit year; sequence 996–999 was kept for people born in the 1800s.
            let sequence = Int(String(chars[12...14]))!
            let century = sequence >= 996 ? "18" : "19"
            let first17 = String(chars[0...5]) + century + String(chars[6...14])
            return build(first17 + String(checkCharacter(for: first17)), today: today, legacy: true)
        case 18:
            guard chars[0..<17].allSatisfy({ $0.isASCII && $0.isNumber }), chars[17].isASCII, chars[17].isNumber || chars[17] == "X" else {
                return .failure(.characters)
            }
            guard provinceCodes.contains(String(chars[0...1])) else { return .failure(.region(String(chars[0...1]))) }
            let expected = checkCharacter(for: String(chars[0..<17]))
            if chars[17] != expected {
                // The date is checked first: a wrong date is the likelier typing mistake to report.
                if case .failure(let p) = build(text, today: today, legacy: false), p == .birthDate { return .failure(p) }
                return .failure(.checkDigit(expected: expected))
            }
            return build(text, today: today, legacy: false)
        default:
            return .failure(.length(chars.count))
        }
    }

    public init?(_ raw: String) {
        guard case .success(let id) = Self.parse(raw) else { return nil }
        self = id
    }

    private init(value: String, birthDate: CalendarDate, gender: Gender, legacy: Bool) {
        self.value = value; self.birthDate = birthDate; self.gender = gender; self.upgradedFromLegacy = legacy
    }

    private static func build(_ value: String, today: CalendarDate, legacy: Bool) -> Result<CitizenID, Problem> {
        let c = Array(value)
        guard let y = Int(String(c[6...9])), let m = Int(String(c[10...11])), let d = Int(String(c[12...13])),
              let birth = CalendarDate(year: y, month: m, day: d), birth <= today, y >= 1850 else { return .failure(.birthDate) }
        let sequence = Int(String(c[14...16]))!
        return .success(CitizenID(value: value, birthDate: birth, gender: sequence % 2 == 1 ? .male : .female, legacy: legacy))
    }

    /// First 6 and last 4 characters: `110105********002X`.
    public var masked: String { Self.mask(value) }

    public static func mask(_ value: String) -> String {
        guard value.count > 10 else { return String(repeating: "*", count: value.count) }
        return String(value.prefix(6)) + String(repeating: "*", count: value.count - 10) + String(value.suffix(4))
    }

    public var description: String { masked }

    public static func message(for problem: Problem) -> LocalizedText {
        switch problem {
        case .empty: LocalizedText(zh: "身份证号不能为空", en: "The ID number is required")
        case .length(let n): LocalizedText(zh: "身份证号为 \(n) 位，应为 18 位（或 15 位旧号码）", en: "The ID number has \(n) characters; it must have 18 (or 15 for an old number)")
        case .characters: LocalizedText(zh: "身份证号只能由数字组成，最后一位可以是 X", en: "The ID number must be digits, the last may be X")
        case .region(let p): LocalizedText(zh: "身份证号前两位“\(p)”不是有效的省级行政区划代码（GB/T 2260）",
                                           en: "The ID number's first two digits \"\(p)\" are no province-level code of GB/T 2260")
        case .birthDate: LocalizedText(zh: "身份证号中的出生日期无效", en: "The birth date inside the ID number is not a valid past date")
        case .checkDigit(let e): LocalizedText(zh: "身份证号校验位不正确（按 GB 11643 应为 \(e)），请核对是否录错", en: "The ID number's check character is wrong (GB 11643 gives \(e)); check for a typing mistake")
        }
    }

    public static func rule(for problem: Problem) -> String {
        switch problem {
        case .empty: "id_number.required"
        case .length: "id_number.length"
        case .characters: "id_number.characters"
        case .region: "id_number.region_unknown"
        case .birthDate: "id_number.birth_date"
        case .checkDigit: "id_number.check_digit"
        }
    }
}
