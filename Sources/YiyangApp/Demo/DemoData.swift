import Fluent
import Vapor
import YiyangDomain

/// The demo data set: a city with three counties, their townships and communities or villages,
/// and one account per role sharing a published password. Everything is marked as demo.
///
/// The region names follow Shijiazhuang's real divisions where we know them, but the table is
/// a sample for trying the platform, not the official code table (`regions import` loads that).
enum DemoData {
    /// Published on purpose, printed at every demo start, and only on accounts flagged demo.
    static let password = "Demo@Yiyang2026"

    struct Account { var username: String; var displayName: String; var role: Role; var region: String }

    static let province = ("130000000000", "河北省")
    static let city = ("130100000000", "石家庄市")

    /// county → townships → communities/villages (code suffix, name, urban-rural class)
    static let tree: [(code: String, name: String, townships: [(code: String, name: String, units: [(String, String, String)])])] = [
        ("130102000000", "长安区", [
            ("130102001000", "建北街道", [("001", "建北社区居委会", "111"), ("002", "东风社区居委会", "111"), ("003", "光华社区居委会", "111")]),
            ("130102002000", "青园街道", [("001", "青园社区居委会", "111"), ("002", "谈南社区居委会", "111"), ("003", "北宿社区居委会", "111")]),
            ("130102003000", "广安街道", [("001", "广安社区居委会", "111"), ("002", "休门社区居委会", "111")]),
            ("130102100000", "高营镇", [("001", "高营村村委会", "121"), ("002", "东仰陵村村委会", "122"), ("003", "南村村委会", "220")]),
        ]),
        ("130108000000", "裕华区", [
            ("130108001000", "裕兴街道", [("001", "裕兴社区居委会", "111"), ("002", "槐北社区居委会", "111"), ("003", "体育南社区居委会", "111")]),
            ("130108002000", "裕强街道", [("001", "裕强社区居委会", "111"), ("002", "翟营社区居委会", "111")]),
            ("130108003000", "东苑街道", [("001", "东苑社区居委会", "111"), ("002", "建华社区居委会", "111")]),
        ]),
        ("130123000000", "正定县", [
            ("130123100000", "正定镇", [("001", "顺城关社区居委会", "121"), ("002", "东关村村委会", "122"), ("003", "西关村村委会", "122")]),
            ("130123101000", "诸福屯镇", [("001", "诸福屯村村委会", "121"), ("002", "塔元庄村村委会", "220"), ("003", "西杜村村委会", "220")]),
            ("130123200000", "南牛乡", [("001", "南牛村村委会", "210"), ("002", "北牛村村委会", "220"), ("003", "东权城村村委会", "220")]),
            ("130123201000", "南楼乡", [("001", "南楼村村委会", "210"), ("002", "东杨庄村村委会", "220")]),
        ]),
    ]

    /// Synthetic people added by `serve --demo` on first start.
    static let serveElders = 2_000

    static let accounts: [Account] = [
        .init(username: "demo_admin", displayName: "演示·系统管理员", role: .admin, region: "130100000000"),
        .init(username: "demo_bureau", displayName: "演示·市民政局", role: .bureau, region: "130100000000"),
        // Four eyes: a second city account approves what the first computed, and a county
        // account takes the county step of an application (each step at its own level).
        .init(username: "demo_bureau2", displayName: "演示·市民政局复核", role: .bureau, region: "130100000000"),
        .init(username: "demo_county", displayName: "演示·长安区民政局", role: .bureau, region: "130102000000"),
        .init(username: "demo_township", displayName: "演示·建北街道", role: .township, region: "130102001000"),
        .init(username: "demo_township2", displayName: "演示·青园街道", role: .township, region: "130102002000"),
        .init(username: "demo_community", displayName: "演示·建北社区网格员", role: .community, region: "130102001001"),
        .init(username: "demo_assessor", displayName: "演示·评估员", role: .assessor, region: "130102000000"),
        .init(username: "demo_assessor2", displayName: "演示·评估员二", role: .assessor, region: "130102000000"),
        .init(username: "demo_institution", displayName: "演示·养老院", role: .institution, region: "130102001000"),
        .init(username: "demo_provider", displayName: "演示·服务商调度", role: .provider, region: "130108000000"),
        .init(username: "demo_caregiver", displayName: "演示·护理员", role: .caregiver, region: "130108001000"),
        // 长安区's provider has its own dispatcher and caregiver, so a family's order there can be
        // taken, given and served with the printed accounts (the caregiver works in 建北街道,
        // where the demo family's parent lives).
        .init(username: "demo_provider2", displayName: "演示·长安区服务商调度", role: .provider, region: "130102000000"),
        .init(username: "demo_caregiver2", displayName: "演示·长安区护理员", role: .caregiver, region: "130102001000"),
        .init(username: "demo_meal_point", displayName: "演示·助餐点", role: .mealPoint, region: "130108001001"),
        .init(username: "demo_volunteer", displayName: "演示·志愿者", role: .volunteer, region: "130102001002"),
        .init(username: "demo_inspector", displayName: "演示·检查员", role: .inspector, region: "130100000000"),
        .init(username: "demo_family", displayName: "演示·家属", role: .family, region: "130102001001"),
        .init(username: "demo_elder", displayName: "演示·老年人", role: .elder, region: "130102001001"),
    ]

