import Fluent
import Vapor
import YiyangDomain

/// An account of a family member (or of the elderly person themself) linked to a person in the
/// registry. Asked for by the account with the person's ID number and name, confirmed by staff
/// of the person's region; only a confirmed link opens the person to the account.
final class FamilyLink: Model, RegionScoped, @unchecked Sendable {
    static let schema = "family_links"
    static let regionCodeKey: FieldKey = "region_code"

    enum Status: String, CaseIterable { case pending, confirmed, rejected }

    @ID(key: .id) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "username") var username: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "elder_id") var elderID: UUID
    /// The person's residence: the staff who confirm are those of this region.
    @Field(key: "region_code") var regionCode: String
    /// 本人, 儿子, 女儿…
    @Field(key: "relation") var relation: String
    @Field(key: "status") var status: String
    @OptionalField(key: "decided_by") var decidedBy: String?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    var properties: [any AnyProperty] {
        [$id, $userID, $username, $displayName, $elderID, $regionCode, $relation, $status, $decidedBy, $decidedAt, $createdAt]
    }
    init() {}
}

struct CreateFamilyLinks: AsyncMigration {
    var name: String { "014_CreateFamilyLinks" }

    func prepare(on database: any Database) async throws {
        try await database.schema(FamilyLink.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("username", .string, .required)
            .field("display_name", .string, .required)
            .field("elder_id", .uuid, .required)
            .field("region_code", .string, .required)
            .field("relation", .string, .required)
            .field("status", .string, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "user_id", "elder_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(FamilyLink.schema).delete()
    }
}

/// What a portal account may see: the people it is linked to, by confirmed link. This is the
/// portal's counterpart of `RegionScope`: families are not staff and have no region to see.
enum FamilyAccess {
    static func links(of actor: Actor, on db: any Database) async throws -> [FamilyLink] {
        try await FamilyLink.query(on: db).filter(\.$userID == actor.userID).sort(\.$createdAt).all()
    }

    /// The person, if the account has a confirmed link to them; otherwise 404, as for a record
    /// that does not exist.
    static func linkedElder(_ req: Request, _ elderID: UUID) async throws -> (Elder, FamilyLink) {
        let actor = try req.require(.portalUse)
        guard let link = try await FamilyLink.query(on: req.db).filter(\.$userID == actor.userID).filter(\.$elderID == elderID)
                .filter(\.$status == FamilyLink.Status.confirmed.rawValue).first(),
              let elder = try await Elder.find(elderID, on: req.db) else {
            throw AppError.notFound()
        }
        return (elder, link)
    }

    /// Asks for a link. The answer is the same whether or not the number is registered, so the
    /// portal cannot be used to find out who is.
    static func request(_ req: Request, idNumber: String, name: String, relation: String) async throws {
        let actor = try req.require(.portalUse)
        let rel = relation.trimmingCharacters(in: .whitespaces)
        guard !rel.isEmpty else {
            throw AppError(.unprocessableEntity, "link.relation", field: "relation", zh: "请填写与老人的关系（如本人、儿子、女儿）", en: "Give your relation (self, son, daughter…)")
        }
        guard let id = CitizenID(idNumber) else {
            throw AppError(.unprocessableEntity, "id_number.invalid", field: "idNumber", zh: "身份证号无效", en: "Invalid ID number")
        }
        let hash = req.application.vault.lookupHash(id.value)
        guard let elder = try await Elder.query(on: req.db).filter(\.$idHash == hash).first(),
              elder.name == name.trimmingCharacters(in: .whitespaces) else { return }
        if try await FamilyLink.query(on: req.db).filter(\.$userID == actor.userID).filter(\.$elderID == elder.id!).count() > 0 { return }
        let link = FamilyLink()
        link.userID = actor.userID; link.username = actor.username; link.displayName = actor.displayName; link.elderID = elder.id!
        link.regionCode = elder.residenceRegion; link.relation = rel; link.status = FamilyLink.Status.pending.rawValue
        try await link.create(on: req.db)
        try await AuditLog.record(on: req, action: .familyLinkRequested, entityType: "family_link", entityID: link.id?.uuidString,
                                  region: link.regionCode, after: ["relation": rel])
    }

    static func decide(_ req: Request, _ link: FamilyLink, confirm: Bool) async throws {
        let actor = try req.require(.registryEdit)
        guard link.status == FamilyLink.Status.pending.rawValue else {
            throw AppError(.conflict, "link.decided", field: nil, zh: "此关联已处理", en: "This link is decided already")
        }
        link.status = (confirm ? FamilyLink.Status.confirmed : .rejected).rawValue
        link.decidedBy = actor.username; link.decidedAt = Date()
        try await link.save(on: req.db)
        try await AuditLog.record(on: req, action: confirm ? .familyLinkConfirmed : .familyLinkRejected, entityType: "family_link",
                                  entityID: link.id?.uuidString, region: link.regionCode, after: ["account": link.username, "relation": link.relation])
    }
}

extension PortalAPI {
    /// What the family sees: plain words only, no staff notes beyond the steps.
    static func view(_ elder: Elder, link: FamilyLink, req: Request) async throws -> PersonView {
        let l = req.locale
        let month = Month.current()
        let decisions = try await BenefitFacts.decisions(for: elder, month: month, on: req.db)
        let cases = try await BenefitCase.query(on: req.db).filter(\.$elderID == elder.id!).filter(\.$source == "application")
            .sort(\.$createdAt, .descending).all()
        let openTypes = Set(cases.filter { $0.status == BenefitCase.Status.pending.rawValue }.map(\.benefitType))
        let ents = try await Entitlement.query(on: req.db).filter(\.$elderID == elder.id!).filter(\.$status != Entitlement.Status.ended.rawValue).all()
        return PersonView(
            elderId: elder.id!, name: elder.name, month: month.description,
            benefits: decisions.map { .init(benefitType: $0.benefitType, name: BenefitType.name($0.benefitType).text(l), entitled: $0.entitled,
                                            plain: $0.plainSummary.text(l), openApplication: openTypes.contains($0.benefitType)) },
            receiving: ents.map { .init(name: BenefitType.name($0.benefitType).text(l), amountFen: $0.amountFen, from: $0.startMonth,
                                        status: BenefitPages.statusName($0.status, l)) },
            applications: cases.map { BenefitsAPI.CaseView($0, locale: l) })
    }

}

extension PortalPages {
    /// Whether an online application could be granted, by the benefits' own rules: the person
    /// qualifies on this month's facts, the benefit is applied for at all (a meal subsidy is
    /// given at the counter), and it is not received already. An application the rules would
    /// refuse is not offered; the line says why instead.
    static func decisions(_ view: PortalAPI.PersonView, elder: Elder, req: Request) async throws -> [Decision] {
        let l = req.locale
        let month = Month.current()
        let policies = try await BenefitPolicyRow.all(on: req.db)
        let received = Set(try await Entitlement.query(on: req.db).filter(\.$elderID == elder.id!)
            .filter(\.$status != Entitlement.Status.ended.rawValue).all().map(\.benefitType))
        func t(_ zh: String, _ en: String) -> String { l == .en ? en : zh }
        return view.benefits.map { b in
            let policy = EntitlementRules.policy(for: b.benefitType, region: elder.residenceRegion, month: month, among: policies)
            var whyNot: String?
            if b.openApplication {
                whyNot = nil
            } else if policy?.isPerUse == true {
                whyNot = t("在助餐点用餐时按人自动享受，不需要申请。", "It is given at the meal counter by itself; there is nothing to apply for.")
            } else if received.contains(b.benefitType) {
                whyNot = t("已在享受此项，不需要再申请。", "Already received; there is nothing to apply for.")
            } else if !b.entitled {
                whyNot = t("按登记的信息暂不符合上面的条件，现在申请不会获批。如登记信息有误，请联系社区工作人员更正。",
                           "On the registered facts the conditions above are not met, so an application would be refused now. "
                               + "If the registered facts are wrong, ask the community staff to correct them.")
            }
            let canApply = !b.openApplication && whyNot == nil
            return Decision(code: b.benefitType, name: b.name, entitled: b.entitled, plain: b.plain, open: b.openApplication,
                            canApply: canApply, whyNot: whyNot)
        }
    }
}
