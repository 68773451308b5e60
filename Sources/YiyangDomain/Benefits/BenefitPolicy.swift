import Foundation

/// A kind of benefit. The built-in ones are those the plans name; a deployment adds its own
/// (any code works in a policy, these only give names).
public struct BenefitType: Sendable, Hashable, Codable {
    public var code: String
    public var name: LocalizedText

    public init(_ code: String, zh: String, en: String) {
        self.code = code; self.name = LocalizedText(zh: zh, en: en)
    }

    public static let builtIn: [BenefitType] = [
        .init("age_allowance", zh: "高龄津贴", en: "Age allowance"),
        .init("care_subsidy", zh: "护理补贴", en: "Care subsidy"),
        .init("service_subsidy", zh: "服务补贴", en: "Service subsidy"),
        .init("meal_subsidy", zh: "助餐补贴", en: "Meal subsidy"),
        .init("institution_operating_subsidy", zh: "养老机构运营补贴", en: "Institution operating subsidy"),
        .init("bed_construction_subsidy", zh: "新增护理型床位建设补贴", en: "Nursing bed construction subsidy"),
        .init("home_modification_subsidy", zh: "居家适老化改造补贴", en: "Home modification subsidy"),
    ]

    public static func name(_ code: String) -> LocalizedText {
        builtIn.first { $0.code == code }?.name ?? LocalizedText(zh: code, en: code)
    }
}

/// An age band of an amount rule: from `minAge` (included) to `maxAge` (included, open when nil).
public struct AgeAmount: Sendable, Hashable, Codable {
    public var minAge: Int
    public var maxAge: Int?
    public var fen: Int
    public init(minAge: Int, maxAge: Int?, fen: Int) { self.minAge = minAge; self.maxAge = maxAge; self.fen = fen }
    public func contains(_ age: Int) -> Bool { age >= minAge && (maxAge.map { age <= $0 } ?? true) }
}

public struct LevelAmount: Sendable, Hashable, Codable {
    public var level: Int
    public var fen: Int
    public init(level: Int, fen: Int) { self.level = level; self.fen = fen }
}

/// How much a month: one amount, by age band, or by assessment level.
public struct AmountRule: Sendable, Hashable, Codable {
    public var flatFen: Int?
    public var byAge: [AgeAmount]?
    public var byLevel: [LevelAmount]?

    public init(flatFen: Int? = nil, byAge: [AgeAmount]? = nil, byLevel: [LevelAmount]? = nil) {
        self.flatFen = flatFen; self.byAge = byAge; self.byLevel = byLevel
    }
}

/// An assessment condition: a level range of a named instrument, from a valid result.
public struct AssessmentCondition: Sendable, Hashable, Codable {
    public var instrument: String
    public var minLevel: Int
    public var maxLevel: Int
    public init(instrument: String, minLevel: Int, maxLevel: Int) { self.instrument = instrument; self.minLevel = minLevel; self.maxLevel = maxLevel }
}

/// Who qualifies. Every listed condition must hold; an empty list is no condition.
public struct EligibilityRule: Sendable, Hashable, Codable {
    public var minAge: Int?
    public var maxAge: Int?
    /// At least one of these categories (空巢, 独居, 失能…).
    public var categoriesAny: [String]
    /// One of these economic statuses (特困, 低保…).
    public var economicStatusesAny: [String]
    public var assessment: AssessmentCondition?
    /// Not while receiving any of these benefits (by type code).
    public var notWhileReceiving: [String]
    /// Not while living in a care institution.
    public var notInInstitution: Bool

    public init(minAge: Int? = nil, maxAge: Int? = nil, categoriesAny: [String] = [], economicStatusesAny: [String] = [],
                assessment: AssessmentCondition? = nil, notWhileReceiving: [String] = [], notInInstitution: Bool = false) {
        self.minAge = minAge; self.maxAge = maxAge; self.categoriesAny = categoriesAny; self.economicStatusesAny = economicStatusesAny
        self.assessment = assessment; self.notWhileReceiving = notWhileReceiving; self.notInInstitution = notInInstitution
    }
}

