import Foundation

/// A calendar month, the unit of allowances and payment runs (`2026-12`).
public struct Month: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        // The years a `CalendarDate` takes, so every date has its month.
        guard (1800...2200).contains(year), (1...12).contains(month) else { return nil }
        self.year = year; self.month = month
    }

    /// `2026-12` (also `2026-1`).
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, (1...2).contains(parts[1].count),
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let y = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        self.init(year: y, month: m)
    }

    public init(_ date: CalendarDate) {
        year = date.year; month = date.month
    }

    public static func current(_ now: Date = Date()) -> Month { Month(CalendarDate.today(now)) }

    public var description: String { String(format: "%04d-%02d", year, month) }
    public static func < (a: Month, b: Month) -> Bool { (a.year, a.month) < (b.year, b.month) }

    public func adding(_ n: Int) -> Month {
        let total = year * 12 + (month - 1) + n
        // At the ends of the calendar a month stays where it is rather than trap.
        return Month(year: total / 12, month: total % 12 + 1) ?? self
    }
    public var next: Month { adding(1) }
    public var previous: Month { adding(-1) }

    public var firstDay: CalendarDate { CalendarDate(year: year, month: month, day: 1)! }
    public var lastDay: CalendarDate { CalendarDate(year: year, month: month, day: CalendarDate.daysIn(year: year, month: month))! }

    /// The months from `self` to `end`, both included.
    public func through(_ end: Month) -> [Month] {
        guard self <= end else { return [] }
        var out: [Month] = [], m = self
        while m <= end { out.append(m); m = m.next }
        return out
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let m = Month(text) else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(text) is not a YYYY-MM month") }
        self = m
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Money in fen, shown in yuan.
public enum Fen {
    /// 12345 → "123.45"
    public static func yuan(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let a = abs(fen)
        return "\(sign)\(a / 100).\(String(format: "%02d", a % 100))"
    }

    /// 123456789 → "1,234,567.89": amounts as people read them on pages. Files for banks and
    /// spreadsheets keep `yuan`, which a program reads back.
    public static func display(_ fen: Int) -> String {
        let sign = fen < 0 ? "-" : ""
        let a = abs(fen)
        return "\(sign)\(grouped(a / 100)).\(String(format: "%02d", a % 100))"
    }

    /// 1234567 → "1,234,567" (thousands separated by commas, as on Chinese forms too).
    public static func grouped(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}
