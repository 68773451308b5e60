import Fluent
import Vapor
import YiyangDomain

/// Registering care institutions and what the subsidies to them count: residents admitted
/// and discharged, and new beds as accepted. Every change is audited.
struct InstitutionRegister {
    let req: Request
    var db: any Database { req.db }

    static func trimmed(_ s: String?) -> String { ServiceSetup.trimmed(s) }

    func audit(_ entity: String, _ id: UUID?, region: String, after: [String: String], on tx: (any Database)? = nil) async throws {
        try await AuditLog.record(on: req, db: tx, action: .institutionChanged, entityType: entity, entityID: id?.uuidString,
                                  region: region, after: after)
    }

    struct InstitutionInput: Content {
        var regionCode: String
        var name: String
        var creditCode: String
        /// public, private or public_private
        var operatorKind: String?
        var address: String?
        /// The bank account subsidies are paid into.
        var account: String?
    }

    func create(_ i: InstitutionInput) async throws -> Institution {
        let actor = try req.require(.institutionsManage)
        try await InstitutionAccess.requireStaff(req)
        let region = try req.requireInScope(i.regionCode, field: "regionCode")
        guard !Self.trimmed(i.name).isEmpty else { throw AppError.required("name", zh: "机构名称", en: "The name") }
        let code = try CreditCode.normalized(i.creditCode)
        let kind = Self.trimmed(i.operatorKind).isEmpty ? Institution.Operator.privateRun.rawValue : Self.trimmed(i.operatorKind)
        guard Institution.Operator(rawValue: kind) != nil else {
            throw AppError(.unprocessableEntity, "institution.operator", field: "operatorKind", zh: "举办类型应为公办、民办或公建民营", en: "operatorKind is public, private or public_private")
        }
        if try await Institution.query(on: db).filter(\.$creditCode == code).count() > 0 {
            throw AppError(.conflict, "institution.duplicate", field: "creditCode", zh: "这个统一社会信用代码的机构已登记", en: "An institution with this credit code is registered")
        }
        let n = Institution()
        n.regionCode = region.value; n.name = Self.trimmed(i.name); n.creditCode = code; n.operatorKind = kind; n.address = Self.trimmed(i.address)
        (n.accountCipher, n.accountMasked) = try PaymentAccount.seal(i.account, field: "account", vault: req.application.vault)
        n.active = true; n.createdBy = actor.username
        try await n.create(on: db)
        try await audit("institution", n.id, region: n.regionCode, after: ["name": n.name, "creditCode": code, "account": n.accountMasked])
        return n
    }

    struct AdmitInput: Content {
        var elderId: UUID
        var admittedOn: String
    }

    static func noSuchPerson(field: String) -> AppError {
        AppError(.unprocessableEntity, "institution.elder", field: field,
                 zh: "登记库中没有这位在世老人，请先登记", en: "No living person with this id is on the register; register the person first")
    }

    /// A person of the account's area moves in; nobody lives in two institutions at once. The
    /// person is found through the scope, so one registered elsewhere answers like an unknown id:
    /// a region's staff change only their own people (a person from another county comes by
    /// that county's staff, or an account above both).
    func admit(_ inst: Institution, _ i: AdmitInput) async throws -> InstitutionResident {
        let actor = try req.require(.institutionsManage)
        let day = try ServiceSetup.day(i.admittedOn, field: "admittedOn")
        guard let elder = try await req.scoped(Elder.self).filter(\.$id == i.elderId).first(),
              elder.status == ElderStatus.living.rawValue else {
            throw Self.noSuchPerson(field: "elderId")
        }
        func alreadyResident(since: String?) -> AppError {
            AppError(.conflict, "institution.already_resident", field: "elderId",
                     zh: "此人已入住机构\(since.map { "（\($0) 起）" } ?? "")，请先办理退住", en: "This person already lives in an institution\(since.map { " (since \($0))" } ?? ""); discharge first")
        }
        if let stay = try await InstitutionResident.query(on: db).filter(\.$elderID == elder.id!).filter(\.$dischargedOn == nil).first() {
            throw alreadyResident(since: stay.admittedOn)
        }
        let r = InstitutionResident()
        r.institutionID = inst.id!; r.regionCode = inst.regionCode; r.elderID = elder.id!; r.admittedOn = day.description; r.createdBy = actor.username
        r.arrangementBefore = elder.livingArrangement
        do {
            try await db.transaction { tx in
                try await r.create(on: tx)
                // The registry learns it too: benefits "not while in an institution" read it.
                try await setArrangement(elder, to: Self.inInstitution, on: tx)
                try await audit("institution_resident", r.id, region: inst.regionCode,
                                after: ["institution": inst.name, "elder": elder.id!.uuidString, "admittedOn": r.admittedOn], on: tx)
            }
        } catch let e as any DatabaseError where e.isConstraintFailure {
            throw alreadyResident(since: nil) // admitted elsewhere a moment ago
        }
        return r
    }

    static let inInstitution = "institution"

    /// Changes the person's living arrangement with a line in their history, as any registry edit.
    private func setArrangement(_ elder: Elder, to value: String?, on tx: any Database) async throws {
        guard elder.livingArrangement != value else { return }
        let service = ElderService(req: req, source: "institution")
        let before = ["livingArrangement": elder.livingArrangement ?? ""], after = ["livingArrangement": value ?? ""]
        let changes = service.changes(elderID: elder.id!, before: before, after: after)
        elder.livingArrangement = value
        try await elder.save(on: tx)
        for c in changes { try await c.create(on: tx) }
        // The person's record changed: its own region reads that in its log, whatever the home's region.
        try await AuditLog.record(on: req, db: tx, action: .elderUpdated, entityType: "elder", entityID: elder.id?.uuidString,
                                  region: elder.residenceRegion, before: before, after: after)
    }