/// A benefit used per service (a subsidised meal): the amount is per use, at most `perDay` a day.
public struct PerUseRule: Sendable, Hashable, Codable {
    /// What one use is: `meal`.
    public var unit: String
    /// Subsidised uses a day ("one subsidised meal a day"); nil is no limit.
    public var perDay: Int?

    public init(unit: String = "meal", perDay: Int? = 1) { self.unit = unit; self.perDay = perDay }
}

/// A benefit paid to a care institution, not to a person: each month per resident of an
/// assessed level (the operating subsidy, 运营补贴), or once per newly accepted bed of some
/// kinds (the construction subsidy, 建设补贴). Such a policy has no person eligibility and no
/// person amount; the institutions' residents and beds decide what it pays.
public struct InstitutionRule: Sendable, Hashable, Codable {
    public enum Basis: String, Sendable, Hashable, Codable, CaseIterable {
        /// Each month, per resident on the roll at the month's end, by the level of their valid assessment.
        case residentMonth = "resident_month"
        /// Once, per bed of the listed kinds accepted (验收) that month.
        case newBed = "new_bed"
    }

    public var basis: Basis
    /// resident_month: the instrument whose valid result sets a resident's level.
    public var instrument: String?
    /// resident_month: the amount a resident a month by level; unlisted levels count nothing.
    public var perResidentByLevel: [LevelAmount]?
    /// new_bed: the bed kinds that count (`nursing` 护理型, `dementia` 认知症…).
    public var bedKinds: [String]?
    /// new_bed: the amount per bed, paid once.
    public var perBedFen: Int?

    public init(basis: Basis, instrument: String? = nil, perResidentByLevel: [LevelAmount]? = nil, bedKinds: [String]? = nil, perBedFen: Int? = nil) {
        self.basis = basis; self.instrument = instrument; self.perResidentByLevel = perResidentByLevel; self.bedKinds = bedKinds; self.perBedFen = perBedFen
    }

    /// Names of the bed kinds for the service list.
    public static func bedKindName(_ code: String) -> LocalizedText {
        switch code {
        case "nursing": return .init(zh: "护理型床位", en: "nursing beds")
        case "dementia": return .init(zh: "认知症照护床位", en: "dementia care beds")
        case "general": return .init(zh: "普通床位", en: "general beds")
        default: return .init(zh: code, en: code)
        }
    }
}

public enum PaymentForm: String, Sendable, Hashable, Codable, CaseIterable {
    /// Money to the person's account.
    case cash
    /// A balance that home services spend (a service subsidy).
    case serviceBalance = "service_balance"
}

/// One version of a benefit's rules for a region (and everything below it, unless a lower
/// region has its own). A change is a new version; results remember the version that made them.
public struct BenefitPolicy: Sendable, Hashable, Codable {
    public var id: UUID
    public var benefitType: String
    public var version: Int
    public var regionCode: String
    public var effectiveFrom: Month
    public var effectiveTo: Month?
    public var eligibility: EligibilityRule
    public var amount: AmountRule
    public var paymentForm: PaymentForm
    /// Who pays, as the service list prints it (市级财政, 县级财政…).
    public var payer: String
    /// What the person receives, in plain words, for the service list.
    public var summary: String
    /// The document the policy comes from.
    public var basis: String
    /// Paid once (a home modification, a one-off grant) instead of every month; nil is monthly.
    public var oneOff: Bool?
    public var isOneOff: Bool { oneOff ?? false }
    /// Spent per use where the service is given (a meal at a meal point) instead of paid monthly:
    /// never an entitlement or a payment run; the amount is per use.
    public var perUse: PerUseRule?
    public var isPerUse: Bool { perUse != nil }
    /// Paid to care institutions for their residents or new beds, never to a person.
    public var institution: InstitutionRule?
    public var isForInstitutions: Bool { institution != nil }
    /// Decided person by person (scans, cases, entitlements, explanations).
    public var isForPersons: Bool { institution == nil }

