import Fluent
import Vapor
import YiyangDomain

/// `/institutions`: the register of care institutions, a page per institution with its
/// residents, new beds and what the subsidies to institutions pay it this month.
struct InstitutionPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let r = routes.grouped("institutions")
        r.get(use: list)
        r.post(use: create)
        r.get(":institutionID", use: show)
        r.post(":institutionID", "residents", use: admit)
        r.post(":institutionID", "residents", ":residentID", "discharge", use: discharge)
        r.post(":institutionID", "beds", use: addBeds)
        r.post(":institutionID", "accounts", use: tie)
        r.post(":institutionID", "accounts", ":userID", "remove", use: untie)
    }

    static func t(_ key: String, _ req: Request) -> String { UIStrings.text(key, req.locale) }

    struct Line: Encodable { var id: String; var name: String; var creditCode: String; var operatorName: String; var region: String; var residents: Int }
    struct ListPage: Encodable { var institutions: [Line]; var canManage: Bool; var region: String }

    static func operatorName(_ code: String, _ l: UILocale) -> String {
        let zh = ["public": "公办", "private": "民办", "public_private": "公建民营"]
        return l == .en ? code : (zh[code] ?? code)
    }

    @Sendable func list(req: Request) async throws -> Response {
        let actor = try req.require(.institutionsUse)
        let homes = try await InstitutionAccess.institutions(req).sort(\.$regionCode).sort(\.$name).all()
        let onRoll = Dictionary(grouping: try await req.scoped(InstitutionResident.self).filter(\.$institutionID ~~ homes.compactMap(\.id))
            .filter(\.$dischargedOn == nil).all(), by: \.institutionID)
        return try await WebPage.render("institutions", title: Self.t("in_title", req), ListPage(
            institutions: homes.map { h in
                Line(id: h.id!.uuidString, name: h.name, creditCode: h.creditCode, operatorName: Self.operatorName(h.operatorKind, req.locale),
                     region: h.regionCode, residents: onRoll[h.id!]?.count ?? 0)
            },
            canManage: try await Self.staffManager(req, actor), region: actor.region.value), req: req)
    }

    @Sendable func create(req: Request) async throws -> Response {
        let n = try await InstitutionRegister(req: req).create(try req.content.decode(InstitutionRegister.InstitutionInput.self))
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }

    struct Resident: Encodable { var id: String; var name: String; var admittedOn: String; var dischargedOn: String?; var reason: String?; var current: Bool }
    struct Beds: Encodable { var kind: String; var count: Int; var acceptedOn: String; var note: String }
    struct Counted: Encodable { var label: String; var count: Int; var unit: String; var amount: String }
    struct Subsidy: Encodable { var name: String; var amount: String; var lines: [Counted]; var notCounted: [String] }
    struct Option: Encodable { var value: String; var label: String }
    struct Account: Encodable { var id: String; var username: String; var displayName: String }
    struct ShowPage: Encodable {
        var id: String; var name: String; var creditCode: String; var operatorName: String; var address: String; var account: String; var region: String
        var residents: [Resident]; var onRoll: Int; var beds: [Beds]; var bedKinds: [Option]
        var month: String; var subsidies: [Subsidy]; var canManage: Bool; var today: String
        /// The accounts tied to the home, and whether this account may tie and untie them.
        var accounts: [Account]; var canTie: Bool
    }

    /// Staff who may register and tie: the permission, and the region's seat, not a home's own.
    static func staffManager(_ req: Request, _ actor: Actor) async throws -> Bool {
        guard actor.has(.institutionsManage) else { return false }
        if case .staff = try await InstitutionAccess.seat(req) { return true }
        return false
    }

    @Sendable func show(req: Request) async throws -> Response {
        let actor = try req.require(.institutionsUse)
        let n = try await InstitutionsAPI.institution(req)
        let l = req.locale
        let residents = try await req.scoped(InstitutionResident.self).filter(\.$institutionID == n.id!).sort(\.$admittedOn).all()
        // Names of those in the account's scope; a resident from elsewhere shows as such.
        let names = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ residents.map(\.elderID)).all().map { ($0.id!, $0.name) })
        let beds = try await req.scoped(InstitutionBeds.self).filter(\.$institutionID == n.id!).sort(\.$acceptedOn).all()
        let month = Month.current()
        let subsidies = try await InstitutionSubsidyDecisions.of(n, month: month, db: req.db)
        let canTie = try await Self.staffManager(req, actor)
        let accounts = canTie ? try await InstitutionAccess.accounts(of: n, req: req).map(\.user) : []
        return try await WebPage.render("institution", title: n.name, ShowPage(
            id: n.id!.uuidString, name: n.name, creditCode: n.creditCode, operatorName: Self.operatorName(n.operatorKind, l), address: n.address,
            account: n.accountMasked.isEmpty ? "—" : n.accountMasked, region: n.regionCode,
            residents: residents.map { r in
                Resident(id: r.id!.uuidString, name: names[r.elderID] ?? Self.t("in_from_elsewhere", req), admittedOn: r.admittedOn,
                         dischargedOn: r.dischargedOn, reason: r.dischargeReason, current: r.dischargedOn == nil)
            },
            onRoll: residents.filter { $0.dischargedOn == nil }.count,
            beds: beds.map { Beds(kind: InstitutionRule.bedKindName($0.kind).text(l), count: $0.count, acceptedOn: $0.acceptedOn, note: $0.note) },
            bedKinds: InstitutionBeds.kinds.map { Option(value: $0, label: InstitutionRule.bedKindName($0).text(l)) },
            month: month.description,
            subsidies: subsidies.map { s in
                Subsidy(name: BenefitType.name(s.benefitType).text(l), amount: Fen.yuan(s.amountFen),
                        lines: s.lines.map { Counted(label: $0.label.text(l), count: $0.count, unit: Fen.yuan($0.unitFen), amount: Fen.yuan($0.fen)) },
                        notCounted: s.notCounted.map { $0.text(l) })
            },
            canManage: actor.has(.institutionsManage), today: CalendarDate.today().description,
            accounts: accounts.map { Account(id: $0.id!.uuidString, username: $0.username, displayName: $0.displayName) },
            canTie: canTie), req: req)
    }

    struct AdmitForm: Content { var idNumber: String; var admittedOn: String }

    /// Staff type the person's ID number, as on the admission papers.
    @Sendable func admit(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        let form = try req.content.decode(AdmitForm.self)
        guard let id = CitizenID(form.idNumber.replacingOccurrences(of: " ", with: "")) else {
            throw AppError(.unprocessableEntity, "institution.id_number", field: "idNumber", zh: "身份证号无效", en: "The ID number is not valid")
        }
        // By ID number within the account's area, as the API finds the person by id: one
        // registered elsewhere answers like a number nobody has.
        let hash = req.application.vault.lookupHash(id.value)
        guard let elder = try await req.scoped(Elder.self).filter(\.$idHash == hash).first(),
              elder.status == ElderStatus.living.rawValue else {
            throw InstitutionRegister.noSuchPerson(field: "idNumber")
        }
        _ = try await InstitutionRegister(req: req).admit(n, .init(elderId: elder.id!, admittedOn: form.admittedOn))
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }

    @Sendable func discharge(req: Request) async throws -> Response {
        let (n, _) = try await InstitutionsAPI.discharge(req)
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }

    @Sendable func addBeds(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        _ = try await InstitutionRegister(req: req).addBeds(n, try req.content.decode(InstitutionRegister.BedsInput.self))
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }

    @Sendable func tie(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        _ = try await InstitutionAccess.tie(req, n, try req.content.decode(InstitutionAccess.TieInput.self))
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }

    @Sendable func untie(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        guard let userID = req.parameters.get("userID", as: UUID.self) else { throw AppError.notFound() }
        try await InstitutionAccess.untie(req, n, userID: userID)
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }
}
