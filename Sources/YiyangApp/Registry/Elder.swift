import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// One elderly person of the registry. ID number, phones and address are stored encrypted,
/// with a masked copy for display and keyed hashes for exact lookup. The residence region
/// decides who may see the record.
final class Elder: Model, @unchecked Sendable {
    static let schema = "elders"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// Pinyin initials of the name (张三丰 → zsf), for searching the way staff type.
    @Field(key: "name_initials") var nameInitials: String
    @Field(key: "gender") var gender: String
    /// YYYY-MM-DD: sorts and compares as text on both databases.
    @Field(key: "birth_date") var birthDate: String
    @Field(key: "id_cipher") var idCipher: String
    @Field(key: "id_hash") var idHash: String
    @Field(key: "id_masked") var idMasked: String
    @Field(key: "ethnicity") var ethnicity: String
    @OptionalField(key: "phones_cipher") var phonesCipher: String?
    @Field(key: "phones_masked") var phonesMasked: String
    /// `,hash1,hash2,` so one exact phone is a `LIKE '%,hash,%'`.
    @Field(key: "phone_hashes") var phoneHashes: String
    @Field(key: "household_region") var householdRegion: String
    @Field(key: "residence_region") var residenceRegion: String
    @OptionalField(key: "address_cipher") var addressCipher: String?
    @Field(key: "address_masked") var addressMasked: String
    @OptionalField(key: "living_arrangement") var livingArrangement: String?
    @Field(key: "economic_status") var economicStatus: String
    /// `,empty_nest,living_alone,` so one category is a `LIKE '%,code,%'`.
    @Field(key: "categories") var categories: String
    @OptionalField(key: "disability_level") var disabilityLevel: Int?
    @OptionalField(key: "health_insurance") var healthInsurance: String?
    @Field(key: "status") var status: String
    @OptionalField(key: "status_date") var statusDate: String?
    @OptionalField(key: "status_note") var statusNote: String?
    @Field(key: "notes") var notes: String
    /// Who registered the person and how (web, api, import, cli). Kept here rather than as a
    /// history row, so a million-row import writes a million rows, not two million.
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_via") var createdVia: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Children(for: \.$elder) var contacts: [ElderContact]

    var properties: [any AnyProperty] {
        [$id, $name, $nameInitials, $gender, $birthDate, $idCipher, $idHash, $idMasked, $ethnicity, $phonesCipher, $phonesMasked, $phoneHashes,
         $householdRegion, $residenceRegion, $addressCipher, $addressMasked, $livingArrangement, $economicStatus, $categories, $disabilityLevel,
         $healthInsurance, $status, $statusDate, $statusNote, $notes, $createdBy, $createdVia, $createdAt, $updatedAt, $contacts]
    }
    init() {}

    var categoryCodes: [String] { categories.split(separator: ",").map(String.init) }

    var age: Int? { CalendarDate(birthDate)?.age(on: .today()) }
}

extension Elder: RegionScoped {
    static let regionCodeKey: FieldKey = "residence_region"
}

/// A contact or guardian of an elderly person.
final class ElderContact: Model, @unchecked Sendable {
    static let schema = "elder_contacts"

    @ID(key: .id) var id: UUID?
    @Parent(key: "elder_id") var elder: Elder
    @Field(key: "name") var name: String
    @Field(key: "relation") var relation: String
    @OptionalField(key: "phone_cipher") var phoneCipher: String?
    @Field(key: "phone_masked") var phoneMasked: String
    @Field(key: "is_guardian") var isGuardian: Bool

    var properties: [any AnyProperty] { [$id, $elder, $name, $relation, $phoneCipher, $phoneMasked, $isGuardian] }
    init() {}
}

/// One changed field of one record: who, when, from what to what. Personal data is kept
/// masked here, so the history can be shown to anyone who may see the record.
final class ElderChange: Model, @unchecked Sendable {
    static let schema = "elder_changes"

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "actor_username") var actorUsername: String
    /// web, api, import, event, cli
    @Field(key: "source") var source: String
    @Field(key: "field") var field: String
    @OptionalField(key: "before") var before: String?
    @OptionalField(key: "after") var after: String?

    var properties: [any AnyProperty] { [$id, $elderID, $at, $actorUsername, $source, $field, $before, $after] }
    init() {}
}

