import YiyangDomain

/// The words of the region picker, the assessor's confirmation step and the portal's
/// eligibility lines (issue 12), in their own table so `UIStrings` merges them like a module's.
enum FormStrings {
    static let entries: [String: LocalizedText] = [
        "region_choose": .init(zh: "请选择区划", en: "Choose a region"),
    ]

    static let notices: [String: LocalizedText] = [:]
}
