import Fluent
import FluentSQL
import SQLKit
import Vapor
import YiyangDomain

/// A record that belongs to a region. Its 12-digit code column decides who may see it.
protocol RegionScoped: Model {
    /// The column holding the 12-digit region code the record belongs to.
    static var regionCodeKey: FieldKey { get }
    /// A second region column whose region sees the record too (the audit log: the acting
    /// account's region beside the changed record's). Nil for nearly every model.
    static var alsoVisibleUnderKey: FieldKey? { get }
}

extension RegionScoped {
    static var alsoVisibleUnderKey: FieldKey? { nil }
}

/// The one place where region scope is enforced: every query of region-owned data starts here.
///
/// An account sees its region and everything below it, nothing beside or above. A record out
/// of scope is answered exactly like a record that does not exist (404), so probing ids tells
/// nothing. `RegionScopeGuardTests` fails the build if code outside this file queries a
/// region-owned model directly.
struct RegionScope: Sendable {
    let region: RegionCode

    /// `LIKE` prefix: `130102%` for a county; the empty prefix of the root sees everything.
    var likePattern: String { region.prefix + "%" }

    func allows(_ code: String) -> Bool {
        guard let c = RegionCode(code) else { return false }
        return region.contains(c)
    }

    func query<M: RegionScoped>(_ type: M.Type, on db: any Database) -> QueryBuilder<M> {
        let q = M.query(on: db)
        if region == .root { return q }
        if let second = M.alsoVisibleUnderKey {
            return q.group(.or) { $0.filter(M.regionCodeKey, .custom("LIKE"), likePattern).filter(second, .custom("LIKE"), likePattern) }
        }
        if let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" {
            // `likely()` tells SQLite's planner that a region subtree is a wide filter, so a
            // name or ID search uses its own index; the region index still serves plain lists.
            return q.filter(.sql(embed: "likely(\(ident: M.schema).\(ident: M.regionCodeKey.description) LIKE \(bind: likePattern))"))
        }
        return q.filter(M.regionCodeKey, .custom("LIKE"), likePattern)
    }

    func find<M: RegionScoped>(_ type: M.Type, id: M.IDValue, on db: any Database) async throws -> M {
        // Nearly every route finds one record by id: written out, the statement costs nothing
        // to build, where Fluent's names, quotes and aliases every column of a wide model.
        let idColumn = M()._$id.key.description // `code` for regions
        var q: SQLQueryString = "SELECT * FROM \(ident: M.schema) WHERE \(ident: idColumn) = \(bind: id)"
        if region != .root, let second = M.alsoVisibleUnderKey {
            q = q + " AND (\(ident: M.regionCodeKey.description) LIKE \(bind: likePattern)"
                + " OR \(ident: second.description) LIKE \(bind: likePattern))"
        } else if region != .root {
            q = q + " AND \(ident: M.regionCodeKey.description) LIKE \(bind: likePattern)"
        }
        guard let row = try await (db as! any SQLDatabase).raw(q).first() else { throw AppError.notFound() }
        return try row.decode(fluentModel: M.self)
    }
}

extension Request {
    /// The scope of the signed-in account; a request without one cannot read region data.
    func regionScope() throws -> RegionScope {
        guard let actor = self.actor else { throw AppError.unauthenticated }
        return RegionScope(region: actor.region)
    }

    /// Region-owned records visible to the signed-in account.
    func scoped<M: RegionScoped>(_ type: M.Type) throws -> QueryBuilder<M> {
        try regionScope().query(type, on: db)
    }

    /// One region-owned record, or 404 if it does not exist or lies outside the account's scope.
    func findScoped<M: RegionScoped>(_ type: M.Type, _ id: M.IDValue) async throws -> M {
        try await regionScope().find(type, id: id, on: db)
    }

    /// Refuses a region code the account may not write into (for creates and moves): the
    /// same 404 as reading it, not a hint that it exists.
    func requireInScope(_ code: String, field: String) throws -> RegionCode {
        guard let parsed = RegionCode(code) else {
            throw AppError(.unprocessableEntity, "region.code.invalid", field: field,
                           zh: "区划代码“\(code)”无效：应为 12 位统计用区划代码", en: "Region code \"\(code)\" is invalid: use the 12-digit statistical code")
        }
        guard try regionScope().allows(parsed.value) else {
            throw AppError(.unprocessableEntity, "region.out_of_scope", field: field,
                           zh: "区划 \(parsed.value) 不在您的管辖范围内", en: "Region \(parsed.value) is outside your area")
        }
        return parsed
    }
}
