import Foundation

/// Calendar dates and times of day on the platform are China Standard Time (UTC+8, no
/// daylight saving), wherever the server's clock is set.
public enum ChinaTime {
    public static let timeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)!

    public static var calendar: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    /// `2026-11-23 17:05:09`, the form staff read in lists and exports.
    public static func dateTime(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// `2026-11-23`
    public static func date(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    /// Start of the given calendar day (YYYY-MM-DD) in China, or nil when the text is no date.
    public static func startOfDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        var dc = DateComponents()
        dc.year = parts[0]; dc.month = parts[1]; dc.day = parts[2]
        guard let d = calendar.date(from: dc), calendar.component(.day, from: d) == parts[2] else { return nil }
        return d
    }
}

/// Masks personal data for display: the first and last characters stay, the middle becomes
/// asterisks, so staff can tell records apart without reading the whole value.
public enum Masking {
    /// 13812345678 → 138****5678
    public static func phone(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count >= 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + "****" + String(chars.suffix(4))
    }
}