/// A life event from an exchange file or a manual change: a death or a move out of the region.
/// A record of its own, so other modules (benefits stopping payments) can act on it, and so an
/// unmatched line is not lost.
final class LifeEvent: Model, @unchecked Sendable {
    static let schema = "life_events"

    enum Kind: String, Codable, CaseIterable {
        case death
        case moveOut = "move_out"

        var name: LocalizedText {
            switch self {
            case .death: LocalizedText(zh: "死亡", en: "Death")
            case .moveOut: LocalizedText(zh: "迁出", en: "Move out")
            }
        }
    }

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "event_date") var eventDate: String
    @Field(key: "source") var source: String
    @Field(key: "id_hash") var idHash: String
    @Field(key: "id_masked") var idMasked: String
    @OptionalField(key: "elder_id") var elderID: UUID?
    @Field(key: "matched") var matched: Bool
    /// The person's residence region, or for an unmatched line the importer's region.
    @Field(key: "region_code") var regionCode: String
    @OptionalField(key: "destination") var destination: String?
    @Field(key: "recorded_by") var recordedBy: String
    @Timestamp(key: "recorded_at", on: .create) var recordedAt: Date?

    var properties: [any AnyProperty] {
        [$id, $kind, $eventDate, $source, $idHash, $idMasked, $elderID, $matched, $regionCode, $destination, $recordedBy, $recordedAt]
    }
    init() {}
}

extension LifeEvent: RegionScoped {
    static let regionCodeKey: FieldKey = "region_code"
}

/// The registry's code lists as rows, so a deployment can extend them.
final class ReferenceCodeRow: Model, @unchecked Sendable {
    static let schema = "reference_codes"

    @ID(key: .id) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "code") var code: String
    @Field(key: "name_zh") var nameZh: String
    @Field(key: "name_en") var nameEn: String

    var properties: [any AnyProperty] { [$id, $kind, $code, $nameZh, $nameEn] }
    init() {}
    init(_ c: ReferenceCode) { kind = c.kind.rawValue; code = c.code; nameZh = c.name.zh; nameEn = c.name.en }

    var reference: ReferenceCode? {
        ReferenceCode.Kind(rawValue: kind).map { ReferenceCode($0, code, zh: nameZh, en: nameEn) }
    }
}

