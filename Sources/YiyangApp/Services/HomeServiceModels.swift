import Fluent
import FluentSQL
import Foundation
import SQLKit
import YiyangDomain

// The records of home and community services (SYSTEM.md module 5). Every one belongs to a
// region, so `RegionScope` decides who sees it; providers' own accounts see less still
// (`ServiceAccess`).

/// A place where services are given: a street centre, a day-care station, a meal point…
final class ServicePoint: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_points"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "kind") var kind: String
    @Field(key: "name") var name: String
    @Field(key: "address") var address: String
    @OptionalField(key: "latitude") var latitude: Double?
    @OptionalField(key: "longitude") var longitude: Double?
    @Field(key: "capacity") var capacity: Int
    @Field(key: "hours") var hours: String
    /// The provider that runs it, if it is run by one.
    @OptionalField(key: "provider_id") var providerID: UUID?
    @Field(key: "active") var active: Bool
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $kind, $name, $address, $latitude, $longitude, $capacity, $hours, $providerID, $active, $createdBy, $createdAt]
    }
    init() {}

    var geo: GeoPoint? { latitude.flatMap { la in longitude.flatMap { GeoPoint(latitude: la, longitude: $0) } } }
}

/// An organisation the bureau buys services from (政府购买服务).
final class ServiceProvider: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_providers"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "name") var name: String
    /// 统一社会信用代码
    @Field(key: "credit_code") var creditCode: String
    @Field(key: "qualifications") var qualifications: String
    @Field(key: "contact") var contact: String
    @Field(key: "active") var active: Bool
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $regionCode, $name, $creditCode, $qualifications, $contact, $active, $createdBy, $createdAt] }
    init() {}
}

/// A purchase contract: which services a provider gives in a region, at what price, when.
final class ProviderContract: Model, RegionScoped, @unchecked Sendable {
    static let schema = "provider_contracts"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "provider_id") var providerID: UUID
    /// The area served: orders of people living in it go to this provider.
    @Field(key: "region_code") var regionCode: String
    /// Contracted price per menu item code, in fen.
    @Field(key: "prices_json") var pricesJSON: String
    @Field(key: "starts_on") var startsOn: String
    @Field(key: "ends_on") var endsOn: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $providerID, $regionCode, $pricesJSON, $startsOn, $endsOn, $createdBy, $createdAt] }
    init() {}

    var prices: [String: Int] { (try? JSONDecoder().decode([String: Int].self, from: Data(pricesJSON.utf8))) ?? [:] }

    func covers(_ day: CalendarDate) -> Bool { startsOn <= day.description && day.description <= endsOn }
}

final class Caregiver: Model, RegionScoped, @unchecked Sendable {
    static let schema = "caregivers"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "name") var name: String
    @Field(key: "phone_masked") var phoneMasked: String
    /// The account that opens the caregiver's phone page.
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "active") var active: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $providerID, $regionCode, $name, $phoneMasked, $userID, $active, $createdAt] }
    init() {}
}

final class CaregiverCertificate: Model, RegionScoped, @unchecked Sendable {
    static let schema = "caregiver_certificates"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "caregiver_id") var caregiverID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "qualification") var qualification: String
    @Field(key: "number") var number: String
    @Field(key: "valid_until") var validUntil: String

    var properties: [any AnyProperty] { [$id, $caregiverID, $regionCode, $qualification, $number, $validUntil] }
    init() {}
}

/// Which provider (dispatchers, caregivers) or meal point (its operators) an account works for.
final class ServiceAccount: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_accounts"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "region_code") var regionCode: String
    @OptionalField(key: "provider_id") var providerID: UUID?
    @OptionalField(key: "point_id") var pointID: UUID?
    @Field(key: "created_by") var createdBy: String

    var properties: [any AnyProperty] { [$id, $userID, $regionCode, $providerID, $pointID, $createdBy] }
    init() {}
}

