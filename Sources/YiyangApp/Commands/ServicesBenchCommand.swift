import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// `yiyang bench services-setup --elders N --caregivers M --visits K --out DIR`: the data of the
/// home-services load test (`Benchmarks/services.sh`), made in an empty database before the
/// server starts. Everything goes through the real API in-process (routing, tokens, scope,
/// validation, audit), as the bureau, a township and the provider's dispatchers would do it:
/// - the demo data set, and N synthetic people in 建北街道 (130102001000), each with a home on
///   the map;
/// - a provider with a county contract for `bathing`, the city's menu item `bathing` (needs
///   `care_worker`), two dispatcher accounts linked to the provider;
/// - M caregivers, each with a caregiver account and a `care_worker` certificate valid to 2030;
/// - K visits placed by the township and assigned by a dispatcher, spread round-robin over the
///   caregivers: each caregiver's visits are 08:00–09:00 on successive days from tomorrow, so
///   none overlaps another, whether by window or, when the run checks them out, by the times
///   of the visit (a day holding several would be flagged as overlapping, the whole run
///   checking out at once);
/// - a family account linked to the first person.
///
/// Files written to DIR for the wrk scripts, tab-separated:
/// `staff.token`, `dispatchers.tsv` (username, token), `caregivers.tsv` (caregiver id, username,
/// token), `family.tsv` (token, elder id), `elders.txt` (ids), `days.txt` (days for new orders,
/// from tomorrow; they take hours after 10:00, clear of the visits), `visits.tsv` (caregiver
/// token, order id, latitude, longitude of the home) and `setup.json` (the sizes).
///
/// Accounts are hashed at `YIYANG_BCRYPT_COST`; the script sets it low so signing in hundreds
/// of caregivers does not dominate the setup.
struct ServicesBenchSetupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "elders", help: "Synthetic people with a home (default 2000)") var elders: Int?
        @Option(name: "caregivers", help: "Caregivers, each with an account and a certificate (default 200)") var caregivers: Int?
        @Option(name: "visits", help: "Visits placed and assigned, for check-in and check-out (default 20000)") var visits: Int?
        @Option(name: "out", help: "Folder for the files the wrk scripts read") var out: String?
    }
    var help: String { "Data of the home-services load test: provider, menu, caregivers, people with homes, assigned visits, tokens" }

    static let county = "130102000000"
    static let township = "130102001000"

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let console = context.console
        let n = signature.elders ?? 2_000, m = signature.caregivers ?? 200, k = signature.visits ?? 20_000
        guard n > 0, m > 0, k >= 0, let outPath = signature.out else {
            throw ConfigError(message: "usage: yiyang bench services-setup --elders N --caregivers M --visits K --out DIR")
        }
        let out = URL(fileURLWithPath: outPath, isDirectory: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try await prepareDatabase(app)
        guard try await DemoData.loadIfEmpty(app) else { throw ConfigError(message: "bench needs an empty database: set YIYANG_DATA_DIR to a new folder") }
        let started = ContinuousClock.now
        func elapsed() -> String { String(format: "%.1f s", seconds(ContinuousClock.now - started)) }

        // People: the roster import, in the township's villages.
        let report = try await DemoElders.add(n, seed: 17, app: app, progress: ProgressBar(label: "登记 registering"), within: String(Self.township.prefix(9)))
        let elders = try await Elder.query(on: app.db).filter(\.$residenceRegion, .custom("LIKE"), String(Self.township.prefix(9)) + "%")
            .filter(\.$status == ElderStatus.living.rawValue).sort(\.$id).all()
        guard !elders.isEmpty else { throw ConfigError(message: "no living people registered (\(report.rejected) rejected)") }
        console.print("\(elders.count) people in \(Self.township) (\(elapsed()))")

        // Accounts, made the way `yiyang user create` makes them.
        func account(_ username: String, _ role: Role, _ region: String) async throws {
            _ = try await AccountService.create(.init(username: username, displayName: username, phone: nil, regionCode: region,
                                                      roles: [role.rawValue], password: DemoData.password),
                                                grantor: nil, on: app.db, app: app)
        }
        let carerNames = (1...m).map { String(format: "bench_carer_%04d", $0) }
        let dispatcherNames = ["bench_dispatch_1", "bench_dispatch_2"]
        for u in carerNames { try await account(u, .caregiver, Self.county) }
        for u in dispatcherNames { try await account(u, .provider, Self.county) }
        try await account("bench_family", .family, elders[0].residenceRegion)

        try await app.asyncBoot()
        let http = InProcessClient(app: app)
        let bureau = try await http.signIn("demo_bureau"), staff = try await http.signIn("demo_township")

        // The provider, its contract, the menu item, the caregivers, the dispatchers.
        let today = CalendarDate.today()
        let provider = try await http.call(.POST, "/api/v1/service-providers", token: bureau, expect: .created, as: HomeServicesAPI.ProviderView.self,
                                           ServiceSetup.ProviderInput(regionCode: Self.county, name: "压测居家服务中心", creditCode: "91130102MA0BENCH1C",
                                                                      qualifications: "居家养老服务", contact: "0311-0000000"))
        let providerID = provider.id
        _ = try await http.call(.POST, "/api/v1/service-providers/\(providerID)/contracts", token: bureau, expect: .created,
                                as: HomeServicesAPI.ProviderView.Contract.self,
                                ServiceSetup.ContractInput(regionCode: Self.county, prices: ["bathing": 6_000], startsOn: today.addingDays(-30).description,
                                                           endsOn: today.addingDays(365).description))
        _ = try await http.call(.POST, "/api/v1/service-items", token: bureau, expect: .created, as: HomeServicesAPI.ItemView.self,
                                ServiceSetup.ItemInput(regionCode: "130100000000", code: "bathing", name: "助浴", category: "bathing", unit: "visit",
                                                       standardMinutes: 60, listPriceFen: 6_000, tierPrices: ["minimum_living": 2_000, "age_80": 4_000],
                                                       qualification: "care_worker", balanceAllowed: true, effectiveFrom: today.addingDays(-30).description,
                                                       effectiveTo: nil))
        var caregiverIDs: [UUID] = []
        for (i, u) in carerNames.enumerated() {
            let c = try await http.call(.POST, "/api/v1/service-providers/\(providerID)/caregivers", token: bureau, expect: .created,
                                        as: HomeServicesAPI.ProviderView.CaregiverView.self,
                                        ServiceSetup.CaregiverInput(name: "护理员\(i + 1)", phone: String(format: "139%08d", i + 1), username: u,
                                                                    certificates: [.init(qualification: "care_worker", number: String(format: "BENCH-%05d", i + 1),
                                                                                         validUntil: "2030-12-31")]))
            caregiverIDs.append(c.id)
        }
        for u in dispatcherNames {
            _ = try await http.call(.POST, "/api/v1/service-accounts", token: bureau, expect: .created, as: HomeServicesAPI.AccountView.self,
                                    ServiceSetup.AccountInput(username: u, providerId: providerID, pointId: nil))
        }
        console.print("provider, contract, menu item, \(m) caregivers, \(dispatcherNames.count) dispatchers (\(elapsed()))")

        // Homes on the map, set by the township: around 石家庄 长安区, a few kilometres apart.
        var rng = SplitMix64(seed: 23)
        let homes: [UUID: (Double, Double)] = Dictionary(uniqueKeysWithValues: elders.map { e in
            (e.id!, (38.03 + Double(rng.next() % 4_000) / 100_000, 114.50 + Double(rng.next() % 4_000) / 100_000))
        })
        try await http.forEach(elders, width: 8) { e in
            let (lat, lng) = homes[e.id!]!
            try await http.send(.PUT, "/api/v1/elders/\(e.id!)/service-home", token: staff, expect: .noContent,
                                ServiceSetup.HomeInput(latitude: lat, longitude: lng))
        }
        console.print("\(elders.count) homes (\(elapsed()))")

        // The family: a daughter asks for the link, the township confirms it.
        let family = try await http.signIn("bench_family")
        let first = elders[0]
        try await http.send(.POST, "/api/v1/my/links", token: family, expect: .accepted,
                            ["name": first.name, "idNumber": try app.vault.open(first.idCipher), "relation": "女儿"])
        let links = try await http.call(.GET, "/api/v1/family-links", token: staff, expect: .ok, as: [PortalAPI.LinkView].self, Optional<String>.none)
        guard let link = links.first(where: { $0.elderId == first.id && $0.username == "bench_family" }) else { throw ConfigError(message: "the family link was not made") }
        try await http.send(.POST, "/api/v1/family-links/\(link.id)/confirm", token: staff, expect: .ok, Optional<String>.none)

        // Tokens of the caregivers and dispatchers, by signing in.
        var carerTokens: [String] = [], dispatcherTokens: [String] = []
        for u in carerNames { carerTokens.append(try await http.signIn(u)) }
        for u in dispatcherNames { dispatcherTokens.append(try await http.signIn(u)) }
        let dispatchers = dispatcherTokens, caregivers = caregiverIDs

        // K visits: visit v goes to caregiver v % M, 08:00–09:00 on day 1 + v / M.
        struct Visit: Sendable { var index: Int; var elder: UUID; var caregiver: Int; var start: String; var end: String }
        let plan: [Visit] = (0..<k).map { v in
            let day = today.addingDays(1 + v / m).description
            return Visit(index: v, elder: elders[v % elders.count].id!, caregiver: v % m, start: "\(day) 08:00", end: "\(day) 09:00")
        }
        let visitDays = k == 0 ? 0 : (k - 1) / m + 1
        guard visitDays < 360 else { throw ConfigError(message: "\(k) visits over \(m) caregivers take \(visitDays) days, past the contract: add caregivers") }
        let orderIDs = OrderIDs(count: k)
        let bar = ProgressBar(label: "派单 visits")
        try await http.forEach(plan, width: 8) { v in
            let placed = try await http.call(.POST, "/api/v1/service-orders", token: staff, expect: .created, as: HomeServicesAPI.OrderView.self,
                                             HomeServicesAPI.StaffOrderInput(elderId: v.elder, service: "bathing", start: v.start, end: v.end,
                                                                             place: nil, pointId: nil, note: "压测", providerId: nil))
            _ = try await http.call(.POST, "/api/v1/service-orders/\(placed.id)/assign", token: dispatchers[v.index % dispatchers.count],
                                    expect: .ok, as: HomeServicesAPI.OrderView.self, HomeServicesAPI.AssignInput(caregiverId: caregivers[v.caregiver]))
            orderIDs.set(v.index, placed.id)
            if v.index % 500 == 0 { bar.update(v.index, k) }
        }
        bar.update(k, k); bar.finish()
        console.print("\(k) visits placed and assigned over \(visitDays) days (\(elapsed()))")

        // The files.
        func write(_ name: String, _ lines: [String]) throws {
            try Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8).write(to: out.appendingPathComponent(name))
        }
        try write("staff.token", [staff])
        try write("dispatchers.tsv", zip(dispatcherNames, dispatcherTokens).map { "\($0)\t\($1)" })
        try write("caregivers.tsv", (0..<m).map { "\(caregiverIDs[$0])\t\(carerNames[$0])\t\(carerTokens[$0])" })
        try write("family.tsv", ["\(family)\t\(first.id!)"])
        try write("elders.txt", elders.map { $0.id!.uuidString })
        try write("days.txt", (1...60).map { today.addingDays($0).description })
        try write("visits.tsv", plan.map { v in
            let (lat, lng) = homes[v.elder]!
            return "\(carerTokens[v.caregiver])\t\(orderIDs.get(v.index))\t\(lat)\t\(lng)"
        })
        let summary: [String: String] = ["elders": "\(elders.count)", "caregivers": "\(m)", "visits": "\(k)", "visitDays": "\(visitDays)",
                                         "providerId": providerID.uuidString, "seconds": String(format: "%.1f", seconds(ContinuousClock.now - started))]
        try JSONEncoder().encode(summary).write(to: out.appendingPathComponent("setup.json"))
        if let sql = app.db as? any SQLDatabase { try await sql.raw("PRAGMA optimize").run() }
        console.print("files in \(out.path) (\(elapsed()))")
    }

    func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