    public init(id: UUID = UUID(), benefitType: String, version: Int = 1, regionCode: String, effectiveFrom: Month, effectiveTo: Month? = nil,
                eligibility: EligibilityRule, amount: AmountRule, paymentForm: PaymentForm = .cash, payer: String, summary: String, basis: String,
                oneOff: Bool? = nil, perUse: PerUseRule? = nil, institution: InstitutionRule? = nil) {
        self.perUse = perUse; self.institution = institution
        self.id = id; self.benefitType = benefitType; self.version = version; self.regionCode = regionCode
        self.effectiveFrom = effectiveFrom; self.effectiveTo = effectiveTo; self.eligibility = eligibility; self.amount = amount
        self.paymentForm = paymentForm; self.payer = payer; self.summary = summary; self.basis = basis; self.oneOff = oneOff
    }

    private enum CodingKeys: String, CodingKey {
        case id, benefitType, version, regionCode, effectiveFrom, effectiveTo, eligibility, amount, paymentForm, payer, summary, basis
        case oneOff, perUse, institution
    }

    /// The server numbers versions and gives ids, so a new policy may come without either;
    /// the placeholders here are replaced when it is published.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(UUID.self, forKey: .id) ?? UUID()
        version = try c.decodeIfPresent(Int.self, forKey: .version) ?? 1
        benefitType = try c.decode(String.self, forKey: .benefitType)
        regionCode = try c.decode(String.self, forKey: .regionCode)
        effectiveFrom = try c.decode(Month.self, forKey: .effectiveFrom)
        effectiveTo = try c.decodeIfPresent(Month.self, forKey: .effectiveTo)
        eligibility = try c.decode(EligibilityRule.self, forKey: .eligibility)
        amount = try c.decode(AmountRule.self, forKey: .amount)
        paymentForm = try c.decode(PaymentForm.self, forKey: .paymentForm)
        payer = try c.decode(String.self, forKey: .payer)
        summary = try c.decode(String.self, forKey: .summary)
        basis = try c.decode(String.self, forKey: .basis)
        oneOff = try c.decodeIfPresent(Bool.self, forKey: .oneOff)
        perUse = try c.decodeIfPresent(PerUseRule.self, forKey: .perUse)
        institution = try c.decodeIfPresent(InstitutionRule.self, forKey: .institution)
    }

    public func inForce(_ month: Month) -> Bool { effectiveFrom <= month && (effectiveTo.map { month <= $0 } ?? true) }

    /// Problems with the policy, each naming its field.
    public func issues() -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        func add(_ field: String, _ zh: String, _ en: String) { out.append(.init(field: field, rule: "policy.\(field)", message: .init(zh: zh, en: en))) }
        if benefitType.isEmpty { add("benefitType", "请填写补贴类型", "benefitType is required") }
        if regionCode.count != 12 || RegionCode(regionCode) == nil { add("regionCode", "区划代码应为 12 位", "regionCode must be 12 digits") }
        if let to = effectiveTo, to < effectiveFrom { add("effectiveTo", "截止月份早于起始月份", "effectiveTo is before effectiveFrom") }
        let rules = [amount.flatFen != nil, amount.byAge != nil, amount.byLevel != nil].filter { $0 }.count
        if let rule = institution {
            out += institutionIssues(rule, personRules: rules)
            return out
        }
        if rules != 1 { add("amount", "金额规则须且只能选一种：固定金额、按年龄段或按评估等级", "Give exactly one amount rule: flat, by age or by level") }
        if let f = amount.flatFen, f <= 0 { add("amount", "金额须大于 0", "The amount must be above 0") }
        if let bands = amount.byAge {
            if bands.isEmpty || bands.contains(where: { band in band.fen <= 0 || (band.maxAge.map { $0 < band.minAge } ?? false) }) {
                add("amount", "年龄段金额须大于 0", "Age band amounts must be above 0")
            }
            for (i, a) in bands.enumerated() { for b in bands[(i + 1)...] where a.contains(b.minAge) || b.contains(a.minAge) {
                add("amount", "年龄段 \(a.minAge) 与 \(b.minAge) 重叠", "Age bands from \(a.minAge) and \(b.minAge) overlap")
            } }
        }
        if let levels = amount.byLevel {
            if levels.isEmpty || levels.contains(where: { $0.fen <= 0 }) { add("amount", "各等级金额须大于 0", "Level amounts must be above 0") }
            if Set(levels.map(\.level)).count != levels.count { add("amount", "同一等级只能有一个金额", "Each level may have one amount only") }
            if let a = eligibility.assessment, levels.contains(where: { $0.level < a.minLevel || $0.level > a.maxLevel }) {
                add("amount", "金额中的等级超出了评估等级范围 \(a.minLevel)–\(a.maxLevel)", "A level amount lies outside the assessment range \(a.minLevel)–\(a.maxLevel)")
            }
            if amount.byLevel != nil && eligibility.assessment == nil {
                add("eligibility.assessment", "按评估等级发放须指定评估工具和等级范围", "A by-level amount needs an assessment condition")
            }
        }
        if let min = eligibility.minAge, let max = eligibility.maxAge, max < min { add("eligibility.maxAge", "年龄上限低于下限", "maxAge is below minAge") }
        return out
    }

    private func institutionIssues(_ rule: InstitutionRule, personRules: Int) -> [ValidationIssue] {
        var out: [ValidationIssue] = []
        func add(_ field: String, _ zh: String, _ en: String) { out.append(.init(field: field, rule: "policy.\(field)", message: .init(zh: zh, en: en))) }
        if personRules > 0 { add("amount", "发给机构的补贴不设个人金额规则，金额写在 institution 中", "A subsidy to institutions has no person amount; give it in institution") }
        if eligibility != EligibilityRule() { add("eligibility", "发给机构的补贴不设个人条件", "A subsidy to institutions has no person conditions") }
        if paymentForm != .cash { add("paymentForm", "发给机构的补贴只能是现金", "A subsidy to institutions is paid in cash") }
        if isPerUse { add("perUse", "发给机构的补贴不能按次使用", "A subsidy to institutions is not per use") }
        switch rule.basis {
        case .residentMonth:
            if (rule.instrument ?? "").isEmpty { add("institution.instrument", "按在院老人发放须指定评估工具", "Give the assessment instrument that sets residents' levels") }
            let levels = rule.perResidentByLevel ?? []
            if levels.isEmpty || levels.contains(where: { $0.fen <= 0 }) {
                add("institution.perResidentByLevel", "须列出各等级每人每月的金额（大于 0）", "List an amount above 0 a resident a month for each level")
            }
            if Set(levels.map(\.level)).count != levels.count { add("institution.perResidentByLevel", "同一等级只能有一个金额", "Each level may have one amount only") }
            if isOneOff { add("oneOff", "按在院老人发放的补贴按月发放", "A per-resident subsidy is monthly") }
        case .newBed:
            if (rule.bedKinds ?? []).isEmpty { add("institution.bedKinds", "须指定计入的床位类型（如护理型床位）", "Give the bed kinds that count (nursing, say)") }
            if (rule.perBedFen ?? 0) <= 0 { add("institution.perBedFen", "每张床位的金额须大于 0", "The amount per bed must be above 0") }
        }
        return out
    }
}