/// One item of the menu of a region, a version in force from a date.
final class ServiceItem: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_items"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "category") var category: String
    @Field(key: "unit") var unit: String
    @Field(key: "standard_minutes") var standardMinutes: Int
    @Field(key: "list_price_fen") var listPriceFen: Int
    /// Subsidised price per tier (`PriceTiers`), in fen.
    @Field(key: "tier_prices_json") var tierPricesJSON: String
    @OptionalField(key: "qualification") var qualification: String?
    /// Whether the person's service balance may pay for it.
    @Field(key: "balance_allowed") var balanceAllowed: Bool
    @Field(key: "effective_from") var effectiveFrom: String
    @OptionalField(key: "effective_to") var effectiveTo: String?
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $code, $name, $category, $unit, $standardMinutes, $listPriceFen, $tierPricesJSON, $qualification, $balanceAllowed,
         $effectiveFrom, $effectiveTo, $createdBy, $createdAt]
    }
    init() {}

    var tierPrices: [String: Int] { (try? JSONDecoder().decode([String: Int].self, from: Data(tierPricesJSON.utf8))) ?? [:] }

    func inForce(_ day: CalendarDate) -> Bool { effectiveFrom <= day.description && (effectiveTo.map { day.description <= $0 } ?? true) }
}

/// Where a person's home is on the map, for checking where a visit was made. Sealed like the
/// address: it is as personal.
final class ServiceHome: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_homes"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "geo_cipher") var geoCipher: String
    @Field(key: "updated_by") var updatedBy: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    var properties: [any AnyProperty] { [$id, $elderID, $regionCode, $geoCipher, $updatedBy, $updatedAt] }
    init() {}
}

/// An order of a service and, once a caregiver goes, the visit with its six data items.
final class ServiceOrder: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_orders"
    static let regionCodeKey: FieldKey = "region_code"

    enum Review: String { case none, pending, accepted, rejected }

    @ID(key: .id) var id: UUID?
    /// The person's residence.
    @Field(key: "region_code") var regionCode: String
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "service_code") var serviceCode: String
    @Field(key: "service_name") var serviceName: String
    @Field(key: "standard_minutes") var standardMinutes: Int
    @Field(key: "provider_id") var providerID: UUID
    @Field(key: "contract_id") var contractID: UUID
    @Field(key: "placed_by") var placedBy: String
    /// elder, family or staff
    @Field(key: "placed_via") var placedVia: String
    @Field(key: "window_start") var windowStart: Date
    @Field(key: "window_end") var windowEnd: Date
    @Field(key: "service_day") var serviceDay: String
    /// home or point
    @Field(key: "place_kind") var placeKind: String
    @OptionalField(key: "point_id") var pointID: UUID?
    /// The place's coordinates at the time of ordering, sealed (a home is personal data).
    @OptionalField(key: "place_geo_cipher") var placeGeoCipher: String?
    @Field(key: "note") var note: String
    // The price split fixed when the order was placed.
    @Field(key: "price_tier") var priceTier: String
    @Field(key: "list_fen") var listFen: Int
    @Field(key: "bureau_fen") var bureauFen: Int
    @Field(key: "balance_fen") var balanceFen: Int
    @Field(key: "self_pay_fen") var selfPayFen: Int
    @Field(key: "status") var status: String
    @OptionalField(key: "caregiver_id") var caregiverID: UUID?
    @OptionalField(key: "assigned_by") var assignedBy: String?
    @OptionalField(key: "check_in_at") var checkInAt: Date?
    @OptionalField(key: "check_in_lat") var checkInLat: Double?
    @OptionalField(key: "check_in_lng") var checkInLng: Double?
    @OptionalField(key: "check_in_by_office") var checkInByOffice: Bool?
    @OptionalField(key: "office_comment") var officeComment: String?
    @OptionalField(key: "check_out_at") var checkOutAt: Date?
    @OptionalField(key: "check_out_lat") var checkOutLat: Double?
    @OptionalField(key: "check_out_lng") var checkOutLng: Double?
    /// Codes and messages of the visit's exceptions (`VisitException`).
    @Field(key: "exceptions_json") var exceptionsJSON: String
    @Field(key: "review") var review: String
    @OptionalField(key: "review_note") var reviewNote: String?
    @OptionalField(key: "reviewed_by") var reviewedBy: String?
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?
    @OptionalField(key: "confirmed_by") var confirmedBy: String?
    @OptionalField(key: "confirmed_at") var confirmedAt: Date?
    /// The code the person reads to the caregiver to confirm on the spot (hashed).
    @Field(key: "confirm_code_hash") var confirmCodeHash: String
    @OptionalField(key: "rating") var rating: Int?
    @OptionalField(key: "rating_comment") var ratingComment: String?
    @OptionalField(key: "cancelled_by") var cancelledBy: String?
    @OptionalField(key: "cancelled_at") var cancelledAt: Date?
    @OptionalField(key: "cancel_reason") var cancelReason: String?
    @OptionalField(key: "statement_id") var statementID: UUID?
    /// Every change of state: who, when, what.
    @Field(key: "history_json") var historyJSON: String
    /// Changed by every write; a write names the token it read, so two racing writes cannot
    /// both win.
    @Field(key: "change_token") var changeToken: UUID
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $elderID, $itemID, $serviceCode, $serviceName, $standardMinutes, $providerID, $contractID, $placedBy, $placedVia,
         $windowStart, $windowEnd, $serviceDay, $placeKind, $pointID, $placeGeoCipher, $note, $priceTier, $listFen, $bureauFen, $balanceFen,
         $selfPayFen, $status, $caregiverID, $assignedBy, $checkInAt, $checkInLat, $checkInLng, $checkInByOffice, $officeComment, $checkOutAt,
         $checkOutLat, $checkOutLng, $exceptionsJSON, $review, $reviewNote, $reviewedBy, $reviewedAt, $confirmedBy, $confirmedAt, $confirmCodeHash,
         $rating, $ratingComment, $cancelledBy, $cancelledAt, $cancelReason, $statementID, $historyJSON, $changeToken, $createdAt]
    }
    init() {}

    var orderStatus: ServiceOrderStatus { ServiceOrderStatus(rawValue: status) ?? .placed }
    var exceptions: [VisitException] { (try? JSONDecoder().decode([VisitException].self, from: Data(exceptionsJSON.utf8))) ?? [] }
    var history: [OrderEvent] { (try? JSONDecoder().decode([OrderEvent].self, from: Data(historyJSON.utf8))) ?? [] }
}

