import Fluent
import Vapor
import YiyangDomain

/// Monthly statements: a provider's verified visits and a meal point's meals, priced at the
/// contract, split into what the bureau pays and what people paid. A visit with an exception
/// waits for its review (held back); a rejected one is never charged. Approving settles the
/// lines and, only then, takes the visits' share from the people's service balances.
struct ServiceSettlement {
    let req: Request
    var db: any Database { req.db }

    struct Line: Content {
        var id: UUID
        var day: String
        var elderId: UUID
        var service: String
        var state: String
        var listFen: Int
        var bureauFen: Int
        var balanceFen: Int
        var selfPayFen: Int
        var note: String
    }

    static func monthBounds(_ m: Month) -> (Date, Date) {
        (ChinaTime.startOfDay(m.firstDay.description)!, ChinaTime.startOfDay(m.next.firstDay.description)!)
    }

    /// The visits of a provider's statement of a month, each with its state.
    func visitLines(provider: UUID, month: Month, statement: UUID?, settings: HomeServiceSettings) async throws -> [(ServiceOrder, SettlementTotals.LineState)] {
        let (from, to) = Self.monthBounds(month)
        let done = [ServiceOrderStatus.checkedOut, .confirmed, .settled].map(\.rawValue)
        let orders = try await req.scoped(ServiceOrder.self).filter(\.$providerID == provider).filter(\.$status ~~ done)
            .filter(\.$checkOutAt < to).sort(\.$checkOutAt).all()
        var out: [(ServiceOrder, SettlementTotals.LineState)] = []
        for o in orders {
            if o.status == ServiceOrderStatus.settled.rawValue {
                if o.statementID == statement && statement != nil { out.append((o, .settled)) }
                continue
            }
            if let s = o.statementID, s != statement { continue }
            switch ServiceOrder.Review(rawValue: o.review) ?? .none {
            case .pending: out.append((o, .held))
            case .rejected: if let c = o.checkOutAt, c >= from { out.append((o, .refused)) }
            case .none, .accepted:
                if settings.settleOnlyConfirmed && o.status != ServiceOrderStatus.confirmed.rawValue { out.append((o, .held)) } else { out.append((o, .settled)) }
            }
        }
        return out
    }

    struct BuildInput: Content {
        var kind: String
        var partyId: UUID
        var month: String
    }

