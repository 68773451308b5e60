import Foundation

/// A user-facing text in the two languages the platform speaks. Chinese is the default;
/// English is chosen by `Accept-Language` or the user's setting.
public struct LocalizedText: Sendable, Hashable, Codable {
    public var zh: String
    public var en: String

    public init(zh: String, en: String) {
        self.zh = zh
        self.en = en
    }

    public func text(_ locale: Locale) -> String {
        switch locale {
        case .zh: zh
        case .en: en
        }
    }

    /// The language of a page or an API answer. Only two, on purpose: every text has both.
    public enum Locale: String, Sendable, Codable, CaseIterable {
        case zh
        case en

        /// Reads an HTTP `Accept-Language` value such as `en-US,en;q=0.9,zh;q=0.8` and picks
        /// the preferred language we speak; Chinese when nothing we speak is named.
        public static func negotiate(acceptLanguage header: String?) -> Locale {
            guard let header, !header.isEmpty else { return .zh }
            var best: (locale: Locale, q: Double)? = nil
            for part in header.split(separator: ",") {
                let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
                var q = 1.0
                for p in pieces.dropFirst() where p.hasPrefix("q=") {
                    q = Double(p.dropFirst(2)) ?? 0
                }
                let locale: Locale?
                if tag == "zh" || tag.hasPrefix("zh-") { locale = .zh }
                else if tag == "en" || tag.hasPrefix("en-") { locale = .en }
                else { locale = nil }
                if let locale, q > 0, q > (best?.q ?? -1) { best = (locale, q) }
            }
            return best?.locale ?? .zh
        }
    }
}


extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, written by hand: `String(format:)` per byte is slow enough to
    /// dominate an import that hashes millions of values.
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
