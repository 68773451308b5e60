import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first worksheet of an .xlsx file on disk, a piece at a time: rows numbered as
/// the spreadsheet shows them, cells as text (shared strings, inline strings, numbers as
/// written). The sheet's XML is unpacked to a private temporary file and scanned from there,
/// and the shared strings are kept on disk with only their offsets in memory, so a sheet of a
/// million rows is read in a few megabytes.
final class XLSXSheetReader {
    struct Row { var number: Int; var cells: [String] }

    static func looksLikeXLSX(_ data: Data) -> Bool {
        data.starts(with: [0x50, 0x4B, 0x03, 0x04])
    }

    private let sheet: FileHandle
    private let sheetFile: URL
    private let strings: SharedStrings
    private var scanner = XMLPieceScanner()
    private var handler: SheetHandler
    private var ended = false
    /// Size of the unpacked sheet, and how much of it has been read: the progress.
    let totalBytes: Int
    private(set) var doneBytes = 0

    init(file: URL, temporaryDirectory: URL) throws {
        let archive: Archive
        do { archive = try Archive(url: file, accessMode: .read) } catch {
            throw XLSXError(message: "the file is not a readable XLSX (ZIP) archive")
        }
        strings = try SharedStrings(directory: temporaryDirectory)
        if let entry = archive["xl/sharedStrings.xml"] {
            var scanner = XMLPieceScanner()
            var h = SharedStringsHandler(store: strings)
            _ = try archive.extract(entry, skipCRC32: true) { try scanner.feed($0, into: &h) }
            try scanner.finish(into: &h)
            try strings.finishWriting()
        }
        guard let path = Self.firstSheetPath(archive), let entry = archive[path] else {
            throw XLSXError(message: "no worksheet in the file")
        }
        sheetFile = temporaryDirectory.appendingPathComponent("sheet-\(UUID().uuidString).xml")
        _ = try archive.extract(entry, to: sheetFile, skipCRC32: true)
        sheet = try FileHandle(forReadingFrom: sheetFile)
        totalBytes = Int(entry.uncompressedSize)
        handler = SheetHandler(strings: strings)
    }

    deinit {
        try? sheet.close()
        try? FileManager.default.removeItem(at: sheetFile)
    }

    /// The next rows, or nil at the end of the sheet.
    func next() throws -> [Row]? {
        while !ended {
            if let chunk = try sheet.read(upToCount: 256 * 1024), !chunk.isEmpty {
                doneBytes += chunk.count
                try scanner.feed(chunk, into: &handler)
            } else {
                try scanner.finish(into: &handler)
                ended = true
            }
            if !handler.rows.isEmpty {
                defer { handler.rows.removeAll(keepingCapacity: true) }
                return handler.rows
            }
        }
        return nil
    }

    /// The first sheet in the workbook's order, found through the workbook's relationships;
    /// failing that, `sheet1.xml` or the first worksheet by name.
    static func firstSheetPath(_ archive: Archive) -> String? {
        func small(_ path: String) -> [(String, [String: String])] {
            guard let entry = archive[path], entry.uncompressedSize < 8 << 20 else { return [] }
            var data = Data()
            guard (try? archive.extract(entry, skipCRC32: true) { data.append($0) }) != nil else { return [] }
            var scanner = XMLPieceScanner()
            var h = ElementCollector()
            try? scanner.feed(data, into: &h)
            try? scanner.finish(into: &h)
            return h.elements
        }
        if let first = small("xl/workbook.xml").first(where: { $0.0 == "sheet" }), let rid = first.1["id"],
           let target = small("xl/_rels/workbook.xml.rels").first(where: { $0.0 == "Relationship" && $0.1["Id"] == rid })?.1["Target"] {
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            if archive[path] != nil { return path }
        }
        return archive.map(\.path).filter { $0.hasPrefix("xl/worksheets/") && $0.hasSuffix(".xml") }
            .sorted { ($0 == "xl/worksheets/sheet1.xml" ? 0 : 1, $0) < ($1 == "xl/worksheets/sheet1.xml" ? 0 : 1, $1) }.first
    }

    /// `B` → 1, `AA` → 26
    static func columnIndex(_ ref: String) -> Int {
        var n = 0
        for c in ref.unicodeScalars where c.value >= 65 && c.value <= 90 { n = n * 26 + Int(c.value - 64) }
        return n - 1
    }

