import Foundation

/// A person's record as typed into a form, sent to the API or read from a roster row: text,
/// unchecked. `ElderRecord.validate` turns it into `ElderFacts` or the list of broken rules.
public struct ElderInput: Sendable, Equatable {
    public var name = ""
    public var gender = ""
    public var birthDate = ""
    public var idNumber = ""
    public var ethnicity = ""
    public var phones = ""
    public var householdRegion = ""
    public var residenceRegion = ""
    public var address = ""
    public var livingArrangement = ""
    public var economicStatus = ""
    public var categories = ""
    public var disabilityLevel = ""
    public var healthInsurance = ""
    public var notes = ""

    public init() {}

    /// The fields by their JSON / column key, for imports that fill them one by one.
    public subscript(key: String) -> String {
        get { Self.keyPaths[key].map { self[keyPath: $0] } ?? "" }
        set { if let kp = Self.keyPaths[key] { self[keyPath: kp] = newValue } }
    }

    nonisolated(unsafe) public static let keyPaths: [String: WritableKeyPath<ElderInput, String>] = [
        "name": \.name, "gender": \.gender, "birthDate": \.birthDate, "idNumber": \.idNumber, "ethnicity": \.ethnicity,
        "phones": \.phones, "householdRegion": \.householdRegion, "residenceRegion": \.residenceRegion, "address": \.address,
        "livingArrangement": \.livingArrangement, "economicStatus": \.economicStatus, "categories": \.categories,
        "disabilityLevel": \.disabilityLevel, "healthInsurance": \.healthInsurance, "notes": \.notes,
    ]
}

/// A checked record, ready to store.
public struct ElderFacts: Sendable, Equatable {
    public var name: String
    public var gender: Gender
    public var birthDate: CalendarDate
    public var id: CitizenID
    public var ethnicity: String
    public var phones: [String]
    public var householdRegion: RegionCode
    public var residenceRegion: RegionCode
    public var address: String
    public var livingArrangement: String?
    public var economicStatus: String
    public var categories: [String]
    public var disabilityLevel: Int?
    public var healthInsurance: String?
    public var notes: String
}

public enum ElderRecord {
    /// Accepted spellings (code, Chinese name, English name) of each code list → the code.
    public typealias Vocabulary = [ReferenceCode.Kind: [String: String]]

    public static func vocabulary(_ codes: [ReferenceCode]) -> Vocabulary {
        var v: Vocabulary = [:]
        for c in codes {
            for spelling in [c.code, c.name.zh, c.name.en] { v[c.kind, default: [:]][spelling.lowercased()] = c.code }
        }
        return v
    }

    static let listSeparators: Set<Character> = [",", "，", "、", ";", "；", "|", "/"]