struct OrderEvent: Codable, Sendable {
    var at: Date
    var by: String
    var status: String
    var note: String
}

/// One five-minute block of a caregiver's time held by a visit (`CaregiverBlocks`; quarter hours
/// before migration 031). Unique per caregiver and block, and per order and block: the database
/// refuses a second visit in the same time.
final class CaregiverBooking: Model, @unchecked Sendable {
    static let schema = "caregiver_bookings"

    @ID(key: .id) var id: UUID?
    @Field(key: "caregiver_id") var caregiverID: UUID
    @Field(key: "order_id") var orderID: UUID
    @Field(key: "block") var block: Int

    var properties: [any AnyProperty] { [$id, $caregiverID, $orderID, $block] }
    init() {}
}

/// What a settled visit took from the person's service balance. One per order, written when
/// the provider's statement is approved: the balance moves only with settled service.
final class ServiceBalanceDebit: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_balance_debits"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "order_id") var orderID: UUID
    @Field(key: "statement_id") var statementID: UUID
    @Field(key: "amount_fen") var amountFen: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $elderID, $regionCode, $orderID, $statementID, $amountFen, $createdAt] }
    init() {}
}

/// A completed visit drawn for a staff phone follow-up (回访).
final class ReturnVisit: Model, RegionScoped, @unchecked Sendable {
    static let schema = "return_visits"
    static let regionCodeKey: FieldKey = "region_code"

    enum Outcome: String, CaseIterable { case satisfied, problem, unreachable, denied }

    @ID(key: .id) var id: UUID?
    @Field(key: "order_id") var orderID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "week_start") var weekStart: String
    @Field(key: "status") var status: String
    @OptionalField(key: "outcome") var outcome: String?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "done_by") var doneBy: String?
    @OptionalField(key: "done_at") var doneAt: Date?

    var properties: [any AnyProperty] { [$id, $orderID, $regionCode, $weekStart, $status, $outcome, $note, $doneBy, $doneAt] }
    init() {}
}

final class ServiceComplaint: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_complaints"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "elder_id") var elderID: UUID
    @OptionalField(key: "order_id") var orderID: UUID?
    @OptionalField(key: "meal_order_id") var mealOrderID: UUID?
    @Field(key: "text") var text: String
    @Field(key: "by") var by: String
    @Field(key: "status") var status: String
    @OptionalField(key: "resolution") var resolution: String?
    @OptionalField(key: "resolved_by") var resolvedBy: String?
    @OptionalField(key: "resolved_at") var resolvedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $elderID, $orderID, $mealOrderID, $text, $by, $status, $resolution, $resolvedBy, $resolvedAt, $createdAt]
    }
    init() {}
}

/// A meal point's menu of one meal of one day.
final class MealMenu: Model, RegionScoped, @unchecked Sendable {
    static let schema = "meal_menus"
    static let regionCodeKey: FieldKey = "region_code"