    struct DischargeInput: Content {
        var dischargedOn: String
        /// home, transfer, death…
        var reason: String
    }

    /// The stay's person is found through the scope like any record: a stay whose person lies
    /// outside the account's area answers like an unknown stay (404), so the registry of
    /// another region is never changed from here.
    func discharge(_ inst: Institution, _ r: InstitutionResident, _ i: DischargeInput) async throws {
        let actor = try req.require(.institutionsManage)
        _ = try await req.findScoped(Elder.self, r.elderID)
        let day = try ServiceSetup.day(i.dischargedOn, field: "dischargedOn")
        guard r.dischargedOn == nil else {
            throw AppError(.conflict, "institution.discharged", field: nil, zh: "此人已于 \(r.dischargedOn!) 退住", en: "Already discharged on \(r.dischargedOn!)")
        }
        guard day.description >= r.admittedOn else {
            throw AppError(.unprocessableEntity, "institution.discharge_before_admission", field: "dischargedOn",
                           zh: "退住日期早于入住日期 \(r.admittedOn)", en: "The discharge is before the admission on \(r.admittedOn)")
        }
        guard !Self.trimmed(i.reason).isEmpty else { throw AppError.required("reason", zh: "退住原因", en: "The reason") }
        r.dischargedOn = day.description; r.dischargeReason = Self.trimmed(i.reason)
        let scope = try req.regionScope()
        try await db.transaction { tx in
            try await r.save(on: tx)
            // Back to how the person lived before, unless the registry was changed meanwhile.
            let elder = try await scope.find(Elder.self, id: r.elderID, on: tx)
            if elder.livingArrangement == Self.inInstitution {
                try await setArrangement(elder, to: r.arrangementBefore, on: tx)
            }
            try await audit("institution_resident", r.id, region: inst.regionCode,
                            after: ["institution": inst.name, "dischargedOn": day.description, "reason": r.dischargeReason ?? "",
                                    "by": actor.username], on: tx)
        }
    }

    struct BedsInput: Content {
        /// nursing, dementia or general
        var kind: String
        var count: Int
        var acceptedOn: String
        var note: String?
    }

    func addBeds(_ inst: Institution, _ i: BedsInput) async throws -> InstitutionBeds {
        let actor = try req.require(.institutionsManage)
        guard InstitutionBeds.kinds.contains(i.kind) else {
            throw AppError(.unprocessableEntity, "institution.bed_kind", field: "kind", zh: "床位类型应为护理型、认知症照护或普通床位", en: "kind is nursing, dementia or general")
        }
        guard (1...5_000).contains(i.count) else {
            throw AppError(.unprocessableEntity, "institution.bed_count", field: "count", zh: "床位数应为 1–5000", en: "count is 1–5000")
        }
        let day = try ServiceSetup.day(i.acceptedOn, field: "acceptedOn")
        // Beds not yet accepted would be paid their construction subsidy by this month's run.
        guard day <= CalendarDate.today() else {
            throw AppError(.unprocessableEntity, "institution.beds_future", field: "acceptedOn",
                           zh: "验收日期不能晚于今天", en: "The acceptance date cannot be after today")
        }
        let b = InstitutionBeds()
        b.institutionID = inst.id!; b.regionCode = inst.regionCode; b.kind = i.kind; b.count = i.count; b.acceptedOn = day.description
        b.note = Self.trimmed(i.note); b.createdBy = actor.username
        try await b.create(on: db)
        try await audit("institution_beds", b.id, region: inst.regionCode, after: ["institution": inst.name, "kind": b.kind, "count": String(b.count),
                                                                                   "acceptedOn": b.acceptedOn])
        return b
    }
}

/// What the subsidies to institutions count for a month, from the register.
enum InstitutionFacts {
    static func of(_ institutions: [Institution], month: Month, on db: any Database) async throws -> [UUID: InstitutionMonthFacts] {
        let ids = institutions.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        let end = month.lastDay.description, start = month.firstDay.description
        // Residents who may be on the roll at the month's end, and their assessments valid then.
        let residents = try await InstitutionResident.query(on: db).filter(\.$institutionID ~~ ids).filter(\.$admittedOn <= end).all()
            .filter { ($0.dischargedOn ?? "9999-12-31") > end }
        let assessments = try await BenefitFacts.currentAssessments(residents.map(\.elderID), on: db, on: month.lastDay)
        let beds = try await InstitutionBeds.query(on: db).filter(\.$institutionID ~~ ids).filter(\.$acceptedOn >= start).filter(\.$acceptedOn <= end).all()
        var out: [UUID: InstitutionMonthFacts] = Dictionary(uniqueKeysWithValues: ids.map { ($0, InstitutionMonthFacts()) })
        for r in residents {
            guard let admitted = CalendarDate(r.admittedOn) else { continue }
            out[r.institutionID]?.residents.append(.init(id: r.id!, admittedOn: admitted, dischargedOn: r.dischargedOn.flatMap(CalendarDate.init),
                                                         assessment: assessments[r.elderID]))
        }
        for b in beds {
            guard let day = CalendarDate(b.acceptedOn) else { continue }
            out[b.institutionID]?.newBeds.append(.init(kind: b.kind, count: b.count, acceptedOn: day))
        }
        return out
    }
}
