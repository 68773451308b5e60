import Fluent
import Vapor
import YiyangDomain

/// Care institutions for the demo: a home in 建北街道 with assessed residents and nursing beds
/// accepted this month, so the institution page and the monthly roll show both subsidies.
enum DemoInstitutions {
    static func add(app: Application) async throws -> Int {
        let db = app.db
        guard try await Institution.query(on: db).count() == 0 else { return 0 }
        let home = Institution()
        home.regionCode = "130102001000"; home.name = "演示·建北颐年养老院"; home.creditCode = "52130102MJDEM0001P"; home.operatorKind = "public_private"
        home.address = "演示地址"; (home.accountCipher, home.accountMasked) = try PaymentAccount.seal("6222020000000001", field: "account", vault: app.vault)
        home.active = true; home.createdBy = "demo"
        try await home.create(on: db)
        // The home's own account sees this home and no other.
        if let user = try await User.query(on: db).filter(\.$username == "demo_institution").first() {
            let tie = InstitutionAccount()
            tie.userID = user.id!; tie.institutionID = home.id!; tie.regionCode = home.regionCode; tie.createdBy = "demo"
            try await tie.create(on: db)
        }
        // Residents: living people with a valid assessment, the most dependent first, as many as eight;
        // never the demo family's parent, who lives at home and is served there.
        let today = CalendarDate.today()
        let results = try await AssessmentResult.query(on: db).filter(\.$validUntil >= today.description).sort(\.$finalLevel, .descending).all()
        let parent = try await DemoData.familyParent(on: db)?.id
        var chosen: [UUID] = []
        for r in results where !chosen.contains(r.elderID) && r.elderID != parent && chosen.count < 8 { chosen.append(r.elderID) }
        let people = try await Elder.query(on: db).filter(\.$id ~~ chosen).filter(\.$status == ElderStatus.living.rawValue).all()
        for e in people {
            let r = InstitutionResident()
            r.institutionID = home.id!; r.regionCode = home.regionCode; r.elderID = e.id!; r.admittedOn = "2026-03-01"
            r.arrangementBefore = e.livingArrangement; r.createdBy = "demo"
            try await r.create(on: db)
            e.livingArrangement = InstitutionRegister.inInstitution
            try await e.save(on: db)
        }
        let month = Month.current()
        for (kind, count) in [("nursing", 40), ("general", 20)] {
            let b = InstitutionBeds()
            b.institutionID = home.id!; b.regionCode = home.regionCode; b.kind = kind; b.count = count
            // The month's first day: accepted this month, and never after today, which the register refuses.
            b.acceptedOn = month.firstDay.description; b.note = "演示：二期工程"; b.createdBy = "demo"
            try await b.create(on: db)
        }
        return people.count
    }
}
