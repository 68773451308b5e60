import Fluent
import Vapor
import YiyangDomain

/// The basic elderly service list (基本养老服务清单) of a region: every benefit in force there,
/// for whom, what, to what standard, paid by whom, on what basis. Generated from the
/// policies, public, printable.
struct ServiceListPage: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("service-list", use: page)
    }

    struct Item: Encodable { var name: String; var forWhom: String; var what: String; var standard: String; var payer: String; var basis: String; var from: String }
    struct Choice: Encodable { var code: String; var name: String; var selected: Bool }
    struct Page: Encodable { var regionName: String; var regionCode: String; var month: String; var items: [Item]; var regions: [Choice]; var empty: Bool }

    @Sendable func page(req: Request) async throws -> Response {
        let l = req.locale
        let month = Month.current()
        // Public data: the region names a resident chooses from (cities and counties).
        let regions = try await Region.query(on: req.db).filter(\.$level ~~ [RegionLevel.city.rawValue, RegionLevel.county.rawValue])
            .sort(\.$id).limit(500).all()
        let asked = req.query[String.self, at: "region"].flatMap(RegionCode.init)
        let region = asked ?? regions.first.flatMap { RegionCode($0.id ?? "") }
        var items: [Item] = []
        var regionName = ""
        if let region {
            regionName = try await Region.find(region.value, on: req.db)?.name ?? region.value
            let all = try await BenefitPolicyRow.all(on: req.db)
            let names = try await BenefitFacts.names(on: req.db)
            let inForce = Set(all.map(\.benefitType)).sorted().compactMap { EntitlementRules.policy(for: $0, region: region.value, month: month, among: all) }
            items = inForce.map { p in
                Item(name: BenefitType.name(p.benefitType).text(l), forWhom: p.plainEligibility(names: names).text(l), what: p.summary,
                     standard: p.plainAmount().text(l), payer: p.payer, basis: p.basis, from: p.effectiveFrom.description)
            }
        }
        return try await WebPage.render("service-list", title: UIStrings.text("sl_title", l) + (regionName.isEmpty ? "" : " · " + regionName), Page(
            regionName: regionName, regionCode: region?.value ?? "", month: month.description, items: items,
            regions: regions.map { Choice(code: $0.id ?? "", name: $0.name, selected: $0.id == region?.value) }, empty: items.isEmpty), req: req)
    }
}
