import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// The monthly payment run of a region. It walks the region's entitlements that pay for the
/// month in id order, a batch at a time, and inserts one payment per entitlement and month;
/// the unique pair (entitlement, month) answers "paid already?" while inserting. So:
/// - running it again adds nothing and changes nothing;
/// - killed half way, the batches written stay written, and the next run writes the rest:
///   the roll is the same as an uninterrupted run's;
/// - two runs racing (or a county's and the city's run for the same month) cannot pay twice.
/// An approved run is final; payments are never changed (see `PaymentsAreFinal`).
enum PaymentRuns {
    struct Locked: Error {}

    static func run(month: Month, region: RegionCode, actor: String, db: any Database, today: CalendarDate, batchSize: Int = 1000,
                    progress: (_ done: Int, _ total: Int) async -> Void = { _, _ in },
                    afterBatch: (_ batch: Int) throws -> Void = { _ in }) async throws -> PaymentRun {
        let sql = db as! any SQLDatabase
        let run = try await openRun(month: month, region: region, actor: actor, db: db, today: today)
        let m = month.description
        let pattern = region.prefix + "%"
        func payable(_ select: String) -> SQLQueryString {
            """
            \(unsafeRaw: select) FROM entitlements
            WHERE region_code LIKE \(bind: pattern) AND status <> 'suspended'
              AND start_month <= \(bind: m) AND (end_month IS NULL OR end_month >= \(bind: m))
            """
        }
        let unpaid: SQLQueryString = " AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.entitlement_id = entitlements.id AND p.month = \(bind: m))"
        // What is left to pay: a resumed run's progress starts where the last one stopped.
        let total = try await sql.raw(payable("SELECT COUNT(*) AS n") + unpaid).first()?.decode(column: "n", as: Int.self) ?? 0
        try await recordProgress(run, done: 0, total: total, on: sql)
        var after: UUID? = nil
        var done = 0, batch = 0
        // The month's own rules: a policy version is in force for months, not days, and a
        // person's age is counted on the month's last day. So the amount is worked out here for
        // the month paid, never read from the entitlement, whose amount follows the latest review.
        let policies = try await BenefitPolicyRow.all(on: db).filter(\.isForPersons)
        let names = try await BenefitFacts.names(on: db)
        while true {
            // Only the ones not paid yet: a rerun (or a resumed run) reads the index of payments
            // instead of writing, and the insert below still refuses a duplicate if two race.
            var q = payable("SELECT id, elder_id, region_code, benefit_type, amount_fen, payment_form, policy_id, policy_version") + unpaid
            if let after { q = q + " AND id > \(bind: after)" }
            q = q + " ORDER BY id LIMIT \(unsafeRaw: String(batchSize))"
            let rows = try await sql.raw(q).all()
            guard !rows.isEmpty else { break }
            let elderIDs = Array(Set(try rows.map { try $0.decode(column: "elder_id", as: UUID.self) }))
            let elders = try await Elder.query(on: db).filter(\.$id ~~ elderIDs).all()
            let facts = try await BenefitFacts.of(elders, on: db, today: month.firstDay)
            let insert = sql.insert(into: Payment.schema)
                .columns("id", "run_id", "entitlement_id", "elder_id", "region_code", "benefit_type", "month", "amount_fen", "payment_form",
                         "policy_id", "policy_version", "basis_json")
                .ignoringConflicts(with: ["entitlement_id", "month"])
            var values = 0
            for row in rows {
                let elderID = try row.decode(column: "elder_id", as: UUID.self)
                let type = try row.decode(column: "benefit_type", as: String.self)
                let granted = try row.decode(column: "policy_id", as: UUID.self)
                var amount = try row.decode(column: "amount_fen", as: Int.self)
                var form = try row.decode(column: "payment_form", as: String.self)
                var policyID: UUID? = granted, version: Int? = try row.decode(column: "policy_version", as: Int.self), basis: String? = nil
                if var f = facts[elderID] {
                    // The entitlement being paid does not exclude itself.
                    f.receiving.remove(type)
                    let policy = EntitlementRules.policy(for: type, region: f.residenceRegion, month: month, among: policies)
                        ?? policies.first { $0.id == granted && $0.inForce(month) }
                    guard let policy else { continue } // no policy in force for the month: nothing is owed for it
                    let d = EntitlementRules.decide(f, month: month, policy: policy, names: names)
                    // Not entitled on the month's facts (a band or level that pays nothing): not paid; the review suspends it.
                    guard d.entitled, let fen = d.amountFen else { continue }
                    amount = fen; form = policy.paymentForm.rawValue; policyID = policy.id; version = policy.version
                    basis = ServiceOrders.encode(PaymentBasis(age: f.age(in: month), facts: f, checks: d.checks.map(\.staff.zh)))
                } else {
                    // A person not in the registry (entitlements loaded from elsewhere): paid as granted, with no facts to keep.
                    basis = nil
                }
                insert.values([SQLBind(UUID()), SQLBind(run.id!), SQLBind(try row.decode(column: "id", as: UUID.self)),
                               SQLBind(elderID), SQLBind(try row.decode(column: "region_code", as: String.self)),
                               SQLBind(type), SQLBind(m), SQLBind(amount), SQLBind(form),
                               SQLBind(policyID), SQLBind(version), SQLBind(basis)])
                values += 1
            }
            // One statement per batch: it commits whole or not at all.
            if values > 0 { try await insert.run() }
            after = try rows.last!.decode(column: "id", as: UUID.self)
            done += rows.count
            batch += 1
            try await recordProgress(run, done: done, total: total, on: sql)
            await progress(done, total)
            try afterBatch(batch)
        }
        try await payInstitutions(run: run, month: month, region: region, db: db)
        // Corrections waiting for a roll go with this one; a rerun finds none left.
        try await sql.raw("""
            UPDATE payment_adjustments SET status = 'paid', paid_month = \(bind: m), run_id = \(bind: run.id!)
            WHERE status = 'pending' AND region_code LIKE \(bind: pattern) AND for_month < \(bind: m)
            """).run()
        return try await finish(run, db: db)
    }

