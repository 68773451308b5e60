import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/regions`: the division tree within the account's scope.
struct RegionsAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let regions = routes.grouped("regions")
        regions.get(use: list)
        regions.get(":code", use: show)
        regions.get(":code", "children", use: children)
        regions.on(.POST, "import", body: .collect(maxSize: "100mb"), use: importTable)
    }

    /// `?parent=CODE` lists children; `?q=` searches names and codes; `?level=` filters.
    @Sendable func list(req: Request) async throws -> Paged<RegionDTO> {
        try req.require(.regionsView)
        let page = try PageRequest(req)
        var q = try req.scoped(Region.self)
        if let parent = req.query[String.self, at: "parent"], !parent.isEmpty { q = q.filter(\.$parentCode == parent) }
        if let level = req.query[String.self, at: "level"], !level.isEmpty {
            guard RegionLevel(rawValue: level) != nil else {
                throw AppError(.badRequest, "query.level", field: "level",
                               zh: "level 应为 province、city、county、township 或 village", en: "level must be province, city, county, township or village")
            }
            q = q.filter(\.$level == level)
        }
        if let text = req.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            q = q.group(.or) {
                _ = LikePattern.filter($0, "name", before: "%", text: text, after: "%")
                _ = LikePattern.filter($0, "code", text: text, after: "%")
            }
        }
        let total = try await q.count()
        let items = try await q.sort(\.$id).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: items.map { RegionDTO($0) }, page: page.page, per: page.per, total: total)
    }

    @Sendable func show(req: Request) async throws -> RegionDTO {
        try req.require(.regionsView)
        let region = try await req.findScoped(Region.self, req.parameters.get("code") ?? "")
        let count = try await req.scoped(Region.self).filter(\.$parentCode == region.id).count()
        return RegionDTO(region, childCount: count)
    }

    @Sendable func children(req: Request) async throws -> [RegionDTO] {
        try req.require(.regionsView)
        let region = try await req.findScoped(Region.self, req.parameters.get("code") ?? "")
        return try await req.scoped(Region.self).filter(\.$parentCode == region.id).sort(\.$id).all().map { RegionDTO($0) }
    }

    /// The body is the CSV itself (`text/csv`), as `yiyang regions import` reads it.
    @Sendable func importTable(req: Request) async throws -> RegionImporter.Report {
        let actor = try req.require(.regionsImport)
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw AppError(.badRequest, "body.empty", field: "body", zh: "请求体应为 CSV 文件内容", en: "The request body must be the CSV file")
        }
        guard let text = body.getString(at: body.readerIndex, length: body.readableBytes) else {
            throw AppError(.badRequest, "body.encoding", field: "body", zh: "CSV 应为 UTF-8 编码", en: "The CSV must be UTF-8")
        }
        let report = try await RegionImporter.run(csv: text, scope: try req.regionScope(), locale: req.locale, on: req.db)
        try await AuditLog.record(on: req, action: .regionsImported, entityType: "region", entityID: nil,
                                  region: actor.region.value, after: ImportAuditSummary(report))
        return report
    }
}

struct ImportAuditSummary: Encodable {
    var inserted: Int, updated: Int, unchanged: Int, rejected: Int
    init(_ r: RegionImporter.Report) { inserted = r.inserted; updated = r.updated; unchanged = r.unchanged; rejected = r.rejected }
}
