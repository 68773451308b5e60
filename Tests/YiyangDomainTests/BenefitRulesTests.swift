import Foundation
import Testing
@testable import YiyangDomain

@Suite("Benefit rules")
struct BenefitRulesTests {
    // MARK: - Helpers

    static let city = "130100000000"
    static let county = "130102000000"
    static let villageInCounty = "130102001001"
    static let villageElsewhere = "130104001001"
    static let december = Month("2026-12")!
    static let gbt = "gbt42195-2022"

    static func month(_ text: String) -> Month { Month(text)! }
    static func date(_ y: Int, _ m: Int, _ d: Int) -> CalendarDate { CalendarDate(year: y, month: m, day: d)! }

    static var examples: [BenefitPolicy] { ExamplePolicies.jiangxiStyle(region: city, from: month("2026-01")) }
    static func example(_ type: String) -> BenefitPolicy { examples.first { $0.benefitType == type }! }

    static let names = CodeNames([
        "minimum_living": .init(zh: "低保", en: "Minimum living allowance"),
        "ordinary": .init(zh: "一般", en: "Ordinary"),
    ])

    /// A flat-amount policy, to tell apart which policy a lookup picks by its amount.
    static func flat(_ type: String = "age_allowance", region: String, version: Int = 1, from: String = "2026-01", to: String? = nil,
                     fen: Int, eligibility: EligibilityRule = EligibilityRule()) -> BenefitPolicy {
        BenefitPolicy(benefitType: type, version: version, regionCode: region, effectiveFrom: month(from), effectiveTo: to.map(month),
                      eligibility: eligibility, amount: AmountRule(flatFen: fen), payer: "县级财政", summary: "测试", basis: "测试")
    }

    static func assessment(level: Int, instrument: String = gbt, validUntil: CalendarDate = date(2027, 6, 30)) -> PersonFacts.Assessment {
        let levelNames = [0: "能力完好", 1: "轻度失能", 2: "中度失能", 3: "重度失能", 4: "完全失能"]
        return .init(instrument: instrument, level: level, levelName: levelNames[level] ?? "等级 \(level)", validUntil: validUntil)
    }

    /// 76 years old in 2026-12, living in a village of county 130102.
    static func person(born: CalendarDate = date(1950, 5, 20), region: String = villageInCounty, living: Bool = true,
                       economicStatus: String = "minimum_living", inInstitution: Bool = false,
                       assessment: PersonFacts.Assessment? = nil, receiving: Set<String> = []) -> PersonFacts {
        PersonFacts(birthDate: born, residenceRegion: region, living: living, economicStatus: economicStatus,
                    inInstitution: inInstitution, assessment: assessment, receiving: receiving)
    }

    static func failing(_ d: BenefitDecision) -> [String] { d.checks.filter { !$0.held }.map(\.code) }

    // MARK: - Month and Fen

    @Test("months parse from YYYY-MM and YYYY-M and nothing else")
    func monthParsing() throws {
        let dec = try #require(Month("2026-12"))
        #expect(dec.year == 2026 && dec.month == 12)
        let jan = try #require(Month("2026-1"))
        #expect(jan == Month(year: 2026, month: 1))
        #expect(jan.description == "2026-01")
        #expect(Month(" 2026-03 ") == Month(year: 2026, month: 3))
        #expect(Month("2026-13") == nil)
        #expect(Month("2026-0") == nil)
        #expect(Month("26-01") == nil)
        #expect(Month("2026/01") == nil)
        #expect(Month("2026") == nil)
        #expect(Month("") == nil)
        #expect(Month("2026-001") == nil)
        #expect(Month(year: 2026, month: 0) == nil)
        #expect(Month(year: 1799, month: 12) == nil, "months span the years of CalendarDate, 1800–2200")
        #expect(Month(CalendarDate(year: 2026, month: 12, day: 15)!) == dec)
    }

    @Test("months parse only with a single hyphen between digits")
    func monthStrayHyphens() {
        // Found by this test: empty parts and a leading "+" used to be accepted.
        #expect(Month("2026--01") == nil)
        #expect(Month("-2026-01") == nil)
        #expect(Month("2026-01-") == nil)
        #expect(Month("2026-+1") == nil)
    }

    @Test("adding months crosses years both ways")
    func monthArithmetic() {
        let dec = Self.month("2026-12"), jan = Self.month("2027-01")
        #expect(dec.adding(1) == jan)
        #expect(jan.adding(-1) == dec)
        #expect(dec.next == jan)
        #expect(jan.previous == dec)
        #expect(dec.adding(0) == dec)
        #expect(dec.adding(25) == Self.month("2029-01"))
        #expect(dec.adding(-12) == Self.month("2025-12"))
        #expect(jan.adding(-13) == Self.month("2025-12"))
        #expect(Self.month("2026-11") < dec && dec < jan)
        #expect([jan, dec, Self.month("2026-02")].sorted() == [Self.month("2026-02"), dec, jan])
    }

