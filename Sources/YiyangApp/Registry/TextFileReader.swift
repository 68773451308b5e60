import Foundation
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