    /// The subsidies to the region's care institutions for the month, after the people's: one
    /// payment per institution, benefit and month (unique, so a rerun or a resumed run adds
    /// nothing twice), worked out from the residents and beds on record by the policy in force
    /// where the institution is. A batch of institutions is one statement.
    static func payInstitutions(run: PaymentRun, month: Month, region: RegionCode, db: any Database, batchSize: Int = 200) async throws {
        let sql = db as! any SQLDatabase
        let policies = try await BenefitPolicyRow.all(on: db).filter(\.isForInstitutions)
        guard !policies.isEmpty else { return }
        let institutions = try await RegionScope(region: region).query(Institution.self, on: db).filter(\.$active == true).sort(\.$id).all()
        var start = 0
        while start < institutions.count {
            let chunk = Array(institutions[start..<min(start + batchSize, institutions.count)])
            start += batchSize
            let facts = try await InstitutionFacts.of(chunk, month: month, on: db)
            let insert = sql.insert(into: InstitutionPayment.schema)
                .columns("id", "run_id", "institution_id", "region_code", "benefit_type", "month", "amount_fen", "policy_id", "policy_version", "detail_json")
                .ignoringConflicts(with: ["institution_id", "benefit_type", "month"])
            var rows = 0
            for inst in chunk {
                for subsidy in InstitutionSubsidyDecisions.decide(inst, facts: facts[inst.id!] ?? InstitutionMonthFacts(), month: month, policies: policies)
                where subsidy.amountFen > 0 {
                    insert.values([SQLBind(UUID()), SQLBind(run.id!), SQLBind(inst.id!), SQLBind(inst.regionCode), SQLBind(subsidy.benefitType),
                                   SQLBind(month.description), SQLBind(subsidy.amountFen), SQLBind(subsidy.policyID), SQLBind(subsidy.policyVersion),
                                   SQLBind(ServiceOrders.encode(subsidy))])
                    rows += 1
                }
            }
            if rows > 0 { try await insert.run() }
        }
    }

    /// Written after every batch, outside any transaction: the page of a running run reads it.
    static func recordProgress(_ run: PaymentRun, done: Int, total: Int, on sql: any SQLDatabase) async throws {
        let now = Date()
        try await sql.raw("""
            UPDATE payment_runs SET progress_done = \(bind: done), progress_total = \(bind: total), progress_at = \(bind: now)
            WHERE id = \(bind: run.id!)
            """).run()
        run.progressDone = done; run.progressTotal = total; run.progressAt = now
    }

    /// The run of a month and region, if there is one (the pair is unique).
    static func find(month: Month, region: RegionCode, db: any Database) async throws -> PaymentRun? {
        try await PaymentRun.query(on: db).filter(\.$month == month.description).filter(\.$regionCode == region.value).first()
    }

