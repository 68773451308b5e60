/// The CSV reader for files too large to hold: feed it text in pieces (cut anywhere), take the
/// complete records it returns, and call `finish` at the end. Same rules as `CSVReader`.
public struct CSVStreamParser: Sendable {
    private var field = ""
    private var fields: [String] = []
    private var inQuotes = false
    private var quotePending = false
    private var fieldStarted = false
    private var line = 1
    private var recordLine = 1
    private var atStart = true

    public init() {}

    public mutating func feed(_ text: String) -> [CSVRecord] {
        var out: [CSVRecord] = []
        for c in text {
            if atStart {
                atStart = false
                if c == "\u{FEFF}" { continue }
            }
            if quotePending {
                quotePending = false
                if c == "\"" { field.append("\""); continue }
                inQuotes = false
            }
            if inQuotes {
                if c == "\"" { quotePending = true; continue }
                if c == "\n" || c == "\r\n" { line += 1 }
                field.append(c)
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                inQuotes = true
                fieldStarted = true
            case ",":
                fields.append(field)
                field = ""
                fieldStarted = true
            case "\n", "\r\n", "\r":
                endRecord(into: &out)
                line += 1
                recordLine = line
            default:
                field.append(c)
                fieldStarted = true
            }
        }
        return out
    }

    public mutating func finish() -> [CSVRecord] {
        var out: [CSVRecord] = []
        if quotePending { quotePending = false; inQuotes = false }
        if !field.isEmpty || !fields.isEmpty || fieldStarted { endRecord(into: &out) }
        return out
    }

    private mutating func endRecord(into out: inout [CSVRecord]) {
        fields.append(field)
        if !(fields.count == 1 && fields[0].isEmpty && !fieldStarted) {
            out.append(CSVRecord(line: recordLine, fields: fields))
        }
        fields = []
        field = ""
        fieldStarted = false
    }
}
