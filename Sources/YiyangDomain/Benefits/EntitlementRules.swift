import Foundation

/// What the rules need to know of a person on a month.
public struct PersonFacts: Sendable, Hashable, Codable {
    public struct Assessment: Sendable, Hashable, Codable {
        public var instrument: String
        public var level: Int
        public var levelName: String
        public var validUntil: CalendarDate
        public init(instrument: String, level: Int, levelName: String, validUntil: CalendarDate) {
            self.instrument = instrument; self.level = level; self.levelName = levelName; self.validUntil = validUntil
        }
    }

    public var birthDate: CalendarDate
    public var residenceRegion: String
    public var living: Bool
    public var categories: Set<String>
    public var economicStatus: String
    public var inInstitution: Bool
    public var assessment: Assessment?
    /// Benefit types the person receives now (for "not while receiving").
    public var receiving: Set<String>

    public init(birthDate: CalendarDate, residenceRegion: String, living: Bool = true, categories: Set<String> = [], economicStatus: String = "ordinary",
                inInstitution: Bool = false, assessment: Assessment? = nil, receiving: Set<String> = []) {
        self.birthDate = birthDate; self.residenceRegion = residenceRegion; self.living = living; self.categories = categories
        self.economicStatus = economicStatus; self.inInstitution = inInstitution; self.assessment = assessment; self.receiving = receiving
    }

    /// Age on the last day of the month: someone turning 80 in December is 80 for December.
    public func age(in month: Month) -> Int { birthDate.age(on: month.lastDay) }
}

/// One condition of a policy, whether it held, and why, for staff and in plain words. The plain words name
/// no one ("已满 80 周岁", not "您已满"): the person, a family member and the staff beside them all read them.
public struct ConditionCheck: Sendable, Hashable, Codable {
    public var code: String
    public var held: Bool
    public var staff: LocalizedText
    public var plain: LocalizedText
}

/// A policy applied to a person on a month: entitled or not, how much, and each condition.
public struct BenefitDecision: Sendable, Hashable, Codable {
    public var benefitType: String
    public var policyID: UUID
    public var policyVersion: Int
    public var policyRegion: String
    public var entitled: Bool
    public var amountFen: Int?
    public var paymentForm: PaymentForm
    public var checks: [ConditionCheck]
    /// The decision in a sentence for the applicant.
    public var plainSummary: LocalizedText
}

/// Names of codes, for explanations (categories, economic status). Unknown codes show as themselves.
public struct CodeNames: Sendable {
    public var names: [String: LocalizedText]
    public init(_ names: [String: LocalizedText] = [:]) { self.names = names }
    public func zh(_ code: String) -> String { names[code]?.zh ?? code }
    public func en(_ code: String) -> String { names[code]?.en ?? code }
}

public enum EntitlementRules {
    /// The policy of a benefit type that applies to a region on a month: the one of the nearest
    /// region at or above it that has one in force, its newest version there.
    public static func policy(for type: String, region: String, month: Month, among policies: [BenefitPolicy]) -> BenefitPolicy? {
        guard let code = RegionCode(region) else { return nil }
        return policies.filter { p in
            p.benefitType == type && p.inForce(month) && RegionCode(p.regionCode).map { $0.contains(code) } == true
        }.max { a, b in
            let da = RegionCode(a.regionCode)!.prefix.count, db = RegionCode(b.regionCode)!.prefix.count
            return (da, a.version, a.effectiveFrom) < (db, b.version, b.effectiveFrom)
        }
    }

    /// Every benefit type with a policy for the person's residence, decided.
    public static func evaluate(_ facts: PersonFacts, month: Month, policies all: [BenefitPolicy], names: CodeNames = CodeNames()) -> [BenefitDecision] {
        // Subsidies to institutions are never a person's.
        let policies = all.filter(\.isForPersons)
        let types = Array(Set(policies.map(\.benefitType))).sorted()
        return types.compactMap { type in
            policy(for: type, region: facts.residenceRegion, month: month, among: policies).map { decide(facts, month: month, policy: $0, names: names) }
        }
    }

