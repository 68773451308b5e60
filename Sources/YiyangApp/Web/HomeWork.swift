import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// What each account finds on its home page before anything else: its work of the day, read
/// with a few counts and short lists (never whole tables) within its region scope. Every link
/// leads to a page the account may open; where it may not, the name stays plain text.
enum HomeWork {
    /// A form on a list line that posts to the module's own endpoint (the caregiver's check-in).
    struct Action: Encodable { var path: String; var label: String; var locate: Bool }
    struct Item: Encodable { var label: String; var detail: String; var href: String?; var actions: [Action] }
    struct Section: Encodable {
        var id: String; var title: String; var count: Int; var items: [Item]; var empty: String
        /// The full list, when the account may open it.
        var href: String?; var linkLabel: String?
        /// "The first 5 of 12", when the list is longer than what is shown.
        var shown: String?
    }
    struct Figure: Encodable { var label: String; var value: String; var href: String? }

    /// How many lines a section shows; the rest are one link away.
    static let firstFew = 5

    static func t(_ key: String, _ req: Request) -> String { UIStrings.text(key, req.locale) }

    static func section(_ id: String, _ title: String, count: Int, items: [Item], empty: String, href: String?, linkLabel: String?,
                        req: Request) -> Section {
        let shown = count > items.count && !items.isEmpty
            ? String(format: t("home_first_of", req), items.count, count) : nil
        return Section(id: id, title: title, count: count, items: items, empty: empty, href: href, linkLabel: linkLabel, shown: shown)
    }

    // MARK: Caregiver

