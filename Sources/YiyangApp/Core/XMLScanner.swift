import Foundation

/// Receives what `XMLPieceScanner` finds. Names arrive without their namespace prefix
/// (`x:row` → `row`), because some writers of spreadsheets prefix every element.
protocol XMLScanHandler {
    mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) throws
    mutating func end(_ name: String) throws
    mutating func text(_ text: String)
}

extension XMLScanHandler {
    mutating func text(_ text: String) {}
}

/// A small XML scanner fed a piece at a time, so a worksheet of any size is read in the
/// memory of one piece. Foundation's `XMLParser` wants the whole document (or a pull stream),
/// which would hold a million-row sheet in memory. Spreadsheet XML needs only elements,
/// attributes, text, character references, comments, CDATA and processing instructions; DTDs
/// and custom entities do not occur in it and are not expanded (which also rules out
/// entity-expansion attacks).
struct XMLPieceScanner {
    private var buffer: [UInt8] = []
    private var position = 0

    mutating func feed<H: XMLScanHandler>(_ data: Data, into handler: inout H) throws {
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: data)
        try scan(into: &handler, final: false)
    }

    mutating func finish<H: XMLScanHandler>(into handler: inout H) throws {
        try scan(into: &handler, final: true)
        let rest = buffer[position...]
        if rest.contains(where: { !Self.isSpace($0) }) {
            throw XMLScanError(message: "the document ends inside a tag")
        }
        buffer = []; position = 0
    }

    private mutating func scan<H: XMLScanHandler>(into handler: inout H, final: Bool) throws {
        let n = buffer.count
        while position < n {
            guard let lt = buffer[position...].firstIndex(of: UInt8(ascii: "<")) else {
                // Text up to the end; an entity cut in two waits for the next piece.
                var end = n
                if !final, let amp = buffer[position...].lastIndex(of: UInt8(ascii: "&")),
                   !buffer[amp...].contains(UInt8(ascii: ";")) {
                    end = amp
                }
                // So is a character whose UTF-8 bytes are cut in two.
                if !final, end > position {
                    var lead = end - 1
                    while lead > position, buffer[lead] & 0xC0 == 0x80 { lead -= 1 }
                    let b = buffer[lead]
                    let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                    if lead + length > end { end = lead }
                }
                if end > position { handler.text(Self.decode(buffer[position..<end])) }
                position = end
                return
            }
            if lt > position { handler.text(Self.decode(buffer[position..<lt])) }
            position = lt
            if hasPrefix("<!--", at: lt) {
                guard let close = find("-->", from: lt + 4) else { return }
                position = close + 3
            } else if hasPrefix("<![CDATA[", at: lt) {
                guard let close = find("]]>", from: lt + 9) else { return }
                handler.text(String(decoding: buffer[(lt + 9)..<close], as: UTF8.self))
                position = close + 3
            } else if hasPrefix("<?", at: lt) {
                guard let close = find("?>", from: lt + 2) else { return }
                position = close + 2
            } else if hasPrefix("<!", at: lt) {
                guard let close = buffer[lt...].firstIndex(of: UInt8(ascii: ">")) else { return }
                position = close + 1
            } else {
                guard let close = tagEnd(from: lt + 1) else { return }
                try tag(buffer[(lt + 1)..<close], into: &handler)
                position = close + 1
            }
        }
    }

    private func hasPrefix(_ s: StaticString, at i: Int) -> Bool {
        let count = s.utf8CodeUnitCount
        guard i + count <= buffer.count else { return false }
        return s.withUTF8Buffer { p in (0..<count).allSatisfy { buffer[i + $0] == p[$0] } }
    }

    private func find(_ s: StaticString, from start: Int) -> Int? {
        let count = s.utf8CodeUnitCount
        return s.withUTF8Buffer { p -> Int? in
            var i = start
            while i + count <= buffer.count {
                if buffer[i] == p[0], (1..<count).allSatisfy({ buffer[i + $0] == p[$0] }) { return i }
                i += 1
            }
            return nil
        }
    }

    /// The `>` that closes a tag, skipping any inside quoted attribute values.
    private func tagEnd(from start: Int) -> Int? {
        var quote: UInt8 = 0
        var i = start
        while i < buffer.count {
            let b = buffer[i]
            if quote != 0 {
                if b == quote { quote = 0 }
            } else if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") {
                quote = b
            } else if b == UInt8(ascii: ">") {
                return i
            }
            i += 1
        }
        return nil
    }

    private func tag<H: XMLScanHandler>(_ body: ArraySlice<UInt8>, into handler: inout H) throws {
        var i = body.startIndex
        if body.first == UInt8(ascii: "/") {
            i += 1
            var j = i
            while j < body.endIndex, !Self.isSpace(body[j]) { j += 1 }
            try handler.end(Self.localName(body[i..<j]))
            return
        }
        var end = body.endIndex
        let selfClosing = end > i && body[end - 1] == UInt8(ascii: "/")
        if selfClosing { end -= 1 }
        var j = i
        while j < end, !Self.isSpace(body[j]) { j += 1 }
        let name = Self.localName(body[i..<j])
        var attributes: [String: String] = [:]
        i = j
        while i < end {
            while i < end, Self.isSpace(body[i]) { i += 1 }
            let keyStart = i
            while i < end, body[i] != UInt8(ascii: "="), !Self.isSpace(body[i]) { i += 1 }
            let key = Self.localName(body[keyStart..<i])
            while i < end, Self.isSpace(body[i]) || body[i] == UInt8(ascii: "=") { i += 1 }
            guard i < end, body[i] == UInt8(ascii: "\"") || body[i] == UInt8(ascii: "'") else { break }
            let quote = body[i]
            i += 1
            let valueStart = i
            while i < end, body[i] != quote { i += 1 }
            if !key.isEmpty { attributes[key] = Self.decode(body[valueStart..<min(i, end)]) }
            i += 1
        }
        try handler.start(name, attributes: attributes, selfClosing: selfClosing)
        if selfClosing { try handler.end(name) }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    static func localName(_ bytes: ArraySlice<UInt8>) -> String {
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            return String(decoding: bytes[(colon + 1)...], as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Text with the five predefined entities and character references resolved; anything
    /// else after `&` is kept as written.
    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            guard b == UInt8(ascii: "&"), let semi = bytes[i...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                out.append(b); i += 1; continue
            }
            let name = String(decoding: bytes[(i + 1)..<semi], as: UTF8.self)
            var scalar: Unicode.Scalar?
            switch name {
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "amp": scalar = "&"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            default:
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
                }
            }
            if let scalar {
                out.append(contentsOf: Array(String(scalar).utf8))
                i = semi + 1
            } else {
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

struct XMLScanError: Error, CustomStringConvertible {
    var message: String
    var description: String { "XML: \(message)" }
}
