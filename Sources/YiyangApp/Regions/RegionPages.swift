import Fluent
import Vapor
import YiyangDomain

/// The region browser and the import page.
struct RegionPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("regions", use: root)
        routes.get("regions", "import", use: importPage)
        routes.on(.POST, "regions", "import", body: .stream, use: importTable).streamingUpload()
        routes.get("regions", ":code", use: show)
    }

    struct Crumb: Encodable { var code: String; var name: String }
    struct Child: Encodable { var code: String; var name: String; var level: String; var cls: String }
    struct Browse: Encodable {
        var region: Crumb; var crumbs: [Crumb]; var levelName: String; var classLabel: String?
        var childCount: Int; var children: [Child]; var hasChildren: Bool; var q: String; var canImport: Bool
    }

    @Sendable func root(req: Request) async throws -> Response {
        let actor = try req.require(.regionsView)
        return try await render(req, code: actor.region.value)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try req.require(.regionsView)
        return try await render(req, code: req.parameters.get("code") ?? "")
    }

    func render(_ req: Request, code: String) async throws -> Response {
        let actor = try req.require(.regionsView)
        let l = req.locale
        let region = try await req.findScoped(Region.self, code)
        // Breadcrumbs stop at the account's own region: nothing above it is shown.
        let lineage = region.code.lineage.dropFirst().filter { actor.region.contains($0) }.map(\.value)
        let ancestors = try await req.scoped(Region.self).filter(\.$id ~~ lineage).all()
        let crumbs = ancestors.sorted { $0.code.level < $1.code.level }.map { Crumb(code: $0.id ?? "", name: $0.name) }
        let q = req.query[String.self, at: "q"]?.trimmingCharacters(in: .whitespaces) ?? ""
        var childQuery = try req.scoped(Region.self)
        if q.isEmpty {
            childQuery = childQuery.filter(\.$parentCode == region.id)
        } else {
            // Search the whole subtree below this region, by name or code.
            childQuery = childQuery.filter(\.$id, .custom("LIKE"), region.code.prefix + "%").filter(\.$id != region.id ?? "")
                .group(.or) {
                    _ = LikePattern.filter($0, "name", before: "%", text: q, after: "%")
                    _ = LikePattern.filter($0, "code", text: q, after: "%")
                }
        }
        let children = try await childQuery.sort(\.$id).limit(500).all()
        let childCount = try await req.scoped(Region.self).filter(\.$parentCode == region.id).count()
        let rows = children.map { c in
            Child(code: c.id ?? "", name: c.name, level: RegionLevel(rawValue: c.level)?.name.text(l) ?? c.level,
                  cls: c.urbanRuralClass.flatMap { UrbanRuralClass(rawValue: $0) }.map { "\($0.rawValue) \($0.name.text(l))" } ?? "")
        }
        return try await WebPage.render("regions", title: region.name, Browse(
            region: Crumb(code: region.id ?? "", name: region.name), crumbs: crumbs,
            levelName: RegionLevel(rawValue: region.level)?.name.text(l) ?? region.level,
            classLabel: region.urbanRuralClass.flatMap { UrbanRuralClass(rawValue: $0) }?.name.text(l),
            childCount: childCount, children: rows, hasChildren: !rows.isEmpty, q: q, canImport: actor.has(.regionsImport)), req: req)
    }

    struct ImportPage: Encodable { var report: RegionImporter.Report?; var hasErrors: Bool; var hasUnknown: Bool }

    @Sendable func importPage(req: Request) async throws -> Response {
        try req.require(.regionsImport)
        return try await WebPage.render("region-import", title: UIStrings.text("regions_import", req.locale),
                                        ImportPage(report: nil, hasErrors: false, hasUnknown: false), req: req)
    }


    @Sendable func importTable(req: Request) async throws -> Response {
        let actor = try req.require(.regionsImport)
        // A region table is at most a few tens of megabytes (the whole country's villages), so
        // once on disk it is read whole.
        struct Pasted: Content { var text: String? }
        let form: SpooledUpload
        if req.headers.contentType?.type == "multipart" {
            form = try await UploadSpool.form(req, fieldLimit: 16 << 20, requireFile: false)
        } else {
            // Pasted rows in a plain form, collected (and CSRF-checked) by the middleware.
            let text = try req.content.decode(Pasted.self).text ?? ""
            form = SpooledUpload(file: nil, fileName: "", bytes: 0, fields: ["text": text])
        }
        var csv = ""
        if let file = form.file, form.bytes > 0 {
            var chunker = TextChunker()
            let s = (chunker.feed(try Data(contentsOf: file)) ?? "") + (chunker.finish() ?? "")
            guard !s.isEmpty else {
                throw AppError(.unprocessableEntity, "file.encoding", field: "file", zh: "文件应为 UTF-8 或 GB18030 编码的 CSV", en: "The file must be a UTF-8 or GB18030 CSV")
            }
            csv = s
        } else if let text = form.fields["text"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            csv = text
        } else {
            throw AppError(.unprocessableEntity, "file.required", field: "file", zh: "请选择 CSV 文件或粘贴内容", en: "Choose a CSV file or paste the rows")
        }
        let report = try await RegionImporter.run(csv: csv, scope: try req.regionScope(), locale: req.locale, on: req.db)
        try await AuditLog.record(on: req, action: .regionsImported, entityType: "region", entityID: nil,
                                  region: actor.region.value, after: ImportAuditSummary(report))
        return try await WebPage.render("region-import", title: UIStrings.text("regions_import", req.locale),
                                        ImportPage(report: report, hasErrors: !report.errors.isEmpty, hasUnknown: !report.unknownColumns.isEmpty), req: req)
    }
}
