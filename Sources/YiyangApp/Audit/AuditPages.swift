import Fluent
import Vapor
import YiyangDomain

/// The audit log pages for administrators.
struct AuditPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("audit", use: list)
        routes.get("audit", "export", use: export)
        routes.get("audit", ":auditID", use: show)
    }

    struct Row: Encodable { var id: String; var time: String; var actor: String; var action: String; var entity: String; var region: String; var address: String }
    struct ActionOption: Encodable { var code: String; var name: String; var selected: Bool }
    struct ListPage: Encodable {
        var entries: [Row]; var total: Int; var filter: [String: String]; var actions: [ActionOption]; var entities: [ActionOption]
        var canExport: Bool; var query: String
        var prev: String?; var next: String?; var pageNumber: Int; var pageCount: Int
        var region: RegionPicker.Field
    }

    @Sendable func list(req: Request) async throws -> Response {
        let actor = try req.require(.auditView)
        let l = req.locale
        let page = try PageRequest(req, defaultPer: 50)
        let typedRegion = req.query[String.self, at: "region"] ?? ""
        let picked = try await RegionPicker.resolve(typedRegion, req: req)
        let filter = try AuditFilter(req, picked: picked)
        let q = filter.apply(to: try req.scoped(AuditEntry.self))
        // An unresolved region name lists nothing; the form says why beside the field.
        let total = picked.isResolved ? try await q.count() : 0
        let rows = picked.isResolved ? try await q.sort(\.$at, .descending).range(page.offset..<(page.offset + page.per)).all() : []
        let regionNames = try await RegionPicker.names(of: rows.map(\.regionCode), req: req)
        let pager = Pager(req: req, page: page, total: total)
        // The export takes codes, as the API does: the region resolved here travels as its code.
        let kept = (req.url.query ?? "").split(separator: "&").filter { !$0.hasPrefix("page=") && !$0.hasPrefix("region=") }
        let query = (kept.map(String.init) + (picked.code.map { ["region=\($0)"] } ?? [])).joined(separator: "&")
        return try await WebPage.render("audit", title: UIStrings.text("audit_title", l), ListPage(
            entries: rows.map { e in
                Row(id: e.id?.uuidString ?? "", time: ChinaTime.dateTime(e.at), actor: e.actorUsername,
                    action: AuditAction(rawValue: e.action)?.label.text(l) ?? e.action,
                    entity: AuditEntityType.name(e.entityType, l) + (e.entityID.map { " " + $0.prefix(8) } ?? ""),
                    region: regionNames[e.regionCode] ?? e.regionCode, address: e.clientAddress)
            },
            total: total, filter: filter.raw,
            actions: AuditAction.allCases.map { ActionOption(code: $0.rawValue, name: $0.label.text(l), selected: $0.rawValue == filter.action) },
            // Chosen by name: the filter used to want a typed table code such as `service_item`.
            entities: AuditEntityType.names.map { ActionOption(code: $0.key, name: $0.value.text(l), selected: $0.key == filter.entityType) }
                .sorted { $0.name < $1.name },
            canExport: actor.has(.auditExport), query: query,
            prev: pager.prev, next: pager.next, pageNumber: page.page, pageCount: pager.pageCount,
            region: try await RegionPicker.field(id: "region", name: "region", label: UIStrings.text("field_region", l), value: typedRegion,
                                                 resolution: picked, req: req)), req: req)
    }

    struct EntryPage: Encodable {
        var entry: AuditAPI.EntryView; var time: String; var action: String; var entity: String; var before: String; var after: String
        var region: String
    }

    @Sendable func show(req: Request) async throws -> Response {
        try req.require(.auditView)
        guard let id = UUID(uuidString: req.parameters.get("auditID") ?? "") else { throw AppError.notFound() }
        let e = try await req.findScoped(AuditEntry.self, id)
        let l = req.locale
        return try await WebPage.render("audit-entry", title: UIStrings.text("audit_entry", l), EntryPage(
            entry: AuditAPI.EntryView(e), time: ChinaTime.dateTime(e.at), action: AuditAction(rawValue: e.action)?.label.text(l) ?? e.action,
            entity: AuditEntityType.name(e.entityType, l),
            before: Self.pretty(e.beforeJSON) ?? UIStrings.text("none", l), after: Self.pretty(e.afterJSON) ?? UIStrings.text("none", l),
            region: RegionPicker.display(e.regionCode, try await RegionPicker.names(of: [e.regionCode], req: req))), req: req)
    }

    @Sendable func export(req: Request) async throws -> Response {
        try await AuditExport.csv(req)
    }

    static func pretty(_ json: String?) -> String? {
        guard let json, let data = json.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
              let out = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: out, as: UTF8.self)
    }
}