struct CreateRegistry: AsyncMigration {
    var name: String { "005_CreateRegistry" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Elder.schema)
            .id()
            .field("name", .string, .required)
            .field("name_initials", .string, .required)
            .field("gender", .string, .required)
            .field("birth_date", .string, .required)
            .field("id_cipher", .string, .required)
            .field("id_hash", .string, .required)
            .field("id_masked", .string, .required)
            .field("ethnicity", .string, .required)
            .field("phones_cipher", .string)
            .field("phones_masked", .string, .required)
            .field("phone_hashes", .string, .required)
            .field("household_region", .string, .required)
            .field("residence_region", .string, .required)
            .field("address_cipher", .string)
            .field("address_masked", .string, .required)
            .field("living_arrangement", .string)
            .field("economic_status", .string, .required)
            .field("categories", .string, .required)
            .field("disability_level", .int)
            .field("health_insurance", .string)
            .field("status", .string, .required)
            .field("status_date", .string)
            .field("status_note", .string)
            .field("notes", .string, .required)
            .field("created_by", .string, .required)
            .field("created_via", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "id_hash")
            .create()
        try await database.schema(ElderContact.schema)
            .id()
            .field("elder_id", .uuid, .required, .references(Elder.schema, .id, onDelete: .cascade))
            .field("name", .string, .required)
            .field("relation", .string, .required)
            .field("phone_cipher", .string)
            .field("phone_masked", .string, .required)
            .field("is_guardian", .bool, .required)
            .create()
        try await database.schema(ElderChange.schema)
            .id()
            .field("elder_id", .uuid, .required)
            .field("at", .datetime, .required)
            .field("actor_username", .string, .required)
            .field("source", .string, .required)
            .field("field", .string, .required)
            .field("before", .string)
            .field("after", .string)
            .create()
        try await database.schema(LifeEvent.schema)
            .id()
            .field("kind", .string, .required)
            .field("event_date", .string, .required)
            .field("source", .string, .required)
            .field("id_hash", .string, .required)
            .field("id_masked", .string, .required)
            .field("elder_id", .uuid)
            .field("matched", .bool, .required)
            .field("region_code", .string, .required)
            .field("destination", .string)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime)
            .create()
        try await database.schema(ReferenceCodeRow.schema)
            .id()
            .field("kind", .string, .required)
            .field("code", .string, .required)
            .field("name_zh", .string, .required)
            .field("name_en", .string, .required)
            .unique(on: "kind", "code")
            .create()
        for c in ReferenceCode.defaults { try await ReferenceCodeRow(c).create(on: database) }
        if let sql = database as? any SQLDatabase {
            // Prefix searches (`LIKE 'x%'`: region subtree, name, initials) need indexes each
            // database can use for LIKE: NOCASE in SQLite, text_pattern_ops in PostgreSQL.
            let prefix = sql.dialect.name == "postgresql" ? "text_pattern_ops" : "COLLATE NOCASE"
            for s in ["CREATE INDEX IF NOT EXISTS elders_residence_idx ON elders (residence_region \(prefix))",
                      // The residence rides along, so a name search checks the region from the index.
                      "CREATE INDEX IF NOT EXISTS elders_name_idx ON elders (name \(prefix), residence_region)",
                      "CREATE INDEX IF NOT EXISTS elders_initials_idx ON elders (name_initials \(prefix), residence_region)",
                      // Lists sort by pinyin initials: this one lets a page walk them in order.
                      "CREATE INDEX IF NOT EXISTS elders_order_idx ON elders (name_initials, name, id)",
                      "CREATE INDEX IF NOT EXISTS elders_birth_idx ON elders (birth_date)",
                      "CREATE INDEX IF NOT EXISTS elder_changes_elder_idx ON elder_changes (elder_id)",
                      "CREATE INDEX IF NOT EXISTS life_events_hash_idx ON life_events (id_hash)",
                      "CREATE INDEX IF NOT EXISTS life_events_region_idx ON life_events (region_code)"] {
                try await sql.raw(SQLQueryString(s)).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        for s in [ReferenceCodeRow.schema, LifeEvent.schema, ElderChange.schema, ElderContact.schema, Elder.schema] {
            try await database.schema(s).delete()
        }
    }
}

/// Permissions that arrived after the permission table was first written: granted to the
/// roles that have them by default, once. A deployment's own changes to other rows stay.
struct GrantNewPermissions: AsyncMigration {
    let permissions: [Permission]
    let version: String
    var name: String { "\(version)_Grant_" + permissions.map(\.rawValue).joined(separator: "_") }

    func prepare(on database: any Database) async throws {
        for (role, granted) in PermissionTable.defaults {
            for p in permissions where granted.contains(p) {
                // A fresh database already has them from the first permission table.
                let exists = try await RolePermission.query(on: database)
                    .filter(\.$role == role.rawValue).filter(\.$permission == p.rawValue).count() > 0
                if !exists { try await RolePermission(role: role, permission: p).create(on: database) }
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await RolePermission.query(on: database).filter(\.$permission ~~ permissions.map(\.rawValue)).delete()
    }
}

/// The code lists as the validator wants them.
enum RegistryVocabulary {
    static func load(on db: any Database) async throws -> (ElderRecord.Vocabulary, [ReferenceCode]) {
        let codes = try await ReferenceCodeRow.query(on: db).all().compactMap(\.reference)
        return (ElderRecord.vocabulary(codes), codes)
    }
}
