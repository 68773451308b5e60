import Foundation

/// The kinds of service point SYSTEM.md names (街道中心, 社区站, 农村幸福院, 助餐点, 嵌入式小微机构).
public enum ServicePointKind: String, Sendable, Codable, CaseIterable {
    case streetCentre = "street_centre"
    case dayCareStation = "day_care_station"
    case ruralMutualAid = "rural_mutual_aid"
    case mealPoint = "meal_point"
    case embeddedHome = "embedded_home"

    public var name: LocalizedText {
        switch self {
        case .streetCentre: .init(zh: "街道综合养老服务中心", en: "Street care centre")
        case .dayCareStation: .init(zh: "社区日间照料站", en: "Community day-care station")
        case .ruralMutualAid: .init(zh: "农村互助幸福院", en: "Rural mutual-aid home")
        case .mealPoint: .init(zh: "老年助餐点", en: "Meal point")
        case .embeddedHome: .init(zh: "嵌入式小微养老机构", en: "Embedded small care home")
        }
    }
}

/// What a menu item is (助餐, 助浴, 助洁, 助医, 助行, 助急…).
public enum ServiceCategory: String, Sendable, Codable, CaseIterable {
    case meal, bathing, cleaning
    case medicalEscort = "medical_escort"
    case mobility, emergency, shopping, companionship, rehabilitation

    public var name: LocalizedText {
        switch self {
        case .meal: .init(zh: "助餐", en: "Meals")
        case .bathing: .init(zh: "助浴", en: "Bathing")
        case .cleaning: .init(zh: "助洁", en: "Cleaning")
        case .medicalEscort: .init(zh: "助医（陪同就医）", en: "Medical escort")
        case .mobility: .init(zh: "助行", en: "Mobility help")
        case .emergency: .init(zh: "助急", en: "Emergency help")
        case .shopping: .init(zh: "代购", en: "Shopping")
        case .companionship: .init(zh: "精神慰藉", en: "Companionship")
        case .rehabilitation: .init(zh: "康复护理", en: "Rehabilitation care")
        }
    }
}

public enum ServiceUnit: String, Sendable, Codable, CaseIterable {
    case visit, hour
    public var name: LocalizedText { self == .visit ? .init(zh: "次", en: "visit") : .init(zh: "小时", en: "hour") }
}

/// A certificate a caregiver holds; a menu item may require one.
public enum Qualification: String, Sendable, Codable, CaseIterable {
    case careWorker = "care_worker"
    case nurse
    case rehabTherapist = "rehab_therapist"
    case foodHandler = "food_handler"
    case socialWorker = "social_worker"

    public var name: LocalizedText {
        switch self {
        case .careWorker: .init(zh: "养老护理员职业技能等级证书", en: "Elderly care worker certificate")
        case .nurse: .init(zh: "护士执业证书", en: "Nurse licence")
        case .rehabTherapist: .init(zh: "康复治疗师证书", en: "Rehabilitation therapist certificate")
        case .foodHandler: .init(zh: "食品从业人员健康证", en: "Food handler health certificate")
        case .socialWorker: .init(zh: "社会工作者职业资格证书", en: "Social worker certificate")
        }
    }
}

/// Which subsidised price of a menu item applies to a person. A menu item names its prices by
/// tier: an economic status (`extreme_poverty`, `minimum_living`…), a registry category
/// (`disabled_care`…) or an age threshold (`age_80`: 80 and over). A person in several tiers
/// pays the lowest of their prices.
public enum PriceTiers {
    public static func of(_ facts: PersonFacts, on day: CalendarDate) -> Set<String> {
        var out: Set<String> = Set(facts.categories)
        out.insert(facts.economicStatus)
        let age = facts.birthDate.age(on: day)
        for threshold in stride(from: 60, through: 100, by: 5) where age >= threshold { out.insert("age_\(threshold)") }
        return out
    }

    /// A tier's name for pages: the registry's name for a status or category, "80 岁及以上" for an
    /// age tier; a code nobody names (a deployment's own) is shown as written.
    public static func name(_ tier: String, codes: [ReferenceCode] = ReferenceCode.defaults) -> LocalizedText {
        if let c = codes.first(where: { $0.code == tier && ($0.kind == .economicStatus || $0.kind == .category) }) { return c.name }
        if tier.hasPrefix("age_"), let age = Int(tier.dropFirst(4)) { return .init(zh: "\(age) 岁及以上", en: "\(age) and over") }
        return .init(zh: tier, en: tier)
    }

    /// The price the person pays and the tier that gave it (nil: the list price).
    public static func price(listFen: Int, tierPrices: [String: Int], personTiers: Set<String>) -> (fen: Int, tier: String?) {
        let best = tierPrices.filter { personTiers.contains($0.key) && $0.value >= 0 }.min { ($0.value, $0.key) < ($1.value, $1.key) }
        guard let best, best.value < listFen else { return (listFen, nil) }
        return (best.value, best.key)
    }

