import Fluent
import Vapor
import YiyangDomain

/// The bureau's side of home services: service points, providers and their contracts,
/// caregivers and certificates, the menu, where homes are, the settings. Each write is audited.
struct ServiceSetup {
    let req: Request
    var db: any Database { req.db }

    static func trimmed(_ s: String?) -> String { (s ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }

    static func day(_ raw: String?, field: String) throws -> CalendarDate {
        guard let raw, let d = CalendarDate(raw.trimmingCharacters(in: .whitespaces)) else {
            throw AppError(.unprocessableEntity, "date.invalid", field: field, zh: "日期应写成 2026-01-01", en: "Write the date as 2026-01-01")
        }
        return d
    }

    func audit(_ entity: String, _ id: UUID?, region: String, after: [String: String]) async throws {
        try await AuditLog.record(on: req, action: .serviceSetupChanged, entityType: entity, entityID: id?.uuidString, region: region, after: after)
    }

    // MARK: Service points

    struct PointInput: Content {
        var regionCode: String
        var kind: String
        var name: String
        var address: String
        var latitude: Double?
        var longitude: Double?
        var capacity: Int?
        var hours: String?
        var providerId: UUID?
    }

    func createPoint(_ i: PointInput) async throws -> ServicePoint {
        let actor = try req.require(.servicesManage)
        let region = try req.requireInScope(i.regionCode, field: "regionCode")
        guard let kind = ServicePointKind(rawValue: i.kind) else {
            throw AppError(.unprocessableEntity, "point.kind", field: "kind", zh: "服务点类型无效：可选 " + ServicePointKind.allCases.map(\.rawValue).joined(separator: "、"),
                           en: "Unknown kind; use " + ServicePointKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard !Self.trimmed(i.name).isEmpty else { throw AppError.required("name", zh: "服务点名称", en: "The name") }
        if (i.latitude == nil) != (i.longitude == nil) || (i.latitude != nil && GeoPoint(latitude: i.latitude!, longitude: i.longitude!) == nil) {
            throw AppError(.unprocessableEntity, "point.geo", field: "latitude", zh: "经纬度应同时填写，纬度 -90 到 90，经度 -180 到 180", en: "Give both latitude (-90–90) and longitude (-180–180)")
        }
        if let c = i.capacity, c < 0 { throw AppError(.unprocessableEntity, "point.capacity", field: "capacity", zh: "容量不能为负数", en: "The capacity cannot be negative") }
        if let p = i.providerId { _ = try await req.findScoped(ServiceProvider.self, p) }
        let p = ServicePoint()
        p.regionCode = region.value; p.kind = kind.rawValue; p.name = Self.trimmed(i.name); p.address = Self.trimmed(i.address)
        p.latitude = i.latitude; p.longitude = i.longitude; p.capacity = i.capacity ?? 0; p.hours = Self.trimmed(i.hours)
        p.providerID = i.providerId; p.active = true; p.createdBy = actor.username
        try await p.create(on: db)
        try await audit("service_point", p.id, region: p.regionCode, after: ["name": p.name, "kind": p.kind])
        return p
    }

    // MARK: Providers, contracts, caregivers

    struct ProviderInput: Content {
        var regionCode: String
        var name: String
        var creditCode: String
        var qualifications: String?
        var contact: String?
    }

    func createProvider(_ i: ProviderInput) async throws -> ServiceProvider {
        let actor = try req.require(.servicesManage)
        let region = try req.requireInScope(i.regionCode, field: "regionCode")
        guard !Self.trimmed(i.name).isEmpty else { throw AppError.required("name", zh: "服务商名称", en: "The name") }
        let code = try CreditCode.normalized(i.creditCode)
        if try await ServiceProvider.query(on: db).filter(\.$creditCode == code).count() > 0 {
            throw AppError(.conflict, "provider.duplicate", field: "creditCode", zh: "这个统一社会信用代码的服务商已登记", en: "A provider with this credit code is registered")
        }
        let p = ServiceProvider()
        p.regionCode = region.value; p.name = Self.trimmed(i.name); p.creditCode = code
        p.qualifications = Self.trimmed(i.qualifications); p.contact = Self.trimmed(i.contact); p.active = true; p.createdBy = actor.username
        try await p.create(on: db)
        try await audit("service_provider", p.id, region: p.regionCode, after: ["name": p.name, "creditCode": code])
        return p
    }

    struct ContractInput: Content {
        var regionCode: String
        /// Contracted price per menu item code, in fen.
        var prices: [String: Int]
        var startsOn: String
        var endsOn: String
    }

    func createContract(provider: ServiceProvider, _ i: ContractInput) async throws -> ProviderContract {
        let actor = try req.require(.servicesManage)
        let region = try req.requireInScope(i.regionCode, field: "regionCode")
        let from = try Self.day(i.startsOn, field: "startsOn"), to = try Self.day(i.endsOn, field: "endsOn")
        guard from <= to else { throw AppError(.unprocessableEntity, "contract.period", field: "endsOn", zh: "合同截止日期早于起始日期", en: "The contract ends before it starts") }
        guard !i.prices.isEmpty else { throw AppError.required("prices", zh: "合同服务项目与价格", en: "The services and prices") }
        for (code, fen) in i.prices where code.isEmpty || fen <= 0 || fen > 10_000_000 {
            throw AppError(.unprocessableEntity, "contract.price", field: "prices", zh: "“\(code)”的合同价格应大于 0 元", en: "The price of \"\(code)\" must be above 0")
        }
        let c = ProviderContract()
        c.providerID = provider.id!; c.regionCode = region.value; c.pricesJSON = ServiceOrders.encode(i.prices)
        c.startsOn = from.description; c.endsOn = to.description; c.createdBy = actor.username
        try await c.create(on: db)
        try await audit("provider_contract", c.id, region: c.regionCode, after: ["provider": provider.name, "prices": c.pricesJSON, "period": "\(from)–\(to)"])
        return c
    }

    struct CertificateInput: Content {
        var qualification: String
        var number: String
        var validUntil: String
    }

    struct CaregiverInput: Content {
        var name: String
        var phone: String?
        /// An existing account (role caregiver) that opens the phone page.
        var username: String?
        var certificates: [CertificateInput]?
    }

    func createCaregiver(provider: ServiceProvider, _ i: CaregiverInput) async throws -> Caregiver {
        guard !Self.trimmed(i.name).isEmpty else { throw AppError.required("name", zh: "护理员姓名", en: "The name") }
        let c = Caregiver()
        c.providerID = provider.id!; c.regionCode = provider.regionCode; c.name = Self.trimmed(i.name)
        c.phoneMasked = Self.trimmed(i.phone).isEmpty ? "" : Masking.phone(Self.trimmed(i.phone)); c.active = true
        if let u = i.username.map(Self.trimmed), !u.isEmpty {
            guard let user = try await req.scoped(User.self).filter(\.$username == u).first() else {
                throw AppError(.unprocessableEntity, "caregiver.account", field: "username", zh: "找不到账号“\(u)”", en: "No account \"\(u)\"")
            }
            if try await Caregiver.query(on: db).filter(\.$userID == user.id!).count() > 0 {
                throw AppError(.conflict, "caregiver.account_taken", field: "username", zh: "账号“\(u)”已关联其他护理员", en: "The account \"\(u)\" belongs to another caregiver")
            }
            c.userID = user.id
        }
        let certificates = try (i.certificates ?? []).map(Self.certificate)
        try await db.transaction { tx in
            try await c.create(on: tx)
            for cert in certificates { cert.caregiverID = c.id!; cert.regionCode = c.regionCode; try await cert.create(on: tx) }
        }
        try await audit("caregiver", c.id, region: c.regionCode, after: ["name": c.name, "provider": provider.name,
                                                                         "certificates": certificates.map { "\($0.qualification) \($0.validUntil)" }.joined(separator: "; ")])
        return c
    }

    static func certificate(_ i: CertificateInput) throws -> CaregiverCertificate {
        guard let q = Qualification(rawValue: i.qualification) else {
            throw AppError(.unprocessableEntity, "certificate.qualification", field: "qualification",
                           zh: "证书类型无效：可选 " + Qualification.allCases.map(\.rawValue).joined(separator: "、"), en: "Unknown qualification; use " + Qualification.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard !trimmed(i.number).isEmpty else { throw AppError.required("number", zh: "证书编号", en: "The certificate number") }
        let until = try day(i.validUntil, field: "validUntil")
        let c = CaregiverCertificate()
        c.qualification = q.rawValue; c.number = trimmed(i.number); c.validUntil = until.description
        return c
    }

    func addCertificate(_ caregiver: Caregiver, _ i: CertificateInput) async throws -> CaregiverCertificate {
        let c = try Self.certificate(i)
        c.caregiverID = caregiver.id!; c.regionCode = caregiver.regionCode
        try await c.create(on: db)
        try await audit("caregiver", caregiver.id, region: caregiver.regionCode, after: ["certificate": c.qualification, "validUntil": c.validUntil])
        return c
    }

    struct AccountInput: Content {
        var username: String
        var providerId: UUID?
        var pointId: UUID?
    }

    /// Ties a dispatcher's account to its provider, or a meal point operator's to the point.
    func linkAccount(_ i: AccountInput) async throws -> ServiceAccount {
        let actor = try req.require(.servicesManage)
        guard let user = try await req.scoped(User.self).filter(\.$username == Self.trimmed(i.username)).first() else {
            throw AppError(.unprocessableEntity, "service_account.user", field: "username", zh: "找不到账号“\(i.username)”", en: "No account \"\(i.username)\"")
        }
        guard (i.providerId == nil) != (i.pointId == nil) else {
            throw AppError(.unprocessableEntity, "service_account.target", field: "providerId", zh: "请选择服务商或助餐点之一", en: "Choose either a provider or a meal point")
        }
        if let p = i.providerId { _ = try await req.findScoped(ServiceProvider.self, p) }
        if let p = i.pointId { _ = try await req.findScoped(ServicePoint.self, p) }
        let a = try await ServiceAccount.query(on: db).filter(\.$userID == user.id!).first() ?? ServiceAccount()
        a.userID = user.id!; a.regionCode = user.regionCode; a.providerID = i.providerId; a.pointID = i.pointId; a.createdBy = actor.username
        try await a.save(on: db)
        try await audit("service_account", a.id, region: a.regionCode, after: ["username": user.username, "provider": i.providerId?.uuidString ?? "", "point": i.pointId?.uuidString ?? ""])
        return a
    }

    // MARK: The menu

    struct ItemInput: Content {
        var regionCode: String
        var code: String
        var name: String
        var category: String
        var unit: String?
        var standardMinutes: Int
        var listPriceFen: Int
        /// Subsidised price per tier (`extreme_poverty`, `minimum_living`, `age_80`…), in fen.
        var tierPrices: [String: Int]?
        var qualification: String?
        var balanceAllowed: Bool?
        var effectiveFrom: String
        var effectiveTo: String?
    }

    func createItem(_ i: ItemInput) async throws -> ServiceItem {
        let actor = try req.require(.servicesManage)
        let region = try req.requireInScope(i.regionCode, field: "regionCode")
        let code = Self.trimmed(i.code)
        guard !code.isEmpty, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw AppError(.unprocessableEntity, "menu.code", field: "code", zh: "服务代码只能用字母、数字和下划线", en: "The code uses letters, digits and underscores")
        }
        guard !Self.trimmed(i.name).isEmpty else { throw AppError.required("name", zh: "服务名称", en: "The name") }
        guard let category = ServiceCategory(rawValue: i.category) else {
            throw AppError(.unprocessableEntity, "menu.category", field: "category", zh: "服务类别无效：可选 " + ServiceCategory.allCases.map(\.rawValue).joined(separator: "、"),
                           en: "Unknown category; use " + ServiceCategory.allCases.map(\.rawValue).joined(separator: ", "))
        }
        guard let unit = ServiceUnit(rawValue: i.unit ?? "visit") else {
            throw AppError(.unprocessableEntity, "menu.unit", field: "unit", zh: "计价单位应为 visit（次）或 hour（小时）", en: "The unit is visit or hour")
        }
        guard (5...600).contains(i.standardMinutes) else {
            throw AppError(.unprocessableEntity, "menu.minutes", field: "standardMinutes", zh: "标准时长应在 5 到 600 分钟之间", en: "The standard duration must be 5–600 minutes")
        }
        guard i.listPriceFen > 0 else { throw AppError(.unprocessableEntity, "menu.price", field: "listPriceFen", zh: "标准价格应大于 0", en: "The list price must be above 0") }
        let tiers = i.tierPrices ?? [:]
        let problems = PriceTiers.issues(tiers, listFen: i.listPriceFen, field: "tierPrices")
        if !problems.isEmpty { throw ValidationFailure(issues: problems) }
        if let q = i.qualification, !q.isEmpty, Qualification(rawValue: q) == nil {
            throw AppError(.unprocessableEntity, "menu.qualification", field: "qualification", zh: "资质要求无效", en: "Unknown qualification")
        }
        let from = try Self.day(i.effectiveFrom, field: "effectiveFrom")
        let to = try i.effectiveTo.flatMap { $0.isEmpty ? nil : $0 }.map { try Self.day($0, field: "effectiveTo") }
        if let to, to < from { throw AppError(.unprocessableEntity, "menu.period", field: "effectiveTo", zh: "截止日期早于生效日期", en: "The end is before the start") }
        if try await ServiceItem.query(on: db).filter(\.$regionCode == region.value).filter(\.$code == code)
            .filter(\.$effectiveFrom == from.description).count() > 0 {
            throw AppError(.conflict, "menu.duplicate", field: "effectiveFrom", zh: "本地区“\(code)”在 \(from) 已有一个版本", en: "\(code) already has a version from \(from) here")
        }
        let item = ServiceItem()
        item.regionCode = region.value; item.code = code; item.name = Self.trimmed(i.name); item.category = category.rawValue
        item.unit = unit.rawValue; item.standardMinutes = i.standardMinutes; item.listPriceFen = i.listPriceFen
        item.tierPricesJSON = ServiceOrders.encode(tiers); item.qualification = i.qualification.flatMap { $0.isEmpty ? nil : $0 }
        item.balanceAllowed = i.balanceAllowed ?? true; item.effectiveFrom = from.description; item.effectiveTo = to?.description
        item.createdBy = actor.username
        try await item.create(on: db)
        try await audit("service_item", item.id, region: item.regionCode, after: ["code": code, "listPriceFen": "\(item.listPriceFen)", "tiers": item.tierPricesJSON,
                                                                                 "from": item.effectiveFrom])
        return item
    }

    // MARK: Homes and settings

    struct HomeInput: Content { var latitude: Double; var longitude: Double }

    /// Where the person's home is, for checking visits against it; sealed like the address.
    func setHome(_ elder: Elder, _ i: HomeInput) async throws {
        let actor = try req.require(.registryEdit)
        guard let point = GeoPoint(latitude: i.latitude, longitude: i.longitude) else {
            throw AppError(.unprocessableEntity, "home.geo", field: "latitude", zh: "纬度应在 -90 到 90，经度 -180 到 180 之间", en: "Latitude −90–90, longitude −180–180")
        }
        let home = try await ServiceHome.query(on: db).filter(\.$elderID == elder.id!).first() ?? ServiceHome()
        let had = home.id != nil
        home.elderID = elder.id!; home.regionCode = elder.residenceRegion; home.updatedBy = actor.username
        home.geoCipher = try req.application.vault.seal("\(point.latitude),\(point.longitude)")
        try await home.save(on: db)
        // Orders not yet visited check against the new place.
        try await ServiceOrder.query(on: db).filter(\.$elderID == elder.id!).filter(\.$placeKind == "home")
            .filter(\.$status ~~ [ServiceOrderStatus.placed, .accepted, .assigned].map(\.rawValue))
            .set(\.$placeGeoCipher, to: home.geoCipher).update()
        try await AuditLog.record(on: req, action: .serviceSetupChanged, entityType: "elder", entityID: elder.id?.uuidString, region: elder.residenceRegion,
                                  after: ["homeLocation": had ? "changed" : "set"])
    }

    struct SettingsVersion: Content {
        var effectiveFrom: String
        var settings: HomeServiceSettings
    }

    func saveSettings(_ v: SettingsVersion) async throws -> HomeServiceSettingsRow {
        let actor = try req.require(.servicesManage)
        // Platform-wide, like the benefit settings: the administrators' to change.
        guard actor.has(.rolesManage) else { throw AppError.forbidden(.rolesManage) }
        let from = try Self.day(v.effectiveFrom, field: "effectiveFrom")
        let problems = v.settings.issues()
        if !problems.isEmpty { throw ValidationFailure(issues: problems) }
        let row = HomeServiceSettingsRow()
        row.effectiveFrom = from.description; row.settingsJSON = ServiceOrders.encode(v.settings); row.createdBy = actor.username
        try await row.create(on: db)
        try await AuditLog.record(on: req, action: .serviceSetupChanged, entityType: "home_service_settings", entityID: row.id?.uuidString,
                                  region: actor.region.value, after: ["effectiveFrom": row.effectiveFrom, "settings": row.settingsJSON])
        return row
    }
}
