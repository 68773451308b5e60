import Fluent
import FluentSQL
import SQLKit
import Vapor
import YiyangDomain

/// The reads every order placement makes, written out as SQL. Fluent builds each statement
/// by naming, quoting and aliasing every column of the model, which cost placing an order
/// more than the database did; `SELECT *` decoded into the same models costs almost nothing.
/// Both supported databases speak SQL (as `PaymentRuns` relies on too).
enum ServiceReads {
    /// Menu items with a code, of the given regions (nil: any region).
    static func items(code: String, regions: [String]?, on db: any Database) async throws -> [ServiceItem] {
        var q: SQLQueryString = "SELECT * FROM service_items WHERE code = \(bind: code)"
        if let regions { q = q + " AND region_code IN (\(binds: regions))" }
        return try await (db as! any SQLDatabase).raw(q).all().map { try $0.decode(fluentModel: ServiceItem.self) }
    }

    /// Contracts of the given regions in force on a day whose provider is active.
    static func contracts(regions: [String]?, day: CalendarDate, providerID: UUID?, on db: any Database) async throws -> [ProviderContract] {
        var q: SQLQueryString = """
            SELECT c.* FROM provider_contracts c JOIN service_providers p ON p.id = c.provider_id
            WHERE p.active = \(bind: true) AND c.starts_on <= \(bind: day.description) AND c.ends_on >= \(bind: day.description)
            """
        if let regions { q = q + " AND c.region_code IN (\(binds: regions))" }
        if let providerID { q = q + " AND c.provider_id = \(bind: providerID)" }
        return try await (db as! any SQLDatabase).raw(q).all().map { try $0.decode(fluentModel: ProviderContract.self) }
    }

    static func provider(_ id: UUID, on db: any Database) async throws -> ServiceProvider? {
        try await (db as! any SQLDatabase).raw("SELECT * FROM service_providers WHERE id = \(bind: id)").first()?.decode(fluentModel: ServiceProvider.self)
    }

    /// The sealed coordinates of a person's home, if recorded.
    static func homeGeo(elderID: UUID, on db: any Database) async throws -> String? {
        try await (db as! any SQLDatabase).raw("SELECT geo_cipher FROM service_homes WHERE elder_id = \(bind: elderID)").first()?
            .decode(column: "geo_cipher", as: String.self)
    }
}
