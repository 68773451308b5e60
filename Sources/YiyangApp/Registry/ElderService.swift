import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Registering and changing elderly people, shared by the API, the pages and the importer:
/// one person, one record; every field change kept in the history.
struct ElderService {
    let db: any Database
    let vault: PersonalDataVault
    let actorUsername: String
    let source: String

    init(req: Request, source: String) {
        db = req.db
        vault = req.vault
        actorUsername = req.actor?.username ?? "-"
        self.source = source
    }

    init(db: any Database, vault: PersonalDataVault, actorUsername: String, source: String) {
        self.db = db; self.vault = vault; self.actorUsername = actorUsername; self.source = source
    }

    /// The record's fields as comparable, displayable text, personal data masked: what the
    /// history stores and what an import compares.
    static func snapshot(_ e: Elder) -> [String: String] {
        ["name": e.name, "gender": e.gender, "birthDate": e.birthDate, "idNumber": e.idMasked, "ethnicity": e.ethnicity,
         "phones": e.phonesMasked, "householdRegion": e.householdRegion, "residenceRegion": e.residenceRegion,
         "address": e.addressMasked, "livingArrangement": e.livingArrangement ?? "", "economicStatus": e.economicStatus,
         "categories": e.categories, "disabilityLevel": e.disabilityLevel.map(String.init) ?? "",
         "healthInsurance": e.healthInsurance ?? "", "notes": e.notes]
    }

    /// Writes checked facts onto a record. Returns true when anything changed; personal data is
    /// compared by its plain value, not by its (randomised) ciphertext. `current` is the
    /// record's decrypted personal data, nil for a new record.
    @discardableResult
    func apply(_ f: ElderFacts, to e: Elder, current: ElderSecrets?) throws -> Bool {
        let isNew = current == nil
        let phones = f.phones.joined(separator: ",")
        var changed = false
        // Plain assignments: a key-path write would read the old value first, and a new
        // model's fields have none yet.
        func differs<T: Equatable>(_ old: @autoclosure () -> T, _ new: T) -> Bool {
            if isNew || old() != new { changed = true; return true }
            return false
        }
        let categories = f.categories.isEmpty ? "" : "," + f.categories.joined(separator: ",") + ","
        if differs(e.name, f.name) { e.name = f.name; e.nameInitials = PinyinInitials.of(f.name) }
        if differs(e.gender, f.gender.rawValue) { e.gender = f.gender.rawValue }
        if differs(e.birthDate, f.birthDate.description) { e.birthDate = f.birthDate.description }
        if differs(current?.idNumber, f.id.value) {
            e.idCipher = try vault.seal(f.id.value)
            e.idHash = vault.lookupHash(f.id.value)
            e.idMasked = f.id.masked
        }
        if differs(e.ethnicity, f.ethnicity) { e.ethnicity = f.ethnicity }
        if differs(current?.phones, phones) {
            e.phonesCipher = phones.isEmpty ? nil : try vault.seal(phones)
            e.phonesMasked = f.phones.map(Masking.phone).joined(separator: ",")
            e.phoneHashes = f.phones.isEmpty ? "" : "," + f.phones.map(vault.lookupHash).joined(separator: ",") + ","
        }
        if differs(e.householdRegion, f.householdRegion.value) { e.householdRegion = f.householdRegion.value }
        if differs(e.residenceRegion, f.residenceRegion.value) { e.residenceRegion = f.residenceRegion.value }
        if differs(current?.address, f.address) {
            e.addressCipher = f.address.isEmpty ? nil : try vault.seal(f.address)
            e.addressMasked = PersonalMask.address(f.address)
        }
        if differs(e.livingArrangement, f.livingArrangement) { e.livingArrangement = f.livingArrangement }
        if differs(e.economicStatus, f.economicStatus) { e.economicStatus = f.economicStatus }
        if differs(e.categories, categories) { e.categories = categories }
        if differs(e.disabilityLevel, f.disabilityLevel) { e.disabilityLevel = f.disabilityLevel }
        if differs(e.healthInsurance, f.healthInsurance) { e.healthInsurance = f.healthInsurance }
        if differs(e.notes, f.notes) { e.notes = f.notes }
        if isNew {
            e.status = ElderStatus.living.rawValue
            e.createdBy = actorUsername
            e.createdVia = source
        }
        return changed
    }

    /// The columns of a new record, in `insertColumns` order, for the importer's multi-row
    /// inserts: going around the ORM's per-model reflection is what lets a large roster load
    /// at a useful rate. `ElderImportTests` reads imported rows back through the model.
    static let insertColumns = ["id", "name", "name_initials", "gender", "birth_date", "id_cipher", "id_hash", "id_masked", "ethnicity",
                                "phones_cipher", "phones_masked", "phone_hashes", "household_region", "residence_region", "address_cipher",
                                "address_masked", "living_arrangement", "economic_status", "categories", "disability_level", "health_insurance",
                                "status", "notes", "created_by", "created_via", "created_at", "updated_at"]