extension BenefitPolicy {
    /// Who qualifies, in a sentence for the public service list.
    public func plainEligibility(names: CodeNames) -> LocalizedText {
        if let rule = institution {
            switch rule.basis {
            case .residentMonth:
                return .init(zh: "在本地备案的养老机构，按每月末在院、经能力评估（\(rule.instrument ?? "")）为相应等级的老年人人数计",
                             en: "Care institutions registered here, by the residents on their roll at each month's end at the assessed levels (\(rule.instrument ?? ""))")
            case .newBed:
                let kinds = (rule.bedKinds ?? []).map(InstitutionRule.bedKindName)
                return .init(zh: "在本地新增" + kinds.map(\.zh).joined(separator: "、") + "并通过验收的养老机构",
                             en: "Care institutions here that add " + kinds.map(\.en).joined(separator: " or ") + ", once accepted")
            }
        }
        let e = eligibility
        var zh: [String] = [], en: [String] = []
        switch (e.minAge, e.maxAge) {
        case let (min?, max?): zh.append("\(min)–\(max) 周岁"); en.append("aged \(min)–\(max)")
        case let (min?, nil): zh.append("年满 \(min) 周岁"); en.append("aged \(min) or over")
        case let (nil, max?): zh.append("\(max) 周岁及以下"); en.append("aged \(max) or under")
        default: break
        }
        if !e.economicStatusesAny.isEmpty {
            zh.append(e.economicStatusesAny.map(names.zh).joined(separator: "、") + "等经济困难")
            en.append("on " + e.economicStatusesAny.map(names.en).joined(separator: " or "))
        }
        if !e.categoriesAny.isEmpty {
            zh.append(e.categoriesAny.map(names.zh).joined(separator: "或"))
            en.append("registered as " + e.categoriesAny.map(names.en).joined(separator: " or "))
        }
        if let a = e.assessment {
            zh.append("经能力评估为第 \(a.minLevel)–\(a.maxLevel) 级（\(a.instrument)）")
            en.append("assessed at level \(a.minLevel)–\(a.maxLevel) (\(a.instrument))")
        }
        var zhText = "户籍或居住在本地、" + zh.joined(separator: "、") + "的老年人"
        var enText = "Elderly people living here" + (en.isEmpty ? "" : ", " + en.joined(separator: ", "))
        if e.notInInstitution { zhText += "（入住养老机构期间除外）"; enText += " (not while in a care institution)" }
        if !e.notWhileReceiving.isEmpty {
            zhText += "；不与" + e.notWhileReceiving.map { BenefitType.name($0).zh }.joined(separator: "、") + "同时享受"
            enText += "; not together with " + e.notWhileReceiving.map { BenefitType.name($0).en.lowercased() }.joined(separator: ", ")
        }
        return LocalizedText(zh: zhText, en: enText)
    }

