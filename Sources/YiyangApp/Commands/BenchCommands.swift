import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// `yiyang bench registry --rows N`: the registry's speed targets, measured in one run on the
/// configured database (use an empty data folder):
/// 1. a bare prepared-insert loop into `elders` (precomputed values, one row per statement,
///    10,000 rows per transaction), as the baseline;
/// 2. the real import of the same number of synthetic rows from a CSV file, streamed, with
///    validation, encryption, hashing and duplicate checks;
/// 3. search latency through the whole HTTP stack (token, scope, JSON) for exact ID number,
///    two-character name prefix, and village + category;
/// and the process's peak memory.
struct BenchCommands: AsyncCommandGroup {
    var help: String { "Benchmarks" }
    var commands: [String: any AnyAsyncCommand] { ["registry": RegistryBenchCommand(), "benefits": BenefitsBenchCommand(), "services-setup": ServicesBenchSetupCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }
}

struct RegistryBenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "rows", help: "How many people (default 100000)") var rows: Int?
        @Option(name: "queries", help: "Queries of each kind (default 200)") var queries: Int?
    }
    var help: String { "Import rate against a bare insert loop, peak memory, and search latency" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let n = signature.rows ?? 100_000
        let queries = signature.queries ?? 200
        let console = context.console
        try await prepareDatabase(app)
        guard try await DemoData.loadIfEmpty(app) else { throw ConfigError(message: "bench needs an empty database: set YIYANG_DATA_DIR to a new folder") }
        // Real villages hold a few hundred elderly people; spread the roster the same way, adding
        // synthetic villages under the demo townships (about 500 people each).
        let townships = try await Region.query(on: app.db).filter(\.$level == RegionLevel.township.rawValue).sort(\.$id).all().compactMap { RegionCode($0.id ?? "") }
        let wanted = max(0, n / 500 - 31)
        if wanted > 0 {
            var rows = ["code,name,class"]
            for i in 0..<wanted {
                let t = townships[i % townships.count]
                let seq = 101 + i / townships.count
                guard seq <= 999 else { break }
                rows.append("\(t.prefix)\(String(format: "%03d", seq)),第\(seq)村,220")
            }
            _ = try await RegionImporter.run(csv: rows.joined(separator: "\n"), scope: nil, locale: .zh, on: app.db)
        }
        let villages = try await Region.query(on: app.db).filter(\.$level == RegionLevel.village.rawValue).sort(\.$id).all().compactMap { RegionCode($0.id ?? "") }
        let searchVillages = villages.filter { $0.value.hasPrefix("130102001") }
        console.print("\(villages.count) villages, \(searchVillages.count) in the searching township")

        // The roster file, written once, streamed by the import.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yiyang-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csvURL = dir.appendingPathComponent("roster.csv")
        guard FileManager.default.createFile(atPath: csvURL.path, contents: nil) else { throw ConfigError(message: "cannot write \(csvURL.path)") }
        let out = try FileHandle(forWritingTo: csvURL)
        var generator = SyntheticElders(seed: 7)
        var sampleIDs: [String] = [], sampleNames: [String] = []
        var buffer = "姓名,身份证号,户籍地区划代码,联系电话,类别,经济状况,居住情况\n"
        for i in 0..<n {
            let p = generator.next(village: villages[i % villages.count]).input
            // Samples spread over the file, from the searching account's township.
            if villages[i % villages.count].value.hasPrefix("130102001"), sampleIDs.count < queries, i % max(1, n / (queries * 12)) < 3 {
                sampleIDs.append(p.idNumber); sampleNames.append(String(p.name.prefix(2)))
            }
            buffer += CSVReader.row([p.name, p.idNumber, p.householdRegion, p.phones, p.categories, p.economicStatus, p.livingArrangement])
            if buffer.utf8.count > 1 << 20 { out.write(Data(buffer.utf8)); buffer = "" }
        }
        out.write(Data(buffer.utf8))
        try out.close()
        let fileSize = (try FileManager.default.attributesOfItem(atPath: csvURL.path)[.size] as? Int) ?? 0
        console.print("roster: \(n) rows, \(fileSize / 1_048_576) MiB, database: \(app.databaseKind.rawValue)")

        // 1. The baseline: a bare prepared-insert loop into the same table.
        let sql = app.db as! any SQLDatabase
        let bareStart = ContinuousClock.now
        var done = 0
        let columns = ["id", "name", "name_initials", "gender", "birth_date", "id_cipher", "id_hash", "id_masked", "ethnicity", "phones_masked",
                       "phone_hashes", "household_region", "residence_region", "address_masked", "economic_status", "categories", "status", "notes",
                       "created_by", "created_via"]
        // The baseline's values are cheap to make but spread like real ones (random hashes,
        // names and dates), so its indexes grow the way the import's do.
        var valueRNG = SplitMix64(seed: 99)
        let surnames = Array("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
        let given = Array("桂英秀兰玉珍建国华强淑芬德明志")
        while done < n {
            let chunk = min(10_000, n - done)
            var batch: [[any Encodable & Sendable]] = []
            for i in done..<(done + chunk) {
                let v = villages[i % villages.count].value
                let hash = (0..<4).map { _ in valueRNG.next() }.flatMap { withUnsafeBytes(of: $0) { Array($0) } }.hexString
                let name = String(surnames[Int(valueRNG.next() % UInt64(surnames.count))]) + String(given[Int(valueRNG.next() % UInt64(given.count))])
                    + String(given[Int(valueRNG.next() % UInt64(given.count))])
                let initials = String((0..<3).map { _ in Character(UnicodeScalar(97 + UInt8(valueRNG.next() % 26))) })
                let birth = String(format: "19%02d-%02d-%02d", 20 + Int(valueRNG.next() % 46), 1 + Int(valueRNG.next() % 12), 1 + Int(valueRNG.next() % 28))
                batch.append([UUID(), name, initials, "female", birth, "cipher-\(i)", hash, "masked", "汉族", "", "", v, v, "", "ordinary", "", "living", "",
                              "bench", "bench"])
            }
            let rows = batch
            try await app.db.transaction { tx in
                let tsql = tx as! any SQLDatabase
                for values in rows {
                    try await tsql.insert(into: "elders").columns(columns).values(values.map { SQLBind($0) }).run()
                }
            }
            done += chunk
        }
        let bareSeconds = seconds(ContinuousClock.now - bareStart)
        try await sql.raw("DELETE FROM elders").run()
        console.print(String(format: "bare insert loop:   %8.0f rows/s (%.1f s)", Double(n) / bareSeconds, bareSeconds))

        // 2. The real import, streamed from the file.
        let importer = try await CLIRegistry.importer(app, dryRun: false, fileName: csvURL.lastPathComponent)
        let importStart = ContinuousClock.now
        let report = try await importer.read(csvURL, temporaryDirectory: app.yiyang.temporaryDirectory, threadPool: app.threadPool)
        let importSeconds = seconds(ContinuousClock.now - importStart)
        console.print(String(format: "roster import:      %8.0f rows/s (%.1f s), %d imported, %d rejected — %.0f%% of the bare loop",
                             Double(n) / importSeconds, importSeconds, report.imported, report.rejected, 100 * bareSeconds / importSeconds))
        console.print("peak memory (VmHWM): \(peakMemoryMiB()) MiB")

        // 3. Search through the HTTP stack, as demo_township (建北街道, three villages).
        try await app.asyncBoot()
        // Requests go through the application's own responder: routing, middleware, JSON.
        func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: ByteBuffer? = nil) async throws -> Response {
            let req = Request(application: app, method: method, url: URI(string: path), headers: headers,
                              collectedBody: body, remoteAddress: nil, logger: app.logger, on: app.eventLoopGroup.next())
            return try await app.responder.current.respond(to: req).get()
        }
        let login = try await send(.POST, "/api/v1/sessions", headers: ["Content-Type": "application/json"],
                                   body: ByteBuffer(string: #"{"username":"demo_township","password":"\#(DemoData.password)"}"#))
        let token = try login.content.decode(SessionsAPI.TokenAnswer.self).token
        let headers: HTTPHeaders = ["Authorization": "Bearer \(token)"]
        func measure(_ label: String, _ paths: [String]) async throws {
            var times: [Double] = []
            var hits = 0
            for p in paths {
                let start = ContinuousClock.now
                let res = try await send(.GET, p, headers: headers)
                times.append(seconds(ContinuousClock.now - start) * 1000)
                if res.status == .ok, (try? res.content.decode(Paged<ElderView>.self).total) ?? 0 > 0 { hits += 1 }
            }
            times.sort()
            func pct(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
            console.print(String(format: "search %-22@ p50 %6.1f ms  p95 %6.1f ms  p99 %6.1f ms  (%d queries, %d with results)",
                                 label as NSString, pct(0.5), pct(0.95), pct(0.99), times.count, hits))
        }
        let enc: (String) -> String = { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0 }
        try await measure("exact ID number", sampleIDs.map { "/api/v1/elders?q=\($0)" })
        try await measure("name prefix (2 chars)", sampleNames.map { "/api/v1/elders?q=\(enc($0))" })
        let cats = ["living_alone", "empty_nest", "disability", "advanced_age"]
        try await measure("village + category", (0..<max(1, sampleIDs.count)).map { i in
            "/api/v1/elders?region=\(searchVillages[i % searchVillages.count].value)&category=\(cats[i % cats.count])"
        })
        try await measure("whole township list", (0..<20).map { i in "/api/v1/elders?page=\(1 + i)" })
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    func peakMemoryMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
        return kb / 1024
    }
}

/// `yiyang bench benefits --entitlements 300000`: the monthly payment run over N entitlements
/// spread over the demo city's villages, then the same month again.
struct BenefitsBenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "entitlements", help: "How many entitlements (default 300000)") var entitlements: Int?
        @Option(name: "people", help: "Register this many synthetic people first (default 0); entitlements then belong to them") var people: Int?
    }
    var help: String { "Payment run time and memory, and the rerun of the same month" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let n = signature.entitlements ?? 300_000
        let console = context.console
        try await prepareDatabase(app)
        guard try await DemoData.loadIfEmpty(app) else { throw ConfigError(message: "bench needs an empty database: set YIYANG_DATA_DIR to a new folder") }
        let villages = try await Region.query(on: app.db).filter(\.$level == RegionLevel.village.rawValue).sort(\.$id).all().compactMap(\.id)
        let sql = app.db as! any SQLDatabase
        let types = ["age_allowance", "care_subsidy", "service_subsidy"]
        var owners: [(UUID, String)] = []
        if let people = signature.people, people > 0 {
            let start = ContinuousClock.now
            _ = try await DemoElders.add(people, seed: 11, app: app, progress: ProgressBar(label: "登记 registering"))
            console.print(String(format: "%d people registered in %.0f s", people, seconds(ContinuousClock.now - start)))
            for row in try await sql.raw("SELECT id, residence_region FROM elders ORDER BY id LIMIT \(unsafeRaw: String(n))").all() {
                owners.append((try row.decode(column: "id", as: UUID.self), try row.decode(column: "residence_region", as: String.self)))
            }
        }
        var made = 0
        while made < n {
            let count = min(500, n - made)
            let insert = sql.insert(into: Entitlement.schema).columns("id", "elder_id", "region_code", "benefit_type", "policy_id", "policy_version", "amount_fen",
                                                                    "payment_form", "start_month", "status", "account_masked", "created_by")
            for i in 0..<count {
                let k = made + i
                let owner = owners.isEmpty ? (UUID(), villages[k % villages.count]) : owners[k % owners.count]
                insert.values([SQLBind(UUID()), SQLBind(owner.0), SQLBind(owner.1), SQLBind(types[k % 3]), SQLBind(UUID()),
                               SQLBind(1), SQLBind(5_000 + (k % 3) * 5_000), SQLBind(k % 3 == 2 ? "service_balance" : "cash"),
                               SQLBind("2026-01"), SQLBind(k % 50 == 0 ? "suspended" : "active"), SQLBind(""), SQLBind("bench")])
            }
            try await insert.run()
            made += count
        }
        if sql.dialect.name == "sqlite" { try await sql.raw("ANALYZE").run() }
        console.print("\(n) entitlements over \(villages.count) villages (1 in 50 suspended)")
        let month = Month("2026-12")!
        let start = ContinuousClock.now
        let run = try await PaymentRuns.run(month: month, region: .root, actor: "bench", db: app.db, today: app.yiyang.clock.today)
        let first = ContinuousClock.now - start
        console.print(String(format: "first run:  %.2f s, %d payments, %@ yuan", seconds(first), run.payments, Fen.yuan(run.totalFen)))
        console.print("peak memory (VmHWM): \(peakMemoryMiB()) MiB")
        let before = try await Payment.query(on: app.db).count()
        let again = ContinuousClock.now
        let rerun = try await PaymentRuns.run(month: month, region: .root, actor: "bench", db: app.db, today: app.yiyang.clock.today)
        let second = ContinuousClock.now - again
        let after = try await Payment.query(on: app.db).count()
        console.print(String(format: "rerun:      %.2f s (%.0f%% of the first), %d new payments, roll %d payments", seconds(second),
                             100 * seconds(second) / seconds(first), after - before, rerun.payments))
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
    func peakMemoryMiB() -> Int { RegistryBenchCommand().peakMemoryMiB() }
}
