import Fluent
import Vapor
import YiyangDomain

/// The portal for elderly people and their families (`/portal`): link to a person, see what
/// they are entitled to in plain words, apply online, follow every step.
struct PortalPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let p = routes.grouped("portal")
        p.get(use: home)
        p.post("links", use: requestLink)
        p.post("links", "self", use: requestSelfLink)
        p.get("elders", ":elderID", use: person)
        p.post("elders", ":elderID", "applications", use: apply)
    }

    struct LinkLine: Encodable { var elderId: String; var name: String; var relation: String; var confirmed: Bool; var status: String }
    struct HomePage: Encodable {
        var links: [LinkLine]
        /// An elderly person's own account: offered "this is me" first, the family form second.
        var isElder: Bool; var hasSelfLink: Bool
    }

    @Sendable func home(req: Request) async throws -> Response {
        let actor = try req.require(.portalUse)
        let l = req.locale
        let links = try await FamilyAccess.links(of: actor, on: req.db)
        var names: [UUID: String] = [:]
        for link in links where link.status == FamilyLink.Status.confirmed.rawValue {
            names[link.elderID] = try await FamilyAccess.linkedElder(req, link.elderID).0.name
        }
        let statusNames = ["pending": UIStrings.text("my_pending", l), "confirmed": UIStrings.text("my_confirmed", l), "rejected": UIStrings.text("my_rejected", l)]
        return try await WebPage.render("portal", title: UIStrings.text("my_title", l), HomePage(links: links.map {
            LinkLine(elderId: $0.elderID.uuidString, name: names[$0.elderID] ?? UIStrings.text("my_hidden_name", l), relation: $0.relation,
                     confirmed: $0.status == FamilyLink.Status.confirmed.rawValue, status: statusNames[$0.status] ?? $0.status)
        }, isElder: actor.roles.contains(.elder),
           hasSelfLink: links.contains { Self.isSelf($0.relation) && $0.status != FamilyLink.Status.rejected.rawValue }), req: req)
    }

    static func isSelf(_ relation: String) -> Bool { relation == "本人" || relation.lowercased() == "self" }

    struct SelfLinkForm: Content { var idNumber: String; var name: String }

    /// An elderly person's own account links to their own record: the same check as a family
    /// link (name and ID number must match a record, and the answer says nothing about whether
    /// they do) and the same confirmation by the community's staff, because anyone who knows a
    /// person's ID number could otherwise read their record. Only the relation is not asked.
    @Sendable func requestSelfLink(req: Request) async throws -> Response {
        let actor = try req.require(.portalUse)
        guard actor.roles.contains(.elder) else { return req.redirect(to: "/portal") }
        let f = try req.content.decode(SelfLinkForm.self)
        try await FamilyAccess.request(req, idNumber: f.idNumber, name: f.name, relation: "本人")
        return req.redirect(to: "/portal?notice=my_self_requested")
    }

    struct LinkForm: Content { var idNumber: String; var name: String; var relation: String }

    @Sendable func requestLink(req: Request) async throws -> Response {
        try req.require(.portalUse)
        let f = try req.content.decode(LinkForm.self)
        try await FamilyAccess.request(req, idNumber: f.idNumber, name: f.name, relation: f.relation)
        return req.redirect(to: "/portal?notice=my_link_requested")
    }

    /// A benefit as the person's page shows it: `canApply` only where an application could be
    /// granted, and otherwise `whyNot` in plain words.
    struct Decision: Encodable {
        var code: String; var name: String; var entitled: Bool; var plain: String; var open: Bool
        var canApply: Bool; var whyNot: String?
    }
    struct Step: Encodable { var name: String; var at: String; var decision: String; var note: String }
    struct Application: Encodable { var name: String; var status: String; var current: String?; var noticeUntil: String?; var steps: [Step] }
    struct Receiving: Encodable { var name: String; var amount: String; var from: String; var status: String }
    struct PersonPage: Encodable {
        var elderId: String; var name: String; var relation: String; var month: String
        var decisions: [Decision]; var receiving: [Receiving]; var applications: [Application]
    }

    @Sendable func person(req: Request) async throws -> Response {
        let l = req.locale
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let view = try await PortalAPI.view(elder, link: link, req: req)
        let decisions = try await Self.decisions(view, elder: elder, req: req)
        return try await WebPage.render("portal-person", title: elder.name, PersonPage(
            elderId: elder.id!.uuidString, name: elder.name, relation: link.relation, month: view.month,
            decisions: decisions,
            receiving: view.receiving.map { Receiving(name: $0.name, amount: Fen.display($0.amountFen), from: $0.from, status: $0.status) },
            applications: view.applications.map { a in
                Application(name: a.name, status: BenefitPages.statusName(a.status, l), current: a.currentStep, noticeUntil: a.noticeUntil,
                            steps: a.steps.map { Step(name: $0.name, at: ChinaTime.dateTime($0.at), decision: BenefitPages.decisionName($0.decision, l), note: $0.note) })
            }), req: req)
    }

    struct ApplyForm: Content { var benefitType: String; var note: String? }

    @Sendable func apply(req: Request) async throws -> Response {
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let f = try req.content.decode(ApplyForm.self)
        // A page opened before the facts changed may still show the button: the same rule holds here.
        let view = try await PortalAPI.view(elder, link: link, req: req)
        guard try await Self.decisions(view, elder: elder, req: req).first(where: { $0.code == f.benefitType })?.canApply == true else {
            return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)?notice=my_apply_refused")
        }
        do {
            _ = try await BenefitService(req: req).applyOnline(elder: elder, link: link, benefitType: f.benefitType, note: f.note)
        } catch let e as AppError where e.status == .conflict || e.status == .unprocessableEntity {
            return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)?notice=my_apply_refused")
        }
        return req.redirect(to: "/portal/elders/\(elder.id!.uuidString)?notice=my_applied")
    }
}