    struct ElementCollector: XMLScanHandler {
        var elements: [(String, [String: String])] = []
        mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) { elements.append((name, attributes)) }
        mutating func end(_ name: String) {}
    }

    /// `<si>` entries; the text of `<t>` elements outside phonetic runs (`<rPh>`).
    struct SharedStringsHandler: XMLScanHandler {
        let store: SharedStrings
        var current = ""
        var inText = false
        var inPhonetic = false

        mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) {
            switch name {
            case "si": current = ""
            case "t": inText = !inPhonetic
            case "rPh": inPhonetic = true
            default: break
            }
        }
        mutating func text(_ text: String) { if inText { current += text } }
        mutating func end(_ name: String) throws {
            switch name {
            case "t": inText = false
            case "rPh": inPhonetic = false
            case "si": try store.append(current)
            default: break
            }
        }
    }

    struct SheetHandler: XMLScanHandler {
        let strings: SharedStrings
        var rows: [Row] = []
        private var lastRow = 0
        private var row: Row?
        private var cellType = ""
        private var cellColumn = 0
        private var value = ""
        private var capturing = false
        private var inPhonetic = false

        init(strings: SharedStrings) { self.strings = strings }

        mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) {
            switch name {
            case "row":
                let n = attributes["r"].flatMap(Int.init) ?? (lastRow + 1)
                row = Row(number: n, cells: [])
            case "c":
                cellType = attributes["t"] ?? "n"
                cellColumn = attributes["r"].map(XLSXSheetReader.columnIndex) ?? (row?.cells.count ?? 0)
                value = ""
            case "v":
                capturing = true
            case "t":
                capturing = !inPhonetic
            case "rPh":
                inPhonetic = true
            default: break
            }
        }

        mutating func text(_ text: String) { if capturing { value += text } }

        mutating func end(_ name: String) throws {
            switch name {
            case "v", "t": capturing = false
            case "rPh": inPhonetic = false
            case "c":
                guard row != nil, cellColumn >= 0, cellColumn < 16_384 else { return }
                var text = value
                if cellType == "s" {
                    guard let i = Int(value), let s = try strings.string(at: i) else {
                        throw XLSXError(message: "cell refers to shared string \(value), which the file does not have")
                    }
                    text = s
                }
                if cellType == "b" { text = value == "1" ? "TRUE" : "FALSE" }
                while row!.cells.count < cellColumn { row!.cells.append("") }
                if row!.cells.count == cellColumn { row!.cells.append(text) } else { row!.cells[cellColumn] = text }
            case "row":
                if let r = row { rows.append(r); lastRow = r.number }
                row = nil
            default: break
            }
        }
    }
}

/// The shared-string table of a workbook, kept in a private temporary file: a roster of a
/// million people has millions of distinct strings (names, ID numbers, addresses), which as
/// Swift strings would take hundreds of megabytes. Memory holds one offset per string.
final class SharedStrings {
    private let url: URL
    private let handle: FileHandle
    private var offsets: [UInt64] = [0]
    private var pending = Data()
    /// The first strings also stay in memory: Excel numbers strings in order of first use,
    /// so the header and the values that repeat on every row (gender, categories, region
    /// codes) are among them, and reading those does not touch the disk.
    private var head: [String] = []
    static let headCount = 65_536

    init(directory: URL) throws {
        url = directory.appendingPathComponent("strings-\(UUID().uuidString).bin")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw XLSXError(message: "cannot create a temporary file in \(directory.path)")
        }
        handle = try FileHandle(forUpdating: url)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    var count: Int { offsets.count - 1 }

    func append(_ s: String) throws {
        if head.count < Self.headCount { head.append(s) }
        pending.append(contentsOf: s.utf8)
        offsets.append(offsets.last! + UInt64(s.utf8.count))
        if pending.count >= 1 << 20 { try finishWriting() }
    }

    func finishWriting() throws {
        guard !pending.isEmpty else { return }
        try handle.seekToEnd()
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    func string(at index: Int) throws -> String? {
        guard index >= 0, index < count else { return nil }
        if index < head.count { return head[index] }
        let start = offsets[index], length = Int(offsets[index + 1] - start)
        if length == 0 { return "" }
        try handle.seek(toOffset: start)
        guard let data = try handle.read(upToCount: length) else { return nil }
        return String(decoding: data, as: UTF8.self)
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
