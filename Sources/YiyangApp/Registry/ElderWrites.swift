import Fluent
import Vapor
import YiyangDomain

/// The writes of the registry behind both the API and the pages, each with its audit entry.
enum ElderWrites {
    static func validate(_ input: ElderInput, contacts: [ContactInput], req: Request, storedName: String? = nil) async throws -> ElderFacts {
        let (vocabulary, _) = try await RegistryVocabulary.load(on: req.db)
        var issues = ContactInput.issues(contacts)
        let facts: ElderFacts?
        switch ElderRecord.validate(input, vocabulary: vocabulary, storedName: storedName) {
        case .success(let f): facts = f
        case .failure(let e): issues = e.issues + issues; facts = nil
        }
        if let f = facts {
            for (field, code) in [("householdRegion", f.householdRegion), ("residenceRegion", f.residenceRegion)] {
                if try await Region.find(code.value, on: req.db) == nil {
                    issues.append(ValidationIssue(field: field, rule: "region.unknown", message: .init(
                        zh: "区划代码 \(code.value) 不在区划表中", en: "Region \(code.value) is not in the region table")))
                }
            }
            if !(try req.regionScope().allows(f.residenceRegion.value)) {
                issues.append(ValidationIssue(field: input.residenceRegion.isEmpty ? "householdRegion" : "residenceRegion", rule: "region.out_of_scope",
                                              message: .init(zh: "居住地 \(f.residenceRegion.value) 不在您的管辖范围内", en: "Residence \(f.residenceRegion.value) is outside your area")))
            }
        }
        if !issues.isEmpty || facts == nil { throw ValidationFailure(issues: issues) }
        return facts!
    }

    static func create(_ input: ElderInput, contacts: [ContactInput], req: Request, source: String) async throws -> Elder {
        let facts = try await validate(input, contacts: contacts, req: req)
        let service = ElderService(req: req, source: source)
        let scope = try req.regionScope()
        try await requestTransferIfHeldElsewhere(facts, service: service, scope: scope, via: source, req: req)
        return try await service.create(facts, contacts: contacts, scope: scope)
    }

    /// One person, one record: a number held by another region becomes a request to move that
    /// record here, which that region decides (audited in both), and the staff who typed it are
    /// told so. The same whether the number was typed for a new record or into an existing one.
    static func requestTransferIfHeldElsewhere(_ facts: ElderFacts, service: ElderService, scope: RegionScope, via: String,
                                               req: Request) async throws {
        guard let found = try await service.existing(idNumber: facts.id.value), !scope.allows(found.residenceRegion) else { return }
        let trail = try AuditTrail(req)
        let transfer = try await req.db.transaction { tx in
            try await ElderTransfers.request(found, to: facts.residenceRegion.value, idNumber: facts.id.value, nameGiven: facts.name,
                                             via: via, trail: trail, on: tx)
        }
        throw ElderTransfers.registeredElsewhere(transfer)
    }

    static func update(_ e: Elder, input: ElderInput, contacts: [ContactInput]?, req: Request, source: String) async throws {
        let facts = try await validate(input, contacts: contacts ?? [], req: req, storedName: e.name)
        let before = ElderView(e)
        let service = ElderService(req: req, source: source)
        if try service.secrets(e).idNumber != facts.id.value {
            try await requestTransferIfHeldElsewhere(facts, service: service, scope: try req.regionScope(), via: source, req: req)
        }
        let changes = try await service.update(e, with: facts, contacts: contacts, scope: try req.regionScope())
        if !changes.isEmpty {
            try await AuditLog.record(on: req, action: .elderUpdated, entityType: "elder", entityID: e.id?.uuidString,
                                      region: e.residenceRegion, before: before, after: ElderView(e))
        }
    }

