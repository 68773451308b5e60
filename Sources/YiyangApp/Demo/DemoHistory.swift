import Fluent
import Vapor
import YiyangDomain

/// The last few months of the demo platform, made the way its users make them: every step is a
/// request to the API in-process (routing, tokens, scope, four eyes, audit), signed in as the
/// demo account whose work it is. So a fresh demo opens on benefits paid, statements settled,
/// return visits made and complaints handled, consistent with each other and audited like real
/// work, without anyone running a scan or a roll by hand:
/// - the administrator lets homes' own accounts handle their residents and beds;
/// - demo_family asks to be linked to their parent (`DemoData.familyParent`), and the community
///   worker confirms it; demo_elder stays unlinked (the elder's own link is the portal's);
/// - the city's scan three months ago opens cases, approved with a bank account each; that
///   month's roll and the next two are computed by demo_bureau and approved by demo_bureau2,
///   and this month's waits for approval; this month's scan leaves the newly eligible to decide;
/// - the community worker confirms some people alive, in the months past;
/// - each provider's statements of the last three months are built by the county or the city and
///   approved by the second city account;
/// - the return visits of the last four weeks are drawn, all but the last week's made;
/// - the family complains about a visit and the county answers; two complaints stay open.
/// It needs the people, assessments, services and institutions of the other demo parts.
enum DemoHistory {
    struct Outcome: Sendable {
        var links = 0, entitlements = 0, approvedRuns = 0, statements = 0, returnVisits = 0, complaints = 0, liveness = 0
    }

    /// Months of history before this one: their rolls are approved.
    static let pastMonths = 3