    /// A roll pays a month that has begun: paid ahead, a person who dies in the month would
    /// have been paid for it. The settings in force may open a roll some days early.
    static func requireStarted(_ month: Month, today: CalendarDate, db: any Database) async throws {
        let opens = try await BenefitSettingsRow.inForce(on: db, day: today).runOpens(for: month)
        guard today >= opens else {
            throw AppError(.unprocessableEntity, "payment_run.month_not_started", field: "month",
                           zh: "\(month) 尚未开始，最早 \(opens) 才能计算该月的发放表",
                           en: "\(month) has not begun; its roll can be computed from \(opens)")
        }
    }

    /// The run of the month and region, made if new; an approved one refuses, and so does a month not begun.
    static func openRun(month: Month, region: RegionCode, actor: String, db: any Database, today: CalendarDate) async throws -> PaymentRun {
        try await requireStarted(month, today: today, db: db)
        if let existing = try await find(month: month, region: region, db: db) {
            guard existing.status != PaymentRun.Status.approved.rawValue else {
                throw AppError(.conflict, "payment_run.approved", field: "month",
                               zh: "\(month) 的发放表已审批锁定；更正请在以后月份调整", en: "The roll of \(month) is approved and locked; correct it in a later month")
            }
            existing.status = PaymentRun.Status.running.rawValue
            existing.progressDone = 0; existing.progressTotal = nil; existing.progressAt = Date()
            existing.noteComputer(actor)
            try await existing.save(on: db)
            return existing
        }
        let run = PaymentRun()
        run.month = month.description; run.regionCode = region.value; run.status = PaymentRun.Status.running.rawValue
        run.startedBy = actor; run.computedBy = actor; run.payments = 0; run.totalFen = 0; run.progressDone = 0; run.progressAt = Date()
        do {
            try await run.create(on: db)
        } catch {
            // Two starting at once: the unique (month, region) lets one create; the other uses it.
            if let raced = try await find(month: month, region: region, db: db) { return raced }
            throw error
        }
        return run
    }

    static func finish(_ run: PaymentRun, db: any Database) async throws -> PaymentRun {
        let sql = db as! any SQLDatabase
        let row = try await sql.raw("SELECT COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM payments WHERE run_id = \(bind: run.id!)").first()
        let adj = try await sql.raw("SELECT CAST(SUM(amount_fen) AS BIGINT) AS total FROM payment_adjustments WHERE run_id = \(bind: run.id!)").first()
        let inst = try await sql.raw("SELECT COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM institution_payments WHERE run_id = \(bind: run.id!)").first()
        run.payments = (try row?.decode(column: "n", as: Int.self) ?? 0) + (try inst?.decode(column: "n", as: Int.self) ?? 0)
        run.totalFen = (try row?.decode(column: "total", as: Int?.self) ?? 0) + (try adj?.decode(column: "total", as: Int?.self) ?? 0)
            + (try inst?.decode(column: "total", as: Int?.self) ?? 0)
        run.status = PaymentRun.Status.computed.rawValue
        run.finishedAt = Date()
        try await run.save(on: db)
        return run
    }

    static func approve(_ run: PaymentRun, actor: String, db: any Database) async throws {
        guard run.status == PaymentRun.Status.computed.rawValue else {
            throw AppError(.conflict, "payment_run.status", field: "status",
                           zh: "只有计算完成的发放表可以审批", en: "Only a computed roll can be approved")
        }
        try await FourEyes.requireSecondPerson(actor, preparedBy: run.computers, permission: .benefitsManage,
                                               region: RegionCode(run.regionCode) ?? .root, db: db, code: "payment_run.same_person",
                                               what: .init(zh: "此发放表", en: "roll"))
        run.status = PaymentRun.Status.approved.rawValue; run.approvedBy = actor; run.approvedAt = Date()
        try await run.save(on: db)
    }

    /// Spending by benefit, for the run's summary and the bank file's control totals.
    static func summary(_ run: PaymentRun, db: any Database) async throws -> [(benefit: String, payments: Int, fen: Int)] {
        let sql = db as! any SQLDatabase
        return try await sql.raw("""
            SELECT benefit_type, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM payments WHERE run_id = \(bind: run.id!)
            GROUP BY benefit_type
            UNION ALL
            SELECT benefit_type || ':adjustment' AS benefit_type, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM payment_adjustments
            WHERE run_id = \(bind: run.id!) GROUP BY benefit_type
            UNION ALL
            SELECT benefit_type, COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM institution_payments WHERE run_id = \(bind: run.id!)
            GROUP BY benefit_type
            """).all().map { (try $0.decode(column: "benefit_type", as: String.self), try $0.decode(column: "n", as: Int.self),
                              try $0.decode(column: "total", as: Int?.self) ?? 0) }
            .sorted { $0.0 < $1.0 }
    }