    @Test("first and last days, February of leap and common years")
    func monthDays() {
        #expect(Self.month("2026-12").firstDay == Self.date(2026, 12, 1))
        #expect(Self.month("2026-12").lastDay == Self.date(2026, 12, 31))
        #expect(Self.month("2026-11").lastDay == Self.date(2026, 11, 30))
        #expect(Self.month("2028-02").lastDay == Self.date(2028, 2, 29))
        #expect(Self.month("2028-02").lastDay.description == "2028-02-29")
        #expect(Self.month("2027-02").lastDay == Self.date(2027, 2, 28))
        #expect(Self.month("2100-02").lastDay == Self.date(2100, 2, 28), "a century that is not a leap year")
        #expect(Self.month("2000-02").lastDay == Self.date(2000, 2, 29), "every 400 years is a leap year")
    }

    @Test("through lists the months, both ends included")
    func monthThrough() {
        let months = Self.month("2026-11").through(Self.month("2027-02"))
        #expect(months.map(\.description) == ["2026-11", "2026-12", "2027-01", "2027-02"])
        #expect(Self.month("2026-12").through(Self.month("2026-12")) == [Self.month("2026-12")])
        #expect(Self.month("2027-01").through(Self.month("2026-12")).isEmpty)
    }

    @Test("a month is the string YYYY-MM in JSON")
    func monthJSON() throws {
        let data = try JSONEncoder().encode(["m": Self.month("2026-12")])
        #expect(String(decoding: data, as: UTF8.self) == #"{"m":"2026-12"}"#)
        let back = try JSONDecoder().decode([String: Month].self, from: data)
        #expect(back["m"] == Self.month("2026-12"))
        let short = try JSONDecoder().decode([Month].self, from: Data(#"["2027-1"]"#.utf8))
        #expect(short == [Self.month("2027-01")])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Month].self, from: Data(#"["2026-13"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Month].self, from: Data(#"["2026/12"]"#.utf8)) }
    }

    @Test("a month made from a date stays within the range months accept")
    func monthFromEarlyDate() throws {
        // CalendarDate allows 1800...2200, Month(year:month:) only 1900...2200, but
        // Month(CalendarDate) copies the year unchecked: such a month cannot be decoded back
        // (and `adding`/`next` on it force-unwrap nil and crash).
        let early = Month(CalendarDate(year: 1850, month: 3, day: 1)!)
        let data = try JSONEncoder().encode([early])
        #expect(String(decoding: data, as: UTF8.self) == #"["1850-03"]"#)
        let back = try? JSONDecoder().decode([Month].self, from: data)
        #expect(back == [early])
        #expect(Month("2200-12")!.next == Month("2200-12")!, "the calendar's end does not trap")
    }

    @Test("fen are shown in yuan with two decimals")
    func fenToYuan() {
        #expect(Fen.yuan(12345) == "123.45")
        #expect(Fen.yuan(5) == "0.05")
        #expect(Fen.yuan(-150) == "-1.50")
        #expect(Fen.yuan(0) == "0.00")
        #expect(Fen.yuan(5000) == "50.00")
        #expect(Fen.yuan(100_000) == "1000.00")
        #expect(Fen.yuan(-5) == "-0.05")
    }

    // MARK: - Age

    @Test("the age is taken on the last day of the month")
    func ageOnLastDay() throws {
        let facts = Self.person(born: Self.date(1946, 12, 31), region: Self.villageInCounty)
        #expect(facts.age(in: Self.month("2026-12")) == 80)
        #expect(facts.age(in: Self.month("2026-11")) == 79)

        let dec = EntitlementRules.evaluate(facts, month: Self.month("2026-12"), policies: Self.examples)
        let decAge = try #require(dec.first { $0.benefitType == "age_allowance" })
        #expect(decAge.entitled)
        #expect(decAge.amountFen == 5000)
        #expect(decAge.policyRegion == Self.city)

        let nov = EntitlementRules.evaluate(facts, month: Self.month("2026-11"), policies: Self.examples)
        let novAge = try #require(nov.first { $0.benefitType == "age_allowance" })
        #expect(!novAge.entitled)
        #expect(novAge.amountFen == nil)
        #expect(Self.failing(novAge) == ["min_age"])
    }

    @Test("age allowance amounts by band", arguments: [
        (CalendarDate(year: 1946, month: 12, day: 31)!, 80, 5000),
        (CalendarDate(year: 1937, month: 1, day: 1)!, 89, 5000),
        (CalendarDate(year: 1936, month: 12, day: 1)!, 90, 10000),
        (CalendarDate(year: 1927, month: 6, day: 1)!, 99, 10000),
        (CalendarDate(year: 1926, month: 12, day: 31)!, 100, 100_000),
        (CalendarDate(year: 1920, month: 3, day: 3)!, 106, 100_000),
    ])
    func ageBands(born: CalendarDate, age: Int, fen: Int) {
        let facts = Self.person(born: born)
        #expect(facts.age(in: Self.december) == age)
        let d = EntitlementRules.decide(facts, month: Self.december, policy: Self.example("age_allowance"))
        #expect(d.entitled)
        #expect(d.amountFen == fen)
        #expect(d.paymentForm == .cash)
    }

    // MARK: - Which policy applies

    @Test("the nearest region's policy applies, and only below it")
    func regionPrecedence() throws {
        let cityPolicy = Self.flat(region: Self.city, fen: 5000)
        let countyPolicy = Self.flat(region: Self.county, fen: 8000)
        let policies = [cityPolicy, countyPolicy]

        let inCounty = EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.december, among: policies)
        #expect(inCounty?.id == countyPolicy.id)
        let elsewhere = EntitlementRules.policy(for: "age_allowance", region: Self.villageElsewhere, month: Self.december, among: policies)
        #expect(elsewhere?.id == cityPolicy.id)
        // The county's own code is covered by the county policy too.
        #expect(EntitlementRules.policy(for: "age_allowance", region: Self.county, month: Self.december, among: policies)?.id == countyPolicy.id)
        // The order of the list does not matter.
        #expect(EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.december, among: policies.reversed())?.id == countyPolicy.id)
        // Another benefit type is not matched.
        #expect(EntitlementRules.policy(for: "meal_subsidy", region: Self.villageInCounty, month: Self.december, among: policies) == nil)

        let facts = Self.person(born: Self.date(1940, 1, 1))
        let decisions = EntitlementRules.evaluate(facts, month: Self.december, policies: policies)
        #expect(decisions.count == 1)
        #expect(decisions.first?.amountFen == 8000)
        #expect(decisions.first?.policyRegion == Self.county)
        let other = EntitlementRules.evaluate(Self.person(born: Self.date(1940, 1, 1), region: Self.villageElsewhere), month: Self.december, policies: policies)
        #expect(other.map(\.amountFen) == [5000])
        #expect(other.map(\.policyRegion) == [Self.city])
    }

    @Test("the newest version of a region wins, even over an older one listed later")
    func newerVersionWins() throws {
        let v1 = Self.flat(region: Self.city, version: 1, fen: 5000)
        let v2 = Self.flat(region: Self.city, version: 2, from: "2026-06", fen: 6000)
        for list in [[v1, v2], [v2, v1]] {
            let d = try #require(EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.december, among: list))
            #expect(d.id == v2.id)
            #expect(d.version == 2)
        }
        // Before v2 is in force, v1 applies.
        let may = EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.month("2026-05"), among: [v1, v2])
        #expect(may?.id == v1.id)
        let decision = try #require(EntitlementRules.evaluate(Self.person(born: Self.date(1940, 1, 1)), month: Self.december, policies: [v1, v2]).first)
        #expect(decision.policyVersion == 2)
        #expect(decision.policyID == v2.id)
        #expect(decision.amountFen == 6000)
    }