    @ID(key: .id) var id: UUID?
    @Field(key: "point_id") var pointID: UUID
    @Field(key: "region_code") var regionCode: String
    @Field(key: "day") var day: String
    @Field(key: "meal") var meal: String
    @Field(key: "dishes") var dishes: String
    @Field(key: "price_fen") var priceFen: Int
    @Field(key: "created_by") var createdBy: String

    var properties: [any AnyProperty] { [$id, $pointID, $regionCode, $day, $meal, $dishes, $priceFen, $createdBy] }
    init() {}
}

/// A meal ordered or served. `subsidyNumber` is 1, 2… for the day's subsidised meals of the
/// person (nil when not subsidised): unique per person and day, so the daily limit holds even
/// when two points serve the same person at once.
final class MealOrder: Model, RegionScoped, @unchecked Sendable {
    static let schema = "meal_orders"
    static let regionCodeKey: FieldKey = "region_code"

    enum Mode: String, CaseIterable { case dineIn = "dine_in", pickUp = "pick_up", delivery, onTheSpot = "on_the_spot" }
    enum Status: String { case ordered, served, cancelled }

    @ID(key: .id) var id: UUID?
    @Field(key: "point_id") var pointID: UUID
    /// The meal point's region.
    @Field(key: "region_code") var regionCode: String
    @Field(key: "elder_id") var elderID: UUID
    @Field(key: "day") var day: String
    @Field(key: "meal") var meal: String
    @Field(key: "mode") var mode: String
    @Field(key: "price_fen") var priceFen: Int
    @Field(key: "subsidy_fen") var subsidyFen: Int
    @Field(key: "self_pay_fen") var selfPayFen: Int
    @OptionalField(key: "subsidy_number") var subsidyNumber: Int?
    @OptionalField(key: "policy_id") var policyID: UUID?
    @Field(key: "status") var status: String
    @OptionalField(key: "served_at") var servedAt: Date?
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "statement_id") var statementID: UUID?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $pointID, $regionCode, $elderID, $day, $meal, $mode, $priceFen, $subsidyFen, $selfPayFen, $subsidyNumber, $policyID, $status,
         $servedAt, $createdBy, $statementID, $createdAt]
    }
    init() {}
}

/// A provider's (visits) or a meal point's (meals) statement of a month.
final class ServiceStatement: Model, RegionScoped, @unchecked Sendable {
    static let schema = "service_statements"
    static let regionCodeKey: FieldKey = "region_code"

    enum Kind: String { case visits, meals }
    enum Status: String { case draft, approved }

    @ID(key: .id) var id: UUID?
    @Field(key: "region_code") var regionCode: String
    @Field(key: "kind") var kind: String
    /// The provider (visits) or the meal point (meals).
    @Field(key: "party_id") var partyID: UUID
    @Field(key: "party_name") var partyName: String
    @Field(key: "month") var month: String
    @Field(key: "status") var status: String
    @Field(key: "totals_json") var totalsJSON: String
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "approved_by") var approvedBy: String?
    @OptionalField(key: "approved_at") var approvedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $regionCode, $kind, $partyID, $partyName, $month, $status, $totalsJSON, $createdBy, $approvedBy, $approvedAt, $createdAt]
    }
    init() {}

    var totals: SettlementTotals { (try? JSONDecoder().decode(SettlementTotals.self, from: Data(totalsJSON.utf8))) ?? SettlementTotals() }
}

/// The home-service settings, a version in force from a date (rules are data).
final class HomeServiceSettingsRow: Model, @unchecked Sendable {
    static let schema = "home_service_settings"

    @ID(key: .id) var id: UUID?
    @Field(key: "effective_from") var effectiveFrom: String
    @Field(key: "settings_json") var settingsJSON: String
    @Field(key: "created_by") var createdBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] { [$id, $effectiveFrom, $settingsJSON, $createdBy, $createdAt] }
    init() {}

    static func inForce(on db: any Database, day: CalendarDate = .today()) async throws -> HomeServiceSettings {
        try await version(on: db, day: day).settings
    }

    /// The version in force on a day and the date it took effect (nil: the built-in defaults).
    static func version(on db: any Database, day: CalendarDate = .today()) async throws -> (effectiveFrom: String?, settings: HomeServiceSettings) {
        // Read by every order: written out (see ServiceReads).
        let row = try await (db as! any SQLDatabase).raw("""
            SELECT * FROM \(ident: schema) WHERE effective_from <= \(bind: day.description) ORDER BY effective_from DESC, created_at DESC LIMIT 1
            """).first()?.decode(fluentModel: HomeServiceSettingsRow.self)
        guard let row, let settings = try? JSONDecoder().decode(HomeServiceSettings.self, from: Data(row.settingsJSON.utf8)) else { return (nil, .defaults) }
        return (row.effectiveFrom, settings)
    }
}