    /// Removes a record registered in error (a person who is not a resident, a test entry, a
    /// record made twice under a mistyped number). The registry otherwise never forgets: a
    /// death or a move-out is a status with its event, and a person with recorded events
    /// cannot be deleted. The audit entry keeps the masked record and the reason.
    /// Modules that come to reference people (assessments, benefits…) add their refusal here.
    static func delete(_ e: Elder, reason rawReason: String?, req: Request) async throws {
        try req.require(.registryEdit)
        let reason = (rawReason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count >= 2 else {
            throw AppError(.unprocessableEntity, "elder.delete_reason", field: "reason",
                           zh: "请填写删除原因（如“误登记”“重复登记”）", en: "Give the reason for deleting (such as \"registered in error\")")
        }
        let id = try e.requireID()
        if try await LifeEvent.query(on: req.db).filter(\.$elderID == id).count() > 0 {
            throw AppError(.conflict, "elder.has_events", field: nil,
                           zh: "此人已有死亡或迁出记录，档案须保留，不能删除", en: "This person has a recorded death or move-out; the record must be kept")
        }
        let cases = try await Assessment.query(on: req.db).filter(\.$elderID == id).count()
        let results = try await AssessmentResult.query(on: req.db).filter(\.$elderID == id).count()
        let benefits = try await BenefitCase.query(on: req.db).filter(\.$elderID == id).count()
            + Entitlement.query(on: req.db).filter(\.$elderID == id).count()
        if benefits > 0 {
            throw AppError(.conflict, "elder.has_benefits", field: nil,
                           zh: "此人已有补贴申请或待遇记录，档案须保留，不能删除", en: "This person has benefit cases or entitlements; the record must be kept")
        }
        if cases + results > 0 {
            throw AppError(.conflict, "elder.has_assessments", field: nil,
                           zh: "此人已有能力评估记录，档案须保留，不能删除", en: "This person has capability assessments; the record must be kept")
        }
        let before = ElderView(e, contacts: try await e.$contacts.get(on: req.db))
        try await req.db.transaction { tx in
            try await ElderChange.query(on: tx).filter(\.$elderID == id).delete()
            try await ElderContact.query(on: tx).filter(\.$elder.$id == id).delete()
            try await e.delete(on: tx)
        }
        try await AuditLog.record(on: req, action: .elderDeleted, entityType: "elder", entityID: id.uuidString,
                                  region: e.residenceRegion, before: before, after: ["reason": reason])
    }

    /// The full personal data, for those who may see it; every look is audited.
    static func unmasked(_ e: Elder, req: Request) async throws -> ElderView {
        try req.require(.personalDataUnmask)
        let service = ElderService(req: req, source: "api")
        let contacts = try await e.$contacts.get(on: req.db)
        let phones = try contacts.map { try $0.phoneCipher.map(service.vault.open) ?? "" }
        let view = ElderView(e, contacts: contacts, unmasked: (try service.secrets(e), phones))
        try await AuditLog.record(on: req, action: .personalDataUnmasked, entityType: "elder", entityID: e.id?.uuidString,
                                  region: e.residenceRegion, after: ["fields": "idNumber,phones,address,contacts"])
        return view
    }

    static func recordEvent(_ e: Elder, kind rawKind: String, date rawDate: String, source: String, destination: String?, req: Request) async throws {
        guard let kind = LifeEvent.Kind(rawValue: rawKind) else {
            throw AppError(.unprocessableEntity, "event.kind", field: "kind", zh: "事件类型应为 death 或 move_out", en: "kind must be death or move_out")
        }
        guard let date = CalendarDate(rawDate), date <= .today() else {
            throw AppError(.unprocessableEntity, "event.date", field: "date", zh: "日期无效或在将来", en: "The date is invalid or in the future")
        }
        if let birth = CalendarDate(e.birthDate), date < birth {
            throw AppError(.unprocessableEntity, "event.date_before_birth", field: "date",
                           zh: "日期 \(date) 早于此人的出生日期 \(birth)", en: "The date \(date) is before the person's birth date \(birth)")
        }
        let service = ElderService(req: req, source: "web")
        let before = ElderView(e)
        let event = try await service.recordEvent(kind, date: date, source: source.isEmpty ? "manual" : source, destination: destination,
                                                  elder: e, idNumber: try service.secrets(e).idNumber)
        try await AuditLog.record(on: req, action: .lifeEventRecorded, entityType: "elder", entityID: e.id?.uuidString,
                                  region: e.residenceRegion, before: before, after: ["event": event.id?.uuidString ?? "", "kind": kind.rawValue, "date": date.description])
    }

    static func importRoster(_ upload: SpooledUpload, dryRun: Bool, req: Request) async throws -> RosterImporter.Report {
        try req.require(.registryImport)
        let importer = try await RosterImporter.make(req: req, dryRun: dryRun, fileName: upload.fileName)
        defer { withExtendedLifetime(upload) {} }
        let report = try await importer.read(try upload.requiredFile, temporaryDirectory: req.application.yiyang.temporaryDirectory, threadPool: req.application.threadPool)
        // A dry run tells which numbers are registered: it is audited like a real one.
        try await importer.auditCompletion(on: req.db)
        return report
    }

    static func importEvents(_ upload: SpooledUpload, kind: LifeEvent.Kind?, source: String, req: Request) async throws -> LifeEventImporter.Report {
        let actor = try req.require(.registryImport)
        let importer = LifeEventImporter(service: ElderService(req: req, source: "event"), scope: try req.regionScope(), defaultKind: kind,
                                         defaultSource: source.isEmpty ? "exchange-file" : source, locale: req.locale)
        defer { withExtendedLifetime(upload) {} }
        let report = try await importer.read(try upload.requiredFile, temporaryDirectory: req.application.yiyang.temporaryDirectory, threadPool: req.application.threadPool)
        try await AuditLog.record(on: req, action: .lifeEventsImported, entityType: "life_event", entityID: nil, region: actor.region.value,
                                  after: ["matched": report.matched, "unmatched": report.unmatched, "alreadyRecorded": report.alreadyRecorded, "rejected": report.rejected])
        return report
    }
}
