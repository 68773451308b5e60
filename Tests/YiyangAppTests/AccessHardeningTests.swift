@testable import YiyangApp
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// What an attacker or a careless client tried on the live platform (issue 11, access and
/// security), each through the API or the pages as they sent it.
@Suite("Access hardening")
struct AccessHardeningTests {
    static func signIn(_ app: Application, _ username: String, _ password: String, device: String? = nil) async throws -> TestingHTTPResponse {
        let deviceField = device.map { #","deviceToken":"\#($0)""# } ?? ""
        return try await app.api(.POST, "/api/v1/sessions", token: nil,
                                 json: #"{"username":"\#(username)","password":"\#(password)"\#(deviceField)}"#)
    }

    @Test("wrong passwords slow a name down instead of locking it, alike for known and unknown names", arguments: TestDatabase.all)
    func throttleNotLockout(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // The owner signed in once from their phone, which keeps the device token.
            let first = try await Self.signIn(app, "demo_community", DemoData.password)
            #expect(first.status == .created)
            let device = try first.content.decode(SessionsAPI.TokenAnswer.self).deviceToken
            #expect(first.body.string.contains("failedAttemptsBefore") == false, "no failures yet, nothing to tell")

            // Someone else types wrong passwords for the real name and for a made-up one.
            for i in 1...6 {
                let known = try await Self.signIn(app, "demo_community", "Wrong-pass-\(i)")
                let unknown = try await Self.signIn(app, "nobody.here", "Wrong-pass-\(i)")
                #expect(known.status == unknown.status, "attempt \(i): \(known.status) vs \(unknown.status)")
                #expect(known.apiError?.code == unknown.apiError?.code)
                // The seconds left may differ by the time between the two calls; the words may not.
                func words(_ m: String?) -> String? { m?.filter { !$0.isNumber } }
                #expect(words(known.apiError?.message) == words(unknown.apiError?.message))
                #expect(known.status == (i <= 5 ? .unauthorized : .tooManyRequests), "attempt \(i)")
            }
            let throttled = try await Self.signIn(app, "demo_community", DemoData.password)
            #expect(throttled.status == .tooManyRequests, "the right password from another device waits too")
            #expect(throttled.apiError?.code == "auth.throttled")
            #expect(throttled.apiError?.message.contains(" 秒后再试") == true, "\(throttled.apiError?.message ?? "")")
            #expect(try await app.user("demo_community").enabled)

            // The owner on their own device is let through, and told what happened.
            let owner = try await Self.signIn(app, "demo_community", DemoData.password, device: device)
            #expect(owner.status == .created, "\(owner.body.string)")
            let notice = try #require(try owner.content.decode(SessionsAPI.TokenAnswer.self).failedAttemptsBefore)
            #expect(notice.count == 5)
            // A forged device token is no token.
            let forged = try await Self.signIn(app, "demo_township", DemoData.password, device: device)
            #expect(forged.status == .created, "demo_township was never tried")
            for i in 1...5 { _ = try await Self.signIn(app, "demo_township", "Wrong-pass-\(i)") }
            #expect(try await Self.signIn(app, "demo_township", DemoData.password, device: device).status == .tooManyRequests,
                    "a device token of another account does not count")

            // After the wait, the right password works from anywhere and the count starts again.
            let key = LoginThrottles.accountKey("demo_township")
            let row = try #require(try await LoginThrottle.find(key, on: app.db))
            row.waitUntil = Date().addingTimeInterval(-1)
            try await row.save(on: app.db)
            #expect(try await Self.signIn(app, "demo_township", DemoData.password).status == .created)
            #expect(try await LoginThrottle.find(key, on: app.db) == nil)
        }
    }

