import Fluent
import Vapor
import YiyangDomain

/// A node of the statistical division tree. The 12-digit code is the primary key: it is what
/// every other record carries, and its prefixes are its ancestors.
final class Region: Model, @unchecked Sendable {
    static let schema = "regions"

    @ID(custom: "code", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    @Field(key: "level") var level: String
    @OptionalField(key: "parent_code") var parentCode: String?
    @OptionalField(key: "urban_rural_class") var urbanRuralClass: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    var properties: [any AnyProperty] { [$id, $name, $level, $parentCode, $urbanRuralClass, $createdAt, $updatedAt] }
    init() {}

    init(code: RegionCode, name: String, urbanRuralClass: UrbanRuralClass? = nil) {
        self.id = code.value
        self.name = name
        self.level = code.level.rawValue
        self.parentCode = code.parent?.value
        self.urbanRuralClass = urbanRuralClass?.rawValue
    }

    var code: RegionCode { RegionCode(id ?? "") ?? .root }
}

extension Region: RegionScoped {
    static let regionCodeKey: FieldKey = "code"
}

struct CreateRegions: AsyncMigration {
    var name: String { "001_CreateRegions" }

    func prepare(on database: any Database) async throws {
        try await database.schema(Region.schema)
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("level", .string, .required)
            .field("parent_code", .string)
            .field("urban_rural_class", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        // The platform's own root, so a national deployment and a first administrator have a
        // region before any table is imported.
        let root = Region(code: .root, name: "全国")
        try await root.create(on: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Region.schema).delete()
    }
}

/// The region as the API shows it.
struct RegionDTO: Content {
    var code: String
    var name: String
    var level: String
    var parentCode: String?
    var urbanRuralClass: String?
    var childCount: Int?

    init(_ r: Region, childCount: Int? = nil) {
        code = r.id ?? ""
        name = r.name
        level = r.level
        parentCode = r.parentCode
        urbanRuralClass = r.urbanRuralClass
        self.childCount = childCount
    }
}
