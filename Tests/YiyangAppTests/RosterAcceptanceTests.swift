@testable import YiyangApp
import Fluent
import Foundation
import NIOCore
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// The issue's own bar: a township worker imports a 10,000-row XLSX roster with 200 broken rows
/// and gets exactly those 200 reported, the other 9,800 registered; a re-import changes nothing.
@Suite("Roster acceptance")
struct RosterAcceptanceTests {
    @Test("10,000 rows, 200 broken: exactly those reported, the rest registered, a re-import changes nothing", arguments: TestDatabase.all)
    func tenThousand(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            var generator = SyntheticElders(seed: 42)
            let villages = ["130102001001", "130102001002", "130102001003"].compactMap(RegionCode.init)
            var rows: [[String]] = [["姓名", "身份证号", "性别", "出生日期", "联系电话", "户籍地区划代码", "类别", "经济状况"]]
            var expected: [Int: String] = [:]
            for i in 0..<10_000 {
                let p = generator.next(village: villages[i % 3]).input
                var row = [p.name, p.idNumber, "", "", p.phones, p.householdRegion, p.categories, p.economicStatus]
                let spreadsheetRow = i + 2
                switch i % 250 {  // 40 of each kind of breakage
                case 7:   // a wrong check character
                    let last = row[1].last!
                    row[1] = String(row[1].dropLast()) + (last == "1" ? "2" : "1")
                    expected[spreadsheetRow] = "id_number.check_digit"
                case 57:  // a birth date that contradicts the number
                    row[3] = "1901-01-01"
                    expected[spreadsheetRow] = "birth_date.contradicts_id"
                case 107: // a region code that does not exist
                    row[5] = "130102001099"
                    expected[spreadsheetRow] = "region.unknown"
                case 157: // no name
                    row[0] = ""
                    expected[spreadsheetRow] = "name.required"
                case 207: // the ID number of the row before
                    row[1] = rows[rows.count - 1][1]
                    expected[spreadsheetRow] = "id_number.duplicate_in_file"
                default: break
                }
                rows.append(row)
            }
            #expect(expected.count == 200)
            let xlsx = try XLSXWriter.make(sheetName: "名册", rows: rows)
            let token = try await app.token("demo_township")
            func post() async throws -> RosterImporter.Report {
                let res = try await app.testing().sendRequest(.POST, "/api/v1/elders/import",
                    headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
                    body: ByteBuffer(data: xlsx))
                #expect(res.status == .ok)
                return try res.content.decode(RosterImporter.Report.self)
            }
            let report = try await post()
            #expect(report.imported == 9_800)
            #expect(report.rejected == 200)
            let got = Dictionary(report.errors.map { ($0.row, $0.rule) }, uniquingKeysWith: { a, b in a + "+" + b })
            #expect(got == expected)
            #expect(try await Elder.query(on: app.db).count() == 9_800)

            let again = try await post()
            #expect(again.imported == 0)
            #expect(again.updated == 0)
            #expect(again.unchanged == 9_800)
            #expect(again.rejected == 200)
            #expect(try await Elder.query(on: app.db).count() == 9_800)
        }
    }
}