    func insertRow(_ f: ElderFacts, id: UUID, idHash: String, now: Date) throws -> [any SQLExpression] {
        let phones = f.phones.joined(separator: ",")
        let values: [(any Encodable & Sendable)?] = [
            id, f.name, PinyinInitials.of(f.name), f.gender.rawValue, f.birthDate.description, try vault.seal(f.id.value), idHash, f.id.masked,
            f.ethnicity, phones.isEmpty ? nil : try vault.seal(phones), f.phones.map(Masking.phone).joined(separator: ","),
            f.phones.isEmpty ? "" : "," + f.phones.map(vault.lookupHash).joined(separator: ",") + ",",
            f.householdRegion.value, f.residenceRegion.value, f.address.isEmpty ? nil : try vault.seal(f.address), PersonalMask.address(f.address),
            f.livingArrangement, f.economicStatus, f.categories.isEmpty ? "" : "," + f.categories.joined(separator: ",") + ",",
            f.disabilityLevel, f.healthInsurance, ElderStatus.living.rawValue, f.notes, actorUsername, source, now, now,
        ]
        return values.map { v in v.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null }
    }

    /// The decrypted personal data of a record.
    func secrets(_ e: Elder) throws -> ElderSecrets {
        ElderSecrets(idNumber: try vault.open(e.idCipher), phones: try e.phonesCipher.map(vault.open) ?? "",
                     address: try e.addressCipher.map(vault.open) ?? "")
    }

    /// The record as an input, so a partial change can be validated as a whole.
    func input(of e: Elder) throws -> ElderInput {
        let s = try secrets(e)
        var i = ElderInput()
        i.name = e.name; i.gender = e.gender; i.birthDate = e.birthDate; i.idNumber = s.idNumber; i.ethnicity = e.ethnicity
        i.phones = s.phones; i.householdRegion = e.householdRegion; i.residenceRegion = e.residenceRegion; i.address = s.address
        i.livingArrangement = e.livingArrangement ?? ""; i.economicStatus = e.economicStatus
        i.categories = e.categoryCodes.joined(separator: ","); i.disabilityLevel = e.disabilityLevel.map(String.init) ?? ""
        i.healthInsurance = e.healthInsurance ?? ""; i.notes = e.notes
        return i
    }

    /// History rows for the fields that differ between two snapshots.
    func changes(elderID: UUID, before: [String: String], after: [String: String], at: Date = Date()) -> [ElderChange] {
        after.keys.sorted().compactMap { key in
            let b = before[key] ?? "", a = after[key] ?? ""
            guard a != b else { return nil }
            let c = ElderChange()
            c.elderID = elderID; c.at = at; c.actorUsername = actorUsername; c.source = source
            c.field = key; c.before = b.isEmpty ? nil : b; c.after = a.isEmpty ? nil : a
            return c
        }
    }

    /// Looks a number up across every region: one person, one record.
    func existing(idNumber: String) async throws -> Elder? {
        try await Elder.query(on: db).filter(\.$idHash == vault.lookupHash(idNumber)).first()
    }

    static func duplicateError(_ existing: Elder, scope: RegionScope) -> AppError {
        if scope.allows(existing.residenceRegion) {
            var e = AppError(.conflict, "id_number.registered", field: "idNumber",
                             zh: "此身份证号已登记：/elders/\(existing.id!.uuidString)", en: "This ID number is registered already: /elders/\(existing.id!.uuidString)")
            e.link = "/elders/\(existing.id!.uuidString)"
            return e
        }
        // Out of scope: say only that it exists elsewhere.
        return AppError(.conflict, "id_number.registered_elsewhere", field: "idNumber",
                        zh: "此身份证号已在其他地区登记", en: "This ID number is registered in another region")
    }

    func create(_ f: ElderFacts, contacts: [ContactInput], scope: RegionScope) async throws -> Elder {
        if let found = try await existing(idNumber: f.id.value) { throw Self.duplicateError(found, scope: scope) }
        let e = Elder()
        try apply(f, to: e, current: nil)
        try await db.transaction { tx in
            try await e.create(on: tx)
            try await replaceContacts(of: e, with: contacts, on: tx)
        }
        return e
    }