    /// Problems with a tier table, naming the field.
    public static func issues(_ tiers: [String: Int], listFen: Int, field: String = "subsidisedPrices") -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        for (tier, fen) in tiers.sorted(by: { $0.key < $1.key }) {
            if tier.isEmpty || tier.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                out.append(.init(field: field, rule: "menu.tier", message: .init(zh: "价格档“\(tier)”无效：应为经济状况、人员类别代码或 age_80 这样的年龄档",
                                                                                 en: "Price tier \"\(tier)\" is invalid: use an economic status, a category code or an age tier like age_80")))
            }
            if fen < 0 || fen > listFen {
                out.append(.init(field: field, rule: "menu.tier_price", message: .init(zh: "“\(tier)”的补贴后价格应在 0 到标准价之间",
                                                                                       en: "The subsidised price of \"\(tier)\" must be between 0 and the list price")))
            }
        }
        return out
    }
}

/// The life of an order: placed → accepted → assigned → checked in → checked out → confirmed →
/// settled, or cancelled before anyone checked in.
public enum ServiceOrderStatus: String, Sendable, Codable, CaseIterable {
    case placed, accepted, assigned
    case checkedIn = "checked_in"
    case checkedOut = "checked_out"
    case confirmed, settled, cancelled

    public var name: LocalizedText {
        switch self {
        case .placed: .init(zh: "已下单", en: "Placed")
        case .accepted: .init(zh: "服务商已接单", en: "Accepted")
        case .assigned: .init(zh: "已派护理员", en: "Caregiver assigned")
        case .checkedIn: .init(zh: "服务中", en: "In progress")
        case .checkedOut: .init(zh: "服务完成", en: "Done")
        case .confirmed: .init(zh: "已确认", en: "Confirmed")
        case .settled: .init(zh: "已结算", en: "Settled")
        case .cancelled: .init(zh: "已取消", en: "Cancelled")
        }
    }

    /// An order can be cancelled until the caregiver has started.
    public var cancellable: Bool { [.placed, .accepted, .assigned].contains(self) }
    /// The visit happened (checked out), whatever came after.
    public var visitDone: Bool { [.checkedOut, .confirmed, .settled].contains(self) }
}

/// Where a caregiver's time is booked. A visit books every block of `minutes` its window
/// touches, from its start rounded down to its end (plus the travel gap) rounded up; the
/// database keeps one row per caregiver and block, so two visits that overlap cannot both be
/// booked, even when two dispatchers press the button at the same moment. Five minutes keep
/// the times real: 13:00–13:50 and 13:55–14:30 share no block, where quarter hours made them
/// collide.
public enum CaregiverBlocks {
    public static let minutes = 5

    /// `gapMinutes` is the travel time a caregiver needs after a visit before the next one:
    /// held after the visit's end, so two visits closer than that share a block.
    public static func blocks(start: Date, end: Date, gapMinutes: Int = 0, blockMinutes: Int = CaregiverBlocks.minutes) -> [Int] {
        let size = Double(blockMinutes * 60)
        let first = Int((start.timeIntervalSince1970 / size).rounded(.down))
        let last = Int((end.addingTimeInterval(Double(max(0, gapMinutes) * 60)).timeIntervalSince1970 / size).rounded(.up))
        return Array(first..<max(first + 1, last))
    }
}

/// A bureau's home-service settings, a version in force from a date: visit verification, the
/// return-visit sample, whether settlement waits for the family's confirmation.
public struct HomeServiceSettings: Sendable, Hashable, Codable {
    public var visitRules: VisitRules
    /// Share of last week's completed visits drawn for a phone follow-up (回访), in percent.
    public var returnVisitPercent: Int
    /// Settle only visits the person or family confirmed.
    public var settleOnlyConfirmed: Bool
    /// The longest a window may be, so a booking cannot hold a caregiver for a day.
    public var maxWindowHours: Int
    /// The least time between one caregiver's visits, held after each visit when booking.
    /// 0 by default: the window the family books already says when the visit is, visits at one
    /// service point or in one building need no travel, and every schedule booked before the
    /// setting existed stays valid; a bureau whose caregivers travel sets it from a date.
    public var travelGapMinutes: Int

    public init(visitRules: VisitRules = .defaults, returnVisitPercent: Int = 10, settleOnlyConfirmed: Bool = false,
                maxWindowHours: Int = 8, travelGapMinutes: Int = 0) {
        self.visitRules = visitRules; self.returnVisitPercent = returnVisitPercent
        self.settleOnlyConfirmed = settleOnlyConfirmed; self.maxWindowHours = maxWindowHours; self.travelGapMinutes = travelGapMinutes
    }

    private enum CodingKeys: String, CodingKey {
        case visitRules, returnVisitPercent, settleOnlyConfirmed, maxWindowHours, travelGapMinutes
    }

