import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/elders`: the registry. Every answer masks personal data; `POST …/unmask` shows
/// it to those allowed, and writes that to the audit log.
struct EldersAPI: RouteCollection {
    /// The JSON of a person, for creating (all required fields) and changing (any fields).
    struct ElderBody: Content {
        var name: String?
        var gender: String?
        var birthDate: String?
        var idNumber: String?
        var ethnicity: String?
        var phones: [String]?
        var householdRegion: String?
        var residenceRegion: String?
        var address: String?
        var livingArrangement: String?
        var economicStatus: String?
        var categories: [String]?
        var disabilityLevel: Int?
        var healthInsurance: String?
        var notes: String?
        var contacts: [ContactInput]?

        /// Overlays the given fields on `base`.
        func input(over base: ElderInput = ElderInput()) -> ElderInput {
            var i = base
            if let name { i.name = name }
            if let gender { i.gender = gender }
            if let birthDate { i.birthDate = birthDate }
            if let idNumber { i.idNumber = idNumber }
            if let ethnicity { i.ethnicity = ethnicity }
            if let phones { i.phones = phones.joined(separator: ",") }
            if let householdRegion { i.householdRegion = householdRegion }
            if let residenceRegion { i.residenceRegion = residenceRegion }
            if let address { i.address = address }
            if let livingArrangement { i.livingArrangement = livingArrangement }
            if let economicStatus { i.economicStatus = economicStatus }
            if let categories { i.categories = categories.joined(separator: ",") }
            if let disabilityLevel { i.disabilityLevel = String(disabilityLevel) }
            if let healthInsurance { i.healthInsurance = healthInsurance }
            if let notes { i.notes = notes }
            return i
        }
    }

    struct EventBody: Content {
        var kind: String
        var date: String
        var source: String?
        var destination: String?
    }

    struct HistoryEntry: Content {
        var at: Date
        var actor: String
        var source: String
        var field: String
        var before: String?
        var after: String?
    }

    func boot(routes: any RoutesBuilder) throws {
        let elders = routes.grouped("elders")
        elders.get(use: search)
        elders.post(use: create)
        elders.get("export", use: export)
        elders.on(.POST, "import", body: .stream, use: importRoster)
        elders.get(":elderID", use: show)
        elders.patch(":elderID", use: update)
        elders.delete(":elderID", use: delete)
        elders.post(":elderID", "unmask", use: unmask)
        elders.get(":elderID", "history", use: history)
        elders.post(":elderID", "events", use: recordEvent)
        let events = routes.grouped("elder-events")
        events.get(use: listEvents)
        events.on(.POST, "import", body: .stream, use: importEvents)
    }

    static func elderID(_ req: Request) throws -> UUID {
        guard let raw = req.parameters.get("elderID"), let id = UUID(uuidString: raw) else { throw AppError.notFound() }
        return id
    }

    @Sendable func search(req: Request) async throws -> Paged<ElderView> {
        try req.require(.registryUse)
        let page = try PageRequest(req)
        let filter = try ElderSearch(req)
        let q = filter.apply(to: try req.scoped(Elder.self), vault: req.vault)
        let total = try await q.count()
        let rows = try await filter.sorted(q).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map { ElderView($0) }, page: page.page, per: page.per, total: total)
    }

    @Sendable func show(req: Request) async throws -> ElderView {
        try req.require(.registryUse)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        return ElderView(e, contacts: try await e.$contacts.get(on: req.db))
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.registryEdit)
        let body = try req.content.decode(ElderBody.self)
        let e = try await ElderWrites.create(body.input(), contacts: body.contacts ?? [], req: req, source: "api")
        let view = ElderView(e, contacts: try await e.$contacts.get(on: req.db))
        try await AuditLog.record(on: req, action: .elderCreated, entityType: "elder", entityID: e.id?.uuidString,
                                  region: e.residenceRegion, after: view)
        _ = actor
        let res = Response(status: .created)
        try res.content.encode(view, as: .json)
        res.headers.replaceOrAdd(name: .location, value: "/api/v1/elders/\(e.id!.uuidString)")
        return res
    }

    @Sendable func update(req: Request) async throws -> ElderView {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        let body = try req.content.decode(ElderBody.self)
        try await ElderWrites.update(e, input: body.input(over: ElderService(req: req, source: "api").input(of: e)),
                                     contacts: body.contacts, req: req, source: "api")
        return ElderView(e, contacts: try await e.$contacts.get(on: req.db))
    }

    struct DeleteBody: Content { var reason: String? }

    /// Only for a record registered in error; the reason comes as `?reason=` or in a JSON body.
    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        let reason = req.query[String.self, at: "reason"] ?? (try? req.content.decode(DeleteBody.self))?.reason
        try await ElderWrites.delete(e, reason: reason, req: req)
        return .noContent
    }

    @Sendable func unmask(req: Request) async throws -> ElderView {
        try req.require(.registryUse)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        return try await ElderWrites.unmasked(e, req: req)
    }

    @Sendable func history(req: Request) async throws -> [HistoryEntry] {
        try req.require(.registryUse)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        return try await ElderService.history(of: e, on: req.db)
            .map { HistoryEntry(at: $0.at, actor: $0.actorUsername, source: $0.source, field: $0.field, before: $0.before, after: $0.after) }
    }

    @Sendable func recordEvent(req: Request) async throws -> ElderView {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try Self.elderID(req))
        let body = try req.content.decode(EventBody.self)
        try await ElderWrites.recordEvent(e, kind: body.kind, date: body.date, source: body.source ?? "", destination: body.destination, req: req)
        return ElderView(e)
    }

    @Sendable func importRoster(req: Request) async throws -> RosterImporter.Report {
        try req.require(.registryImport)
        let dryRun = req.query[Bool.self, at: "dryRun"] ?? false
        return try await ElderWrites.importRoster(try await UploadSpool.body(req), dryRun: dryRun, req: req)
    }

    @Sendable func export(req: Request) async throws -> Response {
        try await ElderExport.respond(req)
    }

    struct EventView: Content {
        var id: UUID; var kind: String; var eventDate: String; var source: String; var idNumber: String
        var elderId: UUID?; var matched: Bool; var regionCode: String; var destination: String?; var recordedBy: String; var recordedAt: Date?
    }

    @Sendable func listEvents(req: Request) async throws -> Paged<EventView> {
        try req.require(.registryUse)
        let page = try PageRequest(req)
        var q = try req.scoped(LifeEvent.self)
        if let m = req.query[Bool.self, at: "matched"] { q = q.filter(\.$matched == m) }
        if let k = req.query[String.self, at: "kind"], !k.isEmpty { q = q.filter(\.$kind == k) }
        let total = try await q.count()
        let rows = try await q.sort(\.$recordedAt, .descending).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map {
            EventView(id: $0.id!, kind: $0.kind, eventDate: $0.eventDate, source: $0.source, idNumber: $0.idMasked, elderId: $0.elderID,
                      matched: $0.matched, regionCode: $0.regionCode, destination: $0.destination, recordedBy: $0.recordedBy, recordedAt: $0.recordedAt)
        }, page: page.page, per: page.per, total: total)
    }

    @Sendable func importEvents(req: Request) async throws -> LifeEventImporter.Report {
        try req.require(.registryImport)
        let kind = try req.query[String.self, at: "kind"].map { raw -> LifeEvent.Kind in
            guard let k = LifeEvent.Kind(rawValue: raw) else {
                throw AppError(.badRequest, "query.kind", field: "kind", zh: "kind 应为 death 或 move_out", en: "kind must be death or move_out")
            }
            return k
        }
        return try await ElderWrites.importEvents(try await UploadSpool.body(req), kind: kind, source: req.query[String.self, at: "source"] ?? "", req: req)
    }
}