    @Test("policies not yet in force or expired are ignored")
    func inForceOnly() {
        let cityPolicy = Self.flat(region: Self.city, fen: 5000)
        let futureCounty = Self.flat(region: Self.county, from: "2027-01", fen: 8000)
        let expiredCounty = Self.flat(region: Self.county, version: 3, from: "2025-01", to: "2026-11", fen: 9000)
        let policies = [cityPolicy, futureCounty, expiredCounty]
        #expect(EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.december, among: policies)?.id == cityPolicy.id)
        #expect(EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.month("2027-01"), among: policies)?.id == futureCounty.id)
        #expect(EntitlementRules.policy(for: "age_allowance", region: Self.villageInCounty, month: Self.month("2026-11"), among: policies)?.id == expiredCounty.id, "the last month of a policy is still in force")

        #expect(expiredCounty.inForce(Self.month("2025-01")))
        #expect(expiredCounty.inForce(Self.month("2026-11")))
        #expect(!expiredCounty.inForce(Self.month("2026-12")))
        #expect(!expiredCounty.inForce(Self.month("2024-12")))
        #expect(!futureCounty.inForce(Self.december))
        #expect(futureCounty.inForce(Self.month("2040-01")))

        // Nothing in force at all: no decision.
        let none = EntitlementRules.evaluate(Self.person(born: Self.date(1940, 1, 1)), month: Self.december, policies: [futureCounty, expiredCounty])
        #expect(none.isEmpty)
    }

    @Test("someone outside every policy region gets no decision")
    func outsideEveryRegion() {
        let facts = Self.person(born: Self.date(1930, 1, 1), region: "440103001001", assessment: Self.assessment(level: 3))
        #expect(EntitlementRules.evaluate(facts, month: Self.december, policies: Self.examples).isEmpty)
        let bad = Self.person(born: Self.date(1930, 1, 1), region: "13010")
        #expect(EntitlementRules.evaluate(bad, month: Self.december, policies: Self.examples).isEmpty)
        #expect(EntitlementRules.evaluate(Self.person(), month: Self.december, policies: []).isEmpty)
    }

