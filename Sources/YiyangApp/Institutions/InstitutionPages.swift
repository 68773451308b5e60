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
    struct ListPage: Encodable { var institutions: [Line]; var canManage: Bool; var form: NewForm }

    /// The new institution's form as typed, with its fields' errors. The bank account is never
    /// shown back in full: after a refusal it is typed again.
    struct NewForm: Encodable {
        var errors: [String: String] = [:]
        var name = ""; var creditCode = ""; var operatorKind = Institution.Operator.privateRun.rawValue
        var regionCode: String; var address = ""
        /// The region by name (`RegionPicker`): set when the page is rendered.
        var region: RegionPicker.Field?
        var picked: RegionPicker.Resolution = .empty
        enum CodingKeys: String, CodingKey { case errors, name, creditCode, operatorKind, regionCode, address, region }
        static let fields: Set = ["name", "creditCode", "operatorKind", "regionCode", "address", "account"]
    }

    static func operatorName(_ code: String, _ l: UILocale) -> String {
        let zh = ["public": "公办", "private": "民办", "public_private": "公建民营"]
        return l == .en ? code : (zh[code] ?? code)
    }

    @Sendable func list(req: Request) async throws -> Response {
        try await renderList(req, form: nil)
    }

    func renderList(_ req: Request, form: NewForm?, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.require(.institutionsUse)
        let homes = try await InstitutionAccess.institutions(req).sort(\.$regionCode).sort(\.$name).all()
        let onRoll = Dictionary(grouping: try await req.scoped(InstitutionResident.self).filter(\.$institutionID ~~ homes.compactMap(\.id))
            .filter(\.$dischargedOn == nil).all(), by: \.institutionID)
        let regionNames = try await RegionPicker.names(of: homes.map(\.regionCode), req: req)
        var form = form ?? NewForm(regionCode: actor.region.value)
        form.region = try await RegionPicker.field(id: "regionCode", name: "regionCode", label: Self.t("in_region", req),
                                                   value: form.regionCode,
                                                   resolution: form.picked, required: true, error: form.errors["regionCode"], req: req)
        return try await WebPage.render("institutions", title: Self.t("in_title", req), ListPage(
            institutions: homes.map { h in
                Line(id: h.id!.uuidString, name: h.name, creditCode: h.creditCode, operatorName: Self.operatorName(h.operatorKind, req.locale),
                     region: regionNames[h.regionCode] ?? h.regionCode, residents: onRoll[h.id!]?.count ?? 0)
            },
            canManage: try await Self.staffManager(req, actor), form: form),
            req: req, status: status)
    }

    @Sendable func create(req: Request) async throws -> Response {
        var input = try req.content.decode(InstitutionRegister.InstitutionInput.self)
        let typedRegion = input.regionCode
        let picked = try await RegionPicker.resolve(typedRegion, req: req)
        guard picked.isResolved else {
            let form = NewForm(name: input.name, creditCode: input.creditCode, operatorKind: input.operatorKind ?? "",
                               regionCode: typedRegion, address: input.address ?? "", picked: picked)
            return try await renderList(req, form: form, status: .unprocessableEntity)
        }
        input.regionCode = picked.code ?? typedRegion
        do {
            let n = try await InstitutionRegister(req: req).create(input)
            return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
        } catch {
            guard let (errors, _) = ElderPages.fieldErrors(error, req.locale) else { throw error }
            var form = NewForm(name: input.name, creditCode: input.creditCode, operatorKind: input.operatorKind ?? "",
                               regionCode: typedRegion, address: input.address ?? "")
            for (field, message) in errors { form.errors[NewForm.fields.contains(field) ? field : "form", default: ""] += message }
            return try await renderList(req, form: form, status: .unprocessableEntity)
        }
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
        var form: Form
    }

    /// What was typed into the page's forms and what was wrong with it, so a refused form comes
    /// back filled in with the field's error instead of an error page that loses it.
    struct Form: Encodable {
        var errors: [String: String] = [:]
        var idNumber = ""; var admittedOn: String; var kind = ""; var count = ""; var acceptedOn: String; var note = ""; var username = ""
        init(today: String) { admittedOn = today; acceptedOn = today }

        /// The fields each form shows an error beside; anything else shows at the top of the form's section.
        static let fields = ["admit": ["idNumber", "admittedOn"], "beds": ["kind", "count", "acceptedOn", "note"], "tie": ["username"],
                             "discharge": [String]()]

        mutating func refused(_ error: any Error, in section: String, _ l: UILocale) throws {
            guard let (errors, _) = ElderPages.fieldErrors(error, l) else { throw error }
            let known = Self.fields[section] ?? []
            for (field, message) in errors {
                // The API's elderId is the person the ID number found.
                let key = field == "elderId" ? "idNumber" : (known.contains(field) ? field : section)
                self.errors[key] = self.errors[key].map { $0 + "；" + message } ?? message
            }
        }
    }

    /// Staff who may register and tie: the permission, and the region's seat, not a home's own.
    static func staffManager(_ req: Request, _ actor: Actor) async throws -> Bool {
        guard actor.has(.institutionsManage) else { return false }
        if case .staff = try await InstitutionAccess.seat(req) { return true }
        return false
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await render(req, try await InstitutionsAPI.institution(req), form: Form(today: CalendarDate.today().description))
    }

    func render(_ req: Request, _ n: Institution, form: Form, status: HTTPStatus = .ok) async throws -> Response {
        let actor = try req.require(.institutionsUse)
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
            account: n.accountMasked.isEmpty ? "—" : n.accountMasked,
            region: RegionPicker.display(n.regionCode, try await RegionPicker.names(of: [n.regionCode], req: req)),
            residents: residents.map { r in
                Resident(id: r.id!.uuidString, name: names[r.elderID] ?? Self.t("in_from_elsewhere", req), admittedOn: r.admittedOn,
                         dischargedOn: r.dischargedOn, reason: r.dischargeReason, current: r.dischargedOn == nil)
            },
            onRoll: residents.filter { $0.dischargedOn == nil }.count,
            beds: beds.map { Beds(kind: InstitutionRule.bedKindName($0.kind).text(l), count: $0.count, acceptedOn: $0.acceptedOn, note: $0.note) },
            bedKinds: InstitutionBeds.kinds.map { Option(value: $0, label: InstitutionRule.bedKindName($0).text(l)) },
            month: month.description,
            subsidies: subsidies.map { s in
                Subsidy(name: BenefitType.name(s.benefitType).text(l), amount: Fen.display(s.amountFen),
                        lines: s.lines.map { Counted(label: $0.label.text(l), count: $0.count, unit: Fen.display($0.unitFen),
                                                     amount: Fen.display($0.fen)) },
                        notCounted: s.notCounted.map { $0.text(l) })
            },
            canManage: actor.has(.institutionsManage), today: CalendarDate.today().description,
            accounts: accounts.map { Account(id: $0.id!.uuidString, username: $0.username, displayName: $0.displayName) },
            canTie: canTie, form: form), req: req, status: status)
    }

    /// Runs a form's change; a refusal re-shows the page with what was typed and why (422).
    func submit(_ req: Request, _ n: Institution, _ section: String, form: Form,
                _ change: () async throws -> Void) async throws -> Response {
        do {
            try await change()
            return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
        } catch {
            var shown = form
            try shown.refused(error, in: section, req.locale)
            return try await render(req, n, form: shown, status: .unprocessableEntity)
        }
    }

    struct AdmitForm: Content { var idNumber: String; var admittedOn: String }

    /// Staff type the person's ID number, as on the admission papers.
    @Sendable func admit(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        let form = try req.content.decode(AdmitForm.self)
        var typed = Form(today: CalendarDate.today().description)
        typed.idNumber = form.idNumber; typed.admittedOn = form.admittedOn
        return try await submit(req, n, "admit", form: typed) { try await admit(req, n, form) }
    }

    private func admit(_ req: Request, _ n: Institution, _ form: AdmitForm) async throws {
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
    }

    @Sendable func discharge(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        return try await submit(req, n, "discharge", form: Form(today: CalendarDate.today().description)) {
            _ = try await InstitutionsAPI.discharge(req)
        }
    }

    /// The count as typed: a word in it is refused beside the field like any bad count, not by the decoder.
    struct BedsForm: Content { var kind: String; var count: String; var acceptedOn: String; var note: String? }

    @Sendable func addBeds(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        let f = try req.content.decode(BedsForm.self)
        var typed = Form(today: CalendarDate.today().description)
        typed.kind = f.kind; typed.count = f.count; typed.acceptedOn = f.acceptedOn; typed.note = f.note ?? ""
        return try await submit(req, n, "beds", form: typed) {
            let count = Int(f.count.trimmingCharacters(in: .whitespaces)) ?? 0
            let input = InstitutionRegister.BedsInput(kind: f.kind, count: count, acceptedOn: f.acceptedOn, note: f.note)
            _ = try await InstitutionRegister(req: req).addBeds(n, input)
        }
    }

    @Sendable func tie(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        let input = try req.content.decode(InstitutionAccess.TieInput.self)
        var typed = Form(today: CalendarDate.today().description)
        typed.username = input.username
        return try await submit(req, n, "tie", form: typed) { _ = try await InstitutionAccess.tie(req, n, input) }
    }

    @Sendable func untie(req: Request) async throws -> Response {
        let n = try await InstitutionsAPI.institution(req)
        guard let userID = req.parameters.get("userID", as: UUID.self) else { throw AppError.notFound() }
        try await InstitutionAccess.untie(req, n, userID: userID)
        return req.redirect(to: "/institutions/\(n.id!.uuidString)?notice=in_saved")
    }
}
