import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/reference-codes`: the registry's code lists (categories, economic status, living
/// arrangement, health insurance). Everyone who uses the registry reads them; an
/// administrator adds the deployment's own.
struct ReferenceCodesAPI: RouteCollection {
    struct CodeView: Content { var kind: String; var code: String; var nameZh: String; var nameEn: String }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("reference-codes", use: list)
        routes.post("reference-codes", use: create)
    }

    @Sendable func list(req: Request) async throws -> [CodeView] {
        try req.require(.registryUse)
        var q = ReferenceCodeRow.query(on: req.db)
        if let kind = req.query[String.self, at: "kind"], !kind.isEmpty { q = q.filter(\.$kind == kind) }
        return try await q.sort(\.$kind).sort(\.$code).all().map { CodeView(kind: $0.kind, code: $0.code, nameZh: $0.nameZh, nameEn: $0.nameEn) }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let actor = try req.require(.rolesManage)
        // The code lists are one for the whole platform (every county's registry reads them): only
        // an administrator at the top region may add to them, as with the permission table.
        guard try await PlatformLevel.isPlatformWide(actor.region, on: req.db) else {
            throw AppError(.forbidden, "reference_codes.platform_only",
                           zh: "代码表对全平台生效，只能由平台级（最高一级区划）管理员添加",
                           en: "The code lists apply to the whole platform; only an administrator at the top region may add to them")
        }
        let body = try req.content.decode(CodeView.self)
        var issues: [ValidationIssue] = []
        if ReferenceCode.Kind(rawValue: body.kind) == nil {
            issues.append(.init(field: "kind", rule: "reference.kind", message: .init(
                zh: "kind 应为 \(ReferenceCode.Kind.allCases.map(\.rawValue).joined(separator: "、"))", en: "kind must be one of \(ReferenceCode.Kind.allCases.map(\.rawValue).joined(separator: ", "))")))
        }
        if body.code.range(of: "^[a-z][a-z0-9_]{1,39}$", options: .regularExpression) == nil {
            issues.append(.init(field: "code", rule: "reference.code", message: .init(
                zh: "代码须以小写字母开头，由 2–40 位小写字母、数字或下划线组成", en: "code must start with a lower-case letter: 2–40 of a-z, 0-9, _")))
        }
        if body.nameZh.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.append(.init(field: "nameZh", rule: "reference.name", message: .init(zh: "中文名称不能为空", en: "The Chinese name is required")))
        }
        if !issues.isEmpty { throw ValidationFailure(issues: issues) }
        if try await ReferenceCodeRow.query(on: req.db).filter(\.$kind == body.kind).filter(\.$code == body.code).count() > 0 {
            throw AppError(.conflict, "reference.exists", field: "code", zh: "代码 \(body.code) 已存在", en: "Code \(body.code) exists")
        }
        let row = ReferenceCodeRow()
        row.kind = body.kind; row.code = body.code; row.nameZh = body.nameZh
        row.nameEn = body.nameEn.isEmpty ? body.nameZh : body.nameEn
        try await row.create(on: req.db)
        try await AuditLog.record(on: req, action: .referenceCodeAdded, entityType: "reference_code", entityID: "\(body.kind):\(body.code)",
                                  region: actor.region.value, after: body)
        let res = Response(status: .created)
        try res.content.encode(CodeView(kind: row.kind, code: row.code, nameZh: row.nameZh, nameEn: row.nameEn), as: .json)
        return res
    }
}
