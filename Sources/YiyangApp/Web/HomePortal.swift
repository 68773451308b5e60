import Fluent
import Vapor
import YiyangDomain

/// The home page of a family member or an elderly person: each linked person as the portal
/// shows them (what they receive and may receive, in plain words; their visits), read through
/// the portal's own view so the two never say different things. With no confirmed link yet,
/// it says how to ask for one.
enum HomePortal {
    struct Benefit: Encodable { var name: String; var plain: String; var entitled: Bool; var inProgress: Bool }
    struct Visit: Encodable { var service: String; var time: String; var status: String; var caregiver: String? }
    struct Person: Encodable {
        var elderId: String; var name: String; var relation: String; var month: String
        var benefits: [Benefit]; var receiving: [String]; var visits: [Visit]
    }
    struct Waiting: Encodable { var relation: String; var status: String }
    struct Page: Encodable { var people: [Person]; var waiting: [Waiting]; var noLinks: Bool }

    /// Visits shown per person: the coming ones first, then the latest done.
    static let visitsShown = 3

    static func page(_ req: Request, _ actor: Actor) async throws -> Page {
        let l = req.locale
        let links = try await FamilyAccess.links(of: actor, on: req.db)
        var people: [Person] = []
        for link in links where link.status == FamilyLink.Status.confirmed.rawValue {
            let (elder, confirmed) = try await FamilyAccess.linkedElder(req, link.elderID)
            let view = try await PortalAPI.view(elder, link: confirmed, req: req)
            let orders = try await ServiceAccess.familyOrders(elder, on: req.db).filter { $0.orderStatus != .cancelled }
            let coming = orders.filter { !$0.orderStatus.visitDone }.sorted { $0.windowStart < $1.windowStart }
            let done = orders.filter(\.orderStatus.visitDone)
            let shown = Array((coming + done).prefix(visitsShown))
            let carers = try await ServiceAccess.caregivers(of: shown, on: req.db)
            people.append(Person(
                elderId: elder.id!.uuidString, name: elder.name, relation: confirmed.relation, month: view.month,
                benefits: view.benefits.map {
                    Benefit(name: $0.name, plain: $0.plain, entitled: $0.entitled, inProgress: $0.openApplication)
                },
                receiving: view.receiving.map {
                    "\($0.name)：\(Fen.display($0.amountFen)) \(UIStrings.text("home_yuan_month", l))"
                },
                visits: shown.map { o in
                    Visit(service: o.serviceName, time: HomeServicePages.time(o), status: o.orderStatus.name.text(l),
                          caregiver: o.caregiverID.flatMap { carers[$0]?.name })
                }))
        }
        let statusNames = ["pending": UIStrings.text("my_pending", l), "rejected": UIStrings.text("my_rejected", l)]
        let waiting = links.filter { $0.status != FamilyLink.Status.confirmed.rawValue }.map {
            Waiting(relation: $0.relation, status: statusNames[$0.status] ?? $0.status)
        }
        return Page(people: people, waiting: waiting, noLinks: links.isEmpty)
    }
}
