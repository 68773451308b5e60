import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/audit`: read and export the audit log of the account's region. There is no route
/// that changes or deletes an entry.
struct AuditAPI: RouteCollection {
    struct EntryView: Content {
        var id: UUID
        var at: Date
        var actorId: UUID?
        var actorUsername: String
        var actorRoles: String
        var action: String
        var entityType: String
        var entityId: String?
        var regionCode: String
        var before: String?
        var after: String?
        var clientAddress: String
        var userAgent: String
        var requestId: String

        init(_ e: AuditEntry) {
            id = e.id ?? UUID(); at = e.at; actorId = e.actorID; actorUsername = e.actorUsername; actorRoles = e.actorRoles
            action = e.action; entityType = e.entityType; entityId = e.entityID; regionCode = e.regionCode
            before = e.beforeJSON; after = e.afterJSON; clientAddress = e.clientAddress; userAgent = e.userAgent; requestId = e.requestID
        }
    }

    func boot(routes: any RoutesBuilder) throws {
        let audit = routes.grouped("audit")
        audit.get(use: list)
        audit.get("export", use: export)
        audit.get(":auditID", use: show)
    }

    @Sendable func list(req: Request) async throws -> Paged<EntryView> {
        try req.require(.auditView)
        let page = try PageRequest(req)
        let q = try AuditFilter(req).apply(to: req.scoped(AuditEntry.self))
        let total = try await q.count()
        let rows = try await q.sort(\.$at, .descending).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map(EntryView.init), page: page.page, per: page.per, total: total)
    }

    @Sendable func show(req: Request) async throws -> EntryView {
        try req.require(.auditView)
        guard let id = UUID(uuidString: req.parameters.get("auditID") ?? "") else { throw AppError.notFound() }
        return EntryView(try await req.findScoped(AuditEntry.self, id))
    }

    @Sendable func export(req: Request) async throws -> Response {
        try await AuditExport.csv(req)
    }
}

/// The filters of the audit log: region subtree, actor, entity, action and time range (dates
/// in China Standard Time, `to` inclusive).
struct AuditFilter {
    var region: String?
    var actor: String?
    var entityType: String?
    var entityID: String?
    var action: String?
    var from: Date?
    var to: Date?
    var raw: [String: String] = [:]

    /// `picked`: the region a page resolved from what was typed (`RegionPicker`), whose code is
    /// filtered on; `raw` keeps what was typed, for the form. Without it a code, as the API takes it.
    init(_ req: Request, picked: RegionPicker.Resolution? = nil) throws {
        func q(_ name: String) -> String? {
            guard let v = req.query[String.self, at: name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        region = picked.map { $0.code } ?? q("region"); actor = q("actor"); entityType = q("entity"); entityID = q("entityId"); action = q("action")
        for (k, v) in [("region", q("region")), ("actor", actor), ("entity", entityType), ("entityId", entityID), ("action", action)] {
            if let v { raw[k] = v }
        }
        if let f = q("from") {
            guard let d = ChinaTime.startOfDay(f) else {
                throw AppError(.badRequest, "query.date", field: "from", zh: "from 应为 YYYY-MM-DD 格式的日期", en: "from must be a date as YYYY-MM-DD")
            }
            from = d; raw["from"] = f
        }
        if let t = q("to") {
            guard let d = ChinaTime.startOfDay(t) else {
                throw AppError(.badRequest, "query.date", field: "to", zh: "to 应为 YYYY-MM-DD 格式的日期", en: "to must be a date as YYYY-MM-DD")
            }
            to = d.addingTimeInterval(86_400); raw["to"] = t
        }
        if let region, RegionCode(region) == nil {
            throw AppError(.badRequest, "query.region", field: "region", zh: "region 应为区划代码", en: "region must be a region code")
        }
    }

    func apply(to q: QueryBuilder<AuditEntry>) -> QueryBuilder<AuditEntry> {
        var q = q
        if let region, let code = RegionCode(region) { q = q.filter(\.$regionCode, .custom("LIKE"), code.prefix + "%") }
        if let actor { q = q.filter(\.$actorUsername == actor.lowercased()) }
        if let entityType { q = q.filter(\.$entityType == entityType) }
        if let entityID { q = q.filter(\.$entityID == entityID) }
        if let action { q = q.filter(\.$action == action) }
        if let from { q = q.filter(\.$at >= from) }
        if let to { q = q.filter(\.$at < to) }
        return q
    }
}

/// CSV export of the filtered log. The export itself is written to the log first, so even a
/// failed download leaves a trace.
enum AuditExport {
    static let maxRows = 100_000

    static func csv(_ req: Request) async throws -> Response {
        let actor = try req.require(.auditExport)
        let filter = try AuditFilter(req)
        let q = try filter.apply(to: req.scoped(AuditEntry.self))
        let count = try await q.count()
        try await AuditLog.record(on: req, action: .auditExported, entityType: "audit", entityID: nil,
                                  region: actor.region.value, after: ["filter": filter.raw.description, "rows": String(min(count, maxRows))])
        let rows = try await filter.apply(to: req.scoped(AuditEntry.self)).sort(\.$at, .descending).limit(maxRows).all()
        let en = req.locale == .en
        var out = "\u{FEFF}" + CSVReader.row(en
            ? ["time (CST)", "actor", "roles", "action", "entity", "entity id", "region", "before", "after", "client address", "user agent", "request id"]
            : ["时间（北京时间）", "操作人", "角色", "操作", "对象类型", "对象编号", "区划", "变更前", "变更后", "客户端地址", "浏览器", "请求编号"])
        for e in rows {
            out += CSVReader.row([ChinaTime.dateTime(e.at), e.actorUsername, e.actorRoles, e.action, e.entityType, e.entityID ?? "",
                                  e.regionCode, e.beforeJSON ?? "", e.afterJSON ?? "", e.clientAddress, e.userAgent, e.requestID])
        }
        let res = Response(status: .ok, body: .init(string: out))
        res.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        let stamp = ChinaTime.date(Date())
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"audit-\(stamp).csv\"")
        return res
    }
}
