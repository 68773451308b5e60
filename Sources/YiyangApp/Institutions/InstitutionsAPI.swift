import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/institutions`: care institutions, their residents in and out, their new beds, and
/// what the subsidies to institutions would pay them for a month.
struct InstitutionsAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("institutions", use: list)
        routes.post("institutions", use: create)
        routes.get("institutions", ":institutionID", use: show)
        routes.post("institutions", ":institutionID", "residents", use: admit)
        routes.post("institutions", ":institutionID", "residents", ":residentID", "discharge", use: discharge)
        routes.post("institutions", ":institutionID", "beds", use: addBeds)
        routes.get("institutions", ":institutionID", "subsidies", use: subsidies)
        routes.post("institutions", ":institutionID", "accounts", use: tie)
        routes.delete("institutions", ":institutionID", "accounts", ":userID", use: untie)
    }

    struct ResidentView: Content {
        var id: UUID; var elderId: UUID; var admittedOn: String; var dischargedOn: String?; var dischargeReason: String?
        init(_ r: InstitutionResident) {
            id = r.id!; elderId = r.elderID; admittedOn = r.admittedOn; dischargedOn = r.dischargedOn; dischargeReason = r.dischargeReason
        }
    }

    struct BedsView: Content {
        var id: UUID; var kind: String; var count: Int; var acceptedOn: String; var note: String
        init(_ b: InstitutionBeds) { id = b.id!; kind = b.kind; count = b.count; acceptedOn = b.acceptedOn; note = b.note }
    }

    /// An account tied to the institution (its own staff's account).
    struct AccountView: Content {
        var userId: UUID; var username: String; var displayName: String
        init(_ u: User) { userId = u.id!; username = u.username; displayName = u.displayName }
    }

    struct InstitutionView: Content {
        var id: UUID; var regionCode: String; var name: String; var creditCode: String; var operatorKind: String; var address: String
        /// Masked: the full account appears only in an approved roll's bank file.
        var account: String; var active: Bool
        var residents: [ResidentView]?; var beds: [BedsView]?
        /// The accounts tied to it: shown to the staff who may change them.
        var accounts: [AccountView]?
        init(_ n: Institution, residents: [InstitutionResident]? = nil, beds: [InstitutionBeds]? = nil, accounts: [User]? = nil) {
            id = n.id!; regionCode = n.regionCode; name = n.name; creditCode = n.creditCode; operatorKind = n.operatorKind; address = n.address
            account = n.accountMasked; active = n.active
            self.residents = residents?.map(ResidentView.init); self.beds = beds?.map(BedsView.init)
            self.accounts = accounts?.map(AccountView.init)
        }
    }

    /// The institution in the path, as the account may reach it (`InstitutionAccess`).
    static func institution(_ req: Request) async throws -> Institution {
        guard let id = req.parameters.get("institutionID", as: UUID.self) else { throw AppError.notFound() }
        return try await InstitutionAccess.institution(req, id)
    }

    static func view(_ n: Institution, req: Request) async throws -> InstitutionView {
        let residents = try await req.scoped(InstitutionResident.self).filter(\.$institutionID == n.id!).sort(\.$admittedOn).all()
        let beds = try await req.scoped(InstitutionBeds.self).filter(\.$institutionID == n.id!).sort(\.$acceptedOn).all()
        var accounts: [User]?
        if try req.requireActor().has(.institutionsManage), case .staff = try await InstitutionAccess.seat(req) {
            accounts = try await InstitutionAccess.accounts(of: n, req: req).map(\.user)
        }
        return InstitutionView(n, residents: residents, beds: beds, accounts: accounts)
    }

    @Sendable func list(req: Request) async throws -> Paged<InstitutionView> {
        try req.require(.institutionsUse)
        let page = try PageRequest(req)
        let q = try await InstitutionAccess.institutions(req)
        let total = try await q.count()
        let rows = try await q.sort(\.$regionCode).sort(\.$name).range(page.offset..<(page.offset + page.per)).all()
        return Paged(items: rows.map { InstitutionView($0) }, page: page.page, per: page.per, total: total)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let n = try await InstitutionRegister(req: req).create(try req.content.decode(InstitutionRegister.InstitutionInput.self))
        return try HomeServicesAPI.created(InstitutionView(n, residents: [], beds: []))
    }

    @Sendable func show(req: Request) async throws -> InstitutionView {
        try req.require(.institutionsUse)
        return try await Self.view(try await Self.institution(req), req: req)
    }

    @Sendable func admit(req: Request) async throws -> Response {
        let n = try await Self.institution(req)
        let r = try await InstitutionRegister(req: req).admit(n, try req.content.decode(InstitutionRegister.AdmitInput.self))
        return try HomeServicesAPI.created(ResidentView(r))
    }

    /// The institution and the stay in the path (`/institutions/:institutionID/residents/:residentID/discharge`),
    /// discharged with the body's date and reason: for the API and the page alike.
    static func discharge(_ req: Request) async throws -> (Institution, InstitutionResident) {
        let n = try await institution(req)
        guard let rid = req.parameters.get("residentID", as: UUID.self) else { throw AppError.notFound() }
        let r = try await req.findScoped(InstitutionResident.self, rid)
        guard r.institutionID == n.id else { throw AppError.notFound() }
        try await InstitutionRegister(req: req).discharge(n, r, try req.content.decode(InstitutionRegister.DischargeInput.self))
        return (n, r)
    }

    @Sendable func discharge(req: Request) async throws -> ResidentView {
        ResidentView(try await Self.discharge(req).1)
    }

    @Sendable func addBeds(req: Request) async throws -> Response {
        let n = try await Self.institution(req)
        let b = try await InstitutionRegister(req: req).addBeds(n, try req.content.decode(InstitutionRegister.BedsInput.self))
        return try HomeServicesAPI.created(BedsView(b))
    }

    @Sendable func tie(req: Request) async throws -> Response {
        let n = try await Self.institution(req)
        let (_, user) = try await InstitutionAccess.tie(req, n, try req.content.decode(InstitutionAccess.TieInput.self))
        return try HomeServicesAPI.created(AccountView(user))
    }

    @Sendable func untie(req: Request) async throws -> HTTPStatus {
        let n = try await Self.institution(req)
        guard let userID = req.parameters.get("userID", as: UUID.self) else { throw AppError.notFound() }
        try await InstitutionAccess.untie(req, n, userID: userID)
        return .noContent
    }

    struct SubsidyView: Content {
        var month: String
        var subsidies: [Line]
        struct Line: Content {
            var benefitType: String; var name: String; var policyId: UUID; var policyVersion: Int; var amountFen: Int
            var lines: [Counted]; var notCounted: [String]
        }
        struct Counted: Content { var code: String; var label: String; var count: Int; var unitFen: Int; var fen: Int }
    }

    /// What each subsidy to institutions in force here pays this institution for a month, line by line.
    @Sendable func subsidies(req: Request) async throws -> SubsidyView {
        try req.require(.institutionsUse)
        let n = try await Self.institution(req)
        let month = try BenefitsAPI.month(req.query[String.self, at: "month"])
        return SubsidyView(month: month.description, subsidies: try await InstitutionSubsidyDecisions.of(n, month: month, db: req.db).map { s in
            .init(benefitType: s.benefitType, name: BenefitType.name(s.benefitType).text(req.locale), policyId: s.policyID, policyVersion: s.policyVersion,
                  amountFen: s.amountFen, lines: s.lines.map { .init(code: $0.code, label: $0.label.text(req.locale), count: $0.count, unitFen: $0.unitFen, fen: $0.fen) },
                  notCounted: s.notCounted.map { $0.text(req.locale) })
        })
    }
}

/// The subsidies in force where an institution is, decided on its month: what the run pays.
enum InstitutionSubsidyDecisions {
    static func decide(_ n: Institution, facts: InstitutionMonthFacts, month: Month, policies: [BenefitPolicy]) -> [InstitutionSubsidy] {
        Set(policies.filter(\.isForInstitutions).map(\.benefitType)).sorted().compactMap { type in
            EntitlementRules.policy(for: type, region: n.regionCode, month: month, among: policies)
                .flatMap { InstitutionSubsidies.decide(facts, month: month, policy: $0) }
        }
    }

    static func of(_ n: Institution, month: Month, db: any Database) async throws -> [InstitutionSubsidy] {
        let policies = try await BenefitPolicyRow.all(on: db).filter(\.isForInstitutions)
        let facts = try await InstitutionFacts.of([n], month: month, on: db)[n.id!] ?? InstitutionMonthFacts()
        return decide(n, facts: facts, month: month, policies: policies)
    }
}