    /// Versions saved before the travel gap existed, and clients that leave it out, read as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(visitRules: try c.decode(VisitRules.self, forKey: .visitRules),
                  returnVisitPercent: try c.decode(Int.self, forKey: .returnVisitPercent),
                  settleOnlyConfirmed: try c.decode(Bool.self, forKey: .settleOnlyConfirmed),
                  maxWindowHours: try c.decode(Int.self, forKey: .maxWindowHours),
                  travelGapMinutes: try c.decodeIfPresent(Int.self, forKey: .travelGapMinutes) ?? 0)
    }

    public static let defaults = HomeServiceSettings()

    public func issues() -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        func add(_ field: String, _ zh: String, _ en: String) { out.append(.init(field: field, rule: "settings.\(field)", message: .init(zh: zh, en: en))) }
        if !(10...5_000).contains(visitRules.toleranceMeters) { add("toleranceMeters", "位置容差应在 10 到 5000 米之间", "The tolerance must be 10–5000 m") }
        if !(0...100).contains(returnVisitPercent) { add("returnVisitPercent", "回访抽取比例应在 0 到 100 之间", "The return-visit share must be 0–100 %") }
        if !(1...24).contains(maxWindowHours) { add("maxWindowHours", "预约时段最长应在 1 到 24 小时之间", "The longest window must be 1–24 h") }
        if !(0...120).contains(travelGapMinutes) {
            add("travelGapMinutes", "两次服务之间的路途间隔应在 0 到 120 分钟之间", "The travel gap between visits must be 0–120 minutes")
        }
        if !(visitRules.shortRatio > 0 && visitRules.shortRatio < 1) { add("shortRatio", "过短比例应在 0 到 1 之间", "The short ratio must be between 0 and 1") }
        if !(visitRules.longRatio > 1) { add("longRatio", "过长比例应大于 1", "The long ratio must be above 1") }
        return out
    }
}

/// Return visits (回访): a share of the week's completed visits, drawn at random.
public enum ReturnVisitSample {
    /// How many of `count` visits a share of `percent` draws: at least one when there are any
    /// and the share is not zero, so a small provider is never left out.
    public static func size(of count: Int, percent: Int) -> Int {
        guard count > 0, percent > 0 else { return 0 }
        return min(count, max(1, Int((Double(count) * Double(percent) / 100).rounded(.up))))
    }

    public static func draw<T>(_ items: [T], percent: Int, using rng: inout some RandomNumberGenerator) -> [T] {
        Array(items.shuffled(using: &rng).prefix(size(of: items.count, percent: percent)))
    }

    /// The Monday (China Standard Time) of the week a day falls in: a week's key.
    public static func weekStart(of day: CalendarDate) -> CalendarDate {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = ChinaTime.timeZone
        let date = cal.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
        let weekday = cal.component(.weekday, from: date) // 1 = Sunday
        return day.addingDays(-((weekday + 5) % 7))
    }
}

/// A meal's price split: the per-meal subsidy of the person's meal policy, limited to so many
/// subsidised meals a day (the policy's rule, e.g. one).
public enum MealSubsidy {
    public struct Split: Sendable, Hashable, Codable {
        public var priceFen: Int
        public var subsidyFen: Int
        public var selfPayFen: Int
        public var note: LocalizedText
    }

    public static func split(priceFen: Int, subsidyPerMealFen: Int?, perDay: Int?, subsidisedToday: Int) -> Split {
        guard let per = subsidyPerMealFen, per > 0 else {
            return Split(priceFen: priceFen, subsidyFen: 0, selfPayFen: priceFen, note: .init(zh: "不符合助餐补贴条件，按原价", en: "No meal subsidy: full price"))
        }
        if let limit = perDay, subsidisedToday >= limit {
            return Split(priceFen: priceFen, subsidyFen: 0, selfPayFen: priceFen,
                         note: .init(zh: "今日已享受 \(subsidisedToday) 餐补贴（每天最多 \(limit) 餐），本餐按原价", en: "\(subsidisedToday) subsidised meal(s) today, the most a day is \(limit): full price"))
        }
        let s = min(per, priceFen)
        return Split(priceFen: priceFen, subsidyFen: s, selfPayFen: priceFen - s,
                     note: .init(zh: "助餐补贴 \(Fen.display(s)) 元，自付 \(Fen.display(priceFen - s)) 元", en: "Subsidy \(Fen.display(s)), self-paid \(Fen.display(priceFen - s))"))
    }
}

/// A monthly statement's sums. A line is settled (verified, charged), held back (an exception
/// not yet reviewed) or refused (an exception rejected: the bureau does not pay for it).
public struct SettlementTotals: Sendable, Hashable, Codable {
    public enum LineState: String, Sendable, Codable { case settled, held, refused }

    public var settledCount = 0, heldCount = 0, refusedCount = 0
    public var listFen = 0, bureauFen = 0, balanceFen = 0, selfPayFen = 0
    public var heldFen = 0, refusedFen = 0

    public init() {}

    public mutating func add(_ state: LineState, listFen l: Int, bureauFen b: Int, balanceFen bal: Int, selfPayFen s: Int) {
        switch state {
        case .settled:
            settledCount += 1; listFen += l; bureauFen += b; balanceFen += bal; selfPayFen += s
        case .held: heldCount += 1; heldFen += l
        case .refused: refusedCount += 1; refusedFen += l
        }
    }

    /// What the bureau pays the provider: its price subsidy plus the service balances spent.
    public var chargedToBureauFen: Int { bureauFen + balanceFen }
}