/// The order ids of the setup, written by concurrent tasks.
private final class OrderIDs: @unchecked Sendable {
    private var ids: [UUID?]
    private let lock = NSLock()
    init(count: Int) { ids = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ id: UUID) { lock.withLock { ids[i] = id } }
    func get(_ i: Int) -> String { lock.withLock { ids[i]?.uuidString ?? "" } }
}

/// Requests through the application's own responder (routing, middleware, JSON), without a
/// socket: the setup uses the API exactly as clients do.
struct InProcessClient: Sendable {
    let app: Application
    /// Built once: `app.responder.current` makes a new router each time it is read.
    let responder: any Responder

    init(app: Application) {
        self.app = app
        responder = app.responder.current
    }

    func raw(_ method: HTTPMethod, _ path: String, token: String?, body: ByteBuffer?) async throws -> Response {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let token { headers.bearerAuthorization = .init(token: token) }
        let req = Request(application: app, method: method, url: URI(string: path), headers: headers,
                          collectedBody: body, remoteAddress: nil, logger: app.logger, on: app.eventLoopGroup.next())
        return try await responder.respond(to: req).get()
    }

    @discardableResult
    func send<Body: Encodable>(_ method: HTTPMethod, _ path: String, token: String?, expect: HTTPStatus, _ body: Body?) async throws -> Response {
        let buffer = try body.map { ByteBuffer(data: try JSONEncoder().encode($0)) }
        let res = try await raw(method, path, token: token, body: buffer)
        guard res.status == expect else {
            throw ConfigError(message: "\(method) \(path): \(res.status.code), expected \(expect.code): \(res.body.string ?? "")")
        }
        return res
    }

    func call<Body: Encodable, Answer: Decodable>(_ method: HTTPMethod, _ path: String, token: String?, expect: HTTPStatus,
                                                  as: Answer.Type, _ body: Body?) async throws -> Answer {
        let res = try await send(method, path, token: token, expect: expect, body)
        return try res.content.decode(Answer.self)
    }

    func signIn(_ username: String) async throws -> String {
        try await call(.POST, "/api/v1/sessions", token: nil, expect: .created, as: SessionsAPI.TokenAnswer.self,
                       SessionsAPI.SignInBody(username: username, password: DemoData.password)).token
    }

    /// Runs `body` for every item, `width` at a time.
    func forEach<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var rest = items.makeIterator()
            for _ in 0..<max(1, width) {
                guard let item = rest.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = rest.next() { group.addTask { try await body(item) } }
            }
        }
    }
}
