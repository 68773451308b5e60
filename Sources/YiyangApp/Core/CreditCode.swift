import Vapor

/// A unified social credit code (统一社会信用代码) of a provider or an institution.
enum CreditCode {
    /// 18 digits or letters, in capitals.
    static func normalized(_ raw: String?, field: String = "creditCode") throws -> String {
        let code = ServiceSetup.trimmed(raw).uppercased()
        guard code.count == 18, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else {
            throw AppError(.unprocessableEntity, "credit_code.invalid", field: field, zh: "统一社会信用代码应为 18 位数字或字母", en: "The unified social credit code has 18 digits or letters")
        }
        return code
    }
}
