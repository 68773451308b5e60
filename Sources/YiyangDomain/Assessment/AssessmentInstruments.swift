import Foundation

/// The instruments the platform ships, by id. A deployment's settings (bands, the
/// combination matrix, how adjustment rules stack) are applied on top by the app.
public enum AssessmentInstruments {
    public static let all: [AssessmentInstrument] = [gbt42195_2022, barthel, ltc2021]

    public static func named(_ id: String) -> AssessmentInstrument? {
        all.first { $0.id == id }
    }
}