    @Test("evaluate decides every benefit type once, in code order")
    func evaluateAllTypes() {
        let facts = Self.person(born: Self.date(1940, 1, 1), assessment: Self.assessment(level: 3))
        let decisions = EntitlementRules.evaluate(facts, month: Self.december, policies: Self.examples + [Self.flat(region: Self.county, fen: 8000)])
        #expect(decisions.map(\.benefitType) == ["age_allowance", "care_subsidy", "meal_subsidy", "service_subsidy"])
        #expect(decisions.map(\.entitled) == [true, true, true, true])
        #expect(decisions.map(\.amountFen) == [8000, 10000, 500, 5000])
        #expect(decisions.map(\.policyRegion) == [Self.county, Self.city, Self.city, Self.city])
        // The meal subsidy is per meal, with its daily limit, in the plain summary.
        #expect(decisions[2].plainSummary.zh.contains("每餐补贴 5.00 元，每天最多 1 餐"))
    }

    // MARK: - Care subsidy

    @Test("care subsidy by assessment level and economic status")
    func careSubsidy() {
        let policy = Self.example("care_subsidy")
        let ok = EntitlementRules.decide(Self.person(assessment: Self.assessment(level: 3)), month: Self.december, policy: policy)
        #expect(ok.entitled)
        #expect(ok.amountFen == 10000)
        #expect(ok.paymentForm == .cash)
        #expect(ok.checks.map(\.code) == ["living", "min_age", "economic_status", "assessment"])
        #expect(ok.checks.allSatisfy { $0.held })
        #expect(ok.policyID == policy.id)

        for (level, fen) in [(2, 5000), (4, 15000)] {
            let d = EntitlementRules.decide(Self.person(assessment: Self.assessment(level: level)), month: Self.december, policy: policy)
            #expect(d.entitled)
            #expect(d.amountFen == fen)
        }

        let mild = EntitlementRules.decide(Self.person(assessment: Self.assessment(level: 1)), month: Self.december, policy: policy)
        #expect(!mild.entitled)
        #expect(mild.amountFen == nil)
        #expect(Self.failing(mild) == ["assessment"])
        #expect(mild.checks.first { $0.code == "assessment" }?.plain.zh.contains("轻度失能") == true)

        let expired = EntitlementRules.decide(Self.person(assessment: Self.assessment(level: 3, validUntil: Self.date(2026, 11, 30))),
                                              month: Self.december, policy: policy)
        #expect(!expired.entitled)
        #expect(expired.amountFen == nil)
        #expect(Self.failing(expired) == ["assessment"])

        let otherInstrument = EntitlementRules.decide(Self.person(assessment: Self.assessment(level: 3, instrument: "barthel")),
                                                      month: Self.december, policy: policy)
        #expect(!otherInstrument.entitled)
        #expect(Self.failing(otherInstrument) == ["assessment"])

        let none = EntitlementRules.decide(Self.person(assessment: nil), month: Self.december, policy: policy)
        #expect(!none.entitled)
        #expect(Self.failing(none) == ["assessment"])

        let ordinary = EntitlementRules.decide(Self.person(economicStatus: "ordinary", assessment: Self.assessment(level: 3)),
                                               month: Self.december, policy: policy)
        #expect(!ordinary.entitled)
        #expect(ordinary.amountFen == nil)
        #expect(Self.failing(ordinary) == ["economic_status"])

        let young = EntitlementRules.decide(Self.person(born: Self.date(1970, 1, 1), assessment: Self.assessment(level: 3)),
                                            month: Self.december, policy: policy)
        #expect(Self.failing(young) == ["min_age"])
    }

    // MARK: - Service subsidy

    @Test("the service subsidy is a service balance, not while in an institution")
    func serviceSubsidy() {
        let policy = Self.example("service_subsidy")
        #expect(policy.paymentForm == .serviceBalance)
        let home = EntitlementRules.decide(Self.person(), month: Self.december, policy: policy)
        #expect(home.entitled)
        #expect(home.amountFen == 5000)
        #expect(home.paymentForm == .serviceBalance)
        #expect(home.plainSummary.zh.contains("50.00"))
        #expect(home.plainSummary.zh.contains("服务额度"))

        let inside = EntitlementRules.decide(Self.person(inInstitution: true), month: Self.december, policy: policy)
        #expect(!inside.entitled)
        #expect(inside.amountFen == nil)
        #expect(inside.paymentForm == .serviceBalance)
        #expect(Self.failing(inside) == ["not_in_institution"])
    }

    // MARK: - Exclusions

    @Test("a benefit excluded by one the person receives is refused")
    func notWhileReceiving() {
        let policy = Self.flat("meal_subsidy", region: Self.city, fen: 3000, eligibility: EligibilityRule(notWhileReceiving: ["care_subsidy"]))
        let receiving = EntitlementRules.decide(Self.person(receiving: ["care_subsidy", "age_allowance"]), month: Self.december, policy: policy)
        #expect(!receiving.entitled)
        #expect(receiving.amountFen == nil)
        #expect(Self.failing(receiving) == ["not_while_receiving"])
        #expect(receiving.checks.first { $0.code == "not_while_receiving" }?.plain.zh.contains("护理补贴") == true)

        let free = EntitlementRules.decide(Self.person(receiving: ["age_allowance"]), month: Self.december, policy: policy)
        #expect(free.entitled)
        #expect(free.amountFen == 3000)
    }

