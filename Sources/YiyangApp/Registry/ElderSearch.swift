import Fluent
import Vapor
import YiyangDomain

/// The registry's search: by name (or its pinyin initials), exact ID number, phone, region
/// subtree, category, economic status, age range and status; sorted and paginated. Shared by
/// the API, the list page and the export.
struct ElderSearch {
    var q: String?
    var region: RegionCode?
    var category: String?
    var economicStatus: String?
    var status: String?
    var ageMin: Int?
    var ageMax: Int?
    var sort = "name"
    var raw: [String: String] = [:]

    static let sorts = ["name", "-name", "birthDate", "-birthDate", "updatedAt", "-updatedAt"]

    /// `picked`: the region a page resolved from what was typed (`RegionPicker`), whose code
    /// is searched (none when it did not resolve); the text typed stays in `raw` for the form.
    /// Without it, as the API takes it, a code or nothing.
    init(_ req: Request, picked: RegionPicker.Resolution? = nil) throws {
        func q(_ name: String) -> String? {
            guard let v = req.query[String.self, at: name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            raw[name] = v
            return v
        }
        self.q = q("q")
        if let picked {
            _ = q("region")
            region = picked.code.flatMap(RegionCode.init)
        } else if let r = q("region") {
            guard let code = RegionCode(r) else {
                throw AppError(.badRequest, "query.region", field: "region", zh: "region 应为区划代码", en: "region must be a region code")
            }
            region = code
        }
        category = q("category"); economicStatus = q("economicStatus")
        if let s = q("status") {
            guard ElderStatus(rawValue: s) != nil else {
                throw AppError(.badRequest, "query.status", field: "status", zh: "status 应为 living、deceased 或 moved_out", en: "status must be living, deceased or moved_out")
            }
            status = s
        }
        func age(_ name: String) throws -> Int? {
            guard let v = q(name) else { return nil }
            guard let n = Int(v), (0...150).contains(n) else {
                throw AppError(.badRequest, "query.age", field: name, zh: "\(name) 应为 0 到 150 之间的整数", en: "\(name) must be a whole number from 0 to 150")
            }
            return n
        }
        ageMin = try age("ageMin")
        ageMax = try age("ageMax")
        if let s = q("sort") {
            guard Self.sorts.contains(s) else {
                throw AppError(.badRequest, "query.sort", field: "sort", zh: "sort 应为 \(Self.sorts.joined(separator: "、")) 之一", en: "sort must be one of \(Self.sorts.joined(separator: ", "))")
            }
            sort = s
        }
    }

    func apply(to query: QueryBuilder<Elder>, vault: PersonalDataVault) -> QueryBuilder<Elder> {
        var query = query
        if let q {
            let compact = q.replacingOccurrences(of: " ", with: "")
            if let id = CitizenID(compact) {
                query = query.filter(\.$idHash == vault.lookupHash(id.value))
            } else if compact.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), compact.count >= 7 {
                query = query.filter(\.$phoneHashes, .custom("LIKE"), "%,\(vault.lookupHash(compact)),%")
            } else if compact.allSatisfy({ $0.isASCII && $0.isLetter }) {
                query = query.filter(\.$nameInitials, .custom("LIKE"), compact.lowercased() + "%")
            } else {
                // A name: its start, the way people look for someone.
                // Plain text keeps the statement SQLite's prefix index serves; `%`, `_` or `\` are literal.
                query = LikePattern.needsEscape(compact) ? LikePattern.filter(query, "name", text: compact, after: "%")
                    : query.filter(\.$name, .custom("LIKE"), compact + "%")
            }
        }
        if let region { query = query.filter(\.$residenceRegion, .custom("LIKE"), region.prefix + "%") }
        if let category {
            if category == "advanced_age" {
                query = query.filter(\.$birthDate <= CalendarDate.today().yearsBefore(ReferenceCode.advancedAge).description)
            } else {
                query = query.filter(\.$categories, .custom("LIKE"), "%,\(category),%")
            }
        }
        if let economicStatus { query = query.filter(\.$economicStatus == economicStatus) }
        if let status { query = query.filter(\.$status == status) }
        let today = CalendarDate.today()
        // Age at least N: born on or before today N years ago. At most N: born after today N+1 years ago.
        if let ageMin { query = query.filter(\.$birthDate <= today.yearsBefore(ageMin).description) }
        if let ageMax { query = query.filter(\.$birthDate > today.yearsBefore(ageMax + 1).description) }
        return query
    }

    func sorted(_ query: QueryBuilder<Elder>) -> QueryBuilder<Elder> {
        switch sort {
        // Names sort by pinyin, as a Chinese reader expects (李 before 张), not by code point.
        case "-name": query.sort(\.$nameInitials, .descending).sort(\.$name, .descending).sort(\.$id)
        case "birthDate": query.sort(\.$birthDate).sort(\.$id)
        case "-birthDate": query.sort(\.$birthDate, .descending).sort(\.$id)
        case "updatedAt": query.sort(\.$updatedAt).sort(\.$id)
        case "-updatedAt": query.sort(\.$updatedAt, .descending).sort(\.$id)
        default: query.sort(\.$nameInitials).sort(\.$name).sort(\.$id)
        }
    }
}

/// A record as the API and pages show it: personal data masked unless `unmasked` is given.
struct ElderView: Content {
    struct Contact: Content { var name: String; var relation: String; var phone: String; var guardian: Bool }

    var id: UUID
    var name: String
    var gender: String
    var birthDate: String
    var age: Int?
    var idNumber: String
    var phones: [String]
    var householdRegion: String
    var residenceRegion: String
    var address: String
    var ethnicity: String
    var livingArrangement: String?
    var economicStatus: String
    var categories: [String]
    var disabilityLevel: Int?
    var healthInsurance: String?
    var status: String
    var statusDate: String?
    var statusNote: String?
    var notes: String
    var contacts: [Contact]?
    var masked: Bool
    var createdAt: Date?
    var updatedAt: Date?

    init(_ e: Elder, contacts: [ElderContact]? = nil, unmasked: (ElderSecrets, [String])? = nil) {
        id = e.id ?? UUID(); name = e.name; gender = e.gender; birthDate = e.birthDate; age = e.age
        idNumber = unmasked?.0.idNumber ?? e.idMasked
        phones = (unmasked.map { $0.0.phones } ?? e.phonesMasked).split(separator: ",").map(String.init)
        householdRegion = e.householdRegion; residenceRegion = e.residenceRegion
        address = unmasked?.0.address ?? e.addressMasked; ethnicity = e.ethnicity
        livingArrangement = e.livingArrangement; economicStatus = e.economicStatus
        // 高龄 is derived, never stored: it turns true on the 80th birthday by itself.
        categories = e.categoryCodes + ((e.age ?? 0) >= ReferenceCode.advancedAge ? ["advanced_age"] : [])
        disabilityLevel = e.disabilityLevel; healthInsurance = e.healthInsurance
        status = e.status; statusDate = e.statusDate; statusNote = e.statusNote; notes = e.notes
        self.contacts = contacts.map { list in
            list.enumerated().map { i, c in
                Contact(name: c.name, relation: c.relation, phone: unmasked.map { $0.1.indices.contains(i) ? $0.1[i] : c.phoneMasked } ?? c.phoneMasked,
                        guardian: c.isGuardian)
            }
        }
        masked = unmasked == nil
        createdAt = e.createdAt; updatedAt = e.updatedAt
    }
}