    @Test("one address guessing many names is slowed down after its free failures", arguments: TestDatabase.all)
    func throttleByAddress(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let free = app.yiyang.throttlePolicy.freeFailuresPerAddress
            for i in 0..<free {
                let res = try await Self.signIn(app, "guess.\(i)", "Wrong-pass-1")
                #expect(res.status == .unauthorized, "guess \(i)")
            }
            let next = try await Self.signIn(app, "another.name", "Wrong-pass-1")
            #expect(next.status == .tooManyRequests)
            #expect(try await app.auditActions(.loginFailed).count == free + 1)
        }
    }

    @Test("guesses sent side by side meet the count their predecessors left", arguments: TestDatabase.all)
    func parallelGuesses(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for i in 0..<20 { group.addTask { try await Self.signIn(app, "demo_admin", "Wrong-pass-\(i)").status } }
                var out: [HTTPStatus] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == app.yiyang.throttlePolicy.freeFailures, "\(statuses.map(\.code))")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 20 - app.yiyang.throttlePolicy.freeFailures)
            let row = try #require(try await LoginThrottle.find(LoginThrottles.accountKey("demo_admin"), on: app.db))
            #expect(row.failures == app.yiyang.throttlePolicy.freeFailures, "only the guesses that were checked count")
        }
    }

    @Test("a known device passes an office address's delay; a password reset ends every device", arguments: TestDatabase.all)
    func devicesAndAddresses(db: TestDatabase) async throws {
        try await withYiyang(db, config: { $0.trustProxy = true }) { app in
            func signIn(_ name: String, _ password: String, device: String? = nil, from: String) async throws -> TestingHTTPResponse {
                let deviceField = device.map { #","deviceToken":"\#($0)""# } ?? ""
                return try await app.api(.POST, "/api/v1/sessions", token: nil,
                                         json: #"{"username":"\#(name)","password":"\#(password)"\#(deviceField)}"#,
                                         headers: ["X-Forwarded-For": "\(from), 10.1.1.1"])
            }
            let first = try await signIn("demo_assessor", DemoData.password, from: "203.0.113.9")
            let device = try first.content.decode(SessionsAPI.TokenAnswer.self).deviceToken
            // The office's address is the one our proxy added (the last), whatever the client wrote before it.
            for i in 0..<app.yiyang.throttlePolicy.freeFailuresPerAddress {
                _ = try await signIn("guess.\(i)", "Wrong-pass-1", from: "198.51.100.\(i)")
            }
            #expect(try await signIn("someone.else", "Wrong-pass-1", from: "198.51.100.77").status == .tooManyRequests)
            #expect(try await signIn("demo_assessor", DemoData.password, device: device, from: "1.2.3.4").status == .created)

            // After a reset the old device is a new one: others' failures on the name bind it again.
            let admin = try await app.token("demo_admin")
            let target = try await app.user("demo_assessor")
            let reset = try await app.api(.POST, "/api/v1/users/\(target.id!)/password-reset", token: admin)
            let temporary = try reset.content.decode(UsersAPI.ResetAnswer.self).temporaryPassword
            _ = try await app.api(.DELETE, "/api/v1/sessions/current", token: admin)
            try await LoginThrottle.query(on: app.db).delete()
            for i in 1...5 { _ = try await Self.signIn(app, "demo_assessor", "Wrong-pass-\(i)") }
            #expect(try await signIn("demo_assessor", temporary, device: device, from: "1.2.3.4").status == .tooManyRequests)
        }
    }

    @Test("the web sign-in sets a device cookie and the profile lists the failed attempts", arguments: TestDatabase.all)
    func failedAttemptsShownToOwner(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            for i in 1...3 { _ = try await Self.signIn(app, "demo_assessor", "Wrong-pass-\(i)") }
            let browser = Browser(app)
            try await browser.get("/login")
            let res = try await browser.post("/login", [("username", "demo_assessor"), ("password", DemoData.password), ("next", "/")])
            #expect(res.headers.first(name: .location) == "/profile?notice=failed_signins")
            #expect(browser.cookies[KnownDevice.cookie] != nil)
            let profile = try await browser.get("/profile?notice=failed_signins")
            #expect(profile.body.string.contains("最近的登录失败"))
            #expect(profile.body.string.contains("有人用错误的密码尝试登录本账号"))
        }
    }

    @Test("only a platform-level administrator changes the permission table, and the entry says it is platform-wide",
          arguments: TestDatabase.all)
    func permissionTableIsPlatformWide(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("township.admin", roles: [.admin], region: "130102001000")
            let local = try await app.token("township.admin")
            let refused = try await app.api(.PUT, "/api/v1/roles/volunteer/permissions", token: local, json: #"{"permissions":["regions.view"]}"#)
            #expect(refused.status == .forbidden)
            #expect(refused.apiError?.code == "permissions.platform_only")
            #expect(try await app.auditActions(.rolePermissionsChanged).isEmpty)

            // The city is the top of the demo's tree (its province holds nothing else).
            let city = try await app.token("demo_admin")
            let done = try await app.api(.PUT, "/api/v1/roles/volunteer/permissions", token: city, json: #"{"permissions":["regions.view"]}"#)
            #expect(done.status == .ok)
            let entry = try #require(try await app.auditActions(.rolePermissionsChanged).first)
            #expect(entry.afterJSON?.contains(#""scope":"platform""#) == true)

            // Once a second city is imported, a city no longer speaks for the platform.
            try await Region(code: RegionCode("130200000000")!, name: "唐山市").create(on: app.db)
            let now = try await app.api(.PUT, "/api/v1/roles/volunteer/permissions", token: city, json: #"{"permissions":[]}"#)
            #expect(now.status == .forbidden)
        }
    }

    @Test("next= takes only same-site paths, as browsers parse them", arguments: TestDatabase.all)
    func noOpenRedirect(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            for evil in ["/%09/evil.example", "/%0A/evil.example", "/%5Cevil.example", "/%20/evil.example", "//evil.example",
                         "/%E2%80%8B/evil.example", "https://evil.example/", "/\\\\evil.example"] {
                let res = try await browser.get("/preferences?lang=en&next=\(evil)")
                #expect(res.headers.first(name: .location) == "/", "\(evil) → \(res.headers.first(name: .location) ?? "")")
            }
            let fine = try await browser.get("/preferences?lang=zh&next=/elders%3Fq%3Dzgy")
            #expect(fine.headers.first(name: .location) == "/elders?q=zgy")
            try await browser.get("/login")
            let login = try await browser.post("/login", [("username", "demo_bureau"), ("password", DemoData.password), ("next", "/\t/evil.example")])
            #expect(login.headers.first(name: .location) == "/")
            #expect(WebPage.safeNext("/\u{202E}/evil.example") == "/")
        }
    }

    @Test("bad registry data is refused with the field and the rule", arguments: TestDatabase.all)
    func badRegistryData(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let token = try await app.token("demo_township")
            func register(_ name: String, _ id: String) async throws -> TestingHTTPResponse {
                let body = try String(decoding: JSONEncoder().encode(["name": name, "idNumber": id, "householdRegion": "130102001001"]),
                                      as: UTF8.self)
                return try await app.api(.POST, "/api/v1/elders", token: token, json: body)
            }
            let unknownPrefix = try await register("王淑芬", makeID("999999", "19500101", 12))
            #expect(unknownPrefix.status == .unprocessableEntity)
            #expect(unknownPrefix.apiError?.field == "idNumber")
            #expect(unknownPrefix.body.string.contains("id_number.region_unknown"))
            let combining = "王" + String(repeating: "\u{0301}", count: 50)
            for (name, rule) in [("王\u{0000}芬", "name.invisible_character"), ("王\u{200B}芬", "name.invisible_character"),
                                 ("\u{202E}芬淑王", "name.invisible_character"), (combining, "name.combining_marks"),
                                 ("<b>王</b>", "name.character"), ("王淑芬1", "name.character")] {
                let res = try await register(name, makeID("130102", "19500101", 14))
                #expect(res.status == .unprocessableEntity, "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(res.apiError?.field == "name")
                #expect(res.body.string.contains(rule), "\(rule): \(res.body.string)")
            }
            // A name stored before these rules does not block correcting the rest of the record.
            let old = try await app.makeElder("王淑芬", id: makeID("130102", "19500101", 41), region: "130102001001")
            old.name = "王淑芬2"
            try await old.save(on: app.db)
            let fixed = try await app.api(.PATCH, "/api/v1/elders/\(old.id!)", token: token, json: #"{"notes":"电话已核实"}"#)
            #expect(fixed.status == .ok, "\(fixed.body.string)")
            // Names as they are written stay welcome, private-use rare characters too.
            for (i, name) in ["买买提·艾力", "欧阳 娜娜", "李〇", "王\u{E000}"].enumerated() {
                #expect(try await register(name, makeID("130102", "19500101", 20 + i)).status == .created, "\(name)")
            }

            // A death before the birth date.
            let person = try await app.makeElder("赵德明", id: makeID("130102", "19510301", 31), region: "130102001001")
            let death = try await app.api(.POST, "/api/v1/elders/\(person.id!)/events", token: token,
                                          json: #"{"kind":"death","date":"1930-01-01","source":"hospital"}"#)
            #expect(death.status == .unprocessableEntity)
            #expect(death.apiError?.code == "event.date_before_birth")
            #expect(death.apiError?.field == "date")
            #expect(try await Elder.find(person.id!, on: app.db)?.status == ElderStatus.living.rawValue)

            // Search: % and _ are text.
            let city = try await app.token("demo_bureau")
            let all = try await app.api(.GET, "/api/v1/elders?per=1", token: city)
            #expect(try all.content.decode(Paged<ElderView>.self).total >= 3, "the three registered above at least")
            for q in ["%25", "_", "%25%25", "%5C"] {
                let res = try await app.api(.GET, "/api/v1/elders?q=\(q)&per=1", token: city)
                #expect(res.status == .ok)
                #expect(try res.content.decode(Paged<ElderView>.self).total == 0, "q=\(q)")
            }
        }
    }

    @Test("an exchange file's event before the birth in its ID number is a rejected row", arguments: TestDatabase.all)
    func lifeEventBeforeBirth(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let person = try await app.makeElder("钱秀兰", id: makeID("130102", "19510301", 33), region: "130102001001")
            let csv = "身份证号,日期,来源\n\(makeID("130102", "19510301", 33)),1930-01-01,公安\n"
            let token = try await app.token("demo_township")
            let res = try await app.api(.POST, "/api/v1/elder-events/import?kind=death", token: token, headers: ["Content-Type": "text/csv"], body: csv)
            #expect(res.status == .ok, "\(res.body.string)")
            let report = try res.content.decode(LifeEventImporter.Report.self)
            #expect(report.rejected == 1)
            #expect(report.lines.first?.message.contains("早于身份证号中的出生日期") == true)
            #expect(try await Elder.find(person.id!, on: app.db)?.status == ElderStatus.living.rawValue)
        }
    }

    @Test("inputs are refused by name, not ignored or called bad JSON", arguments: TestDatabase.all)
    func inputsNamed(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let township = try await app.token("demo_township")
            let outside = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township,
                                            json: #"{"month":"2026-11","region":"130102002000"}"#)
            #expect(outside.status == .unprocessableEntity)
            #expect(outside.apiError?.code == "region.out_of_scope")
            #expect(outside.apiError?.field == "region")

            let empty = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, headers: ["Content-Type": "application/json"])
            #expect(empty.status == .badRequest)
            #expect(empty.apiError?.code == "body.empty")
            #expect(empty.apiError?.field == "body")

            let array = try await app.api(.POST, "/api/v1/entitlement-reviews", token: township, json: "[]")
            #expect(array.status == .badRequest)
            #expect(array.apiError?.code == "body.not_object")
            #expect(array.apiError?.field == "body")

            let county = try await app.token("demo_bureau")
            let fraction = try await app.api(.POST, "/api/v1/payment-adjustments", token: county, json: """
                {"entitlementId":"\(UUID())","forMonth":"2026-11","amountFen":12.5,"reason":"补发"}
                """)
            #expect(fraction.status == .badRequest)
            #expect(fraction.apiError?.code == "body.field_type")
            #expect(fraction.apiError?.field == "amountFen")
        }
    }

    @Test("a role named twice is one role, not a server error", arguments: TestDatabase.all)
    func duplicateRoles(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let admin = try await app.token("demo_admin")
            let target = try await app.user("demo_inspector")
            let res = try await app.api(.PATCH, "/api/v1/users/\(target.id!)", token: admin,
                                        json: #"{"roles":["assessor","inspector","inspector"]}"#)
            #expect(res.status == .ok, "\(res.body.string)")
            #expect(try res.content.decode(AccountService.View.self).roles == ["assessor", "inspector"])
            #expect(try await UserRole.query(on: app.db).filter(\.$user.$id == target.id!).count() == 2)
        }
    }

    @Test("an import stopped half way leaves every written row named by an audit entry; a dry run is audited",
          arguments: TestDatabase.all)
    func importAuditedByBatch(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let (vocabulary, _) = try await RegistryVocabulary.load(on: app.db)
            let before = try await Elder.query(on: app.db).count()
            let importer = RosterImporter(db: app.db, service: ElderService(db: app.db, vault: app.vault, actorUsername: "cli", source: "cli"),
                                          options: .init(dryRun: false, scope: nil, locale: .zh, batchSize: 10,
                                                         audit: AuditTrail(command: "cli"), fileName: "roster.csv"),
                                          vocabulary: vocabulary, knownRegions: try await RosterImporter.knownRegionCodes(on: app.db))
            try await importer.add(row: 1, cells: ["姓名", "身份证号", "户籍地区划代码"])
            for i in 0..<35 {
                try await importer.add(row: i + 2, cells: ["测试\(["甲", "乙", "丙", "丁", "戊"][i % 5])", makeID("130102", "19400101", 200 + i), "130102001001"])
            }
            // Killed here: 30 rows in three batches are written, 5 are not, and finish() never ran.
            let written = try await Elder.query(on: app.db).count() - before
            #expect(written == 30)
            let batches = try await app.auditActions(.eldersImportBatch)
            #expect(batches.count == 3)
            let named = batches.compactMap { $0.afterJSON }.map { json -> Int in
                let b = try? JSONDecoder().decode([String: AnyCodableNumber].self, from: Data(json.utf8))
                return b?["imported"]?.value ?? 0
            }.reduce(0, +)
            #expect(named == written, "every written row is in a batch's entry")
            #expect(batches.allSatisfy { $0.afterJSON?.contains("roster.csv") == true })
            #expect(try await app.auditActions(.eldersImported).isEmpty)

            let token = try await app.token("demo_township")
            let csv = "姓名,身份证号,户籍地区划代码\n孙秀英,\(makeID("130102", "19400101", 300)),130102001001\n"
            let dry = try await app.api(.POST, "/api/v1/elders/import?dryRun=true", token: token, headers: ["Content-Type": "text/csv"], body: csv)
            #expect(dry.status == .ok, "\(dry.body.string)")
            let entry = try #require(try await app.auditActions(.eldersImported).first)
            #expect(entry.actorUsername == "demo_township")
            #expect(entry.afterJSON?.contains(#""dryRun":true"#) == true)
        }
    }

    @Test("an ID number held by another region becomes a transfer request that region decides", arguments: TestDatabase.all)
    func registeredElsewhereIsATransferRequest(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let id = makeID("130102", "19420505", 51)
            let person = try await app.makeElder("郑桂芳", id: id, region: "130102001001")
            let before = try await Elder.query(on: app.db).count()
            let asking = try await app.token("demo_township2")
            let body = #"{"name":"郑桂芳","idNumber":"\#(id)","householdRegion":"130102002001"}"#
            for _ in 1...2 {
                let res = try await app.api(.POST, "/api/v1/elders", token: asking, json: body)
                #expect(res.status == .conflict)
                #expect(res.apiError?.code == "id_number.registered_elsewhere")
                #expect(res.apiError?.message.contains("迁入申请") == true)
                #expect(!res.body.string.contains(person.id!.uuidString), "the record's id stays with its region")
            }
            #expect(try await Elder.query(on: app.db).count() == before)
            let transfers = try await ElderTransfer.query(on: app.db).all()
            #expect(transfers.count == 1, "asking twice is one request")
            // The holder's region reads which record was asked for; the asking region only its request.
            let requested = try await app.auditActions(.elderTransferRequested)
            #expect(requested.count == 2)
            let holderEntry = try #require(requested.first { $0.regionCode == "130102001001" })
            #expect(holderEntry.actorRegionCode == nil, "the asking region must not read where the person lives")
            #expect(holderEntry.afterJSON?.contains(person.id!.uuidString) == true)
            let askerEntry = try #require(requested.first { $0.regionCode == "130102002000" })
            #expect(askerEntry.afterJSON?.contains(person.id!.uuidString) == false)
            #expect(askerEntry.afterJSON?.contains("130102001001") == false)

            let outgoing = try await app.api(.GET, "/api/v1/elder-transfers", token: asking)
            let seenByAsker = try outgoing.content.decode([ElderTransfersAPI.TransferView].self)
            #expect(seenByAsker.count == 1)
            #expect(seenByAsker[0].direction == "outgoing")
            #expect(seenByAsker[0].elderId == nil && seenByAsker[0].fromRegion == nil)
            let tid = seenByAsker[0].id
            let notYours = try await app.api(.POST, "/api/v1/elder-transfers/\(tid)/accept", token: asking, json: "{}")
            #expect(notYours.status == .forbidden)
            #expect(notYours.apiError?.code == "elder_transfer.not_yours")

            let holder = try await app.token("demo_township")
            let incoming = try await app.api(.GET, "/api/v1/elder-transfers?status=pending", token: holder)
            let seenByHolder = try incoming.content.decode([ElderTransfersAPI.TransferView].self)
            #expect(seenByHolder.first?.direction == "incoming")
            #expect(seenByHolder.first?.elderId == person.id)
            let noReason = try await app.api(.POST, "/api/v1/elder-transfers/\(tid)/decline", token: holder, json: "{}")
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.apiError?.field == "note")
            // A third region asked as well: once the record moves, its request is answered too.
            let third = try await ElderTransfers.request(person, to: "130108001001", idNumber: id, nameGiven: "郑桂芳", via: "api",
                                                         trail: AuditTrail(command: "test"), on: app.db)
            let accepted = try await app.api(.POST, "/api/v1/elder-transfers/\(tid)/accept", token: holder, json: "{}")
            #expect(accepted.status == .ok, "\(accepted.body.string)")
            #expect(try await Elder.find(person.id!, on: app.db)?.residenceRegion == "130102002001")
            #expect(try await app.api(.GET, "/api/v1/elders/\(person.id!)", token: asking).status == .ok, "the record moved")
            let history = try await ElderChange.query(on: app.db).filter(\.$elderID == person.id!).filter(\.$field == "residenceRegion").all()
            #expect(history.count == 1)
            #expect(try await app.auditActions(.elderTransferAccepted).count == 1)
            #expect(try await ElderTransfer.find(third.id!, on: app.db)?.status == "declined")
            let again = try await app.api(.POST, "/api/v1/elder-transfers/\(tid)/accept", token: holder, json: "{}")
            #expect(again.status == .conflict)
            #expect(again.apiError?.code == "elder_transfer.decided")

            // A roster: the dry run only tells; the real import asks.
            let other = makeID("130102", "19420606", 53)
            try await app.makeElder("冯淑贞", id: other, region: "130102001001")
            let csv = "姓名,身份证号,户籍地区划代码\n冯淑贞,\(other),130102002001\n"
            let dry = try await app.api(.POST, "/api/v1/elders/import?dryRun=true", token: asking, headers: ["Content-Type": "text/csv"], body: csv)
            #expect(try dry.content.decode(RosterImporter.Report.self).errors.first?.rule == "id_number.registered_elsewhere")
            #expect(try await ElderTransfer.query(on: app.db).count() == 2)
            let real = try await app.api(.POST, "/api/v1/elders/import", token: asking, headers: ["Content-Type": "text/csv"], body: csv)
            #expect(try real.content.decode(RosterImporter.Report.self).rejected == 1)
            #expect(try await ElderTransfer.query(on: app.db).count() == 3)
            let reimport = try await app.api(.POST, "/api/v1/elders/import", token: asking, headers: ["Content-Type": "text/csv"], body: csv)
            #expect(reimport.status == .ok, "asking again in a roster is the same request, not a failed batch")
            #expect(try await ElderTransfer.query(on: app.db).count() == 3)

            // Typing a number held elsewhere into an existing record asks the same way.
            let mine = try await app.makeElder("卫淑敏", id: makeID("130102", "19420707", 55), region: "130102002001")
            let foreignNumber = makeID("130102", "19420707", 57)
            try await app.makeElder("卫淑敏", id: foreignNumber, region: "130102001001")
            let retyped = try await app.api(.PATCH, "/api/v1/elders/\(mine.id!)", token: asking, json: #"{"idNumber":"\#(foreignNumber)"}"#)
            #expect(retyped.status == .conflict)
            #expect(retyped.apiError?.code == "id_number.registered_elsewhere")
            #expect(try await ElderTransfer.query(on: app.db).count() == 4)
            let dryEntry = try #require(try await app.auditActions(.eldersImported).first { $0.afterJSON?.contains(#""dryRun":true"#) == true })
            #expect(dryEntry.afterJSON?.contains(CitizenID.mask(other)) == true, "the dry run's entry names what it told")

            // The page: the holder decides there too.
            let browser = Browser(app)
            try await browser.signIn("demo_township")
            let page = try await browser.get("/elder-transfers")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("冯淑贞"))
            let open = try #require(try await ElderTransfer.query(on: app.db).filter(\.$status == "pending").first())
            let declined = try await browser.post("/elder-transfers/\(open.id!)/decline", [("note", "经核实仍居住在本社区")])
            #expect(declined.status == .seeOther)
            #expect(try await ElderTransfer.find(open.id!, on: app.db)?.status == "declined")
        }
    }

    @Test("the audit log refuses UPDATE and DELETE in the database itself", arguments: TestDatabase.all)
    func auditAppendOnlyInDatabase(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            _ = try await app.token("demo_admin")
            let sql = app.db as! any SQLDatabase
            let count = try await AuditEntry.query(on: app.db).count()
            #expect(count > 0)
            await #expect(throws: (any Error).self) { try await sql.raw("UPDATE audit_entries SET actor_username = 'nobody'").run() }
            await #expect(throws: (any Error).self) { try await sql.raw("DELETE FROM audit_entries").run() }
            #expect(try await AuditEntry.query(on: app.db).count() == count)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$actorUsername == "nobody").count() == 0)
        }
    }

    @Test("a change by another region's account is filed under the record's region and read by both", arguments: TestDatabase.all)
    func auditUnderRecordAndActorRegion(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            // The county's staff change a person of one of its townships.
            let person = try await app.makeElder("吴桂兰", id: makeID("130102", "19440202", 41), region: "130102001001")
            try await app.makeUser("county.staff", roles: [.township], region: "130102000000")
            let county = try await app.token("county.staff")
            let res = try await app.api(.POST, "/api/v1/elders/\(person.id!)/events", token: county,
                                        json: #"{"kind":"move_out","date":"2026-11-01","source":"公安","destination":"北京"}"#)
            #expect(res.status == .ok, "\(res.body.string)")
            let entry = try #require(try await app.auditActions(.lifeEventRecorded).first)
            #expect(entry.regionCode == "130102001001")
            #expect(entry.actorRegionCode == "130102000000")
            // The township of the person sees it; so would the county, by either column.
            try await app.makeUser("township.auditor", roles: [.admin], region: "130102001000")
            let township = try await app.token("township.auditor")
            let seen = try await app.api(.GET, "/api/v1/audit/\(entry.id!)", token: township)
            #expect(seen.status == .ok)
            let scope = RegionScope(region: RegionCode("130102000000")!)
            #expect(try await scope.query(AuditEntry.self, on: app.db).filter(\.$id == entry.id!).count() == 1)

            // A home of one township takes in a person of another: the person's township reads it in its log.
            let home = Institution()
            home.regionCode = "130102002000"; home.name = "青园颐养院"; home.creditCode = "52130102MJ0000001X"; home.operatorKind = "private"
            home.address = ""; home.accountMasked = ""; home.active = true; home.createdBy = "x"
            try await home.create(on: app.db)
            let resident = try await app.makeElder("陈淑华", id: makeID("130102", "19400303", 43), region: "130102001001")
            let bureau = try await app.token("demo_county")
            let admitted = try await app.api(.POST, "/api/v1/institutions/\(home.id!)/residents", token: bureau,
                                             json: #"{"elderId":"\#(resident.id!)","admittedOn":"\#(CalendarDate.today())"}"#)
            #expect(admitted.status == .created, "\(admitted.body.string)")
            let changed = try #require(try await app.auditActions(.elderUpdated).first { $0.entityID == resident.id!.uuidString })
            #expect(changed.regionCode == "130102001001")
            #expect(changed.actorRegionCode == "130102000000")
        }
    }

    @Test("only a platform-level administrator adds to the platform-wide reference code lists", arguments: TestDatabase.all)
    func referenceCodesArePlatformWide(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("township.admin", roles: [.admin], region: "130102001000")
            let local = try await app.token("township.admin")
            let code = #"{"kind":"living_arrangement","code":"with_neighbours","nameZh":"与邻居同住","nameEn":"With neighbours"}"#
            let refused = try await app.api(.POST, "/api/v1/reference-codes", token: local, json: code)
            #expect(refused.status == .forbidden)
            #expect(refused.apiError?.code == "reference_codes.platform_only")
            #expect(refused.apiError?.message.contains("全平台") == true)
            #expect(try await app.auditActions(.referenceCodeAdded).isEmpty)
            let listed = try await app.api(.GET, "/api/v1/reference-codes?kind=living_arrangement", token: local)
            #expect(listed.status == .ok)
            #expect(!listed.body.string.contains("with_neighbours"))

            // The city is the top of the demo's tree.
            let city = try await app.token("demo_admin")
            let done = try await app.api(.POST, "/api/v1/reference-codes", token: city, json: code)
            #expect(done.status == .created, "\(done.body.string)")
            #expect(try await app.auditActions(.referenceCodeAdded).count == 1)
            let now = try await app.api(.GET, "/api/v1/reference-codes?kind=living_arrangement", token: local)
            #expect(now.body.string.contains("with_neighbours"), "the township reads what the platform added")
        }
    }

    @Test("the roles page is read-only, with the reason, for an administrator below the platform level", arguments: TestDatabase.all)
    func rolesPageReadOnlyBelowPlatform(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("township.admin", roles: [.admin], region: "130102001000")
            let township = Browser(app)
            try await township.signIn("township.admin")
            let page = try await township.get("/roles")
            #expect(page.status == .ok)
            #expect(!page.body.string.contains(#"name="grant[]""#), "no checkboxes")
            #expect(!page.body.string.contains(#"type="submit" class="button primary""#), "no save button")
            #expect(page.body.string.contains("roles-platform-only"))
            #expect(page.body.string.contains("只能由平台级（最高一级区划）管理员修改"))
            #expect(page.body.string.contains("✔"), "the table is still shown")
            // A save sent anyway is refused, and nothing changes.
            let before = try await RoleTable.load(on: app.db).map { "\($0.0.rawValue):\($0.1.map(\.rawValue).sorted())" }
            // The form as the page would send it: today's table, with one permission more for volunteers.
            let table = try await RoleTable.load(on: app.db)
            let extra = try #require(Permission.allCases.first { !(table.first { $0.0 == .volunteer }?.1.contains($0) ?? true) })
            let grants = table.flatMap { role, perms in perms.map { ("grant[]", "\(role.rawValue):\($0.rawValue)") } }
            let save = try await township.post("/roles", grants + [("grant[]", "volunteer:\(extra.rawValue)")])
            #expect(save.status == .forbidden)
            #expect(try await RoleTable.load(on: app.db).map { "\($0.0.rawValue):\($0.1.map(\.rawValue).sorted())" } == before)

            let city = Browser(app)
            try await city.signIn("demo_admin")
            let editable = try await city.get("/roles")
            #expect(editable.status == .ok)
            #expect(editable.body.string.contains(#"name="grant[]""#))
            #expect(!editable.body.string.contains("roles-platform-only"))
        }
    }
}

/// A whole number in a JSON object of mixed values, for reading audit entries in tests.
struct AnyCodableNumber: Decodable {
    var value: Int?
    init(from decoder: any Decoder) throws {
        value = try? decoder.singleValueContainer().decode(Int.self)
    }
}
