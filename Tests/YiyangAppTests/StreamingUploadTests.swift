@testable import YiyangApp
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain
import ZIPFoundation

/// Uploads through a real HTTP server, where a large body arrives as a stream (the in-memory
/// tester hands routes a body already collected), and the spreadsheet reader fed in pieces.
@Suite("Streaming uploads and spreadsheets")
struct StreamingUploadTests {
    static let village = "130102001001"

    /// A roster of `rows` people padded with an unknown column, so the body is megabytes.
    static func paddedRoster(rows: Int, from: Int = 1) -> (csv: String, ids: [String]) {
        let pad = String(repeating: "备", count: 3000)
        var ids: [String] = []
        var csv = "姓名,身份证号,户籍地区划代码,备忘\n"
        for i in from..<(from + rows) {
            let id = makeID("130102", "19400512", i)
            ids.append(id)
            // Names hold no digits (the registry refuses them): the number in Chinese numerals.
            let numerals = String(String(i).map { Array("〇一二三四五六七八九")[$0.wholeNumberValue!] })
            csv += "测试\(numerals),\(id),\(village),\(pad)\n"
        }
        return (csv, ids)
    }

    @Test("the API reads a multi-megabyte roster from a streamed body", arguments: TestDatabase.all)
    func apiStream(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let (csv, _) = Self.paddedRoster(rows: 300)
            #expect(csv.utf8.count > 2_000_000)
            let live = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
            let res = try await live.sendRequest(.POST, "/api/v1/elders/import",
                                                 headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv"],
                                                 body: ByteBuffer(string: csv))
            #expect(res.status == .ok, "\(res.body.string.prefix(300))")
            let report = try res.content.decode(RosterImporter.Report.self)
            #expect(report.imported == 300)
            #expect(report.unknownColumns == ["备忘"])
            // Nothing is left behind in the upload folder.
            let left = try FileManager.default.contentsOfDirectory(atPath: app.yiyang.temporaryDirectory.path)
            #expect(left.isEmpty, "temporary files left: \(left)")
        }
    }

    @Test("an upload over the configured limit is refused with 413", arguments: TestDatabase.all)
    func limit(db: TestDatabase) async throws {
        try await withYiyang(db, config: { $0.uploadLimitBytes = 1 << 20 }) { app in
            let token = try await app.token("demo_township")
            let (csv, _) = Self.paddedRoster(rows: 200)
            let live = try app.testing(method: .running(hostname: "127.0.0.1", port: 0))
            let res = try await live.sendRequest(.POST, "/api/v1/elders/import",
                                                 headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv"],
                                                 body: ByteBuffer(string: csv))
            #expect(res.status == .payloadTooLarge)
            #expect(res.apiError?.code == "upload.too_large")
            #expect(try await Elder.query(on: app.db).count() == 0)
        }
    }

    @Test("a streamed web upload checks the form's CSRF token before it reads the file", arguments: TestDatabase.all)
    func webStream(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_township")
            try await browser.get("/elders/import")
            let token = try #require(browser.lastCSRF)
            let (csv, _) = Self.paddedRoster(rows: 300)
            func post(csrf: String, csv: String) async throws -> TestingHTTPResponse {
                let boundary = "----yiyang\(UUID().uuidString)"
                var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
                body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"名册.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                body += csv + "\r\n--\(boundary)--\r\n"
                let headers: HTTPHeaders = [
                    "Cookie": browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "),
                    "Content-Type": "multipart/form-data; boundary=\(boundary)",
                ]
                return try await app.testing(method: .running(hostname: "127.0.0.1", port: 0))
                    .sendRequest(.POST, "/elders/import", headers: headers, body: ByteBuffer(string: body))
            }
            // A body of 270 KB, streamed, not collected: the test's HTTP client, unlike a browser or curl,
            // keeps sending a large body after an early 403 until it times out.
            let forged = try await post(csrf: String(repeating: "x", count: token.count), csv: Self.paddedRoster(rows: 30).csv)
            #expect(forged.status == .forbidden)
            #expect(try await Elder.query(on: app.db).count() == 0)

            // The HTTP client follows the redirect to the job's status page.
            let started = try await post(csrf: token, csv: csv)
            #expect(started.status == .ok)
            #expect(started.body.string.contains("名册.csv"))
            // Up to two minutes: on a loaded CI machine a background import can take many seconds.
            var waited = 0
            while await app.importJobs.running > 0, waited < 2_400 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            #expect(try await Elder.query(on: app.db).count() == 300)
        }
    }

    @Test("the XML scanner gives the same events whether fed whole or a byte at a time")
    func scannerPieces() throws {
        struct Recorder: XMLScanHandler {
            var log: [String] = []
            mutating func start(_ name: String, attributes: [String: String], selfClosing: Bool) {
                log.append("<\(name) \(attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))>")
            }
            mutating func end(_ name: String) { log.append("</\(name)>") }
            mutating func text(_ text: String) {
                if let last = log.last, last.hasPrefix("#") { log[log.count - 1] = last + text } else { log.append("#" + text) }
            }
        }
        let xml = #"""
        <?xml version="1.0" encoding="UTF-8"?><!-- a comment with <row> inside -->
        <x:worksheet xmlns:x="urn:x"><x:row r="2" spans="1:3"><x:c r="A2" t="inlineStr"><x:is><x:t>张&amp;李 &lt;&#x4E09;&#19977;&gt;</x:t></x:is></x:c><x:c r="C2" t='s' note="a>b"/><x:c r="D2"><x:v><![CDATA[<raw & text>]]></x:v></x:c></x:row></x:worksheet>
        """#
        var whole = Recorder(), pieces = Recorder()
        var a = XMLPieceScanner(), b = XMLPieceScanner()
        try a.feed(Data(xml.utf8), into: &whole)
        try a.finish(into: &whole)
        for byte in Data(xml.utf8) { try b.feed(Data([byte]), into: &pieces) }
        try b.finish(into: &pieces)
        #expect(whole.log == pieces.log)
        #expect(whole.log.contains("#张&李 <三三>"))
        #expect(whole.log.contains("<c note=a>b r=C2 t=s>"))
        #expect(whole.log.contains("#<raw & text>"))
        #expect(!whole.log.contains { $0.contains("comment") })
    }

    @Test("a workbook with shared strings, phonetic runs, prefixed elements and its first sheet not named sheet1")
    func workbook() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yiyang-wb-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("roster.xlsx")
        let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let parts: [(String, String)] = [
            ("xl/workbook.xml", #"<workbook xmlns="\#(ns)" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名册" sheetId="7" r:id="rId3"/><sheet name="说明" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Target="worksheets/roster.xml"/></Relationships>"#),
            ("xl/sharedStrings.xml", #"<sst xmlns="\#(ns)"><si><t>姓名</t></si><si><t>身份证号</t></si><si><r><t>王</t></r><r><t>秀兰</t></r><rPh><t>ワン</t></rPh></si></sst>"#),
            ("xl/worksheets/sheet1.xml", #"<worksheet xmlns="\#(ns)"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>这是说明页</t></is></c></row></sheetData></worksheet>"#),
            ("xl/worksheets/roster.xml", #"<x:worksheet xmlns:x="\#(ns)"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row><x:row r="3"><x:c r="A3" t="s"><x:v>2</x:v></x:c><x:c r="C3"><x:v>19400512</x:v></x:c></x:row></x:sheetData></x:worksheet>"#),
        ]
        let archive = try Archive(url: file, accessMode: .create)
        for (path, text) in parts {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { pos, size in
                bytes.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        let reader = try XLSXSheetReader(file: file, temporaryDirectory: dir)
        var rows: [XLSXSheetReader.Row] = []
        while let batch = try reader.next() { rows += batch }
        #expect(rows.map(\.number) == [1, 3])
        #expect(rows[0].cells == ["姓名", "身份证号"])
        #expect(rows[1].cells == ["王秀兰", "", "19400512"])
        // The unpacked sheet is removed with the reader.
        let sheetFiles = { try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("sheet-") } }
        #expect(try sheetFiles().count == 1)
        _ = consume reader
        #expect(try sheetFiles().isEmpty)
    }
}
