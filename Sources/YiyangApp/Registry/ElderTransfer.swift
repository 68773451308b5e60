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
        try await sql.raw("CREATE UNIQUE INDEX elder_transfers_one_open ON elder_transfers (elder_id, to_region_code) WHERE status = 'pending'").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("elder_transfers").delete()
    }
}

/// Opening and deciding transfer requests, with their audit entries.
enum ElderTransfers {
    /// Opens (or finds the open) request to move `existing` into `toRegion`, audited under the
    /// person's region and the requester's. Runs inside the caller's transaction.
    @discardableResult
    static func request(_ existing: Elder, to toRegion: String, idNumber: String, nameGiven: String, via: String,
                        trail: AuditTrail, on db: any Database) async throws -> ElderTransfer {
        let elderID = try existing.requireID()
        if let open = try await ElderTransfer.query(on: db).filter(\.$elderID == elderID).filter(\.$toRegionCode == toRegion)
            .filter(\.$status == ElderTransfer.Status.pending.rawValue).first() {
            return open
        }
        let t = ElderTransfer()
        t.elderID = elderID
        t.fromRegionCode = existing.residenceRegion
        t.toRegionCode = toRegion
        t.idMasked = CitizenID.mask(idNumber)
        t.nameGiven = String(nameGiven.prefix(50))
        t.requestedBy = trail.username
        t.requestedVia = via
        t.status = ElderTransfer.Status.pending.rawValue
        try await t.create(on: db)
        var filed = trail
        filed.region = existing.residenceRegion
        try await AuditLog.record(filed, on: db, action: .elderTransferRequested, entityType: "elder_transfer", entityID: t.id?.uuidString,
                                  after: ["elder": elderID.uuidString, "to": toRegion, "via": via], actorRegion: trail.region)
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
            throw AppError(.forbidden, "elder_transfer.not_yours", zh: "只有登记地可以处理迁入申请", en: "Only the registering region decides a transfer")
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
        try await req.db.transaction { tx in
            t.status = accept ? ElderTransfer.Status.accepted.rawValue : ElderTransfer.Status.declined.rawValue
            t.decidedBy = actor.username
            t.decidedAt = Date()
            t.decisionNote = note.isEmpty ? nil : note
            try await t.save(on: tx)
            if accept {
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
