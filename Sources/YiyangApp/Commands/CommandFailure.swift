import Foundation
import Vapor
import YiyangDomain

/// What a failed command prints: the message the API gives for the same error, in the
/// operator's language (`LC_ALL`, `LC_MESSAGES` or `LANG`; Chinese unless it says English),
/// with its code and field, never a Swift value.
public enum CommandFailure {
    public static func locale(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> LocalizedText.Locale {
        // The first of these that is set decides, as the C library reads them.
        let tag = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        return tag.lowercased().hasPrefix("en") ? .en : .zh
    }

    public static func message(for error: any Error, locale: LocalizedText.Locale = locale()) -> String {
        switch error {
        case let e as AppError:
            return "yiyang: [\(e.code)] " + (e.field.map { "\($0): " } ?? "") + e.message.text(locale)
        case let e as ValidationFailure:
            return "yiyang: " + e.issues.map { "[\($0.rule)] \($0.field): \($0.message.text(locale))" }.joined(separator: "\nyiyang: ")
        case let e as ConfigError:
            return "yiyang: \(e.message)"
        default:
            return "yiyang: \(String(describing: error))"
        }
    }
}
