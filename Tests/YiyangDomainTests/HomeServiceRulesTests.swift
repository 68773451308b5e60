import Foundation
import Testing
@testable import YiyangDomain

@Suite("Home service rules")
struct HomeServiceRulesTests {
    static func facts(born: String, categories: Set<String> = [], status: String = "ordinary") -> PersonFacts {
        PersonFacts(birthDate: CalendarDate(born)!, residenceRegion: "130102001001", categories: categories, economicStatus: status)
    }
    static let day = CalendarDate("2026-11-23")!

    @Test("price tiers: economic status, categories and age thresholds; the lowest price of the person's tiers wins")
    func tiers() {
        let tiers = PriceTiers.of(Self.facts(born: "1940-01-01", categories: ["living_alone"], status: "minimum_living"), on: Self.day)
        #expect(tiers.isSuperset(of: ["minimum_living", "living_alone", "age_60", "age_80", "age_85"]))
        #expect(!tiers.contains("age_90"))
        let prices = ["minimum_living": 2000, "age_80": 4000, "extreme_poverty": 0]
        #expect(PriceTiers.price(listFen: 6000, tierPrices: prices, personTiers: tiers) == (2000, "minimum_living"))
        #expect(PriceTiers.price(listFen: 6000, tierPrices: prices, personTiers: PriceTiers.of(Self.facts(born: "1960-05-05"), on: Self.day)) == (6000, nil))
        // A tier price above the list price never raises it.
        #expect(PriceTiers.price(listFen: 1000, tierPrices: ["age_60": 3000], personTiers: ["age_60"]) == (1000, nil))
        #expect(PriceTiers.issues(["age 80": 100, "ok": 9000], listFen: 6000).map(\.rule) == ["menu.tier", "menu.tier_price"])
    }

    @Test("caregiver blocks: overlapping windows share a block, back-to-back ones do not")
    func blocks() {
        let nine = Date(timeIntervalSince1970: TimeInterval(1_790_000_100 - 1_790_000_100 % 900))
        let a = Set(CaregiverBlocks.blocks(start: nine, end: nine.addingTimeInterval(3600)))
        let b = Set(CaregiverBlocks.blocks(start: nine.addingTimeInterval(3600), end: nine.addingTimeInterval(7200)))
        let c = Set(CaregiverBlocks.blocks(start: nine.addingTimeInterval(1800), end: nine.addingTimeInterval(5400)))
        #expect(a.count == 12 && a.isDisjoint(with: b) && !a.isDisjoint(with: c))
        // A window inside one block still books it.
        #expect(CaregiverBlocks.blocks(start: nine.addingTimeInterval(60), end: nine.addingTimeInterval(120)).count == 1)
    }

    @Test("caregiver blocks of five minutes: 13:00–13:50 and 13:55–14:30 are apart; a travel gap longer than the pause joins them")
    func fiveMinuteBlocks() {
        let one = Date(timeIntervalSince1970: TimeInterval(1_790_000_100 - 1_790_000_100 % 3600))
        func at(_ minutes: Int) -> Date { one.addingTimeInterval(Double(minutes * 60)) }
        func apart(gap: Int) -> Bool {
            Set(CaregiverBlocks.blocks(start: at(0), end: at(50), gapMinutes: gap))
                .isDisjoint(with: CaregiverBlocks.blocks(start: at(55), end: at(90), gapMinutes: gap))
        }
        #expect(apart(gap: 0) && apart(gap: 5))
        #expect(!apart(gap: 6) && !apart(gap: 10))
        // The real times round outwards: 13:02–13:48 holds 13:00–13:50.
        #expect(CaregiverBlocks.blocks(start: at(2), end: at(48)) == CaregiverBlocks.blocks(start: at(0), end: at(50)))
        // The gap is held after the visit whichever comes first, so the earlier one's gap is what parts them.
        let gapped = Set(CaregiverBlocks.blocks(start: at(55), end: at(90), gapMinutes: 10))
        #expect(!gapped.isDisjoint(with: CaregiverBlocks.blocks(start: at(95), end: at(120))))
        // The quarter hours of databases before the upgrade, for the migration's way back.
        #expect(CaregiverBlocks.blocks(start: at(0), end: at(50), blockMinutes: 15).count == 4)
    }

