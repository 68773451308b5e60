@testable import YiyangApp
import Fluent
import Foundation
import NIOCore
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Registry API")
struct RegistryAPITests {
    static let village = "130102001001"  // 建北社区, under demo_township

    @Test("registering a person: masked answers, one person one record, errors naming the field", arguments: TestDatabase.all)
    func register(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let id = makeID("130102", "19400512", 101)
            let res = try await app.api(.POST, "/api/v1/elders", token: token, json: """
                {"name":"张桂英","idNumber":"\(id.lowercased())","gender":"male","householdRegion":"\(Self.village)","phones":["13800138000"],
                 "address":"建北街道建设北大街12号","categories":["空巢","living_alone"],"economicStatus":"低保",
                 "contacts":[{"name":"张伟","relation":"儿子","phone":"13900001111","guardian":true}]}
                """)
            #expect(res.status == .created, "\(res.body.string)")
            let view = try res.content.decode(ElderView.self)
            #expect(view.idNumber == CitizenID.mask(id))
            #expect(view.gender == "male")
            #expect(view.birthDate == "1940-05-12")
            #expect(view.phones == ["138****8000"])
            #expect(view.categories.contains("advanced_age"), "80+ is derived")
            #expect(Set(view.categories).isSuperset(of: ["empty_nest", "living_alone"]))
            #expect(view.economicStatus == "minimum_living")
            #expect(view.contacts?.first?.phone == "139****1111")
            #expect(!res.body.string.contains(id), "no full ID number in the answer")

            let stored = try #require(try await Elder.find(view.id, on: app.db))
            #expect(!stored.idCipher.contains(id), "stored encrypted")

            // One person, one record: in scope, a pointer to the record.
            let again = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"张桂英","idNumber":"\#(id)","householdRegion":"\#(Self.village)"}"#)
            #expect(again.status == .conflict)
            #expect(again.apiError?.code == "id_number.registered")
            #expect(again.apiError?.message.contains("/elders/\(view.id.uuidString)") == true)
            // From a sibling township: only that it exists elsewhere.
            let sibling = try await app.token("demo_township2")
            let elsewhere = try await app.api(.POST, "/api/v1/elders", token: sibling, json: #"{"name":"张桂英","idNumber":"\#(id)","householdRegion":"130102002001"}"#)
            #expect(elsewhere.status == .conflict)
            #expect(elsewhere.apiError?.code == "id_number.registered_elsewhere")
            #expect(!elsewhere.body.string.contains(view.id.uuidString))
        }
    }

    @Test("a record registered in error is deleted with a reason, audited; one with a recorded death is kept", arguments: TestDatabase.all)
    func delete(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let id = makeID("130102", "19400512", 101)
            let made = try await app.api(.POST, "/api/v1/elders", token: token, json: """
                {"name":"张桂英","idNumber":"\(id)","householdRegion":"\(Self.village)","contacts":[{"name":"张伟","relation":"儿子","phone":"13900001111","guardian":false}]}
                """)
            #expect(made.status == .created, "\(made.body.string)")
            let view = try made.content.decode(ElderView.self)
            _ = try await app.api(.PATCH, "/api/v1/elders/\(view.id)", token: token, json: #"{"notes":"改一下"}"#)

            let noReason = try await app.api(.DELETE, "/api/v1/elders/\(view.id)", token: token)
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.apiError?.field == "reason")
            // Staff without registry.edit may not delete.
            let assessor = try await app.token("demo_assessor")
            #expect(try await app.api(.DELETE, "/api/v1/elders/\(view.id)?reason=误登记", token: assessor).status == .forbidden)
            let deleted = try await app.api(.DELETE, "/api/v1/elders/\(view.id)?reason=误登记", token: token)
            #expect(deleted.status == .noContent)
            #expect(try await app.api(.GET, "/api/v1/elders/\(view.id)", token: token).status == .notFound)
            #expect(try await ElderContact.query(on: app.db).count() == 0)
            #expect(try await ElderChange.query(on: app.db).filter(\.$elderID == view.id).count() == 0)
            let entry = try #require(try await app.auditActions(.elderDeleted).first)
            #expect(entry.afterJSON?.contains("误登记") == true)
            #expect(entry.beforeJSON?.contains(CitizenID.mask(id)) == true)
            #expect(entry.beforeJSON?.contains(id) == false, "the audit log keeps the masked record")
            // The number is free again.
            let again = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"张桂英","idNumber":"\#(id)","householdRegion":"\#(Self.village)"}"#)
            #expect(again.status == .created)
            let second = try again.content.decode(ElderView.self)
            _ = try await app.api(.POST, "/api/v1/elders/\(second.id)/events", token: token, json: #"{"kind":"death","date":"2026-11-01","source":"公安"}"#)
            let kept = try await app.api(.DELETE, "/api/v1/elders/\(second.id)?reason=误登记", token: token)
            #expect(kept.status == .conflict)
            #expect(kept.apiError?.code == "elder.has_events")
        }
    }

    @Test("bad records are refused with the field and the rule", arguments: TestDatabase.all)
    func badRecords(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let good = makeID("130102", "19400512", 101)
            var bad = good; bad.removeLast(); bad += (good.last == "1" ? "2" : "1")
            let checkDigit = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"李","idNumber":"\#(bad)","householdRegion":"\#(Self.village)"}"#)
            #expect(checkDigit.status == .unprocessableEntity)
            #expect(checkDigit.apiError?.field == "idNumber")
            #expect(checkDigit.apiError?.code == "id_number.check_digit")
            let gender = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"李","idNumber":"\#(good)","gender":"女","householdRegion":"\#(Self.village)"}"#)
            #expect(gender.apiError?.field == "gender")
            #expect(gender.apiError?.code == "gender.contradicts_id")
            let birth = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"李","idNumber":"\#(good)","birthDate":"1940-05-13","householdRegion":"\#(Self.village)"}"#,
                                          headers: ["Accept-Language": "en"])
            #expect(birth.apiError?.field == "birthDate")
            #expect(birth.apiError?.message == "Birth date 1940-05-13 contradicts the ID number's 1940-05-12")
            let outside = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"李","idNumber":"\#(good)","householdRegion":"130108001001"}"#)
            #expect(outside.apiError?.code == "region.out_of_scope")
            let unknownRegion = try await app.api(.POST, "/api/v1/elders", token: token, json: #"{"name":"李","idNumber":"\#(good)","householdRegion":"130102001099"}"#)
            #expect(unknownRegion.apiError?.code == "region.unknown")
            #expect(try await Elder.query(on: app.db).count() == 0)
        }
    }

    @Test("search by name, pinyin initials, ID number, phone, category and age; masked", arguments: TestDatabase.all)
    func search(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let zhang = makeID("130102", "19400512", 101)
            try await app.makeElder("张桂英", id: zhang, region: Self.village, categories: ["empty_nest"], phone: "13800138000")
            try await app.makeElder("李建国", id: makeID("130102", "19550101", 113), region: "130102001002", categories: ["living_alone"])
            try await app.makeElder("王秀兰", id: makeID("130108", "19600101", 124), region: "130108001001")
            let token = try await app.token("demo_township")
            func names(_ query: String) async throws -> [String] {
                let res = try await app.api(.GET, "/api/v1/elders?\(query)", token: token)
                #expect(res.status == .ok, "\(query): \(res.body.string)")
                return try res.content.decode(Paged<ElderView>.self).items.map(\.name)
            }
            let all = try await names("")
            #expect(all == ["李建国", "张桂英"], "王秀兰 lives in another county")
            #expect(try await names("q=%E5%BC%A0") == ["张桂英"])
            #expect(try await names("q=zgy") == ["张桂英"])
            #expect(try await names("q=\(zhang)") == ["张桂英"])
            #expect(try await names("q=\(zhang.lowercased())") == ["张桂英"])
            #expect(try await names("q=13800138000") == ["张桂英"])
            #expect(try await names("category=living_alone") == ["李建国"])
            #expect(try await names("category=advanced_age") == ["张桂英"])
            #expect(try await names("ageMax=75") == ["李建国"])
            #expect(try await names("region=130102001002") == ["李建国"])
            #expect(try await names("sort=-birthDate") == ["李建国", "张桂英"])
            let bad = try await app.api(.GET, "/api/v1/elders?ageMin=abc", token: token)
            #expect(bad.apiError?.field == "ageMin")
        }
    }

    @Test("unmasking needs the permission and is audited; changes go to the history", arguments: TestDatabase.all)
    func unmaskAndHistory(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19400512", 101)
            let elder = try await app.makeElder("张桂英", id: id, region: Self.village, phone: "13800138000")
            let community = try await app.token("demo_community")
            let denied = try await app.api(.POST, "/api/v1/elders/\(elder.id!)/unmask", token: community)
            #expect(denied.status == .forbidden)
            let township = try await app.token("demo_township")
            let shown = try await app.api(.POST, "/api/v1/elders/\(elder.id!)/unmask", token: township)
            #expect(shown.status == .ok)
            #expect(try shown.content.decode(ElderView.self).idNumber == id)
            #expect(try shown.content.decode(ElderView.self).phones == ["13800138000"])
            #expect(try await app.auditActions(.personalDataUnmasked).count == 1)

            let patch = try await app.api(.PATCH, "/api/v1/elders/\(elder.id!)", token: community, json: #"{"name":"张桂英","economicStatus":"特困","phones":["13900009999"]}"#)
            #expect(patch.status == .ok, "\(patch.body.string)")
            #expect(try patch.content.decode(ElderView.self).economicStatus == "extreme_poverty")
            let history = try await app.api(.GET, "/api/v1/elders/\(elder.id!)/history", token: community)
            let entries = try history.content.decode([EldersAPI.HistoryEntry].self)
            let fields = Set(entries.map(\.field))
            #expect(fields == ["created", "economicStatus", "phones"])
            let phoneChange = try #require(entries.first { $0.field == "phones" })
            #expect(phoneChange.before == "138****8000")
            #expect(phoneChange.after == "139****9999")
            #expect(phoneChange.actor == "demo_community")
            #expect(try await app.auditActions(.elderUpdated).count == 1)
        }
    }

    static func rosterCSV(_ rows: [[String]]) -> String {
        (["姓名,身份证号,性别,出生日期,联系电话,户籍地区划代码,居住地区划代码,详细地址,类别,经济状况,家庭人口"] + rows.map { $0.joined(separator: ",") }).joined(separator: "\r\n")
    }

    @Test("a messy roster: every bad row reported, every good row registered, a re-import changes nothing", arguments: TestDatabase.all)
    func importRoster(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let ok1 = makeID("130102", "19400512", 101), ok2 = makeID("130102", "19520101", 113)
            var badCheck = makeID("130102", "19450101", 131); badCheck = String(badCheck.dropLast()) + (badCheck.last == "0" ? "1" : "0")
            let csv = Self.rosterCSV([
                ["张桂英", ok1, "男", "1940-05-12", "13800138000", Self.village, "", "建设北大街12号", "空巢、独居", "低保", "2"],
                ["李建国", ok2, "男", "1952/1/1", "", Self.village, "130102001002", "", "", "", "1"],
                ["错校验", badCheck, "", "", "", Self.village, "", "", "", "", ""],
                ["生日错", makeID("130102", "19460101", 141), "", "1946-01-02", "", Self.village, "", "", "", "", ""],
                ["区划错", makeID("130102", "19470101", 151), "", "", "", "130102001099", "", "", "", "", ""],
                ["", makeID("130102", "19480101", 161), "", "", "", Self.village, "", "", "", "", ""],
                ["重复", ok1, "", "", "", Self.village, "", "", "", "", ""],
            ])
            func post(_ body: String, dryRun: Bool = false) async throws -> RosterImporter.Report {
                let res = try await app.testing().sendRequest(.POST, "/api/v1/elders/import\(dryRun ? "?dryRun=true" : "")",
                                                              headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv"],
                                                              body: ByteBuffer(string: body))
                #expect(res.status == .ok, "\(res.body.string)")
                return try res.content.decode(RosterImporter.Report.self)
            }
            let dry = try await post(csv, dryRun: true)
            #expect(dry.imported == 2, "\(dry.errors)")
            #expect(dry.dryRun)
            #expect(try await Elder.query(on: app.db).count() == 0, "a dry run writes nothing")

            let report = try await post(csv)
            #expect(report.imported == 2)
            #expect(report.rejected == 5)
            #expect(report.unknownColumns == ["家庭人口"])
            let byRow = Dictionary(grouping: report.errors, by: \.row).mapValues { $0.map(\.rule) }
            #expect(byRow[4] == ["id_number.check_digit"])
            #expect(byRow[5] == ["birth_date.contradicts_id"])
            #expect(byRow[6] == ["region.unknown"])
            #expect(byRow[7] == ["name.required"])
            #expect(byRow[8] == ["id_number.duplicate_in_file"])
            let checkError = try #require(report.errors.first { $0.row == 4 })
            #expect(checkError.column == "身份证号")
            #expect(checkError.value == CitizenID.mask(badCheck), "ID numbers in the report are masked")

            let second = try await post(csv)
            #expect(second.imported == 0)
            #expect(second.updated == 0)
            #expect(second.unchanged == 2)
            #expect(try await Elder.query(on: app.db).count() == 2)

            // A changed row updates the record, with history.
            let changed = Self.rosterCSV([["张桂英", ok1, "男", "1940-05-12", "13800138000", Self.village, "", "建设北大街12号", "空巢、独居", "特困", "2"]])
            let third = try await post(changed)
            #expect(third.updated == 1)
            let zhang = try #require(try await Elder.query(on: app.db).filter(\.$name == "张桂英").first())
            #expect(zhang.economicStatus == "extreme_poverty")
            #expect(try await ElderChange.query(on: app.db).filter(\.$field == "economicStatus").count() == 1)
            // Each real import closes with its entry (a dry run has one too, marked as such).
            #expect(try await app.auditActions(.eldersImported).filter { $0.afterJSON?.contains(#""dryRun":false"#) == true }.count == 3)
        }
    }

    @Test("GB18030 rosters and XLSX rosters read the same", arguments: TestDatabase.all)
    func encodingsAndXLSX(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            let csv = Self.rosterCSV([["王秀兰", makeID("130102", "19380101", 202), "女", "", "", Self.village, "", "", "", "", ""]])
            let gb = try #require(csv.data(using: TextChunker.gb18030))
            #expect(String(data: gb, encoding: .utf8) == nil, "really not UTF-8")
            let res = try await app.testing().sendRequest(.POST, "/api/v1/elders/import", headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv"],
                                                          body: ByteBuffer(data: gb))
            let report = try res.content.decode(RosterImporter.Report.self)
            #expect(report.imported == 1, "\(report.errors)")
            #expect(try await Elder.query(on: app.db).filter(\.$name == "王秀兰").count() == 1)

            let xlsx = try XLSXWriter.make(sheetName: "名册", rows: [
                ["姓名", "身份证号", "出生日期", "户籍地区划代码"],
                ["赵淑珍", makeID("130102", "19410202", 222), "15009", Self.village],  // 15009 is 1941-02-02 as a spreadsheet date
                ["钱", "123", "", Self.village],
            ])
            let xres = try await app.testing().sendRequest(.POST, "/api/v1/elders/import",
                                                           headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
                                                           body: ByteBuffer(data: xlsx))
            let xreport = try xres.content.decode(RosterImporter.Report.self)
            #expect(xreport.imported == 1, "\(xreport.errors)")
            #expect(xreport.errors.map(\.row) == [3])
            #expect(xreport.errors.first?.rule == "id_number.length")
        }
    }

    @Test("a death-record file marks the matched people deceased and lists the unmatched lines", arguments: TestDatabase.all)
    func deathRecords(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let a = makeID("130102", "19300101", 301), b = makeID("130102", "19310101", 311), stranger = makeID("110105", "19320101", 321)
            let other = makeID("130108", "19330101", 331)
            let elderA = try await app.makeElder("甲", id: a, region: Self.village)
            try await app.makeElder("乙", id: b, region: Self.village)
            let elderOther = try await app.makeElder("丙", id: other, region: "130108001001")
            let token = try await app.token("demo_township")
            let file = "身份证号,死亡日期,来源\n\(a),2026-10-03,公安户籍注销\n\(stranger),2026-10-04,公安户籍注销\n\(other),2026-10-05,公安\nbad,2026-10-05,x\n"
            func post() async throws -> LifeEventImporter.Report {
                let res = try await app.testing().sendRequest(.POST, "/api/v1/elder-events/import?kind=death",
                                                              headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/csv"], body: ByteBuffer(string: file))
                #expect(res.status == .ok, "\(res.body.string)")
                return try res.content.decode(LifeEventImporter.Report.self)
            }
            let report = try await post()
            #expect(report.matched == 1)
            #expect(report.unmatched == 2, "a stranger and a person of another county")
            #expect(report.rejected == 1)
            #expect(report.lines.map(\.outcome) == ["matched", "unmatched", "unmatched", "rejected"])
            #expect(!report.lines.contains { $0.idNumber == stranger }, "unmatched lines are masked")
            let dead = try #require(try await Elder.find(elderA.id, on: app.db))
            #expect(dead.status == "deceased")
            #expect(dead.statusDate == "2026-10-03")
            #expect(dead.statusNote == "公安户籍注销")
            #expect(try await Elder.find(elderOther.id, on: app.db)?.status == "living", "out of scope: untouched")
            #expect(try await LifeEvent.query(on: app.db).count() == 3)

            let again = try await post()
            #expect(again.alreadyRecorded == 3, "matched and unmatched lines alike are recorded once")
            #expect(try await LifeEvent.query(on: app.db).filter(\.$matched == true).count() == 1)

            let events = try await app.api(.GET, "/api/v1/elder-events?matched=false", token: token)
            #expect(try events.content.decode(Paged<EldersAPI.EventView>.self).total >= 2)
            let deceased = try await app.api(.GET, "/api/v1/elders?status=deceased", token: token)
            #expect(try deceased.content.decode(Paged<ElderView>.self).items.map(\.name) == ["甲"])
        }
    }

    @Test("exports are masked unless asked and allowed, and audited", arguments: TestDatabase.all)
    func export(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19400512", 101)
            try await app.makeElder("张桂英", id: id, region: Self.village, phone: "13800138000")
            let community = try await app.token("demo_community")
            let csv = try await app.api(.GET, "/api/v1/elders/export", token: community)
            #expect(csv.status == .ok)
            #expect(csv.body.string.contains(CitizenID.mask(id)))
            #expect(!csv.body.string.contains(id))
            #expect(try await app.api(.GET, "/api/v1/elders/export?unmasked=true", token: community).status == .forbidden)
            let township = try await app.token("demo_township")
            let full = try await app.api(.GET, "/api/v1/elders/export?unmasked=true&format=xlsx", token: township)
            #expect(full.status == .ok)
            let rows = try XLSXRows.read(Data(full.body.readableBytesView))
            #expect(rows.count == 2)
            #expect(rows[1].cells[1] == id)
            #expect(try await app.auditActions(.eldersExported).count == 2)
        }
    }
}

