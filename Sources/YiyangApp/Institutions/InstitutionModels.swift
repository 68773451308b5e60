import Fluent
import Foundation
import SQLKit
import YiyangDomain

/// A care institution (养老机构) of a region: what the subsidies to institutions are paid to.
/// The start of SYSTEM.md module 4: registered with its credit code, its payment account
/// (sealed like a person's), its residents in and out, and its beds as accepted.
final class Institution: Model, RegionScoped, @unchecked Sendable {
    static let schema = "institutions"
    static let regionCodeKey: FieldKey = "region_code"

    enum Operator: String, CaseIterable, Codable { case government = "public", privateRun = "private", publicPrivate = "public_private" }

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "name") var name: String
    @Field(key: "credit_code") var creditCode: String
    @Field(key: "operator") var operatorKind: String
    @Field(key: "address") var address: String
    @OptionalField(key: "account_cipher") var accountCipher: String?
    @Field(key: "account_masked") var accountMasked: String
    @Field(key: "active") var active: Bool
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $name, $creditCode, $operatorKind, $address, $accountCipher, $accountMasked, $active, $createdBy, $createdAt]
    }
    init() {}
}

/// A person living in an institution, from admission to discharge (or death).
final class InstitutionResident: Model, RegionScoped, @unchecked Sendable {
    static let schema = "institution_residents"
    /// The institution's region: its staff see its residents wherever they came from.
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "institution_id") var institutionID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "admitted_on") var admittedOn: String
    @OptionalField(key: "discharged_on") var dischargedOn: String?
    @OptionalField(key: "discharge_reason") var dischargeReason: String?
    /// The person's living arrangement before moving in, given back when they leave.
    @OptionalField(key: "arrangement_before") var arrangementBefore: String?
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $institutionID, $regionCode, $elderID, $admittedOn, $dischargedOn, $dischargeReason, $arrangementBefore, $createdBy, $createdAt]
    }
    init() {}
}

/// Beds an institution added, as accepted (验收) on a day: the construction subsidy's basis.
final class InstitutionBeds: Model, RegionScoped, @unchecked Sendable {
    static let schema = "institution_beds"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "institution_id") var institutionID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "kind") var kind: String
    @Field(key: "count") var count: Int
    @Field(key: "accepted_on") var acceptedOn: String
    @Field(key: "note") var note: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $institutionID, $regionCode, $kind, $count, $acceptedOn, $note, $createdBy, $createdAt] }
    init() {}

    static let kinds = ["nursing", "dementia", "general"]
}

/// One subsidy to an institution for a month. The triple is unique, so no run pays twice.
final class InstitutionPayment: Model, RegionScoped, @unchecked Sendable {
    static let schema = "institution_payments"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "run_id") var runID: UUID
    @Field(key: "institution_id") var institutionID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "benefit_type") var benefitType: String
    @Field(key: "month") var month: String
    @Field(key: "amount_fen") var amountFen: Int
    @Field(key: "policy_id") var policyID: UUID
    @Field(key: "policy_version") var policyVersion: Int
    /// The counted lines (`InstitutionSubsidy`), so the roll explains itself.
    @Field(key: "detail_json") var detailJSON: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $runID, $institutionID, $regionCode, $benefitType, $month, $amountFen, $policyID, $policyVersion, $detailJSON, $createdAt]
    }
    init() {}
}

struct CreateInstitutions: AsyncMigration {
    var name: String { "018_CreateInstitutions" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Institution.schema)
            .id()
            .field("region_code", .string, .required)
            .field("name", .string, .required)
            .field("credit_code", .string, .required)
            .field("operator", .string, .required)
            .field("address", .string, .required)
            .field("account_cipher", .string)
            .field("account_masked", .string, .required)
            .field("active", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "credit_code")
            .create()
        try await database.schema(InstitutionResident.schema)
            .id()
            .field("institution_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("elder_id", .uuid, .required)
            .field("admitted_on", .string, .required)
            .field("discharged_on", .string)
            .field("discharge_reason", .string)
            .field("arrangement_before", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        // One open stay a person: two staff admitting the same person at once cannot both
        // succeed. A partial unique index, which SQLite and PostgreSQL both have.
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE UNIQUE INDEX institution_residents_one_stay ON institution_residents (elder_id) WHERE discharged_on IS NULL").run()
        }
        try await database.schema(InstitutionBeds.schema)
            .id()
            .field("institution_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("kind", .string, .required)
            .field("count", .int, .required)
            .field("accepted_on", .string, .required)
            .field("note", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(InstitutionPayment.schema)
            .id()
            .field("run_id", .uuid, .required)
            .field("institution_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("benefit_type", .string, .required)
            .field("month", .string, .required)
            .field("amount_fen", .int, .required)
            .field("policy_id", .uuid, .required)
            .field("policy_version", .int, .required)
            .field("detail_json", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "institution_id", "benefit_type", "month")
            .create()
    }

    func revert(on database: any Database) async throws {
        for schema in [InstitutionPayment.schema, InstitutionBeds.schema, InstitutionResident.schema, Institution.schema] {
            try await database.schema(schema).delete()
        }
    }
}
