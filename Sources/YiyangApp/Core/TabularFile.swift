import Foundation
import NIOPosix
import YiyangDomain

/// Reads a text file the way Chinese offices save them, UTF-8 (with or without a byte-order
/// mark) or GB18030, in pieces that end at a line break, so a file of any size is read in
/// constant memory. Byte 0x0A never occurs inside a multi-byte character in either encoding,
/// which is what makes cutting at line breaks safe.
struct TextChunker {
    enum Encoding { case utf8, gb18030 }

    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)
    private(set) var encoding: Encoding?
    private var pending = Data()

    /// Decodes the complete lines in `data` and keeps the rest for the next call.
    mutating func feed(_ data: Data) -> String? {
        pending.append(data)
        guard let lastNewline = pending.lastIndex(of: 0x0A) else { return nil }
        let chunk = pending[pending.startIndex...lastNewline]
        pending = Data(pending[(lastNewline + 1)...])
        return decode(Data(chunk))
    }

    mutating func finish() -> String? {
        defer { pending = Data() }
        return pending.isEmpty ? nil : decode(pending)
    }

    private mutating func decode(_ data: Data) -> String? {
        if encoding == nil {
            if data.starts(with: [0xEF, 0xBB, 0xBF]) || String(data: data, encoding: .utf8) != nil {
                encoding = .utf8
            } else {
                encoding = .gb18030
            }
        }
        switch encoding! {
        case .utf8:
            return String(data: data, encoding: .utf8) ?? String(decoding: data, as: UTF8.self)
        case .gb18030:
            return String(data: data, encoding: Self.gb18030)
        }
    }
}

/// Turns bytes into CSV records with `TextChunker` and `CSVStreamParser`.
struct CSVByteStream {
    var chunker = TextChunker()
    var parser = CSVStreamParser()

    mutating func feed(_ data: Data) -> [CSVRecord] {
        guard let text = chunker.feed(data) else { return [] }
        return parser.feed(text)
    }

    mutating func finish() -> [CSVRecord] {
        var out: [CSVRecord] = []
        if let text = chunker.finish() { out += parser.feed(text) }
        return out + parser.finish()
    }
}

/// A table in a file on disk, CSV or XLSX (told apart by the file's first bytes), read a
/// batch of rows at a time. Rows are numbered as a spreadsheet shows them: the header is 1.
final class TabularFileReader: @unchecked Sendable {
    struct Row {
        var number: Int
        var cells: [String]
        /// From a spreadsheet, where a date may arrive as a day count.
        var fromSpreadsheet: Bool
    }

    private enum Source {
        case csv(FileHandle, CSVByteStream)
        case xlsx(XLSXSheetReader)
    }

    private var source: Source
    private var csvDone = 0
    private var finished = false
    let totalBytes: Int
    var isSpreadsheet: Bool { if case .xlsx = source { true } else { false } }

    init(file: URL, temporaryDirectory: URL) throws {
        let handle = try FileHandle(forReadingFrom: file)
        let head = try handle.read(upToCount: 4) ?? Data()
        if XLSXSheetReader.looksLikeXLSX(head) {
            try? handle.close()
            let reader = try XLSXSheetReader(file: file, temporaryDirectory: temporaryDirectory)
            source = .xlsx(reader)
            totalBytes = reader.totalBytes
        } else {
            try handle.seek(toOffset: 0)
            source = .csv(handle, CSVByteStream())
            totalBytes = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
        }
    }

    deinit {
        if case .csv(let handle, _) = source { try? handle.close() }
    }

    var doneBytes: Int {
        switch source {
        case .csv: csvDone
        case .xlsx(let r): r.doneBytes
        }
    }

    /// The next rows (possibly none while a long CSV field spans a piece), or nil at the end.
    func next() throws -> [Row]? {
        guard !finished else { return nil }
        switch source {
        case .xlsx(let reader):
            guard let rows = try reader.next() else { finished = true; return nil }
            return rows.map { Row(number: $0.number, cells: $0.cells, fromSpreadsheet: true) }
        case .csv(let handle, var stream):
            let records: [CSVRecord]
            if let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                csvDone += chunk.count
                records = stream.feed(chunk)
            } else {
                records = stream.finish()
                finished = true
            }
            source = .csv(handle, stream)
            return records.map { Row(number: $0.line, cells: $0.fields, fromSpreadsheet: false) }
        }
    }
}

extension TabularFileReader {
    /// Reads a whole file, a batch at a time on the thread pool (off the threads that serve
    /// requests), handing each row to `row` and calling `afterBatch` with the reader (for progress).
    static func forEachRow(in file: URL, temporaryDirectory: URL, threadPool: NIOThreadPool,
                           afterBatch: (TabularFileReader) async -> Void = { _ in },
                           _ row: (Row) async throws -> Void) async throws {
        let reader = try await threadPool.runIfActive { try TabularFileReader(file: file, temporaryDirectory: temporaryDirectory) }
        while let rows = try await threadPool.runIfActive({ try reader.next() }) {
            for r in rows { try await row(r) }
            await afterBatch(reader)
        }
    }
}