@Suite("Registry code lists")
struct ReferenceCodeTests {
    @Test("a deployment adds its own category, and records can use it at once", arguments: TestDatabase.all)
    func extend(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            let added = try await app.api(.POST, "/api/v1/reference-codes", token: admin, json: #"{"kind":"category","code":"lost_only_child","nameZh":"失独","nameEn":"Lost only child"}"#)
            #expect(added.status == .created)
            let dup = try await app.api(.POST, "/api/v1/reference-codes", token: admin, json: #"{"kind":"category","code":"lost_only_child","nameZh":"失独","nameEn":""}"#)
            #expect(dup.status == .conflict)
            let township = try await app.token("demo_township")
            #expect(try await app.api(.POST, "/api/v1/reference-codes", token: township, json: #"{"kind":"category","code":"x_y","nameZh":"x","nameEn":""}"#).status == .forbidden)
            let res = try await app.api(.POST, "/api/v1/elders", token: township, json: """
                {"name":"钱","idNumber":"\(makeID("130102", "19500101", 111))","householdRegion":"130102001001","categories":["失独"]}
                """)
            #expect(res.status == .created, "\(res.body.string)")
            #expect(try res.content.decode(ElderView.self).categories == ["lost_only_child"])
            let list = try await app.api(.GET, "/api/v1/reference-codes?kind=category", token: township)
            #expect(try list.content.decode([ReferenceCodesAPI.CodeView].self).contains { $0.code == "lost_only_child" })
        }
    }
}