/// The portal's API, the same as its pages.
struct PortalAPI: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("my", "links", use: links)
        routes.post("my", "links", use: requestLink)
        routes.get("my", "elders", ":elderID", use: person)
        routes.post("my", "elders", ":elderID", "applications", use: apply)
        routes.get("family-links", use: pending)
        routes.post("family-links", ":linkID", "confirm", use: confirm)
        routes.post("family-links", ":linkID", "reject", use: reject)
    }

    struct LinkView: Content {
        var id: UUID; var elderId: UUID; var relation: String; var status: String; var username: String; var regionCode: String
        init(_ l: FamilyLink) {
            id = l.id!; elderId = l.elderID; relation = l.relation; status = l.status; username = l.username; regionCode = l.regionCode
        }
    }

    @Sendable func links(req: Request) async throws -> [LinkView] {
        let actor = try req.require(.portalUse)
        return try await FamilyAccess.links(of: actor, on: req.db).map(LinkView.init)
    }

    @Sendable func requestLink(req: Request) async throws -> HTTPStatus {
        let f = try req.content.decode(PortalPages.LinkForm.self)
        try await FamilyAccess.request(req, idNumber: f.idNumber, name: f.name, relation: f.relation)
        return .accepted
    }

    struct PersonView: Content {
        struct Benefit: Content { var benefitType: String; var name: String; var entitled: Bool; var plain: String; var openApplication: Bool }
        struct Receiving: Content { var name: String; var amountFen: Int; var from: String; var status: String }
        var elderId: UUID; var name: String; var month: String
        var benefits: [Benefit]; var receiving: [Receiving]; var applications: [BenefitsAPI.CaseView]
    }

    @Sendable func person(req: Request) async throws -> PersonView {
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        return try await Self.view(elder, link: link, req: req)
    }

    @Sendable func apply(req: Request) async throws -> Response {
        let (elder, link) = try await FamilyAccess.linkedElder(req, try EldersAPI.elderID(req))
        let f = try req.content.decode(PortalPages.ApplyForm.self)
        let c = try await BenefitService(req: req).applyOnline(elder: elder, link: link, benefitType: f.benefitType, note: f.note)
        let res = Response(status: .created)
        try res.content.encode(BenefitsAPI.CaseView(c, locale: req.locale), as: .json)
        return res
    }

    /// Links waiting for staff of the person's region.
    @Sendable func pending(req: Request) async throws -> [LinkView] {
        try req.require(.registryEdit)
        return try await req.scoped(FamilyLink.self).filter(\.$status == FamilyLink.Status.pending.rawValue).sort(\.$createdAt).all().map(LinkView.init)
    }

    static func linkID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("linkID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    @Sendable func confirm(req: Request) async throws -> LinkView {
        try req.require(.registryEdit)
        let link = try await req.findScoped(FamilyLink.self, try Self.linkID(req))
        try await FamilyAccess.decide(req, link, confirm: true)
        return LinkView(link)
    }

    @Sendable func reject(req: Request) async throws -> LinkView {
        try req.require(.registryEdit)
        let link = try await req.findScoped(FamilyLink.self, try Self.linkID(req))
        try await FamilyAccess.decide(req, link, confirm: false)
        return LinkView(link)
    }
}

/// Staff confirm links on a page too: `/family-links`.
struct FamilyLinkPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("family-links", use: list)
        routes.post("family-links", ":linkID", "confirm", use: confirm)
        routes.post("family-links", ":linkID", "reject", use: reject)
    }

    struct Line: Encodable { var id: String; var elderId: String; var elder: String; var account: String; var relation: String; var at: String }

    @Sendable func list(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let links = try await req.scoped(FamilyLink.self).filter(\.$status == FamilyLink.Status.pending.rawValue).sort(\.$createdAt).all()
        let elders = Dictionary(uniqueKeysWithValues: try await req.scoped(Elder.self).filter(\.$id ~~ links.map(\.elderID)).all().map { ($0.id!, $0) })
        return try await WebPage.render("family-links", title: UIStrings.text("fl_title", req.locale), links.map {
            Line(id: $0.id!.uuidString, elderId: $0.elderID.uuidString, elder: elders[$0.elderID].map { "\($0.name)（\($0.idMasked)）" } ?? "—",
                 account: "\($0.displayName)（\($0.username)）", relation: $0.relation, at: $0.createdAt.map(ChinaTime.dateTime) ?? "")
        }, req: req)
    }

    @Sendable func confirm(req: Request) async throws -> Response {
        let link = try await req.findScoped(FamilyLink.self, try PortalAPI.linkID(req))
        try await FamilyAccess.decide(req, link, confirm: true)
        return req.redirect(to: "/family-links?notice=fl_done")
    }

    @Sendable func reject(req: Request) async throws -> Response {
        let link = try await req.findScoped(FamilyLink.self, try PortalAPI.linkID(req))
        try await FamilyAccess.decide(req, link, confirm: false)
        return req.redirect(to: "/family-links?notice=fl_done")
    }
}
