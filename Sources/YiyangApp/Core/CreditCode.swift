import Vapor

/// A unified social credit code (统一社会信用代码, GB 32100-2015) of a provider or an institution:
/// the one check both registers use.
enum CreditCode {
    /// The 31 characters a code is written in: digits and capitals without I, O, S, V, Z.
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    /// The weight of each of the first 17 positions (3^i mod 31).
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// The check character of the first 17 characters, or nil if one is outside the alphabet.
    static func checkCharacter<S: Sequence<Character>>(for first17: S) -> Character? {
        var sum = 0, n = 0
        for (c, w) in zip(first17, weights) {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            sum += v * w; n += 1
        }
        guard n == 17 else { return nil }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// 18 characters of the alphabet, in capitals, the last the check character of the others.
    static func normalized(_ raw: String?, field: String = "creditCode") throws -> String {
        let code = ServiceSetup.trimmed(raw).uppercased()
        guard code.count == 18, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else {
            throw AppError(.unprocessableEntity, "credit_code.invalid", field: field, zh: "统一社会信用代码应为 18 位数字或字母", en: "The unified social credit code has 18 digits or letters")
        }
        guard code.allSatisfy(alphabet.contains) else {
            throw AppError(.unprocessableEntity, "credit_code.characters", field: field,
                           zh: "统一社会信用代码不使用字母 I、O、S、V、Z（按 GB 32100），请核对是否录错",
                           en: "A unified social credit code has no letters I, O, S, V or Z (GB 32100); check for a typing mistake")
        }
        guard let expected = checkCharacter(for: code.prefix(17)), code.last == expected else {
            let e = checkCharacter(for: code.prefix(17)).map(String.init) ?? "?"
            throw AppError(.unprocessableEntity, "credit_code.check_character", field: field,
                           zh: "统一社会信用代码第 18 位校验码不正确（按 GB 32100 应为 \(e)），请核对是否录错",
                           en: "The unified social credit code's check character (18th) is wrong (GB 32100 gives \(e)); "
                               + "check for a typing mistake")
        }
        return code
    }
}