    func update(_ e: Elder, with f: ElderFacts, contacts: [ContactInput]?, scope: RegionScope) async throws -> [ElderChange] {
        let current = try secrets(e)
        if current.idNumber != f.id.value, let other = try await existing(idNumber: f.id.value), other.id != e.id {
            throw Self.duplicateError(other, scope: scope)
        }
        let before = Self.snapshot(e)
        let beforeContacts = try await contactSummary(e)
        try apply(f, to: e, current: current)
        var rows = changes(elderID: try e.requireID(), before: before, after: Self.snapshot(e))
        let rowsSoFar = rows
        try await db.transaction { tx in
            try await e.save(on: tx)
            if let contacts {
                try await replaceContacts(of: e, with: contacts, on: tx)
            }
            for r in rowsSoFar { try await r.create(on: tx) }
        }
        if contacts != nil {
            let afterContacts = try await contactSummary(e)
            for r in changes(elderID: try e.requireID(), before: ["contacts": beforeContacts], after: ["contacts": afterContacts]) {
                try await r.create(on: db)
                rows.append(r)
            }
        }
        return rows
    }

    func contactSummary(_ e: Elder) async throws -> String {
        try await ElderContact.query(on: db).filter(\.$elder.$id == e.requireID()).all()
            .map { "\($0.name)(\($0.relation)\($0.isGuardian ? ",监护人" : "")) \($0.phoneMasked)" }.sorted().joined(separator: "; ")
    }

    func replaceContacts(of e: Elder, with contacts: [ContactInput], on db: any Database) async throws {
        let id = try e.requireID()
        try await ElderContact.query(on: db).filter(\.$elder.$id == id).delete()
        for c in contacts {
            let row = ElderContact()
            row.$elder.id = id
            row.name = c.name; row.relation = c.relation; row.isGuardian = c.guardian
            row.phoneCipher = c.phone.isEmpty ? nil : try vault.seal(c.phone)
            row.phoneMasked = c.phone.isEmpty ? "" : Masking.phone(c.phone)
            try await row.create(on: db)
        }
    }

    /// Records a death or move-out: the event as a record of its own, then the status.
    func recordEvent(_ kind: LifeEvent.Kind, date: CalendarDate, source eventSource: String, destination: String?,
                     elder: Elder, idNumber: String) async throws -> LifeEvent {
        let event = LifeEvent()
        event.kind = kind.rawValue; event.eventDate = date.description; event.source = eventSource
        event.idHash = vault.lookupHash(idNumber); event.idMasked = CitizenID.mask(idNumber)
        event.elderID = elder.id; event.matched = true; event.regionCode = elder.residenceRegion
        event.destination = destination; event.recordedBy = actorUsername
        let before = Self.snapshotStatus(elder)
        elder.status = kind == .death ? ElderStatus.deceased.rawValue : ElderStatus.movedOut.rawValue
        elder.statusDate = date.description
        elder.statusNote = [eventSource, destination].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ")
        let rows = changes(elderID: try elder.requireID(), before: before, after: Self.snapshotStatus(elder))
        try await db.transaction { tx in
            try await event.create(on: tx)
            try await elder.save(on: tx)
            for r in rows { try await r.create(on: tx) }
            // Other modules act on the event in the same transaction: a death that is recorded
            // has also ended the payments, or neither happened.
            for subscriber in LifeEventSubscribers.all { try await subscriber.handle(event, elder: elder, on: tx) }
        }
        return event
    }

    /// The record's history, newest first, ending with its registration.
    static func history(of e: Elder, on db: any Database, limit: Int = 500) async throws -> [ElderChange] {
        var rows = try await ElderChange.query(on: db).filter(\.$elderID == e.requireID()).sort(\.$at, .descending).limit(limit).all()
        let created = ElderChange()
        created.elderID = try e.requireID(); created.at = e.createdAt ?? Date(); created.actorUsername = e.createdBy
        created.source = e.createdVia; created.field = "created"; created.after = e.name
        rows.append(created)
        return rows
    }

    static func snapshotStatus(_ e: Elder) -> [String: String] {
        ["status": e.status, "statusDate": e.statusDate ?? "", "statusNote": e.statusNote ?? ""]
    }
}

struct ElderSecrets: Equatable {
    var idNumber: String
    var phones: String
    var address: String
}

struct ContactInput: Content, Equatable {
    var name: String
    var relation: String
    var phone: String
    var guardian: Bool

    /// Checks a contact; the field names say which contact.
    static func issues(_ contacts: [ContactInput]) -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        for (i, c) in contacts.enumerated() {
            if c.name.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(ValidationIssue(field: "contacts[\(i)].name", rule: "contact.name.required",
                                           message: .init(zh: "联系人姓名不能为空", en: "Contact name is required")))
            } else if let issue = PersonName.issue(c.name.trimmingCharacters(in: .whitespaces), field: "contacts[\(i)].name") {
                out.append(issue)
            }
            if let issue = AccountFields.phoneIssue(c.phone) {
                out.append(ValidationIssue(field: "contacts[\(i)].phone", rule: issue.rule, message: issue.message))
            }
        }
        return out
    }
}
