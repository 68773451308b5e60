import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Every route of the platform. Three layers:
/// - bare: health, OpenAPI, static files, benchmark baseline: no account needed;
/// - API under `/api/v1`: bearer tokens, JSON errors;
/// - web pages: session cookie and CSRF on every form post.
/// Routes that need an account sit behind `RequireAccount`; region scope is applied by the
/// queries themselves (`Request.scoped`), see `RegionScope`.
func routes(_ app: Application) throws {
    app.get("healthz", use: health)
    app.get("api", "openapi.json") { _ -> Response in
        let res = Response(status: .ok, body: .init(string: try OpenAPIDocument.json()))
        res.headers.contentType = .json
        return res
    }
    if app.yiyang.benchmarkRoutes {
        // The baseline of the benchmark: a bare Vapor route with none of our middleware.
        app.get("bench", "bare") { _ in ["status": "ok"] }
    }

    let home = HomePages()
    home.bootBare(routes: app)

    let authenticated = app.grouped(AuthenticationMiddleware())

    let api = authenticated.grouped("api", "v1")
    let sessions = SessionsAPI()
    try api.register(collection: sessions)
    let apiAccount = api.grouped(RequireAccount())
    sessions.bootAuthenticated(routes: apiAccount)
    try apiAccount.register(collection: MeAPI())
    try apiAccount.register(collection: UsersAPI())
    try apiAccount.register(collection: RolesAPI())
    try apiAccount.register(collection: RegionsAPI())
    try apiAccount.register(collection: AuditAPI())
    try apiAccount.register(collection: EldersAPI())
    try apiAccount.register(collection: ElderTransfersAPI())
    try apiAccount.register(collection: ReferenceCodesAPI())
    try apiAccount.register(collection: AssessmentsAPI())
    try apiAccount.register(collection: BenefitsAPI())
    try apiAccount.register(collection: PortalAPI())
    try apiAccount.register(collection: HomeServicesAPI())
    try apiAccount.register(collection: InstitutionsAPI())

    let web = authenticated.grouped(CSRFMiddleware())
    try web.register(collection: home)
    // Public, without an account: the basic service list is for residents.
    try web.register(collection: ServiceListPage())
    let sessionPages = SessionPages()
    try web.register(collection: sessionPages)
    let webAccount = web.grouped(RequireAccount())
    home.bootAuthenticated(routes: webAccount)
    sessionPages.bootAuthenticated(routes: webAccount)
    try webAccount.register(collection: RegionPages())
    try webAccount.register(collection: UserPages())
    try webAccount.register(collection: RolePages())
    try webAccount.register(collection: AuditPages())
    try webAccount.register(collection: ElderPages())
    try webAccount.register(collection: AssessmentPages())
    try webAccount.register(collection: BenefitPages())
    try webAccount.register(collection: BenefitPolicyPages())
    try webAccount.register(collection: PortalPages())
    try webAccount.register(collection: FamilyLinkPages())
    try webAccount.register(collection: ElderTransferPages())
    try webAccount.register(collection: HomeServicePages())
    try webAccount.register(collection: InstitutionPages())
    try webAccount.register(collection: PortalServicePages())
}

struct Health: Content {
    var status: String
    var database: String
}

/// `GET /healthz`: answers only after a real round trip to the database.
@Sendable func health(req: Request) async throws -> Response {
    let kind = req.application.databaseKind
    do {
        if let sql = req.db as? any SQLDatabase {
            try await sql.raw("SELECT 1").run()
        } else {
            _ = try await Region.query(on: req.db).limit(1).all()
        }
        return try await Health(status: "ok", database: kind.rawValue).encodeResponse(for: req)
    } catch {
        req.logger.error("health check failed: \(String(reflecting: error))")
        let res = try await Health(status: "unavailable", database: kind.rawValue).encodeResponse(for: req)
        res.status = .serviceUnavailable
        return res
    }
}