    @Test("a person not living is never entitled")
    func notLiving() {
        let alive = Self.person(born: Self.date(1930, 1, 1), assessment: Self.assessment(level: 3))
        var dead = alive
        dead.living = false
        let policies = Self.examples + [Self.flat("meal_subsidy", region: Self.county, fen: 3000)]

        let aliveDecisions = EntitlementRules.evaluate(alive, month: Self.december, policies: policies)
        #expect(aliveDecisions.count == 4)
        #expect(aliveDecisions.allSatisfy { $0.entitled })

        let deadDecisions = EntitlementRules.evaluate(dead, month: Self.december, policies: policies)
        #expect(deadDecisions.count == 4)
        for d in deadDecisions {
            #expect(!d.entitled, "\(d.benefitType)")
            #expect(d.amountFen == nil)
            #expect(Self.failing(d) == ["living"])
        }
    }

    // MARK: - Explanations

    /// A spread of decisions, entitled and not, of every kind of check.
    static func sampleDecisions(names: CodeNames) -> [BenefitDecision] {
        let mealPolicy = Self.flat("lunch_voucher", region: Self.city, fen: 3000, eligibility: EligibilityRule(
            minAge: 60, maxAge: 90, categoriesAny: ["empty_nest", "living_alone"], notWhileReceiving: ["care_subsidy"], notInInstitution: true))
        let policies = Self.examples + [mealPolicy]
        let people: [PersonFacts] = [
            Self.person(born: Self.date(1946, 12, 31)),
            Self.person(born: Self.date(1946, 12, 31), economicStatus: "ordinary"),
            Self.person(born: Self.date(1930, 1, 1), assessment: Self.assessment(level: 3)),
            Self.person(born: Self.date(1930, 1, 1), assessment: Self.assessment(level: 1)),
            Self.person(born: Self.date(1930, 1, 1), assessment: Self.assessment(level: 3, validUntil: Self.date(2026, 1, 1))),
            Self.person(born: Self.date(1950, 1, 1), economicStatus: "ordinary", inInstitution: true, receiving: ["care_subsidy"]),
            Self.person(born: Self.date(1970, 1, 1)),
            PersonFacts(birthDate: Self.date(1940, 1, 1), residenceRegion: Self.villageInCounty, categories: ["living_alone"], economicStatus: "minimum_living"),
            Self.person(born: Self.date(1940, 1, 1), living: false),
        ]
        return people.flatMap { EntitlementRules.evaluate($0, month: Self.december, policies: policies, names: names) }
    }

    @Test("every check is explained for staff in both languages, and a failing one in plain words")
    func explanations() {
        let decisions = Self.sampleDecisions(names: Self.names)
        #expect(decisions.count == 45)
        #expect(decisions.contains { $0.entitled })
        #expect(decisions.contains { !$0.entitled })
        let codes = Set(decisions.flatMap(\.checks).map(\.code))
        #expect(codes == ["living", "min_age", "max_age", "category", "economic_status", "assessment", "not_while_receiving", "not_in_institution"])
        for d in decisions {
            #expect(!d.checks.isEmpty)
            #expect(!d.plainSummary.zh.isEmpty && !d.plainSummary.en.isEmpty)
            for c in d.checks {
                #expect(!c.staff.zh.isEmpty, "\(d.benefitType) \(c.code)")
                #expect(!c.staff.en.isEmpty, "\(d.benefitType) \(c.code)")
                if !c.held {
                    #expect(!c.plain.zh.isEmpty, "\(d.benefitType) \(c.code)")
                    #expect(!c.plain.en.isEmpty, "\(d.benefitType) \(c.code)")
                    #expect(d.plainSummary.zh.contains(c.plain.zh), "\(d.benefitType) \(c.code)")
                    #expect(d.plainSummary.en.contains(c.plain.en), "\(d.benefitType) \(c.code)")
                }
            }
            if d.entitled {
                let yuan = Fen.yuan(d.amountFen ?? -1)
                #expect(d.plainSummary.zh.contains(yuan))
                #expect(d.plainSummary.en.contains(yuan))
            } else {
                #expect(d.amountFen == nil)
                #expect(d.plainSummary.zh.hasPrefix("暂不符合"))
            }
        }
    }

    @Test("plain summaries give the amount or the reason")
    func summaries() throws {
        let entitled = EntitlementRules.decide(Self.person(born: Self.date(1946, 12, 31)), month: Self.december, policy: Self.example("age_allowance"))
        #expect(entitled.entitled)
        #expect(entitled.plainSummary.zh == "符合高龄津贴的条件，每月 50.00 元。")
        #expect(entitled.plainSummary.en.contains("50.00"))

        let refused = EntitlementRules.decide(Self.person(born: Self.date(1946, 12, 31)), month: Self.month("2026-11"), policy: Self.example("age_allowance"))
        #expect(!refused.entitled)
        let failing = try #require(refused.checks.first { !$0.held })
        #expect(failing.code == "min_age")
        #expect(failing.plain.zh == "需年满 80 周岁，2026 年 11 月为 79 岁。")
        #expect(refused.plainSummary.zh.contains(failing.plain.zh))
        #expect(refused.plainSummary.zh.hasPrefix("暂不符合高龄津贴的条件"))
        #expect(!refused.plainSummary.zh.contains("50.00"))
    }

