import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// A request to move a person's record into another region: staff there tried to register an
/// ID number that another region holds. One person keeps one record; the registering region
/// decides whether the person now lives in the requester's region. Both regions read the
/// request; only the registering one decides it.
final class ElderTransfer: Model, @unchecked Sendable {
    static let schema = "elder_transfers"

    enum Status: String, Codable, Sendable, CaseIterable {
        case pending, accepted, declined
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    /// Where the record was when the request was made: that region decides.
    @Field(key: "from_region_code") var fromRegionCode: String
    /// Where the requester says the person lives now.
    @Field(key: "to_region_code") var toRegionCode: String
    @Field(key: "id_masked") var idMasked: String
    /// The name as the requester typed it (the record's own name stays with its region).
    @Field(key: "name_given") var nameGiven: String
    @Field(key: "requested_by") var requestedBy: String
    @Field(key: "requested_via") var requestedVia: String
    @Field(key: "status") var status: String
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "decision_note") var decisionNote: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $elderID, $fromRegionCode, $toRegionCode, $idMasked, $nameGiven, $requestedBy, $requestedVia, $status, $decidedBy,
         $decidedAt, $decisionNote, $createdAt]
    }
    init() {}
}

extension ElderTransfer: RegionScoped {
    static let regionCodeKey: FieldKey = "from_region_code"
    static let alsoVisibleUnderKey: FieldKey? = "to_region_code"
}