    /// One run's share of a region's month.
    struct Share: Content {
        var runId: UUID
        var regionCode: String
        var regionName: String
        var status: String
        var payments: Int
        var totalFen: Int
        var isThisRun: Bool
    }

    /// Every payment of the month to people and institutions of the run's region, whichever run wrote it: runs
    /// of a region and of the regions above or below it overlap, and each entitlement is paid
    /// by the first one to reach it. So a city's run after its counties' shows only what they
    /// left, and a county's run after the city's pays nothing; this shows the whole month.
    static func regionMonth(of run: PaymentRun, db: any Database) async throws -> [Share] {
        let sql = db as! any SQLDatabase
        let prefix = (RegionCode(run.regionCode)?.prefix ?? run.regionCode) + "%"
        let rows = try await sql.raw("""
            SELECT r.id, r.region_code, r.status, COUNT(*) AS n, CAST(SUM(p.amount_fen) AS BIGINT) AS total
            FROM (SELECT run_id, amount_fen FROM payments WHERE month = \(bind: run.month) AND region_code LIKE \(bind: prefix)
                  UNION ALL
                  SELECT run_id, amount_fen FROM institution_payments WHERE month = \(bind: run.month) AND region_code LIKE \(bind: prefix)) p
            JOIN payment_runs r ON r.id = p.run_id
            GROUP BY r.id, r.region_code, r.status
            """).all()
        let codes = try rows.map { try $0.decode(column: "region_code", as: String.self) }
        let names = Dictionary(try await Region.query(on: db).filter(\.$id ~~ codes).all().map { ($0.id!, $0.name) }, uniquingKeysWith: { a, _ in a })
        return try rows.map { row in
            let id = try row.decode(column: "id", as: UUID.self)
            let code = try row.decode(column: "region_code", as: String.self)
            return Share(runId: id, regionCode: code, regionName: names[code] ?? code, status: try row.decode(column: "status", as: String.self),
                         payments: try row.decode(column: "n", as: Int.self), totalFen: try row.decode(column: "total", as: Int?.self) ?? 0,
                         isThisRun: id == run.id)
        }.sorted { (RegionCode($0.regionCode)?.prefix.count ?? 12, $0.regionCode) < (RegionCode($1.regionCode)?.prefix.count ?? 12, $1.regionCode) }
    }

    /// A summary line's name: the benefit, or its corrections.
    static func lineName(_ code: String, _ l: UILocale) -> String {
        if code.hasSuffix(":adjustment") {
            let base = String(code.dropLast(":adjustment".count))
            return BenefitType.name(base).text(l) + (l == .en ? " (corrections)" : "（更正）")
        }
        return BenefitType.name(code).text(l)
    }
}

/// Runs started from the web (or the API with `background`) go on after the answer, so
/// a region of 300,000 entitlements does not hold a browser for a minute: the run's page
/// follows its progress from the database, refreshing itself.
enum PaymentRunJobs {
    static func start(month: Month, region: RegionCode, req: Request) async throws -> PaymentRun {
        let actor = try req.requireActor()
        if let existing = try await PaymentRuns.find(month: month, region: region, db: req.db), existing.isRunning() {
            return existing // a second click follows the run already going
        }
        let today = req.today
        let run = try await PaymentRuns.openRun(month: month, region: region, actor: actor.username, db: req.db, today: today)
        let app = req.application
        Task {
            do {
                let done = try await PaymentRuns.run(month: month, region: region, actor: actor.username, db: app.db, today: today)
                try await AuditLog.record(on: req, db: app.db, action: .paymentRunComputed, entityType: "payment_run", entityID: done.id?.uuidString,
                                          region: region.value, after: ["month": month.description, "payments": String(done.payments),
                                                                        "totalFen": String(done.totalFen)])
            } catch {
                app.logger.report(error: error)
                // What it wrote stays written; marked as stopped at once so the page offers to finish it.
                if let sql = app.db as? any SQLDatabase {
                    try? await sql.raw("UPDATE payment_runs SET progress_at = \(bind: Date(timeIntervalSince1970: 0)) WHERE id = \(bind: run.id!) AND status = 'running'").run()
                }
            }
        }
        return run
    }
}
