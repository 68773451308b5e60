@testable import YiyangApp
import Fluent
import Foundation
import NIOCore
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Region table import")
struct RegionImportTests {
    static let messyTable = """
    \u{FEFF}代码,名称,城乡分类代码,备注
    140000000000,山西省,,
    140100000000,太原市,,
    140105000000,小店区,,
    140105001000,坞城街道,,
    140105001001,"坞城社区居委会",111,
    14010500100,位数不对,,
    140199001000,父级不存在,,
    140105000001,不嵌套,,
    14AB,字母,,
    140105001002,,111,
    140105001003,未知分类社区,999,
    140105001001,重复行,111,
    """

    func importCSV(_ app: Application, token: String, _ csv: String, lang: String = "zh") async throws -> TestingHTTPResponse {
        try await app.testing().sendRequest(.POST, "/api/v1/regions/import",
                                            headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv", "Accept-Language": lang],
                                            body: ByteBuffer(string: csv))
    }

    @Test("good rows land, every bad row is reported by line, and a second run changes nothing", arguments: TestDatabase.all)
    func messyImport(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("national", roles: [.admin], region: RegionCode.root.value)
            let token = try await app.token("national")
            let res = try await importCSV(app, token: token, Self.messyTable)
            #expect(res.status == .ok)
            let report = try res.content.decode(RegionImporter.Report.self)
            #expect(report.inserted == 5)
            #expect(report.unknownColumns == ["备注"])
            let byLine = Dictionary(report.errors.map { ($0.line, $0.rule) }, uniquingKeysWith: { a, _ in a })
            #expect(byLine == [7: "region.code.length", 8: "region.parent.missing", 9: "region.code.nesting", 10: "region.code.digits",
                               11: "region.name.required", 12: "region.class.unknown", 13: "region.code.duplicate"])
            #expect(report.errors.first { $0.line == 8 }?.message.contains("140199000000") == true)

            let stored = try await Region.find("140105001001", on: app.db)
            #expect(stored?.name == "坞城社区居委会")
            #expect(stored?.parentCode == "140105001000")
            #expect(stored?.urbanRuralClass == "111")
            #expect(stored?.level == "village")

            let again = try await importCSV(app, token: token, Self.messyTable)
            let second = try again.content.decode(RegionImporter.Report.self)
            #expect(second.inserted == 0)
            #expect(second.unchanged == 5)
            #expect(try await Region.query(on: app.db).filter(\.$id, .custom("LIKE"), "14%").count() == 5)

            // A renamed unit is updated in place.
            let renamed = try await importCSV(app, token: token, "140105001000,坞城街道办事处\n")
            #expect(try renamed.content.decode(RegionImporter.Report.self).updated == 1)
            #expect(try await Region.find("140105001000", on: app.db)?.name == "坞城街道办事处")

            // English messages on request.
            let en = try await importCSV(app, token: token, "123,x\n", lang: "en")
            #expect(try en.content.decode(RegionImporter.Report.self).errors.first?.message == "Region code has 3 digits; it must have 2, 4, 6, 9 or 12")

            let audits = try await app.auditActions(.regionsImported)
            #expect(audits.count == 4)
            #expect(audits.allSatisfy { $0.actorUsername == "national" })
        }
    }

    @Test("a county administrator cannot load rows outside the county", arguments: TestDatabase.all)
    func importStaysInScope(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("county_admin", roles: [.admin], region: "130102000000")
            let token = try await app.token("county_admin")
            let res = try await importCSV(app, token: token, "130102001004,新社区,111\n130108001009,外区社区,111\n")
            let report = try res.content.decode(RegionImporter.Report.self)
            #expect(report.inserted == 1)
            #expect(report.errors.map(\.rule) == ["region.out_of_scope"])
            #expect(try await Region.find("130108001009", on: app.db) == nil)
        }
    }

    @Test("importing needs the permission", arguments: TestDatabase.all)
    func importNeedsPermission(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let res = try await importCSV(app, token: token, "130102001004,新社区,111\n")
            #expect(res.status == .forbidden)
            #expect(try await Region.find("130102001004", on: app.db) == nil)
        }
    }

    @Test("the browse API walks the tree", arguments: TestDatabase.all)
    func browse(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_bureau")
            let city = try await app.api(.GET, "/api/v1/regions/130100000000", token: token)
            #expect(try city.content.decode(RegionDTO.self).childCount == 3)
            let children = try await app.api(.GET, "/api/v1/regions/130123000000/children", token: token)
            #expect(try children.content.decode([RegionDTO].self).map(\.name) == ["正定镇", "诸福屯镇", "南牛乡", "南楼乡"])
            let villages = try await app.api(.GET, "/api/v1/regions?level=village&per=5&page=2", token: token)
            let page = try villages.content.decode(Paged<RegionDTO>.self)
            #expect(page.items.count == 5)
            #expect(page.page == 2)
            #expect(page.total > 20)
            let badLevel = try await app.api(.GET, "/api/v1/regions?level=galaxy", token: token)
            #expect(badLevel.status == .badRequest)
            #expect(badLevel.apiError?.field == "level")
            let badPer = try await app.api(.GET, "/api/v1/regions?per=5000", token: token)
            #expect(badPer.apiError?.field == "per")
        }
    }
}