/// Migration 022: transfer requests, at most one open per person and destination.
struct CreateElderTransfers: AsyncMigration {
    var name: String { "022_CreateElderTransfers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("elder_transfers")
            .id()
            .field("elder_id", .uuid, .required)
            .field("from_region_code", .string, .required)
            .field("to_region_code", .string, .required)
            .field("id_masked", .string, .required)
            .field("name_given", .string, .required)
            .field("requested_by", .string, .required)
            .field("requested_via", .string, .required)
            .field("status", .string, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("decision_note", .string)
            .field("created_at", .datetime)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX elder_transfers_from_idx ON elder_transfers (from_region_code)").run()
        try await sql.raw("CREATE INDEX elder_transfers_to_idx ON elder_transfers (to_region_code)").run()
        // Asking twice for the same move is one request, even from two staff at once.
        try await sql.raw("""
            CREATE UNIQUE INDEX elder_transfers_one_open ON elder_transfers (elder_id, to_region_code) WHERE status = 'pending'
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("elder_transfers").delete()
    }
}

/// Opening and deciding transfer requests, with their audit entries.
enum ElderTransfers {
    /// Opens (or finds the open) request to move `existing` into `toRegion`, inside the caller's
    /// transaction. Two entries: the holder's region reads which record was asked for; the asking
    /// region reads only its own request with the masked number, never where the person lives.
    @discardableResult
    static func request(_ existing: Elder, to toRegion: String, idNumber: String, nameGiven: String, via: String,
                        trail: AuditTrail, on db: any Database) async throws -> ElderTransfer {
        let elderID = try existing.requireID()
        let id = UUID()
        // Two staff asking at once, or a roster asking again: the partial unique index keeps one
        // open request, and DO NOTHING keeps the caller's transaction (a whole import batch) alive.
        let inserted = try await (db as! any SQLDatabase).raw("""
            INSERT INTO elder_transfers (id, elder_id, from_region_code, to_region_code, id_masked, name_given, requested_by,
                                         requested_via, status, created_at)
            VALUES (\(bind: id), \(bind: elderID), \(bind: existing.residenceRegion), \(bind: toRegion), \(bind: CitizenID.mask(idNumber)),
                    \(bind: String(nameGiven.prefix(50))), \(bind: trail.username), \(bind: via),
                    \(bind: ElderTransfer.Status.pending.rawValue),
                    \(bind: Date()))
            ON CONFLICT DO NOTHING RETURNING id
            """).all()
        guard !inserted.isEmpty else {
            guard let open = try await ElderTransfer.query(on: db).filter(\.$elderID == elderID).filter(\.$toRegionCode == toRegion)
                .filter(\.$status == ElderTransfer.Status.pending.rawValue).first() else { throw AppError.notFound() }
            return open
        }
        guard let t = try await ElderTransfer.find(id, on: db) else { throw AppError.notFound() }
        var holder = trail
        holder.region = existing.residenceRegion
        try await AuditLog.record(holder, on: db, action: .elderTransferRequested, entityType: "elder_transfer", entityID: id.uuidString,
                                  after: ["elder": elderID.uuidString, "to": toRegion, "via": via])
        try await AuditLog.record(trail, on: db, action: .elderTransferRequested, entityType: "elder_transfer", entityID: id.uuidString,
                                  after: ["idNumber": t.idMasked, "to": toRegion, "via": via])
        return t
    }

    /// The answer to a registration of a number held elsewhere: the rule stands, and the
    /// request to move the record is on its way.
    static func registeredElsewhere(_ t: ElderTransfer) -> AppError {
        var e = AppError(.conflict, "id_number.registered_elsewhere", field: "idNumber",
                         zh: "此身份证号已在其他地区登记；已向登记地提出迁入申请，对方确认后档案转入本辖区（/elder-transfers）",
                         en: "This ID number is registered in another region; a transfer request went to that region, "
                            + "and the record moves here once it accepts (/elder-transfers)")
        e.link = "/elder-transfers"
        return e
    }

    /// The registering region accepts (the record's residence becomes the requester's region,
    /// with a line in its history) or declines with a reason.
    static func decide(_ t: ElderTransfer, accept: Bool, note rawNote: String?, req: Request) async throws {
        let actor = try req.require(.registryEdit)
        // Only the region holding the record decides; the requester's region only reads.
        guard try req.regionScope().allows(t.fromRegionCode) else {
            throw AppError(.forbidden, "elder_transfer.not_yours", zh: "只有登记地可以处理迁入申请",
                           en: "Only the registering region decides a transfer")
        }
        guard t.status == ElderTransfer.Status.pending.rawValue else {
            throw AppError(.conflict, "elder_transfer.decided", zh: "此申请已处理", en: "This request is decided already")
        }
        let note = (rawNote ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if !accept, note.count < 2 {
            throw AppError(.unprocessableEntity, "elder_transfer.reason_required", field: "note",
                           zh: "不同意时请写明原因", en: "Give the reason for declining")
        }
        let elder = try await req.findScoped(Elder.self, t.elderID)
        let service = ElderService(req: req, source: "transfer")
        let status = accept ? ElderTransfer.Status.accepted.rawValue : ElderTransfer.Status.declined.rawValue
        let now = Date()
        try await req.db.transaction { tx in
            // Decided once: of an accept and a decline sent together, the second finds nothing pending.
            let decided = try await (tx as! any SQLDatabase).raw("""
                UPDATE elder_transfers SET status = \(bind: status), decided_by = \(bind: actor.username), decided_at = \(bind: now),
                       decision_note = \(bind: note.isEmpty ? nil : note)
                WHERE id = \(bind: t.id!) AND status = \(bind: ElderTransfer.Status.pending.rawValue) RETURNING id
                """).all()
            guard !decided.isEmpty else {
                throw AppError(.conflict, "elder_transfer.decided", zh: "此申请已处理", en: "This request is decided already")
            }
            t.status = status
            t.decidedBy = actor.username
            t.decidedAt = now
            t.decisionNote = note.isEmpty ? nil : note
            if accept {
                // The record has moved: other regions' open requests for it are answered, not left waiting.
                try await ElderTransfer.query(on: tx).filter(\.$elderID == t.elderID).filter(\.$id != t.id!)
                    .filter(\.$status == ElderTransfer.Status.pending.rawValue)
                    .set(\.$status, to: ElderTransfer.Status.declined.rawValue).set(\.$decidedBy, to: actor.username)
                    .set(\.$decidedAt, to: now).set(\.$decisionNote, to: "档案已迁往其他地区 (moved to another region)").update()
                let before = ElderService.snapshot(elder)
                elder.residenceRegion = t.toRegionCode
                try await elder.save(on: tx)
                try await service.changes(elderID: t.elderID, before: before, after: ElderService.snapshot(elder)).create(on: tx)
            }
            try await AuditLog.record(on: req, db: tx, action: accept ? .elderTransferAccepted : .elderTransferDeclined,
                                      entityType: "elder_transfer", entityID: t.id?.uuidString, region: t.fromRegionCode,
                                      after: ["elder": t.elderID.uuidString, "to": t.toRegionCode, "note": note])
        }
    }
}