struct CreateHomeServices: AsyncMigration {
    var name: String { "015_CreateHomeServices" }

    func prepare(on database: any Database) async throws {
        try await database.schema(ServicePoint.schema).id()
            .field("region_code", .string, .required).field("kind", .string, .required).field("name", .string, .required)
            .field("address", .string, .required).field("latitude", .double).field("longitude", .double)
            .field("capacity", .int, .required).field("hours", .string, .required).field("provider_id", .uuid)
            .field("active", .bool, .required).field("created_by", .string, .required).field("created_at", .datetime)
            .create()
        try await database.schema(ServiceProvider.schema).id()
            .field("region_code", .string, .required).field("name", .string, .required).field("credit_code", .string, .required)
            .field("qualifications", .string, .required).field("contact", .string, .required).field("active", .bool, .required)
            .field("created_by", .string, .required).field("created_at", .datetime)
            .unique(on: "credit_code")
            .create()
        try await database.schema(ProviderContract.schema).id()
            .field("provider_id", .uuid, .required).field("region_code", .string, .required).field("prices_json", .string, .required)
            .field("starts_on", .string, .required).field("ends_on", .string, .required)
            .field("created_by", .string, .required).field("created_at", .datetime)
            .create()
        try await database.schema(Caregiver.schema).id()
            .field("provider_id", .uuid, .required).field("region_code", .string, .required).field("name", .string, .required)
            .field("phone_masked", .string, .required).field("user_id", .uuid).field("active", .bool, .required).field("created_at", .datetime)
            .unique(on: "user_id")
            .create()
        try await database.schema(CaregiverCertificate.schema).id()
            .field("caregiver_id", .uuid, .required).field("region_code", .string, .required).field("qualification", .string, .required)
            .field("number", .string, .required).field("valid_until", .string, .required)
            .create()
        try await database.schema(ServiceAccount.schema).id()
            .field("user_id", .uuid, .required).field("region_code", .string, .required).field("provider_id", .uuid).field("point_id", .uuid)
            .field("created_by", .string, .required)
            .unique(on: "user_id")
            .create()
        try await database.schema(ServiceItem.schema).id()
            .field("region_code", .string, .required).field("code", .string, .required).field("name", .string, .required)
            .field("category", .string, .required).field("unit", .string, .required).field("standard_minutes", .int, .required)
            .field("list_price_fen", .int, .required).field("tier_prices_json", .string, .required).field("qualification", .string)
            .field("balance_allowed", .bool, .required).field("effective_from", .string, .required).field("effective_to", .string)
            .field("created_by", .string, .required).field("created_at", .datetime)
            .unique(on: "region_code", "code", "effective_from")
            .create()
        try await database.schema(ServiceHome.schema).id()
            .field("elder_id", .uuid, .required).field("region_code", .string, .required).field("geo_cipher", .string, .required)
            .field("updated_by", .string, .required).field("updated_at", .datetime)
            .unique(on: "elder_id")
            .create()
        try await database.schema(ServiceOrder.schema).id()
            .field("region_code", .string, .required).field("elder_id", .uuid, .required).field("item_id", .uuid, .required)
            .field("service_code", .string, .required).field("service_name", .string, .required).field("standard_minutes", .int, .required)
            .field("provider_id", .uuid, .required).field("contract_id", .uuid, .required)
            .field("placed_by", .string, .required).field("placed_via", .string, .required)
            .field("window_start", .datetime, .required).field("window_end", .datetime, .required).field("service_day", .string, .required)
            .field("place_kind", .string, .required).field("point_id", .uuid).field("place_geo_cipher", .string).field("note", .string, .required)
            .field("price_tier", .string, .required).field("list_fen", .int, .required).field("bureau_fen", .int, .required)
            .field("balance_fen", .int, .required).field("self_pay_fen", .int, .required)
            .field("status", .string, .required).field("caregiver_id", .uuid).field("assigned_by", .string)
            .field("check_in_at", .datetime).field("check_in_lat", .double).field("check_in_lng", .double)
            .field("check_in_by_office", .bool).field("office_comment", .string)
            .field("check_out_at", .datetime).field("check_out_lat", .double).field("check_out_lng", .double)
            .field("exceptions_json", .string, .required).field("review", .string, .required).field("review_note", .string)
            .field("reviewed_by", .string).field("reviewed_at", .datetime).field("confirmed_by", .string).field("confirmed_at", .datetime)
            .field("confirm_code_hash", .string, .required).field("rating", .int).field("rating_comment", .string)
            .field("cancelled_by", .string).field("cancelled_at", .datetime).field("cancel_reason", .string)
            .field("statement_id", .uuid).field("history_json", .string, .required).field("change_token", .uuid, .required)
            .field("created_at", .datetime)
            .create()
        try await database.schema(CaregiverBooking.schema).id()
            .field("caregiver_id", .uuid, .required).field("order_id", .uuid, .required).field("block", .int, .required)
            .unique(on: "caregiver_id", "block", name: "uq_caregiver_block")
            .unique(on: "order_id", "block", name: "uq_order_block")
            .create()
        try await database.schema(ServiceBalanceDebit.schema).id()
            .field("elder_id", .uuid, .required).field("region_code", .string, .required).field("order_id", .uuid, .required)
            .field("statement_id", .uuid, .required).field("amount_fen", .int, .required).field("created_at", .datetime)
            .unique(on: "order_id")
            .create()
        try await database.schema(ReturnVisit.schema).id()
            .field("order_id", .uuid, .required).field("region_code", .string, .required).field("week_start", .string, .required)
            .field("status", .string, .required).field("outcome", .string).field("note", .string)
            .field("done_by", .string).field("done_at", .datetime)
            .unique(on: "order_id")
            .create()
        try await database.schema(ServiceComplaint.schema).id()
            .field("region_code", .string, .required).field("elder_id", .uuid, .required).field("order_id", .uuid).field("meal_order_id", .uuid)
            .field("text", .string, .required).field("by", .string, .required).field("status", .string, .required)
            .field("resolution", .string).field("resolved_by", .string).field("resolved_at", .datetime).field("created_at", .datetime)
            .create()
        try await database.schema(MealMenu.schema).id()
            .field("point_id", .uuid, .required).field("region_code", .string, .required).field("day", .string, .required)
            .field("meal", .string, .required).field("dishes", .string, .required).field("price_fen", .int, .required)
            .field("created_by", .string, .required)
            .unique(on: "point_id", "day", "meal")
            .create()
        try await database.schema(MealOrder.schema).id()
            .field("point_id", .uuid, .required).field("region_code", .string, .required).field("elder_id", .uuid, .required)
            .field("day", .string, .required).field("meal", .string, .required).field("mode", .string, .required)
            .field("price_fen", .int, .required).field("subsidy_fen", .int, .required).field("self_pay_fen", .int, .required)
            .field("subsidy_number", .int).field("policy_id", .uuid).field("status", .string, .required).field("served_at", .datetime)
            .field("created_by", .string, .required).field("statement_id", .uuid).field("created_at", .datetime)
            .unique(on: "elder_id", "day", "subsidy_number", name: "uq_meal_subsidy_per_day")
            .create()
        try await database.schema(ServiceStatement.schema).id()
            .field("region_code", .string, .required).field("kind", .string, .required).field("party_id", .uuid, .required)
            .field("party_name", .string, .required).field("month", .string, .required).field("status", .string, .required)
            .field("totals_json", .string, .required).field("created_by", .string, .required)
            .field("approved_by", .string).field("approved_at", .datetime).field("created_at", .datetime)
            .unique(on: "kind", "party_id", "month")
            .create()
        try await database.schema(HomeServiceSettingsRow.schema).id()
            .field("effective_from", .string, .required).field("settings_json", .string, .required)
            .field("created_by", .string, .required).field("created_at", .datetime)
            .create()
        // The lists people open every day: a caregiver's visits, a provider's queue, a person's orders.
        try await HomeServiceIndexes.create(on: database)
    }

    func revert(on database: any Database) async throws {
        for s in [HomeServiceSettingsRow.schema, ServiceStatement.schema, MealOrder.schema, MealMenu.schema, ServiceComplaint.schema,
                  ReturnVisit.schema, ServiceBalanceDebit.schema, CaregiverBooking.schema, ServiceOrder.schema, ServiceHome.schema,
                  ServiceItem.schema, ServiceAccount.schema, CaregiverCertificate.schema, Caregiver.schema, ProviderContract.schema,
                  ServiceProvider.schema, ServicePoint.schema] {
            try await database.schema(s).delete()
        }
    }
}