    /// `storedName`: the record's name as stored, on an update. A name stored before the name
    /// rules were made is not refused again while nobody changes it, so the rest of the record
    /// can still be corrected.
    public static func validate(_ input: ElderInput, vocabulary: Vocabulary, today: CalendarDate = .today(),
                                storedName: String? = nil) -> Result<ElderFacts, ValidationIssues> {
        var issues: [ValidationIssue] = []
        func fail(_ field: String, _ rule: String, _ zh: String, _ en: String) {
            issues.append(ValidationIssue(field: field, rule: rule, message: LocalizedText(zh: zh, en: en)))
        }
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { fail("name", "name.required", "姓名不能为空", "Name is required") }
        else if name.count > 50 { fail("name", "name.length", "姓名不能超过 50 个字", "Name must be at most 50 characters") }
        else if name != storedName, let issue = PersonName.issue(name, field: "name") { issues.append(issue) }

        var id: CitizenID? = nil
        switch CitizenID.parse(input.idNumber, today: today) {
        case .success(let parsed): id = parsed
        case .failure(let p): issues.append(ValidationIssue(field: "idNumber", rule: CitizenID.rule(for: p), message: CitizenID.message(for: p)))
        }

        var gender = id?.gender
        let rawGender = input.gender.trimmingCharacters(in: .whitespaces)
        if !rawGender.isEmpty {
            if let g = Gender.parse(rawGender) {
                if let id, g != id.gender {
                    fail("gender", "gender.contradicts_id", "性别“\(rawGender)”与身份证号不符（号码为\(id.gender.name.zh)性）",
                         "Gender \"\(rawGender)\" contradicts the ID number (which is \(id.gender.name.en.lowercased()))")
                }
                gender = gender ?? g
            } else {
                fail("gender", "gender.unknown", "性别应为“男”或“女”", "Gender must be male or female")
            }
        }

        var birth = id?.birthDate
        let rawBirth = input.birthDate.trimmingCharacters(in: .whitespaces)
        if !rawBirth.isEmpty {
            if let b = CalendarDate(rawBirth) {
                if let id, b != id.birthDate {
                    fail("birthDate", "birth_date.contradicts_id", "出生日期 \(b) 与身份证号中的 \(id.birthDate) 不符",
                         "Birth date \(b) contradicts the ID number's \(id.birthDate)")
                }
                birth = birth ?? b
            } else {
                fail("birthDate", "birth_date.format", "出生日期“\(rawBirth)”无法识别，应为 YYYY-MM-DD", "Birth date \"\(rawBirth)\" is not a date; use YYYY-MM-DD")
            }
        }

        var phones: [String] = []
        for p in input.phones.split(whereSeparator: { listSeparators.contains($0) || $0 == " " }).map(String.init) where !p.isEmpty {
            if let issue = AccountFields.phoneIssue(p) { issues.append(ValidationIssue(field: "phones", rule: issue.rule, message: issue.message)) }
            else { phones.append(p) }
        }

        func region(_ raw: String, field: String, required: Bool) -> RegionCode? {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty {
                if required { fail(field, "region.required", "区划代码不能为空", "Region code is required") }
                return nil
            }
            guard let code = RegionCode(t), code.level != .nation else {
                fail(field, "region.code.invalid", "区划代码“\(t)”无效：应为 12 位统计用区划代码", "Region code \"\(t)\" is invalid: use the 12-digit statistical code")
                return nil
            }
            return code
        }
        let household = region(input.householdRegion, field: "householdRegion", required: true)
        let residence = region(input.residenceRegion, field: "residenceRegion", required: false) ?? household

        func code(_ raw: String, _ kind: ReferenceCode.Kind, field: String) -> String? {
            let t = raw.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return nil }
            guard let c = vocabulary[kind]?[t.lowercased()] else {
                let options = Set(vocabulary[kind]?.values ?? [:].values).sorted().joined(separator: ", ")
                fail(field, "\(kind.rawValue).unknown", "“\(t)”不在代码表中（可选：\(options)）", "\"\(t)\" is not in the code list (one of: \(options))")
                return nil
            }
            return c
        }
        let living = code(input.livingArrangement, .livingArrangement, field: "livingArrangement")
        let economic = code(input.economicStatus, .economicStatus, field: "economicStatus") ?? "ordinary"
        let insurance = code(input.healthInsurance, .healthInsurance, field: "healthInsurance")
        var categories = Set<String>()
        for part in input.categories.split(whereSeparator: { listSeparators.contains($0) }).map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            // 高龄 is derived from the birth date; a roster that says so is not wrong, just redundant.
            if part == "高龄" || part.lowercased() == "advanced_age" { continue }
            if let c = code(part, .category, field: "categories") { categories.insert(c) }
        }
        var disability: Int? = nil
        let rawLevel = input.disabilityLevel.trimmingCharacters(in: .whitespaces)
        if !rawLevel.isEmpty {
            let digits = rawLevel.replacingOccurrences(of: "级", with: "").replacingOccurrences(of: "一", with: "1")
                .replacingOccurrences(of: "二", with: "2").replacingOccurrences(of: "三", with: "3").replacingOccurrences(of: "四", with: "4")
            if let l = Int(digits), (1...4).contains(l) { disability = l; categories.insert("disability") }
            else { fail("disabilityLevel", "disability_level.range", "残疾等级应为 1–4 级", "Disability level must be 1 to 4") }
        }
        if input.notes.count > 2000 { fail("notes", "notes.length", "备注不能超过 2000 字", "Notes must be at most 2000 characters") }
        if input.address.count > 200 { fail("address", "address.length", "地址不能超过 200 字", "Address must be at most 200 characters") }

        guard issues.isEmpty, let id, let gender, let birth, let household, let residence else { return .failure(ValidationIssues(issues)) }
        return .success(ElderFacts(
            name: name, gender: gender, birthDate: birth, id: id, ethnicity: input.ethnicity.trimmingCharacters(in: .whitespaces),
            phones: phones, householdRegion: household, residenceRegion: residence,
            address: input.address.trimmingCharacters(in: .whitespacesAndNewlines), livingArrangement: living,
            economicStatus: economic, categories: categories.sorted(), disabilityLevel: disability, healthInsurance: insurance,
            notes: input.notes.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}

/// Which roster column holds which field: Chinese or English headers, as bureaus write them.
public enum RosterColumns {
    public static let aliases: [String: [String]] = [
        "name": ["姓名", "name", "老人姓名"],
        "idNumber": ["身份证号", "身份证号码", "公民身份号码", "身份证", "idnumber", "id_number", "id"],
        "gender": ["性别", "gender", "sex"],
        "birthDate": ["出生日期", "出生年月日", "birthdate", "birth_date", "birthday"],
        "ethnicity": ["民族", "ethnicity"],
        "phones": ["联系电话", "电话", "手机", "手机号", "phone", "phones"],
        "householdRegion": ["户籍地区划代码", "户籍地代码", "户籍区划代码", "householdregion", "household_region"],
        "residenceRegion": ["居住地区划代码", "居住地代码", "现居住地区划代码", "residenceregion", "residence_region"],
        "address": ["详细地址", "地址", "居住地址", "address"],
        "livingArrangement": ["居住情况", "居住状况", "livingarrangement", "living_arrangement"],
        "economicStatus": ["经济状况", "经济类别", "economicstatus", "economic_status"],
        "categories": ["类别", "人员类别", "老人类别", "categories", "category"],
        "disabilityLevel": ["残疾等级", "disabilitylevel", "disability_level"],
        "healthInsurance": ["医保类型", "医疗保险", "healthinsurance", "health_insurance"],
        "notes": ["备注", "notes", "note"],
    ]

    /// Maps each header cell to a field key, or nil for an unknown column.
    public static func map(_ headers: [String]) -> [String?] {
        headers.map { h in
            let key = h.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: " ", with: "").lowercased()
            return aliases.first { $0.value.contains(key) }?.key
        }
    }
}