    /// The regions of the demo as rows of an official table, so they go through the same
    /// checks as an imported file.
    static var regionCSV: String {
        var lines = ["code,name,class", "\(province.0),\(province.1),", "\(city.0),\(city.1),"]
        for county in tree {
            lines.append("\(county.code),\(county.name),")
            for t in county.townships {
                lines.append("\(t.code),\(t.name),")
                for u in t.units { lines.append("\(t.code.prefix(9))\(u.0),\(u.1),\(u.2)") }
            }
        }
        return lines.joined(separator: "\n")
    }

    static func isEmpty(_ db: any Database) async throws -> Bool {
        let users = try await User.query(on: db).count()
        let regions = try await Region.query(on: db).count()
        return users == 0 && regions <= 1
    }

    /// Loads the demo into an empty database; returns false (and touches nothing) otherwise.
    @discardableResult
    static func loadIfEmpty(_ app: Application) async throws -> Bool {
        guard try await isEmpty(app.db) else { return false }
        let report = try await RegionImporter.run(csv: regionCSV, scope: nil, locale: .zh, on: app.db)
        guard report.errors.isEmpty else {
            throw ConfigError(message: "demo regions rejected: \(report.errors.map(\.message))")
        }
        // One Bcrypt hash for the shared password: fifteen would take seconds for nothing.
        let hash = try await app.password.async.hash(password)
        try await app.db.transaction { tx in
            for a in accounts {
                let user = User(username: a.username, displayName: a.displayName, phone: demoPhone(a.username),
                                regionCode: a.region, passwordHash: hash, isDemo: true)
                try await user.create(on: tx)
                try await UserRole(userID: user.requireID(), role: a.role).create(on: tx)
            }
        }
        // The example benefit policies (Jiangxi-style figures, marked as an example), so the
        // service list and the benefit pages have something real to show.
        for p in ExamplePolicies.jiangxiStyle(region: city.0, from: Month(year: 2026, month: 1)!) {
            try await BenefitPolicyRow(p, createdBy: "demo").create(on: app.db)
        }
        try await AuditLog.recordSystem(on: app.db, actor: "system", action: .demoLoaded, entityType: "demo", entityID: nil,
                                        region: city.0, after: ["regions": String(report.inserted), "accounts": String(accounts.count)])
        return true
    }

    /// `serve --demo` on an empty database: the data set, `elders` synthetic people (so every page
    /// has something to show), their assessments, the home services, the institution and the
    /// months of history. Answers what was loaded, or nil when the database was not empty.
    static func loadForServe(_ app: Application, elders: Int = serveElders, seed: UInt64 = 1) async throws -> String? {
        guard try await loadIfEmpty(app) else { return nil }
        let report = try await DemoElders.add(elders, seed: seed, app: app, progress: nil)
        let assessments = try await DemoAssessments.add(seed: seed, app: app)
        let orders = try await DemoServices.add(seed: seed, app: app)
        let residents = try await DemoInstitutions.add(app: app)
        let h = try await DemoHistory.add(seed: seed, app: app)
        return "\(report.imported) elderly people, \(assessments) assessments, \(orders) service orders, "
            + "\(residents) institution residents, \(h.links) family link, \(h.entitlements) entitlements, "
            + "\(h.approvedRuns) approved payment runs, \(h.statements) statements, \(h.returnVisits) return visits made, "
            + "\(h.complaints) complaints, \(h.liveness) people seen alive"
    }

    /// The community of the demo family account, where the parent it is linked to lives.
    static let familyCommunity = "130102001001"

    /// The person the demo family account is linked to: the youngest person over 80 in 建北社区,
    /// chosen from the seeded people by birth date and name, so every demo links the same one.
    /// The services give them orders and the institutions leave them at home.
    static func familyParent(on db: any Database, today: CalendarDate = .today()) async throws -> Elder? {
        try await Elder.query(on: db).filter(\.$residenceRegion == familyCommunity).filter(\.$status == ElderStatus.living.rawValue)
            .filter(\.$birthDate <= today.yearsBefore(80).description).sort(\.$birthDate, .descending).sort(\.$name).first()
    }

    /// Phone numbers in the 1380000xxxx block, obviously not real.
    static func demoPhone(_ username: String) -> String {
        let n = abs(username.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) % 10_000 })
        return "1380000" + String(format: "%04d", n)
    }

    static func banner() -> String {
        var s = "\n==== 演示账号 DEMO ACCOUNTS (demo data, not for production) ====\n"
        s += "密码 password (all demo accounts): \(password)\n"
        for a in accounts {
            s += "  \(a.username.padding(toLength: 18, withPad: " ", startingAt: 0)) \(a.role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(a.region)  \(a.displayName)\n"
        }
        s += "=================================================================\n"
        return s
    }
}

extension DemoData {
    /// True when the demo accounts are present, so `serve --demo` can remind of them.
    static func isDemoInstallation(_ db: any Database) async throws -> Bool {
        try await User.query(on: db).filter(\.$isDemo == true).count() > 0
    }
}
