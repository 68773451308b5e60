import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first worksheet of an .xlsx file: rows numbered as the spreadsheet shows them,
/// cells as text (shared strings, inline strings, numbers as written).
enum XLSXReader {
    struct Row { var number: Int; var cells: [String] }

    static func looksLikeXLSX(_ data: Data) -> Bool {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04])
    }

    static func rows(_ data: Data) throws -> [Row] {
        let archive = try Archive(data: data, accessMode: .read)
        func read(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            var out = Data()
            _ = try archive.extract(entry, skipCRC32: true) { out.append($0) }
            return out
        }
        var shared: [String] = []
        if let s = try read("xl/sharedStrings.xml") {
            let p = SharedStringsParser()
            let parser = XMLParser(data: s)
            parser.delegate = p
            parser.parse()
            shared = p.strings
        }
        let sheetPath = archive.map(\.path).filter { $0.hasPrefix("xl/worksheets/") && $0.hasSuffix(".xml") }
            .sorted { ($0 == "xl/worksheets/sheet1.xml" ? 0 : 1, $0) < ($1 == "xl/worksheets/sheet1.xml" ? 0 : 1, $1) }.first
        guard let sheetPath, let sheet = try read(sheetPath) else {
            throw XLSXError(message: "no worksheet in the file")
        }
        let p = SheetParser(shared: shared)
        let parser = XMLParser(data: sheet)
        parser.delegate = p
        guard parser.parse() else { throw XLSXError(message: "the worksheet is not valid XML") }
        return p.rows
    }

    /// `B` → 1, `AA` → 26
    static func columnIndex(_ ref: String) -> Int {
        var n = 0
        for c in ref.unicodeScalars where c.value >= 65 && c.value <= 90 { n = n * 26 + Int(c.value - 64) }
        return n - 1
    }

    final class SharedStringsParser: NSObject, XMLParserDelegate {
        var strings: [String] = []
        private var current = ""
        private var inText = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "si" { current = "" }
            if name == "t" { inText = true }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "t" { inText = false }
            if name == "si" { strings.append(current) }
        }
    }

    final class SheetParser: NSObject, XMLParserDelegate {
        let shared: [String]
        var rows: [Row] = []
        private var row: Row?
        private var cellType = ""
        private var cellColumn = 0
        private var value = ""
        private var capturing = false

        init(shared: [String]) { self.shared = shared }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            switch name {
            case "row":
                let n = attributes["r"].flatMap(Int.init) ?? ((rows.last?.number ?? 0) + 1)
                row = Row(number: n, cells: [])
            case "c":
                cellType = attributes["t"] ?? "n"
                cellColumn = attributes["r"].map(XLSXReader.columnIndex) ?? (row?.cells.count ?? 0)
                value = ""
            case "v", "t":
                capturing = true
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if capturing { value += string } }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "v", "t": capturing = false
            case "c":
                var text = value
                if cellType == "s", let i = Int(value), shared.indices.contains(i) { text = shared[i] }
                if cellType == "b" { text = value == "1" ? "TRUE" : "FALSE" }
                if row != nil {
                    while row!.cells.count < cellColumn { row!.cells.append("") }
                    if row!.cells.count == cellColumn { row!.cells.append(text) } else { row!.cells[cellColumn] = text }
                }
            case "row":
                if let r = row { rows.append(r) }
                row = nil
            default: break
            }
        }
    }
}

struct XLSXError: Error, CustomStringConvertible {
    var message: String
    var description: String { "XLSX: \(message)" }
}

/// Writes a one-sheet .xlsx with every cell as text, so ID numbers keep all 18 digits.
enum XLSXWriter {
    static func make(sheetName: String, rows: [[String]]) throws -> Data {
        var sheet = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
        for (r, cells) in rows.enumerated() {
            sheet += "<row r=\"\(r + 1)\">"
            for (c, v) in cells.enumerated() {
                sheet += "<c r=\"\(columnName(c))\(r + 1)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(escape(v))</t></is></c>"
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        let files: [(String, String)] = [
            ("[Content_Types].xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
            ("_rels/.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name=""# + escape(sheetName) + #"" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        // ZIPFoundation builds archives on a file; a private temporary one, removed at once.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("yiyang-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in files {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return try Data(contentsOf: url)
    }

    static func columnName(_ index: Int) -> String {
        var n = index + 1, out = ""
        while n > 0 { let r = (n - 1) % 26; out = String(UnicodeScalar(65 + r)!) + out; n = (n - 1) / 26 }
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0.
                if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