    static func add(seed: UInt64, app: Application) async throws -> Outcome {
        guard try await PaymentRun.query(on: app.db).count() == 0, try await FamilyLink.query(on: app.db).count() == 0 else {
            return Outcome()
        }
        try await app.asyncBoot()
        var rng = SplitMix64(seed: seed ^ 0x4849_5354)
        let http = InProcessClient(app: app)
        let today = app.yiyang.clock.today
        let month = Month(today)
        var out = Outcome()
        // One sign-in each, as each would sign in for their work.
        let family = try await http.signIn("demo_family"), community = try await http.signIn("demo_community")
        let bureau = try await http.signIn("demo_bureau"), bureau2 = try await http.signIn("demo_bureau2")
        let county = try await http.signIn("demo_county"), admin = try await http.signIn("demo_admin")

        // Homes' own accounts only read until the platform lets them do more; the demo's administrator
        // lets them admit, discharge and record beds, which the tie to their own home still bounds.
        let roles = try await http.get("/api/v1/roles", token: admin, as: [RolesAPI.RoleView].self)
        if let home = roles.first(where: { $0.code == Role.institution.rawValue }),
           !home.permissions.contains(Permission.institutionsManage.rawValue) {
            try await http.send(.PUT, "/api/v1/roles/\(home.code)/permissions", token: admin, expect: .ok,
                                RolesAPI.PermissionsBody(permissions: home.permissions + [Permission.institutionsManage.rawValue]))
        }

        // The family's link to their parent, asked with the parent's ID number and name.
        if let parent = try await DemoData.familyParent(on: app.db, today: today) {
            let idNumber = try app.vault.open(parent.idCipher)
            try await http.send(.POST, "/api/v1/my/links", token: family, expect: .accepted,
                                PortalPages.LinkForm(idNumber: idNumber, name: parent.name, relation: "女儿"))
            for link in try await http.get("/api/v1/family-links", token: community, as: [PortalAPI.LinkView].self) {
                try await http.send(.POST, "/api/v1/family-links/\(link.id)/confirm", token: community, expect: .ok, Optional<String>.none)
                out.links += 1
            }
        }

        // Benefits: the scan of the first month, its cases approved with the account to pay into.
        let first = month.adding(-pastMonths)
        try await http.send(.POST, "/api/v1/benefit-scans", token: bureau, expect: .ok,
                            BenefitsAPI.ScanBody(month: first.description, region: nil))
        var pending: [UUID] = []
        var page = 1
        while true {
            let cases = try await http.get("/api/v1/benefit-cases?status=pending&per=200&page=\(page)", token: bureau,
                                           as: Paged<BenefitsAPI.CaseView>.self)
            pending += cases.items.map(\.id)
            guard page * cases.per < cases.total else { break }
            page += 1
        }
        for id in pending {
            // A bank card number of the 6217 block, made up and never real.
            let account = "6217" + String(format: "%015llu", rng.next() % 1_000_000_000_000_000)
            let res = try await http.raw(.POST, "/api/v1/benefit-cases/\(id)/approve", token: bureau,
                                         body: try http.json(BenefitsAPI.ApproveBody(account: account, note: nil)))
            // A person whose assessment has lapsed since is no longer eligible today: the refusal is the real answer.
            if res.status == .ok { out.entitlements += 1 } else if res.status != .unprocessableEntity {
                throw ConfigError(message: "demo: approving case \(id): \(res.status.code) \(res.body.string ?? "")")
            }
        }

        // The rolls: the past months approved by the second account, this month's waiting for it.
        for m in first.through(month) {
            let run = try await http.call(.POST, "/api/v1/payment-runs", token: bureau, expect: .ok, as: BenefitsAPI.RunView.self,
                                          BenefitsAPI.RunBody(month: m.description, region: DemoData.city.0, background: false))
            guard m < month else { continue }
            try await http.send(.POST, "/api/v1/payment-runs/\(run.id)/approve", token: bureau2, expect: .ok, Optional<String>.none)
            out.approvedRuns += 1
        }
        // This month's scan: those who became eligible since wait for staff.
        try await http.send(.POST, "/api/v1/benefit-scans", token: bureau, expect: .ok,
                            BenefitsAPI.ScanBody(month: month.description, region: nil))

        // Evidence of life: the community worker saw half of those the list asks about, last month.
        let tasks = try await http.get("/api/v1/liveness-tasks", token: community, as: [EntitlementReview.Task].self)
        for (n, task) in tasks.enumerated() where n % 2 == 0 {
            let seen = month.previous.firstDay.addingDays(n % 28)
            try await http.send(.POST, "/api/v1/elders/\(task.elderId)/liveness", token: community, expect: .created,
                                BenefitsAPI.LivenessBody(method: LivenessEvidence.Method.workerConfirmation.rawValue,
                                                         seenOn: seen.description, note: "入户走访，老人身体尚好"))
            out.liveness += 1
        }

        // Statements of the past months, each provider's built by its county (or the city) and approved by the second city account.
        let providers = try await ServiceProvider.query(on: app.db).sort(\.$regionCode).all()
        for m in first.through(month.previous) {
            for p in providers {
                let builder = p.regionCode == "130102000000" ? county : bureau
                let s = try await http.call(.POST, "/api/v1/service-statements", token: builder, expect: .created,
                                            as: HomeServicesAPI.StatementView.self,
                                            ServiceSettlement.BuildInput(kind: ServiceStatement.Kind.visits.rawValue, partyId: p.id!,
                                                                         month: m.description))
                try await http.send(.POST, "/api/v1/service-statements/\(s.id)/approve", token: bureau2, expect: .ok, Optional<String>.none)
                out.statements += 1
            }
        }

        // Return visits: four weeks drawn by the city; the last week's calls are still to make.
        let lastWeek = ReturnVisitSample.weekStart(of: today.addingDays(-7))
        let outcomes: [(String, String?)] = [("satisfied", nil), ("satisfied", nil), ("satisfied", nil),
                                             ("unreachable", "两次致电无人接听，下周再打"), ("problem", "老人说护理员比约定晚到半小时")]
        for w in stride(from: 3, through: 0, by: -1) {
            let week = lastWeek.addingDays(-7 * w)
            let drawn = try await http.call(.POST, "/api/v1/return-visits/draw", token: bureau, expect: .ok,
                                            as: [HomeServicesAPI.ReturnVisitView].self,
                                            HomeServicesAPI.DrawInput(weekStart: week.description))
            guard w > 0 else { continue }
            for (n, r) in drawn.enumerated() {
                let (outcome, note) = outcomes[(n + w) % outcomes.count]
                try await http.send(.POST, "/api/v1/return-visits/\(r.id)", token: bureau, expect: .ok,
                                    ReturnVisits.OutcomeInput(outcome: outcome, note: note))
                out.returnVisits += 1
            }
        }

        // Complaints: the family's about a past visit, answered by the county; two more left open.
        // Visits made: settled ones too, since the statements above settled last months' visits.
        let done = [ServiceOrderStatus.confirmed, .checkedOut, .settled].map(\.rawValue)
        if let parent = try await DemoData.familyParent(on: app.db, today: today),
           let visit = try await ServiceOrder.query(on: app.db).filter(\.$elderID == parent.id!).filter(\.$status ~~ done)
            .sort(\.$windowStart).first() {
            let c = try await http.call(.POST, "/api/v1/my/elders/\(parent.id!)/service-orders/\(visit.id!)/complaints", token: family,
                                        expect: .created, as: HomeServicesAPI.ComplaintView.self,
                                        HomeServicesAPI.ComplaintInput(text: "护理员比约定时间晚到了半小时，事先也没有打电话说一声"))
            try await http.send(.POST, "/api/v1/service-complaints/\(c.id)/resolve", token: county, expect: .ok,
                                HomeServicesAPI.ResolveInput(resolution: "已约谈服务商，护理员今后晚到须提前电话告知；已向家属致歉"))
            out.complaints += 1
        }
        // Providers are sorted by region: 长安区's first, whose county records its complaint, then 裕华区's, the city's.
        let staffComplaints = [(county, "老人反映助浴时水温偏低，洗完有些着凉"), (bureau, "保洁后厨房台面仍有油渍，希望返工")]
        for (p, (token, text)) in zip(providers, staffComplaints) {
            guard let visit = try await ServiceOrder.query(on: app.db).filter(\.$providerID == p.id!).filter(\.$status ~~ done)
                .sort(\.$windowStart, .descending).first() else { continue }
            try await http.send(.POST, "/api/v1/service-orders/\(visit.id!)/complaints", token: token, expect: .created,
                                HomeServicesAPI.ComplaintInput(text: text))
            out.complaints += 1
        }
        return out
    }
}

extension InProcessClient {
    func json<Body: Encodable>(_ body: Body) throws -> ByteBuffer { ByteBuffer(data: try JSONEncoder().encode(body)) }

    func get<Answer: Decodable>(_ path: String, token: String?, as: Answer.Type) async throws -> Answer {
        try await call(.GET, path, token: token, expect: .ok, as: Answer.self, Optional<String>.none)
    }
}