    /// Builds (or rebuilds, while a draft) the statement of a provider or meal point.
    func build(_ i: BuildInput) async throws -> ServiceStatement {
        let actor = try req.require(.servicesManage)
        guard let month = Month(i.month) else {
            throw AppError(.unprocessableEntity, "statement.month", field: "month", zh: "月份应写成 2026-11", en: "Write the month as 2026-11")
        }
        guard let kind = ServiceStatement.Kind(rawValue: i.kind) else {
            throw AppError(.unprocessableEntity, "statement.kind", field: "kind", zh: "结算类型应为 visits（上门服务）或 meals（助餐）", en: "The kind is visits or meals")
        }
        let name: String, region: String
        if kind == .visits {
            let p = try await req.findScoped(ServiceProvider.self, i.partyId); name = p.name; region = p.regionCode
        } else {
            let p = try await req.findScoped(ServicePoint.self, i.partyId); name = p.name; region = p.regionCode
        }
        let s = try await req.scoped(ServiceStatement.self).filter(\.$kind == kind.rawValue).filter(\.$partyID == i.partyId)
            .filter(\.$month == month.description).first() ?? ServiceStatement()
        if s.id != nil, s.status == ServiceStatement.Status.approved.rawValue {
            throw AppError(.conflict, "statement.approved", field: "month", zh: "\(month) 的结算单已审核，不能重算", en: "The statement of \(month) is approved and cannot be rebuilt")
        }
        s.regionCode = region; s.kind = kind.rawValue; s.partyID = i.partyId; s.partyName = name; s.month = month.description
        s.status = ServiceStatement.Status.draft.rawValue; s.createdBy = actor.username; s.totalsJSON = "{}"
        if s.id == nil { s.id = UUID(); try await s.create(on: db) }
        let sid = s.id!
        var totals = SettlementTotals()
        if kind == .visits {
            _ = try await ServiceOrders.flagMissingCheckOuts(req: req)
            let settings = try await HomeServiceSettingsRow.inForce(on: db, day: month.lastDay)
            let lines = try await visitLines(provider: i.partyId, month: month, statement: sid, settings: settings)
            try await ServiceOrder.query(on: db).filter(\.$statementID == sid).filter(\.$status != ServiceOrderStatus.settled.rawValue)
                .set(\.$statementID, to: nil).update()
            let ids = lines.filter { $0.1 == .settled }.compactMap(\.0.id)
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                try await ServiceOrder.query(on: db).filter(\.$id ~~ Array(ids[chunk..<min(ids.count, chunk + 500)])).set(\.$statementID, to: sid).update()
            }
            for (o, state) in lines { totals.add(state, listFen: o.listFen, bureauFen: o.bureauFen, balanceFen: o.balanceFen, selfPayFen: o.selfPayFen) }
        } else {
            let (first, last) = (month.firstDay.description, month.lastDay.description)
            try await MealOrder.query(on: db).filter(\.$statementID == sid).set(\.$statementID, to: nil).update()
            let meals = try await MealOrder.query(on: db).filter(\.$pointID == i.partyId).filter(\.$status == MealOrder.Status.served.rawValue)
                .filter(\.$day >= first).filter(\.$day <= last).filter(\.$statementID == nil).all()
            for chunk in stride(from: 0, to: meals.count, by: 500) {
                try await MealOrder.query(on: db).filter(\.$id ~~ meals[chunk..<min(meals.count, chunk + 500)].compactMap(\.id)).set(\.$statementID, to: sid).update()
            }
            for m in meals { totals.add(.settled, listFen: m.priceFen, bureauFen: m.subsidyFen, balanceFen: 0, selfPayFen: m.selfPayFen) }
        }
        s.totalsJSON = ServiceOrders.encode(totals)
        try await s.update(on: db)
        return s
    }

    /// Approves a statement: each visit line is settled and its balance share debited, one
    /// order per transaction, so a crash half way leaves nothing paid twice and the approval
    /// can simply be repeated.
    func approve(_ s: ServiceStatement, progress: (Int, Int) -> Void = { _, _ in }) async throws {
        let actor = try req.require(.servicesManage)
        guard s.status == ServiceStatement.Status.draft.rawValue else {
            throw AppError(.conflict, "statement.approved", field: nil, zh: "结算单已审核", en: "The statement is already approved")
        }
        // Who built the statement does not approve it, unless nobody else in the region could.
        try await FourEyes.requireSecondPerson(actor.username, preparedBy: [s.createdBy], permission: .servicesManage,
                                               region: RegionCode(s.regionCode) ?? .root, db: db, code: "statement.same_person",
                                               what: .init(zh: "此结算单", en: "statement"))
        if s.kind == ServiceStatement.Kind.visits.rawValue {
            let sid = s.id!
            let lines = try await ServiceOrder.query(on: db).filter(\.$statementID == sid)
                .filter(\.$status ~~ [ServiceOrderStatus.checkedOut, .confirmed].map(\.rawValue)).all()
            let orders = ServiceOrders(req: req)
            for (n, o) in lines.enumerated() {
                let elderID = o.elderID, region = o.regionCode, fen = o.balanceFen, oid = o.id!
                try await orders.write(o, status: .settled, note: "结算单 \(s.month) 已审核") { tx in
                    if fen > 0, try await ServiceBalanceDebit.query(on: tx).filter(\.$orderID == oid).count() == 0 {
                        let d = ServiceBalanceDebit()
                        d.elderID = elderID; d.regionCode = region; d.orderID = oid; d.statementID = sid; d.amountFen = fen
                        try await d.create(on: tx)
                    }
                }
                progress(n + 1, lines.count)
            }
        }
        s.status = ServiceStatement.Status.approved.rawValue; s.approvedBy = actor.username; s.approvedAt = Date()
        try await s.update(on: db)
        try await AuditLog.record(on: req, action: .serviceStatementApproved, entityType: "service_statement", entityID: s.id?.uuidString,
                                  region: s.regionCode, after: ["month": s.month, "party": s.partyName, "totals": s.totalsJSON])
    }

    /// Every line of a statement, for its page and its export.
    func lines(_ s: ServiceStatement) async throws -> [Line] {
        guard let month = Month(s.month) else { return [] }
        if s.kind == ServiceStatement.Kind.meals.rawValue {
            return try await MealOrder.query(on: db).filter(\.$statementID == s.id!).sort(\.$day).all().map {
                Line(id: $0.id!, day: $0.day, elderId: $0.elderID, service: MealService.mealName($0.meal).zh, state: "settled",
                     listFen: $0.priceFen, bureauFen: $0.subsidyFen, balanceFen: 0, selfPayFen: $0.selfPayFen, note: $0.mode)
            }
        }
        let settings = try await HomeServiceSettingsRow.inForce(on: db, day: month.lastDay)
        return try await visitLines(provider: s.partyID, month: month, statement: s.id, settings: settings).map { o, state in
            Line(id: o.id!, day: o.serviceDay, elderId: o.elderID, service: o.serviceName, state: state.rawValue, listFen: o.listFen,
                 bureauFen: o.bureauFen, balanceFen: o.balanceFen, selfPayFen: o.selfPayFen,
                 note: o.exceptions.map(\.message.zh).joined(separator: "；") + (o.reviewNote.map { "（审核：\($0)）" } ?? ""))
        }
    }
}