    public static func decide(_ f: PersonFacts, month: Month, policy p: BenefitPolicy, names: CodeNames = CodeNames()) -> BenefitDecision {
        var checks: [ConditionCheck] = []
        let e = p.eligibility
        let age = f.age(in: month)
        let benefit = BenefitType.name(p.benefitType)
        func check(_ code: String, _ held: Bool, staff: (String, String), plain: (String, String)) {
            checks.append(ConditionCheck(code: code, held: held, staff: .init(zh: staff.0, en: staff.1), plain: .init(zh: plain.0, en: plain.1)))
        }

        check("living", f.living, staff: ("在世：\(f.living ? "是" : "否")", "Living: \(f.living ? "yes" : "no")"),
              plain: f.living ? ("", "") : ("登记状态为已故或已迁出。", "The record says the person has died or moved out."))
        if let minAge = e.minAge {
            check("min_age", age >= minAge, staff: ("\(month) 月末年龄 \(age) 岁，要求 ≥ \(minAge)", "Age at the end of \(month): \(age), needs ≥ \(minAge)"),
                  plain: age >= minAge ? ("\(month.year) 年 \(month.month) 月已满 \(minAge) 周岁（\(age) 岁）。", "Aged \(age) in \(month), at least \(minAge).")
                                       : ("需年满 \(minAge) 周岁，\(month.year) 年 \(month.month) 月为 \(age) 岁。", "Must be \(minAge); aged \(age) in \(month)."))
        }
        if let maxAge = e.maxAge {
            check("max_age", age <= maxAge, staff: ("年龄 \(age) 岁，要求 ≤ \(maxAge)", "Age \(age), needs ≤ \(maxAge)"),
                  plain: age <= maxAge ? ("年龄符合（不超过 \(maxAge) 周岁）。", "Age within the limit (\(maxAge)).")
                                       : ("此项限 \(maxAge) 周岁及以下。", "This is for people aged \(maxAge) or under."))
        }
        if !e.categoriesAny.isEmpty {
            let hit = e.categoriesAny.filter { f.categories.contains($0) }
            let wantedZh = e.categoriesAny.map(names.zh).joined(separator: "、"), wantedEn = e.categoriesAny.map(names.en).joined(separator: ", ")
            check("category", !hit.isEmpty, staff: ("类别须含其一：\(wantedZh)；登记为：\(f.categories.sorted().map(names.zh).joined(separator: "、"))",
                                                    "One of: \(wantedEn); registered: \(f.categories.sorted().map(names.en).joined(separator: ", "))"),
                  plain: !hit.isEmpty ? ("登记为\(hit.map(names.zh).joined(separator: "、"))老人，符合条件。", "Registered as \(hit.map(names.en).joined(separator: ", ")).")
                                      : ("此项面向\(wantedZh)老人，登记中没有这些类别。", "This is for people registered as \(wantedEn)."))
        }
        if !e.economicStatusesAny.isEmpty {
            let ok = e.economicStatusesAny.contains(f.economicStatus)
            let wantedZh = e.economicStatusesAny.map(names.zh).joined(separator: "、"), wantedEn = e.economicStatusesAny.map(names.en).joined(separator: ", ")
            check("economic_status", ok, staff: ("经济状况须为：\(wantedZh)；登记为：\(names.zh(f.economicStatus))", "Economic status in: \(wantedEn); registered: \(names.en(f.economicStatus))"),
                  plain: ok ? ("经济状况为\(names.zh(f.economicStatus))，符合条件。", "Economic status \(names.en(f.economicStatus)) qualifies.")
                            : ("此项面向\(wantedZh)老人，登记的经济状况为\(names.zh(f.economicStatus))。", "This is for \(wantedEn); the registered status is \(names.en(f.economicStatus))."))
        }
        if let a = e.assessment {
            let valid = f.assessment.flatMap { r in r.instrument == a.instrument && r.validUntil >= month.firstDay ? r : nil }
            let ok = valid.map { a.minLevel <= $0.level && $0.level <= a.maxLevel } ?? false
            let staffText: (String, String)
            let plainText: (String, String)
            if let r = valid {
                staffText = ("\(a.instrument) 等级 \(r.level)（\(r.levelName)），要求 \(a.minLevel)–\(a.maxLevel)，有效至 \(r.validUntil)",
                             "\(a.instrument) level \(r.level) (\(r.levelName)), needs \(a.minLevel)–\(a.maxLevel), valid until \(r.validUntil)")
                plainText = ok ? ("能力评估结果为“\(r.levelName)”，符合条件。", "The assessment, \(r.levelName), qualifies.")
                               : ("能力评估结果为“\(r.levelName)”，不在此项的等级范围内。", "The assessment, \(r.levelName), is outside the levels this covers.")
            } else {
                staffText = ("无有效的 \(a.instrument) 评估结果", "No valid \(a.instrument) result")
                plainText = ("需要有效的老年人能力评估结果，请申请评估。", "A valid capability assessment is needed; ask for one.")
            }
            check("assessment", ok, staff: staffText, plain: plainText)
        }
        if !e.notWhileReceiving.isEmpty {
            let clash = e.notWhileReceiving.filter { f.receiving.contains($0) }
            let clashZh = clash.map { BenefitType.name($0).zh }.joined(separator: "、"), clashEn = clash.map { BenefitType.name($0).en }.joined(separator: ", ")
            check("not_while_receiving", clash.isEmpty, staff: (clash.isEmpty ? "未享受互斥待遇" : "正在享受互斥待遇：\(clashZh)", clash.isEmpty ? "No excluding benefit" : "Receives excluding benefit: \(clashEn)"),
                  plain: clash.isEmpty ? ("", "") : ("已在领取\(clashZh)，两项不能同时享受。", "Already receives \(clashEn); the two cannot be combined."))
        }
        if e.notInInstitution {
            check("not_in_institution", !f.inInstitution, staff: ("入住机构：\(f.inInstitution ? "是" : "否")", "In an institution: \(f.inInstitution ? "yes" : "no")"),
                  plain: f.inInstitution ? ("入住养老机构期间不享受此项。", "Not while living in a care institution.") : ("", ""))
        }

        let entitled = checks.allSatisfy(\.held)
        var amount: Int? = nil
        if entitled {
            if let flat = p.amount.flatFen { amount = flat }
            else if let bands = p.amount.byAge { amount = bands.first { $0.contains(age) }?.fen }
            else if let levels = p.amount.byLevel, let level = f.assessment?.level { amount = levels.first { $0.level == level }?.fen }
        }
        let ok = entitled && amount != nil
        if entitled && amount == nil {
            check("amount", false, staff: ("没有适用的金额档次（年龄 \(age)）", "No amount band applies (age \(age))"),
                  plain: ("登记的情况没有对应的发放标准，请联系工作人员。", "No amount applies to the registered facts; please ask the staff."))
        }
        let yuan = amount.map(Fen.display) ?? ""
        let perDay = p.perUse?.perDay.map { ("，每天最多 \($0) 餐", ", at most \($0) a day") } ?? ("", "")
        let unit = p.isPerUse ? ("元/餐" + perDay.0, "yuan a meal" + perDay.1)
            : p.isOneOff ? ("元（一次性）", "yuan, once") : p.paymentForm == .cash ? ("元/月", "yuan a month") : ("元/月（服务额度）", "yuan a month (service balance)")
        let howMuch = p.isPerUse ? "每餐补贴 \(yuan) 元" + perDay.0 : p.isOneOff ? "一次性 \(yuan) 元" : "每月 \(yuan) 元"
        let summary: LocalizedText = ok
            ? .init(zh: "符合\(benefit.zh)的条件，\(howMuch)\(p.paymentForm == .cash || p.isPerUse ? "" : "服务额度")。", en: "Qualifies for the \(benefit.en.lowercased()): \(yuan) \(unit.1).")
            : .init(zh: "暂不符合\(benefit.zh)的条件：" + checks.filter { !$0.held }.map(\.plain.zh).filter { !$0.isEmpty }.joined(),
                    en: "Does not qualify for the \(benefit.en.lowercased()) now: " + checks.filter { !$0.held }.map(\.plain.en).filter { !$0.isEmpty }.joined(separator: " "))
        return BenefitDecision(benefitType: p.benefitType, policyID: p.id, policyVersion: p.version, policyRegion: p.regionCode,
                               entitled: ok, amountFen: ok ? amount : nil, paymentForm: p.paymentForm,
                               checks: checks, plainSummary: summary)
    }
}