    /// The standard: amounts by band, level, or one amount.
    public func plainAmount() -> LocalizedText {
        if let rule = institution {
            switch rule.basis {
            case .residentMonth:
                let levels = rule.perResidentByLevel ?? []
                return .init(zh: levels.map { "第 \($0.level) 级 \(Fen.display($0.fen))" }.joined(separator: "；") + " 元/人/月",
                             en: levels.map { "level \($0.level): \(Fen.display($0.fen))" }.joined(separator: "; ") + " yuan a resident a month")
            case .newBed:
                return .init(zh: "每张 \(Fen.display(rule.perBedFen ?? 0)) 元（一次性）", en: "\(Fen.display(rule.perBedFen ?? 0)) yuan a bed, once")
            }
        }
        // Each amount carries its own unit (每餐 3 元, 每月 50 元): one "元/月" closing the line
        // made the meal subsidy's per-meal amounts read as monthly ones.
        func line(_ fen: Int) -> (zh: String, en: String) {
            let y = Fen.display(fen)
            if isPerUse { return ("每餐 \(y) 元", "\(y) yuan a meal") }
            return isOneOff ? ("一次性 \(y) 元", "\(y) yuan, once") : ("每月 \(y) 元", "\(y) yuan a month")
        }
        var tailZh = paymentForm == .cash ? "" : "（服务额度，用于购买服务）"
        var tailEn = paymentForm == .cash ? "" : " (a service balance)"
        if let n = perUse?.perDay { tailZh += "，每天最多 \(n) 餐"; tailEn += ", at most \(n) a day" }
        if let f = amount.flatFen { let t = line(f); return .init(zh: t.zh + tailZh, en: t.en + tailEn) }
        if let bands = amount.byAge {
            let zh = bands.map { b in (b.maxAge.map { "\(b.minAge)–\($0) 岁" } ?? "\(b.minAge) 岁及以上") + line(b.fen).zh }
            let en = bands.map { b in (b.maxAge.map { "\(b.minAge)–\($0)" } ?? "\(b.minAge)+") + ": " + line(b.fen).en }
            return .init(zh: zh.joined(separator: "；") + tailZh, en: en.joined(separator: "; ") + tailEn)
        }
        if let levels = amount.byLevel {
            return .init(zh: levels.map { "第 \($0.level) 级" + line($0.fen).zh }.joined(separator: "；") + tailZh,
                         en: levels.map { "level \($0.level): " + line($0.fen).en }.joined(separator: "; ") + tailEn)
        }
        return .init(zh: "", en: "")
    }
}

