import Foundation

/// A small RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside quotes,
/// CRLF or LF line ends, and a UTF-8 byte-order mark at the start, which spreadsheet programs
/// on Chinese Windows write and which must not end up glued to the first header.
///
/// Each record carries the line number it started on, so an import can point a person at the
/// exact line of the file they opened.
public struct CSVRecord: Sendable, Equatable {
    public var line: Int
    public var fields: [String]
}

public enum CSVReader {
    public static func records(_ text: String) -> [CSVRecord] {
        var parser = CSVStreamParser()
        return parser.feed(text) + parser.finish()
    }

    /// Quotes a value for writing when it needs it. Values that a spreadsheet would run as a
    /// formula (starting with = + - @) are prefixed with a quote mark, so an exported audit log
    /// cannot carry a formula injection into the reader's Excel.
    public static func escape(_ value: String) -> String {
        var v = value
        if let f = v.first, "=+-@".contains(f), !(v.allSatisfy { $0.isNumber || $0 == "-" || $0 == "+" }) {
            v = "'" + v
        }
        if v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    public static func row(_ values: [String]) -> String {
        values.map(escape).joined(separator: ",") + "\r\n"
    }
}