/// Return visits (回访): each week a share of the completed visits is drawn at random for a
/// phone call by staff; the outcome is recorded.
struct ReturnVisits {
    let req: Request
    var db: any Database { req.db }

    /// Draws the sample of the week that starts on `weekStart` (a Monday). Drawing again adds
    /// nothing: the week's sample is drawn once per region scope.
    func draw(weekStart: CalendarDate) async throws -> [ReturnVisit] {
        try req.require(.servicesManage)
        let monday = ReturnVisitSample.weekStart(of: weekStart)
        let existing = try await req.scoped(ReturnVisit.self).filter(\.$weekStart == monday.description).all()
        if !existing.isEmpty { return existing }
        let from = ChinaTime.startOfDay(monday.description)!, to = ChinaTime.startOfDay(monday.addingDays(7).description)!
        let done = try await req.scoped(ServiceOrder.self).filter(\.$status ~~ [ServiceOrderStatus.checkedOut, .confirmed, .settled].map(\.rawValue))
            .filter(\.$checkOutAt >= from).filter(\.$checkOutAt < to).all()
        let settings = try await HomeServiceSettingsRow.inForce(on: db, day: monday)
        var rng = SystemRandomNumberGenerator()
        var out: [ReturnVisit] = []
        for o in ReturnVisitSample.draw(done, percent: settings.returnVisitPercent, using: &rng) {
            let r = ReturnVisit()
            r.orderID = o.id!; r.regionCode = o.regionCode; r.weekStart = monday.description; r.status = "pending"
            try await r.create(on: db)
            out.append(r)
        }
        try await AuditLog.record(on: req, action: .returnVisitRecorded, entityType: "return_visits", entityID: nil, region: try req.regionScope().region.value,
                                  after: ["week": monday.description, "completed": "\(done.count)", "drawn": "\(out.count)"])
        return out
    }

    struct OutcomeInput: Content { var outcome: String; var note: String? }

    func record(_ r: ReturnVisit, _ i: OutcomeInput) async throws {
        let actor = try req.require(.servicesManage)
        guard ReturnVisit.Outcome(rawValue: i.outcome) != nil else {
            throw AppError(.unprocessableEntity, "return_visit.outcome", field: "outcome", zh: "回访结果应为 satisfied（满意）、problem（有问题）、unreachable（联系不上）或 denied（否认接受过服务）",
                           en: "The outcome is satisfied, problem, unreachable or denied")
        }
        if i.outcome != "satisfied", ServiceSetup.trimmed(i.note).isEmpty {
            throw AppError.required("note", zh: "回访情况说明", en: "A note on what was found")
        }
        let before = r.status
        r.status = "done"; r.outcome = i.outcome; r.note = ServiceSetup.trimmed(i.note); r.doneBy = actor.username; r.doneAt = Date()
        try await r.update(on: db)
        try await AuditLog.record(on: req, action: .returnVisitRecorded, entityType: "return_visit", entityID: r.id?.uuidString, region: r.regionCode,
                                  before: ["status": before], after: ["outcome": i.outcome, "note": r.note ?? ""])
    }
}