    /// Today's visits, the next one first: the visit under way, then those still to make by
    /// time, then the finished ones. Check-in and check-out post to the visit page's endpoints.
    static func caregiverVisits(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.servicesUse), actor.has(.servicesVisit),
              case .caregiver(let me, _) = try await ServiceAccess.seat(req) else { return nil }
        let rows = try await ServiceAccess.orders(req).filter(\.$caregiverID == me)
            .filter(\.$serviceDay == CalendarDate.today().description)
            .filter(\.$status != ServiceOrderStatus.cancelled.rawValue).sort(\.$windowStart).all()
        func rank(_ o: ServiceOrder) -> Int { o.orderStatus == .checkedIn ? 0 : o.orderStatus == .assigned ? 1 : 2 }
        let ordered = rows.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        let lines = try await HomeServicePages.lines(ordered, req: req)
        let items = zip(ordered, lines).map { o, l in
            var actions: [Action] = []
            if o.orderStatus == .assigned {
                actions.append(Action(path: "/services/orders/\(l.id)/check-in", label: t("sv_check_in", req), locate: true))
            }
            if o.orderStatus == .checkedIn {
                actions.append(Action(path: "/services/orders/\(l.id)/check-out", label: t("sv_check_out", req), locate: true))
            }
            return Item(label: "\(l.time) \(l.service)", detail: "\(l.elder) · \(l.status)", href: "/services/orders/\(l.id)",
                        actions: actions)
        }
        let open = rows.filter { [.assigned, .checkedIn].contains($0.orderStatus) }.count
        return section("visits", t("home_visits_today", req), count: open, items: items, empty: t("home_visits_none", req),
                       href: "/services/visits", linkLabel: t("home_visits_page", req), req: req)
    }

    // MARK: Dispatcher

    /// Orders of the dispatcher's provider still waiting for a caregiver, the oldest first.
    static func dispatcherQueue(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.servicesUse), actor.has(.servicesDispatch),
              case .dispatcher = try await ServiceAccess.seat(req) else { return nil }
        let waiting = { try await ServiceAccess.orders(req).filter(\.$status ~~ [ServiceOrderStatus.placed, .accepted].map(\.rawValue)) }
        let count = try await waiting().count()
        let rows = try await waiting().sort(\.$createdAt).sort(\.$windowStart).limit(firstFew).all()
        let items = try await HomeServicePages.lines(rows, req: req).map {
            Item(label: $0.elder, detail: "\($0.service) · \($0.time) · \($0.status)", href: "/services/orders/\($0.id)", actions: [])
        }
        return section("dispatch", t("home_dispatch_waiting", req), count: count, items: items, empty: t("home_dispatch_none", req),
                       href: "/services/dispatch", linkLabel: t("sv_dispatch", req), req: req)
    }

    // MARK: Meal point

    /// The counter of today: meals served so far and those booked still to serve.
    static func mealCounter(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.servicesUse), actor.has(.servicesMeals),
              case .mealPoint(let pid) = try await ServiceAccess.seat(req) else { return nil }
        let point = try await ServiceAccess.mealPoint(req, pid)
        let counts = try await MealService.counts(point: pid, day: CalendarDate.today().description, on: req.db)
        let served = counts.filter { $0.status == MealOrder.Status.served.rawValue }.reduce(0) { $0 + $1.count }
        let booked = counts.filter { $0.status == MealOrder.Status.ordered.rawValue }.reduce(0) { $0 + $1.count }
        let items = [Item(label: String(format: t("home_meals_served", req), served),
                          detail: String(format: t("home_meals_booked", req), booked), href: nil, actions: [])]
        return section("meals", "\(t("home_meals_today", req)) · \(point.name)", count: served, items: items, empty: "",
                       href: "/services/meals/\(pid.uuidString)", linkLabel: t("home_meals_counter", req), req: req)
    }

    // MARK: Assessor

    /// The assessor's cases: those given to them and not started, and their drafts.
    static func assessorCases(_ req: Request, _ actor: Actor) async throws -> [Section] {
        guard actor.has(.assessmentUse), actor.has(.assessmentPerform) else { return [] }
        let ids = try await AssessmentAssessor.query(on: req.db).filter(\.$userID == actor.userID).all().map(\.assessmentID)
        var out: [Section] = []
        for (id, status, title, empty) in [("assigned", Assessment.Status.assigned, "home_as_assigned", "home_as_assigned_none"),
                                           ("drafts", .inProgress, "home_as_drafts", "home_as_drafts_none")] {
            let q = { try req.scoped(Assessment.self).filter(\.$id ~~ ids).filter(\.$status == status.rawValue) }
            let count = ids.isEmpty ? 0 : try await q().count()
            let rows = ids.isEmpty ? [] : try await q().sort(\.$createdAt).limit(firstFew).all()
            let names = try await elderNames(rows.map(\.elderID), req)
            let items = rows.map { a in
                Item(label: names[a.elderID] ?? "—",
                     detail: "\(a.reasonValue.name.text(req.locale)) · \(a.createdAt.map(ChinaTime.dateTime) ?? "")",
                     href: "/assessment/\(a.id!.uuidString)/form", actions: [])
            }
            out.append(section(id, t(title, req), count: count, items: items, empty: t(empty, req),
                               href: "/assessment", linkLabel: t("home_as_all", req), req: req))
        }
        return out
    }

    static func elderNames(_ ids: [UUID], _ req: Request) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let people = try await req.scoped(Elder.self).filter(\.$id ~~ Array(Set(ids))).all()
        return Dictionary(uniqueKeysWithValues: people.map { ($0.id!, $0.name) })
    }

    // MARK: Township and community staff

    /// Benefit cases. An account that decides them sees those it may act on now (a scan's
    /// cases, an application at a step of its level, or one whose public notice is over and
    /// that it took no step of); one that only follows them sees those pending in its area.
    static func benefitCases(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.benefitsUse) else { return nil }
        let pending = { try req.scoped(BenefitCase.self).filter(\.$status == BenefitCase.Status.pending.rawValue) }
        let names: [UUID: String]
        var rows: [BenefitCase]
        let count: Int
        if actor.has(.benefitsManage) {
            let service = BenefitService(req: req)
            let today = req.today
            // Applications are few against a scan's cases: loaded and checked step by step.
            let applications = try await pending().filter(\.$source == "application").sort(\.$createdAt).limit(300).all().filter { c in
                switch c.stage {
                case "review": return (try? service.requireStepTaker(c, step: c.stepIndex ?? 0, actor: actor)) != nil
                case "notice": return c.canDecide(today: today) && (try? service.requireDecider(c, actor: actor.username)) != nil
                default: return false
                }
            }
            let scans = { try pending().filter(\.$source != "application") }
            let scanCount = try await scans().count()
            rows = Array(applications.prefix(firstFew))
            if rows.count < firstFew { rows += try await scans().sort(\.$createdAt).sort(\.$id).limit(firstFew - rows.count).all() }
            count = applications.count + scanCount
        } else {
            count = try await pending().count()
            rows = try await pending().sort(\.$createdAt).sort(\.$id).limit(firstFew).all()
        }
        names = try await elderNames(rows.map(\.elderID), req)
        let l = req.locale
        let items = rows.map { c in
            Item(label: names[c.elderID] ?? "—",
                 detail: "\(BenefitType.name(c.benefitType).text(l)) · \(c.month) · \(Fen.display(c.amountFen)) \(t("bn_yuan", req))",
                 href: "/benefits/cases/\(c.id!.uuidString)", actions: [])
        }
        let title = actor.has(.benefitsManage) ? t("home_bn_to_decide", req) : t("home_bn_pending", req)
        return section("benefits", title, count: count, items: items, empty: t("home_bn_none", req),
                       href: "/benefits", linkLabel: t("home_bn_all", req), req: req)
    }

    /// People of the area due a (re)assessment, from the due list itself. A name links to the
    /// person's record only for an account that may open the registry.
    static func dueAssessments(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.assessmentUse) else { return nil }
        let list = try await AssessmentDueList.list(scope: try req.regionScope(), region: nil, page: PageRequest(page: 1, per: firstFew),
                                                    on: req.db)
        let canOpen = actor.has(.registryUse)
        let why = ["never": t("as_due_never", req), "expired": t("as_due_expired", req), "expiring": t("as_due_expiring", req)]
        let items = list.items.map { e in
            Item(label: e.name, detail: "\(e.age.map { "\($0) \(t("home_years", req))" } ?? "") · \(why[e.why] ?? e.why)",
                 href: canOpen ? "/elders/\(e.elderId.uuidString)" : nil, actions: [])
        }
        return section("due", t("home_due", req), count: list.total, items: items, empty: t("home_due_none", req),
                       href: "/assessment/due", linkLabel: t("as_due_title", req), req: req)
    }

    /// Visits with an exception waiting for review; the queue itself needs `services.manage`.
    static func serviceExceptions(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.servicesUse), actor.has(.servicesManage) else { return nil }
        let q = { try req.scoped(ServiceOrder.self).filter(\.$review == ServiceOrder.Review.pending.rawValue) }
        let count = try await q().count()
        let rows = try await q().sort(\.$windowStart).limit(firstFew).all()
        let items = try await HomeServicePages.lines(rows, req: req).map {
            Item(label: $0.elder,
                 detail: "\($0.service) · \($0.time)" + ($0.exceptions.isEmpty ? "" : " · " + $0.exceptions.joined(separator: "；")),
                 href: "/services/orders/\($0.id)", actions: [])
        }
        return section("exceptions", t("sv_exceptions", req), count: count, items: items, empty: t("home_exceptions_none", req),
                       href: "/services/exceptions", linkLabel: t("sv_exceptions", req), req: req)
    }

    /// Family members waiting for their link to a person to be checked.
    static func familyLinks(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.registryEdit) else { return nil }
        let q = { try req.scoped(FamilyLink.self).filter(\.$status == FamilyLink.Status.pending.rawValue) }
        let count = try await q().count()
        let rows = try await q().sort(\.$createdAt).limit(firstFew).all()
        let names = try await elderNames(rows.map(\.elderID), req)
        let items = rows.map {
            Item(label: "\($0.displayName)（\($0.relation)）", detail: names[$0.elderID] ?? "—", href: nil, actions: [])
        }
        return section("links", t("fl_title", req), count: count, items: items, empty: t("home_links_none", req),
                       href: "/family-links", linkLabel: t("fl_title", req), req: req)
    }

    // MARK: Bureau

    /// What waits for this account's approval: computed payment runs and draft statements it
    /// may approve under the four-eyes rule (not its own work while someone else could).
    static func approvals(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.benefitsManage) || actor.has(.servicesManage) else { return nil }
        var items: [Item] = []
        var count = 0
        if actor.has(.benefitsUse), actor.has(.benefitsManage) {
            let runs = try await req.scoped(PaymentRun.self).filter(\.$status == PaymentRun.Status.computed.rawValue)
                .sort(\.$month).limit(50).all()
            for run in runs {
                let region = RegionCode(run.regionCode) ?? .root
                if run.computers.contains(actor.username),
                   try await FourEyes.others(holding: .benefitsManage, for: region, excluding: run.computers, db: req.db) > 0 { continue }
                count += 1
                items.append(Item(label: "\(t("bn_run", req)) \(run.month) · \(try await regionName(run.regionCode, req))",
                                  detail: "\(run.payments) \(t("home_payments", req)) · \(Fen.display(run.totalFen)) \(t("bn_yuan", req))",
                                  href: "/benefits/runs/\(run.id!.uuidString)", actions: []))
            }
        }
        if actor.has(.servicesUse), actor.has(.servicesManage) {
            let drafts = try await req.scoped(ServiceStatement.self).filter(\.$status == ServiceStatement.Status.draft.rawValue)
                .sort(\.$month).sort(\.$partyName).limit(50).all()
            for s in drafts {
                if s.createdBy == actor.username,
                   try await FourEyes.others(holding: .servicesManage, for: RegionCode(s.regionCode) ?? .root,
                                             excluding: [s.createdBy], db: req.db) > 0 { continue }
                count += 1
                let kind = t(s.kind == ServiceStatement.Kind.visits.rawValue ? "sv_kind_visits" : "sv_kind_meals", req)
                items.append(Item(label: "\(t("home_statement", req)) \(s.month) · \(s.partyName)",
                                  detail: "\(kind) · \(Fen.display(s.totals.chargedToBureauFen)) \(t("bn_yuan", req))",
                                  href: "/services/statements/\(s.id!.uuidString)", actions: []))
            }
        }
        return section("approvals", t("home_approvals", req), count: count, items: Array(items.prefix(firstFew * 2)),
                       empty: t("home_approvals_none", req), href: nil, linkLabel: nil, req: req)
    }

    static func regionName(_ code: String, _ req: Request) async throws -> String {
        try await req.scoped(Region.self).filter(\.$id == code).first()?.name ?? code
    }

    /// The region's key figures, each linking to its list where the account may open it.
    static func figures(_ req: Request, _ actor: Actor) async throws -> [Figure] {
        let scope = try req.regionScope()
        let sql = req.db as! any SQLDatabase
        let month = Month.current()
        let today = CalendarDate.today().description
        var out: [Figure] = []
        if actor.has(.registryUse) {
            let people = try await req.scoped(Elder.self).filter(\.$status == ElderStatus.living.rawValue).count()
            out.append(Figure(label: t("home_fig_people", req), value: Fen.grouped(people), href: "/elders?status=living"))
            // A valid result: signed off (or imported from another department) and not run out.
            let assessed = try await sql.raw("""
                SELECT COUNT(DISTINCT r.elder_id) AS n FROM assessment_results r
                JOIN elders e ON e.id = r.elder_id
                LEFT JOIN assessments a ON a.id = r.assessment_id
                WHERE (r.assessment_id IS NULL OR a.status = 'approved') AND r.valid_until >= \(bind: today)
                  AND e.status = 'living' AND e.residence_region LIKE \(bind: scope.likePattern)
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            out.append(Figure(label: t("home_fig_assessed", req), value: Fen.grouped(assessed),
                              href: actor.has(.assessmentUse) ? "/assessment/due" : nil))
        }
        if actor.has(.benefitsUse) {
            // Paid: the month's payments of approved rolls only; a computed roll may still change.
            let paid = try await sql.raw("""
                SELECT COUNT(DISTINCT p.elder_id) AS people, CAST(SUM(p.amount_fen) AS BIGINT) AS total FROM payments p
                JOIN payment_runs r ON r.id = p.run_id
                WHERE r.status = 'approved' AND p.month = \(bind: month.description) AND p.region_code LIKE \(bind: scope.likePattern)
                """).first()
            let people = try paid?.decode(column: "people", as: Int.self) ?? 0
            let fen = try paid?.decode(column: "total", as: Int?.self) ?? 0
            let href = "/benefits/reports?from=\(month)&to=\(month)"
            out.append(Figure(label: t("home_fig_paid_people", req), value: Fen.grouped(people), href: href))
            out.append(Figure(label: t("home_fig_paid_amount", req), value: "\(Fen.display(fen)) \(t("bn_yuan", req))", href: href))
        }
        if actor.has(.servicesUse) {
            let inMonth = { try req.scoped(ServiceOrder.self).filter(\.$serviceDay >= month.firstDay.description)
                .filter(\.$serviceDay <= month.lastDay.description) }
            let orders = try await inMonth().filter(\.$status != ServiceOrderStatus.cancelled.rawValue).count()
            // Verified: the caregiver checked out, with no exception or with its exception accepted.
            let verified = try await inMonth().filter(\.$status ~~ [ServiceOrderStatus.checkedOut, .confirmed, .settled].map(\.rawValue))
                .filter(\.$review ~~ [ServiceOrder.Review.none, .accepted].map(\.rawValue)).count()
            out.append(Figure(label: t("home_fig_orders", req), value: Fen.grouped(orders), href: "/services/orders"))
            out.append(Figure(label: t("home_fig_verified", req), value: Fen.grouped(verified), href: "/services/orders?status=confirmed"))
        }
        return out
    }

    // MARK: Institution operator

    /// The homes the operator runs, each with residents on the roll and the beds left free.
    static func homes(_ req: Request, _ actor: Actor) async throws -> Section? {
        guard actor.has(.institutionsUse), case .homes = try await InstitutionAccess.seat(req) else { return nil }
        let homes = try await InstitutionAccess.institutions(req).sort(\.$name).limit(50).all()
        let ids = homes.compactMap(\.id)
        let onRoll = ids.isEmpty ? [:] : Dictionary(grouping: try await req.scoped(InstitutionResident.self).filter(\.$institutionID ~~ ids)
            .filter(\.$dischargedOn == nil).all(), by: \.institutionID).mapValues(\.count)
        let beds = ids.isEmpty ? [:] : Dictionary(grouping: try await req.scoped(InstitutionBeds.self).filter(\.$institutionID ~~ ids)
            .all(), by: \.institutionID).mapValues { $0.reduce(0) { $0 + $1.count } }
        let items = homes.map { h in
            let residents = onRoll[h.id!] ?? 0, total = beds[h.id!] ?? 0
            return Item(label: h.name, detail: String(format: t("home_home_line", req), residents, total, max(0, total - residents)),
                        href: "/institutions/\(h.id!.uuidString)", actions: [])
        }
        return section("homes", t("home_homes", req), count: homes.count, items: items, empty: t("home_homes_none", req),
                       href: "/institutions", linkLabel: t("nav_institutions", req), req: req)
    }
}