/// When an entitlement pays, and what was paid that should not have been.
public enum PaymentRules {
    /// An entitlement pays for a month from its start month to its end month (both included).
    public static func pays(start: Month, end: Month?, month: Month) -> Bool {
        start <= month && (end.map { month <= $0 } ?? true)
    }

    /// After a death (or a move out) on `date`, the entitlement ends with that month: it pays the
    /// month of the event, not the months after.
    public static func lastPaidMonth(afterEventOn date: CalendarDate) -> Month { Month(date) }

    /// Months already paid beyond the new end: each becomes part of an overpayment.
    public static func overpaid(paidMonths: [Month], end: Month) -> [Month] {
        paidMonths.filter { $0 > end }.sorted()
    }
}

/// The example figures of one province's plan (practice.md): an example for the demo, not the
/// truth of any deployment; a bureau enters its own.
public enum ExamplePolicies {
    public static func jiangxiStyle(region: String, from month: Month) -> [BenefitPolicy] {
        [
            BenefitPolicy(benefitType: "age_allowance", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(minAge: 80),
                          amount: AmountRule(byAge: [AgeAmount(minAge: 80, maxAge: 89, fen: 5_000), AgeAmount(minAge: 90, maxAge: 99, fen: 10_000),
                                                     AgeAmount(minAge: 100, maxAge: nil, fen: 100_000)]),
                          payer: "市、县（区）财政", summary: "80 周岁及以上老年人按月领取高龄津贴：80–89 岁每月 50 元，90–99 岁每月 100 元，100 岁及以上每月 1000 元。",
                          basis: "示例：参照江西省基本养老服务补贴制度（演示数据，非正式标准）"),
            BenefitPolicy(benefitType: "care_subsidy", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(minAge: 60, economicStatusesAny: ["extreme_poverty", "minimum_living", "low_income"],
                                                       assessment: AssessmentCondition(instrument: "gbt42195-2022", minLevel: 2, maxLevel: 4)),
                          amount: AmountRule(byLevel: [LevelAmount(level: 2, fen: 5_000), LevelAmount(level: 3, fen: 10_000), LevelAmount(level: 4, fen: 15_000)]),
                          payer: "市、县（区）财政", summary: "经济困难的中度、重度、完全失能老年人按评估等级每月领取护理补贴：中度 50 元，重度 100 元，完全失能 150 元。",
                          basis: "示例：参照江西省基本养老服务补贴制度（演示数据，非正式标准）"),
            BenefitPolicy(benefitType: "service_subsidy", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(minAge: 60, economicStatusesAny: ["extreme_poverty", "minimum_living", "low_income"], notInInstitution: true),
                          amount: AmountRule(flatFen: 5_000), paymentForm: .serviceBalance,
                          payer: "市、县（区）财政", summary: "居家的经济困难老年人每月 50 元居家养老服务额度，用于购买上门服务和助餐。",
                          basis: "示例：参照江西省基本养老服务补贴制度（演示数据，非正式标准）"),
            BenefitPolicy(benefitType: "meal_subsidy", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(minAge: 60),
                          amount: AmountRule(byAge: [AgeAmount(minAge: 60, maxAge: 79, fen: 300), AgeAmount(minAge: 80, maxAge: 89, fen: 500),
                                                     AgeAmount(minAge: 90, maxAge: nil, fen: 800)]),
                          payer: "县（区）财政", summary: "60 岁以上老年人在助餐点用餐每餐补贴 3 元，80 岁以上 5 元，90 岁以上 8 元，每天限一餐。",
                          basis: "示例：参照各地老年助餐服务补贴做法（演示数据，非正式标准）", perUse: PerUseRule(unit: "meal", perDay: 1)),
            BenefitPolicy(benefitType: "institution_operating_subsidy", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(), amount: AmountRule(),
                          payer: "市、县（区）财政", summary: "养老机构按月末在院的失能老年人领取运营补贴：完全失能每人每月 200 元，中度、重度失能每人每月 100 元。",
                          basis: "示例：参照江西省养老机构运营补贴标准（演示数据，非正式标准）",
                          institution: InstitutionRule(basis: .residentMonth, instrument: "gbt42195-2022",
                                                       perResidentByLevel: [LevelAmount(level: 2, fen: 10_000), LevelAmount(level: 3, fen: 10_000),
                                                                            LevelAmount(level: 4, fen: 20_000)])),
            BenefitPolicy(benefitType: "bed_construction_subsidy", regionCode: region, effectiveFrom: month,
                          eligibility: EligibilityRule(), amount: AmountRule(),
                          payer: "市级财政", summary: "养老机构新增护理型床位，验收合格后按床位数一次性领取建设补贴。",
                          basis: "示例：参照各地新增护理型床位建设补贴做法（演示数据，金额为假设，非正式标准）", oneOff: true,
                          institution: InstitutionRule(basis: .newBed, bedKinds: ["nursing"], perBedFen: 500_000)),
        ]
    }
}
