import Fluent
import SQLKit
import Vapor
import YiyangDomain

extension Request {
    /// Today by the application's clock (China Standard Time): dated rules read this, so tests
    /// can let a public notice's days pass.
    var today: CalendarDate { application.yiyang.clock.today }
}

/// The four-eyes rule of public administration: what one account prepared (a payment roll, a
/// statement) another approves. Where the region has nobody else who could, the one account
/// may do both, or the work would stop.
enum FourEyes {
    /// Enabled accounts other than `excluding` that hold `permission` and whose region is
    /// `region` or one above it (those whose scope reaches it).
    static func others(holding permission: Permission, for region: RegionCode, excluding: Set<String>,
                       db: any Database) async throws -> Int {
        let sql = db as! any SQLDatabase
        let regions = region.lineage.map(\.value)
        var q: SQLQueryString = """
            SELECT COUNT(DISTINCT u.id) AS n FROM users u
            JOIN user_roles ur ON ur.user_id = u.id
            JOIN role_permissions rp ON rp.role = ur.role
            WHERE u.enabled = \(bind: true) AND rp.permission = \(bind: permission.rawValue) AND u.region_code IN (\(binds: regions))
            """
        if !excluding.isEmpty { q = q + " AND u.username NOT IN (\(binds: Array(excluding)))" }
        return try await sql.raw(q).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Refuses `actor` as the approver of work `preparedBy` them when someone else could approve it.
    static func requireSecondPerson(_ actor: String, preparedBy: Set<String>, permission: Permission, region: RegionCode,
                                    db: any Database, code: String, what: LocalizedText) async throws {
        guard preparedBy.contains(actor) else { return }
        if try await others(holding: permission, for: region, excluding: preparedBy, db: db) > 0 {
            throw AppError(.forbidden, code, field: nil,
                           zh: "\(what.zh)由您经办，须由另一名有权限的工作人员审批",
                           en: "You prepared this \(what.en); another authorised account must approve it")
        }
    }
}
