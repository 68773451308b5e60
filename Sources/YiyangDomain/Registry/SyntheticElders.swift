/// Makes believable but invented elderly people for demos and benchmarks: common surnames at
/// their rough frequencies, given names of the generation, valid ID numbers whose address code
/// is the residence county, ages 60–105 following an ageing population's pyramid, and
/// categories at the rates bureaus report. Seeded, so the same seed gives the same people.
/// Never real personal data.
public struct SyntheticElders {
    public struct Person: Sendable {
        public var input: ElderInput
    }

    var rng: SplitMix64
    let today: CalendarDate
    var usedIDs = Set<String>()

    public init(seed: UInt64, today: CalendarDate = .today()) {
        rng = SplitMix64(seed: seed)
        self.today = today
    }

    static let surnames: [(String, Int)] = [
        ("王", 72), ("李", 71), ("张", 69), ("刘", 53), ("陈", 46), ("杨", 32), ("赵", 21), ("黄", 23), ("周", 19), ("吴", 18),
        ("徐", 13), ("孙", 12), ("胡", 11), ("朱", 11), ("高", 10), ("林", 10), ("何", 9), ("郭", 9), ("马", 9), ("罗", 7),
        ("梁", 7), ("宋", 6), ("郑", 6), ("谢", 6), ("韩", 5), ("唐", 5), ("冯", 5), ("于", 5), ("董", 5), ("萧", 4),
        ("程", 4), ("曹", 4), ("袁", 4), ("邓", 4), ("许", 4), ("傅", 3), ("沈", 3), ("曾", 3), ("彭", 3), ("吕", 3),
    ]
    static let maleGiven = ["建国", "建华", "国强", "国庆", "志强", "德明", "振华", "文忠", "玉林", "长生", "福贵", "树林",
                            "永祥", "宝山", "金生", "立新", "卫东", "凤山", "守仁", "广才", "洪亮", "学文", "铁柱", "春生"]
    static let femaleGiven = ["桂英", "秀兰", "玉兰", "秀英", "凤英", "淑珍", "桂兰", "秀珍", "玉珍", "素芬", "翠花", "兰英",
                              "淑兰", "玉梅", "秀云", "美华", "丽华", "金凤", "淑英", "春兰", "桂芳", "月娥", "巧云", "香莲"]
    /// Share of people of each five-year band from 60 (percent); 80+ comes to about 14 %.
    static let ageBands: [(Int, Double)] = [(60, 29), (65, 25), (70, 19), (75, 13), (80, 8), (85, 4), (90, 1.5), (95, 0.4), (100, 0.1)]

    mutating func pick<T>(_ weighted: [(T, Double)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var x = rng.nextDouble() * total
        for (v, w) in weighted { x -= w; if x < 0 { return v } }
        return weighted.last!.0
    }

    mutating func chance(_ p: Double) -> Bool { rng.nextDouble() < p }

    /// One person living in `village` (a 12-digit code).
    public mutating func next(village: RegionCode) -> Person {
        let female = chance(0.54)
        let bandStart = pick(Self.ageBands.map { ($0.0, $0.1) })
        let age = bandStart + Int(rng.next() % (bandStart == 100 ? 6 : 5))
        var birth: CalendarDate
        repeat {
            let y = today.year - age - 1 + Int(rng.next() % 2)
            let m = 1 + Int(rng.next() % 12)
            let d = 1 + Int(rng.next() % UInt64(CalendarDate.daysIn(year: y, month: m)))
            birth = CalendarDate(year: y, month: m, day: d)!
        } while birth.age(on: today) < 60 || birth > today
        let county = String(village.value.prefix(6))
        var id: String
        repeat {
            var sequence = Int(rng.next() % 500) * 2 + (female ? 2 : 1)
            if sequence > 999 { sequence -= 2 }
            let first17 = county + String(birth.year) + (birth.month < 10 ? "0" : "") + String(birth.month)
                + (birth.day < 10 ? "0" : "") + String(birth.day) + String(repeating: "0", count: 3 - String(sequence).count) + String(sequence)
            id = first17 + String(CitizenID.checkCharacter(for: first17))
        } while usedIDs.contains(id)
        usedIDs.insert(id)

        let surname = pick(Self.surnames.map { ($0.0, Double($0.1)) })
        let given = female ? Self.femaleGiven[Int(rng.next() % UInt64(Self.femaleGiven.count))]
                           : Self.maleGiven[Int(rng.next() % UInt64(Self.maleGiven.count))]
        var input = ElderInput()
        input.name = surname + (chance(0.15) ? String(given.prefix(1)) : given)
        input.idNumber = id
        input.householdRegion = village.value
        input.phones = chance(0.7) ? "1" + ["38", "39", "50", "58", "86", "87"][Int(rng.next() % 6)] + String(10_000_000 + rng.next() % 90_000_000) : ""
        input.ethnicity = chance(0.92) ? "汉族" : ["回族", "满族", "蒙古族"][Int(rng.next() % 3)]
        var categories: [String] = []
        let alone = chance(0.10)
        if alone { categories.append("living_alone") }
        if alone || chance(0.25) { categories.append("empty_nest") }
        if chance(0.05) { input.disabilityLevel = String(1 + rng.next() % 4) }
        if age >= 75, chance(0.08) { categories.append("disabled_care") }
        if age >= 80, chance(0.05) { categories.append("dementia") }
        if chance(0.01) { categories.append("family_planning_special") }
        if chance(0.02) { categories.append("veteran") }
        input.categories = categories.joined(separator: ",")
        let e = rng.nextDouble()
        input.economicStatus = e < 0.01 ? "extreme_poverty" : e < 0.04 ? "minimum_living" : e < 0.09 ? "low_income" : "ordinary"
        input.livingArrangement = alone ? "alone" : pick([("with_spouse", 0.55), ("with_children", 0.35), ("with_others", 0.08), ("institution", 0.02)])
        input.healthInsurance = chance(0.35) ? "employee" : "resident"
        return Person(input: input)
    }
}

/// A small, fast, seedable generator (SplitMix64), so synthetic data is reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