/// How an application is decided: review steps in order, each by staff of a region level,
/// then a public notice (公示) before the decision. Data with a start date, like the policies.
public struct ApplicationWorkflow: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public var code: String
        public var name: LocalizedText
        /// Staff of this level take the step.
        public var level: RegionLevel
        /// Staff of a level above may take it too, where the bureau's settings say so; nil is no.
        public var orAbove: Bool?
        public init(code: String, name: LocalizedText, level: RegionLevel, orAbove: Bool? = nil) {
            self.code = code; self.name = name; self.level = level; self.orAbove = orAbove
        }
    }

    public var steps: [Step]
    public var noticeDays: Int

    public init(steps: [Step], noticeDays: Int) { self.steps = steps; self.noticeDays = noticeDays }

    /// The plans' default: the township reviews, the county approves, seven days of public notice.
    public static let standard = ApplicationWorkflow(steps: [
        Step(code: "township_review", name: .init(zh: "乡镇（街道）审核", en: "Township review"), level: .township),
        Step(code: "county_approval", name: .init(zh: "县（区）民政部门审批", en: "County approval"), level: .county),
    ], noticeDays: 7)

    /// Whether an account of `level` may take `step`: the step's own level (a township review is
    /// the township's, not the county's), or one above it only where the step says so.
    public func allows(_ level: RegionLevel, step: Int) -> Bool {
        guard steps.indices.contains(step) else { return false }
        let s = steps[step]
        return level == s.level || (s.orAbove == true && level.prefixLength < s.level.prefixLength)
    }
}

/// A bureau's settings for keeping entitlements true, with the day they take effect.
public struct BenefitSettings: Sendable, Hashable, Codable {
    /// Evidence of life this recent counts (a verified visit, a care visit, an assessment, a
    /// community worker's confirmation); older, a community worker is asked to confirm.
    public var livenessRecentDays: Int
    /// Still unconfirmed this many days after that, a home visit is due.
    public var livenessVisitAfterDays: Int
    /// Unverified this many months → suspended (not ended).
    public var livenessSuspendAfterMonths: Int
    public var workflow: ApplicationWorkflow
    /// A month's roll may be computed this many days before the month begins (so the bank has
    /// the file on the first); nil, as in settings saved before it existed, is 0.
    public var runOpensDaysBefore: Int?
    public var runLeadDays: Int { runOpensDaysBefore ?? 0 }

    public init(livenessRecentDays: Int = 90, livenessVisitAfterDays: Int = 30, livenessSuspendAfterMonths: Int = 6,
                workflow: ApplicationWorkflow = .standard, runOpensDaysBefore: Int? = nil) {
        self.livenessRecentDays = livenessRecentDays; self.livenessVisitAfterDays = livenessVisitAfterDays
        self.livenessSuspendAfterMonths = livenessSuspendAfterMonths; self.workflow = workflow
        self.runOpensDaysBefore = runOpensDaysBefore
    }

    /// The first day a month's roll may be computed.
    public func runOpens(for month: Month) -> CalendarDate { month.firstDay.addingDays(-runLeadDays) }

    public static let defaults = BenefitSettings()

    /// Where a person stands, given the last evidence of life.
    public enum Liveness: String, Sendable, Codable { case verified, confirmationDue = "confirmation_due", visitDue = "visit_due", suspend }

    public func liveness(lastEvidence: CalendarDate?, since start: CalendarDate, today: CalendarDate) -> Liveness {
        let from = lastEvidence.map { Swift.max($0, start) } ?? start
        if from.addingMonths(livenessSuspendAfterMonths) <= today { return .suspend }
        if from.addingDays(livenessRecentDays + livenessVisitAfterDays) <= today { return .visitDue }
        if from.addingDays(livenessRecentDays) <= today { return .confirmationDue }
        return .verified
    }
}