    @Test("return visits: a share rounded up, at least one, never more than there are; weeks start on Monday")
    func returnVisits() {
        #expect(ReturnVisitSample.size(of: 0, percent: 10) == 0)
        #expect(ReturnVisitSample.size(of: 3, percent: 10) == 1)
        #expect(ReturnVisitSample.size(of: 95, percent: 10) == 10)
        #expect(ReturnVisitSample.size(of: 5, percent: 0) == 0)
        #expect(ReturnVisitSample.size(of: 5, percent: 100) == 5)
        var rng = SystemRandomNumberGenerator()
        let drawn = ReturnVisitSample.draw(Array(0..<50), percent: 20, using: &rng)
        #expect(drawn.count == 10 && Set(drawn).count == 10)
        #expect(ReturnVisitSample.weekStart(of: CalendarDate("2026-11-23")!) == CalendarDate("2026-11-23")!) // a Monday
        #expect(ReturnVisitSample.weekStart(of: CalendarDate("2026-11-29")!) == CalendarDate("2026-11-23")!) // its Sunday
        #expect(ReturnVisitSample.weekStart(of: CalendarDate("2026-11-22")!) == CalendarDate("2026-11-16")!)
    }

    @Test("meal subsidy: per meal, capped by the price, limited per day")
    func meals() {
        let first = MealSubsidy.split(priceFen: 1200, subsidyPerMealFen: 500, perDay: 1, subsidisedToday: 0)
        #expect(first.subsidyFen == 500 && first.selfPayFen == 700)
        let second = MealSubsidy.split(priceFen: 1200, subsidyPerMealFen: 500, perDay: 1, subsidisedToday: 1)
        #expect(second.subsidyFen == 0 && second.note.zh.contains("每天最多 1 餐"))
        #expect(MealSubsidy.split(priceFen: 300, subsidyPerMealFen: 500, perDay: nil, subsidisedToday: 9).subsidyFen == 300)
        #expect(MealSubsidy.split(priceFen: 1200, subsidyPerMealFen: nil, perDay: 1, subsidisedToday: 0).selfPayFen == 1200)
    }

    @Test("statement totals: held and refused lines are never charged")
    func totals() {
        var t = SettlementTotals()
        t.add(.settled, listFen: 6000, bureauFen: 4000, balanceFen: 2000, selfPayFen: 0)
        t.add(.held, listFen: 6000, bureauFen: 4000, balanceFen: 2000, selfPayFen: 0)
        t.add(.refused, listFen: 4000, bureauFen: 1000, balanceFen: 0, selfPayFen: 3000)
        #expect(t.chargedToBureauFen == 6000 && t.heldFen == 6000 && t.refusedFen == 4000 && t.settledCount == 1)
    }

    @Test("settings name the field that is wrong")
    func settings() {
        #expect(HomeServiceSettings.defaults.issues().isEmpty)
        var s = HomeServiceSettings.defaults
        s.visitRules.toleranceMeters = 5; s.returnVisitPercent = 150
        #expect(s.issues().map(\.field) == ["toleranceMeters", "returnVisitPercent"])
        var gap = HomeServiceSettings.defaults
        gap.travelGapMinutes = 121
        #expect(gap.issues().map(\.field) == ["travelGapMinutes"])
    }

    @Test("settings saved before the travel gap existed read with no gap; the gap travels with the version")
    func settingsWithoutGap() throws {
        #expect(HomeServiceSettings.defaults.travelGapMinutes == 0)
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(HomeServiceSettings(maxWindowHours: 6))) as! [String: Any]
        old.removeValue(forKey: "travelGapMinutes")
        let read = try JSONDecoder().decode(HomeServiceSettings.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(read.maxWindowHours == 6 && read.travelGapMinutes == 0)
        let withGap = HomeServiceSettings(travelGapMinutes: 10)
        #expect(try JSONDecoder().decode(HomeServiceSettings.self, from: JSONEncoder().encode(withGap)) == withGap)
    }

    @Test("an order can be cancelled only before the visit starts")
    func statuses() {
        #expect(ServiceOrderStatus.allCases.filter(\.cancellable) == [.placed, .accepted, .assigned])
        #expect(ServiceOrderStatus.allCases.filter(\.visitDone) == [.checkedOut, .confirmed, .settled])
    }
}
