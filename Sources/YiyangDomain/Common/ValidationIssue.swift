/// One broken rule in one field of the input, ready to be shown to whoever typed it.
///
/// `rule` is a stable machine code (`region.code.length`, `password.too_short`…) that API
/// clients can switch on; `message` is the sentence a person reads.
public struct ValidationIssue: Sendable, Hashable, Codable, Error {
    public var field: String
    public var rule: String
    public var message: LocalizedText

    public init(field: String, rule: String, message: LocalizedText) {
        self.field = field
        self.rule = rule
        self.message = message
    }
}

/// Every broken rule of one input at once.
public struct ValidationIssues: Error, Sendable, Equatable {
    public var issues: [ValidationIssue]
    public init(_ issues: [ValidationIssue]) { self.issues = issues }
}