    @Test("with code names, Chinese texts show names, not codes")
    func codeNames() throws {
        for d in Self.sampleDecisions(names: Self.names) {
            let texts = [d.plainSummary.zh] + d.checks.flatMap { [$0.plain.zh, $0.staff.zh] }
            for text in texts {
                #expect(!text.contains("minimum_living"), "\(text)")
                #expect(!text.contains("ordinary"), "\(text)")
            }
            let englishTexts = [d.plainSummary.en] + d.checks.map(\.plain.en)
            for text in englishTexts { #expect(!text.contains("minimum_living"), "\(text)") }
        }

        let policy = Self.example("service_subsidy")
        let ordinary = EntitlementRules.decide(Self.person(economicStatus: "ordinary"), month: Self.december, policy: policy, names: Self.names)
        let check = try #require(ordinary.checks.first { $0.code == "economic_status" })
        #expect(!check.held)
        #expect(check.plain.zh.contains("低保"))
        #expect(check.plain.zh.contains("一般"))
        #expect(check.staff.zh.contains("低保"))
        #expect(check.plain.en.contains("Minimum living allowance"))

        let poor = EntitlementRules.decide(Self.person(), month: Self.december, policy: policy, names: Self.names)
        #expect(poor.checks.first { $0.code == "economic_status" }?.plain.zh == "经济状况为低保，符合条件。")

        // Without names a code shows as itself.
        let unnamed = EntitlementRules.decide(Self.person(), month: Self.december, policy: policy)
        #expect(unnamed.checks.first { $0.code == "economic_status" }?.plain.zh.contains("minimum_living") == true)
        #expect(CodeNames().zh("x_y") == "x_y")
        #expect(Self.names.en("ordinary") == "Ordinary")
    }

    // MARK: - Policy validation

    static func valid() -> BenefitPolicy { Self.flat(region: Self.county, fen: 5000) }

    @Test("a valid policy and the example policies have no issues")
    func validPolicies() {
        #expect(Self.valid().issues().isEmpty)
        #expect(Self.examples.count == 6)
        #expect(Self.examples.filter(\.isPerUse).map(\.benefitType) == ["meal_subsidy"])
        #expect(Self.examples.filter(\.isForInstitutions).map(\.benefitType) == ["institution_operating_subsidy", "bed_construction_subsidy"])
        for p in Self.examples { #expect(p.issues().isEmpty, "\(p.benefitType)") }
        for p in ExamplePolicies.jiangxiStyle(region: "360000000000", from: Self.month("2027-01")) { #expect(p.issues().isEmpty) }
    }

    static var operating: BenefitPolicy { examples.first { $0.benefitType == "institution_operating_subsidy" }! }
    static var construction: BenefitPolicy { examples.first { $0.benefitType == "bed_construction_subsidy" }! }

    @Test("subsidies to institutions are never a person's: no decision, whoever the person is")
    func institutionPoliciesSkipPersons() {
        let person = Self.person(born: Self.date(1930, 1, 1), assessment: Self.assessment(level: 4))
        let decisions = EntitlementRules.evaluate(person, month: Self.december, policies: Self.examples)
        #expect(!decisions.isEmpty)
        #expect(!decisions.contains { $0.benefitType == "institution_operating_subsidy" || $0.benefitType == "bed_construction_subsidy" })
    }

    @Test("a subsidy to institutions is checked for what it needs and refuses person rules, each issue naming its field")
    func institutionPolicyIssues() {
        var withPersonAmount = Self.operating
        withPersonAmount.amount = AmountRule(flatFen: 100)
        #expect(withPersonAmount.issues().map(\.field) == ["amount"])
        var withConditions = Self.operating
        withConditions.eligibility = EligibilityRule(minAge: 60)
        #expect(withConditions.issues().map(\.field) == ["eligibility"])
        var noInstrument = Self.operating
        noInstrument.institution?.instrument = nil
        noInstrument.institution?.perResidentByLevel = [LevelAmount(level: 4, fen: 0)]
        #expect(noInstrument.issues().map(\.field) == ["institution.instrument", "institution.perResidentByLevel"])
        var balance = Self.operating
        balance.paymentForm = .serviceBalance
        balance.oneOff = true
        #expect(balance.issues().map(\.field) == ["paymentForm", "oneOff"])
        var noBeds = Self.construction
        noBeds.institution?.bedKinds = []
        noBeds.institution?.perBedFen = nil
        #expect(noBeds.issues().map(\.field) == ["institution.bedKinds", "institution.perBedFen"])
        #expect(noBeds.issues().allSatisfy { !$0.message.zh.isEmpty && !$0.message.en.isEmpty })
    }

    @Test("the service list says in plain words which institutions get what")
    func institutionPlainWords() {
        #expect(Self.operating.plainEligibility(names: Self.names).zh == "在本地备案的养老机构，按每月末在院、经能力评估（gbt42195-2022）为相应等级的老年人人数计")
        #expect(Self.operating.plainAmount().zh == "第 2 级 100.00；第 3 级 100.00；第 4 级 200.00 元/人/月")
        #expect(Self.construction.plainEligibility(names: Self.names).zh == "在本地新增护理型床位并通过验收的养老机构")
        #expect(Self.construction.plainAmount().zh == "每张 5,000.00 元（一次性）")
        #expect(Self.construction.plainAmount().en == "5,000.00 yuan a bed, once")
    }

    @Test("the operating subsidy counts residents on the roll at the month's end by their valid level, and says who was not counted")
    func operatingSubsidy() throws {
        typealias R = InstitutionMonthFacts.Resident
        let facts = InstitutionMonthFacts(residents: [
            R(id: UUID(), admittedOn: Self.date(2025, 3, 1), assessment: Self.assessment(level: 4)),
            R(id: UUID(), admittedOn: Self.date(2026, 12, 31), assessment: Self.assessment(level: 4)),              // admitted on the last day: counts
            R(id: UUID(), admittedOn: Self.date(2026, 1, 1), assessment: Self.assessment(level: 3)),
            R(id: UUID(), admittedOn: Self.date(2026, 1, 1), dischargedOn: Self.date(2026, 12, 31), assessment: Self.assessment(level: 4)), // left: not on the roll
            R(id: UUID(), admittedOn: Self.date(2027, 1, 2), assessment: Self.assessment(level: 4)),                // not yet
            R(id: UUID(), admittedOn: Self.date(2026, 1, 1), assessment: Self.assessment(level: 4, validUntil: Self.date(2026, 12, 30))), // expired
            R(id: UUID(), admittedOn: Self.date(2026, 1, 1), assessment: Self.assessment(level: 1)),                // a level without an amount
            R(id: UUID(), admittedOn: Self.date(2026, 1, 1)),                                                      // never assessed
        ])
        let s = try #require(InstitutionSubsidies.decide(facts, month: Self.december, policy: Self.operating))
        #expect(s.lines.map(\.code) == ["level_3", "level_4"])
        #expect(s.lines.map(\.count) == [1, 2])
        #expect(s.amountFen == 10_000 + 2 * 20_000)
        #expect(s.notCounted.map(\.zh) == ["2 位在院老人月末没有有效的能力评估结果，不计入", "1 位在院老人的评估等级不在补贴范围内"])
        #expect(InstitutionSubsidies.decide(facts, month: Self.month("2025-12"), policy: Self.operating) == nil, "before the policy took effect")
    }

    @Test("the construction subsidy pays the month the beds are accepted, only for the listed kinds")
    func constructionSubsidy() throws {
        let facts = InstitutionMonthFacts(newBeds: [
            .init(kind: "nursing", count: 30, acceptedOn: Self.date(2026, 12, 5)),
            .init(kind: "nursing", count: 10, acceptedOn: Self.date(2026, 11, 20)),
            .init(kind: "general", count: 50, acceptedOn: Self.date(2026, 12, 5)),
        ])
        let december = try #require(InstitutionSubsidies.decide(facts, month: Self.december, policy: Self.construction))
        #expect(december.amountFen == 30 * 500_000 && december.lines.first?.count == 30)
        #expect(december.notCounted.map(\.zh) == ["本月验收的其他类型床位 50 张不在补贴范围内"])
        let november = try #require(InstitutionSubsidies.decide(facts, month: Self.month("2026-11"), policy: Self.construction))
        #expect(november.amountFen == 10 * 500_000)
        #expect(try #require(InstitutionSubsidies.decide(facts, month: Self.month("2026-10"), policy: Self.construction)).amountFen == 0)
    }

    @Test("a policy stored before institution rules existed still reads")
    func oldPolicyJSON() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.examples[0])) as! [String: Any]
        json.removeValue(forKey: "institution")
        let back = try JSONDecoder().decode(BenefitPolicy.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(back.institution == nil && back.isForPersons)
    }

    @Test("exactly one amount rule")
    func amountRuleCount() {
        var none = Self.valid()
        none.amount = AmountRule()
        #expect(none.issues().map(\.field) == ["amount"])
        #expect(none.issues().first?.rule == "policy.amount")

        var two = Self.valid()
        two.amount = AmountRule(flatFen: 5000, byAge: [AgeAmount(minAge: 80, maxAge: nil, fen: 5000)])
        #expect(two.issues().map(\.field) == ["amount"])

        var zero = Self.valid()
        zero.amount = AmountRule(flatFen: 0)
        #expect(zero.issues().map(\.field) == ["amount"])
    }

    @Test("age bands must not overlap and must be positive")
    func ageBandIssues() {
        var overlap = Self.valid()
        overlap.amount = AmountRule(byAge: [AgeAmount(minAge: 80, maxAge: 90, fen: 5000), AgeAmount(minAge: 90, maxAge: nil, fen: 10000)])
        #expect(overlap.issues().map(\.field) == ["amount"])

        var openOverlap = Self.valid()
        openOverlap.amount = AmountRule(byAge: [AgeAmount(minAge: 80, maxAge: nil, fen: 5000), AgeAmount(minAge: 95, maxAge: 99, fen: 10000)])
        #expect(openOverlap.issues().map(\.field) == ["amount"])

        var adjacent = Self.valid()
        adjacent.amount = AmountRule(byAge: [AgeAmount(minAge: 80, maxAge: 89, fen: 5000), AgeAmount(minAge: 90, maxAge: nil, fen: 10000)])
        #expect(adjacent.issues().isEmpty)

        var empty = Self.valid()
        empty.amount = AmountRule(byAge: [])
        #expect(empty.issues().map(\.field) == ["amount"])

        var inverted = Self.valid()
        inverted.amount = AmountRule(byAge: [AgeAmount(minAge: 89, maxAge: 80, fen: 5000)])
        #expect(inverted.issues().map(\.field) == ["amount"])
    }

    @Test("a by-level amount needs an assessment condition")
    func levelIssues() {
        var p = Self.valid()
        p.amount = AmountRule(byLevel: [LevelAmount(level: 3, fen: 10000)])
        #expect(p.issues().map(\.field) == ["eligibility.assessment"])
        #expect(p.issues().first?.rule == "policy.eligibility.assessment")
        p.eligibility.assessment = AssessmentCondition(instrument: Self.gbt, minLevel: 2, maxLevel: 4)
        #expect(p.issues().isEmpty)
        p.amount = AmountRule(byLevel: [LevelAmount(level: 3, fen: 0)])
        #expect(p.issues().map(\.field) == ["amount"])
    }

    @Test("region, dates, type and age limits are checked")
    func otherIssues() {
        for bad in ["13010", "abc", "", "130100000001"] {
            var p = Self.valid()
            p.regionCode = bad
            #expect(p.issues().map(\.field) == ["regionCode"], "\(bad)")
        }
        var dates = Self.valid()
        dates.effectiveTo = Self.month("2025-12")
        #expect(dates.issues().map(\.field) == ["effectiveTo"])
        dates.effectiveTo = dates.effectiveFrom
        #expect(dates.issues().isEmpty, "a policy of a single month")

        var type = Self.valid()
        type.benefitType = ""
        #expect(type.issues().map(\.field) == ["benefitType"])

        var ages = Self.valid()
        ages.eligibility = EligibilityRule(minAge: 80, maxAge: 70)
        #expect(ages.issues().map(\.field) == ["eligibility.maxAge"])

        var many = Self.valid()
        many.regionCode = "x"
        many.effectiveTo = Self.month("2020-01")
        many.amount = AmountRule()
        #expect(Set(many.issues().map(\.field)) == ["regionCode", "effectiveTo", "amount"])
        #expect(many.issues().allSatisfy { !$0.message.zh.isEmpty && !$0.message.en.isEmpty })
    }

    // MARK: - Payments

    @Test("an entitlement pays from its start to its end, both included")
    func pays() {
        let start = Self.month("2026-03"), end = Self.month("2026-12")
        #expect(PaymentRules.pays(start: start, end: end, month: start))
        #expect(PaymentRules.pays(start: start, end: end, month: end))
        #expect(PaymentRules.pays(start: start, end: end, month: Self.month("2026-07")))
        #expect(!PaymentRules.pays(start: start, end: end, month: Self.month("2026-02")))
        #expect(!PaymentRules.pays(start: start, end: end, month: Self.month("2027-01")))
        #expect(PaymentRules.pays(start: start, end: nil, month: Self.month("2040-01")))
        #expect(!PaymentRules.pays(start: start, end: nil, month: Self.month("2025-12")))
        #expect(PaymentRules.pays(start: start, end: start, month: start))
    }

    @Test("the month of a death is paid, later ones are overpaid")
    func overpayment() {
        #expect(PaymentRules.lastPaidMonth(afterEventOn: Self.date(2026, 12, 15)) == Self.month("2026-12"))
        #expect(PaymentRules.lastPaidMonth(afterEventOn: Self.date(2026, 12, 1)) == Self.month("2026-12"))
        #expect(PaymentRules.lastPaidMonth(afterEventOn: Self.date(2026, 12, 31)) == Self.month("2026-12"))
        let paid = ["2026-11", "2026-12", "2027-01", "2027-02"].map(Self.month)
        #expect(PaymentRules.overpaid(paidMonths: paid, end: Self.month("2026-12")) == [Self.month("2027-01"), Self.month("2027-02")])
        #expect(PaymentRules.overpaid(paidMonths: paid.reversed(), end: Self.month("2026-12")) == [Self.month("2027-01"), Self.month("2027-02")])
        #expect(PaymentRules.overpaid(paidMonths: paid, end: Self.month("2027-02")).isEmpty)
        #expect(PaymentRules.overpaid(paidMonths: [], end: Self.month("2026-12")).isEmpty)
    }
}
