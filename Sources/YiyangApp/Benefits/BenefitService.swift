import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// The registry's and the assessment module's knowledge of people, as the benefit rules want it.
enum BenefitFacts {
    /// Facts of many people at once: three queries per batch, whatever its size.
    static func of(_ elders: [Elder], on db: any Database, today: CalendarDate = .today()) async throws -> [UUID: PersonFacts] {
        let ids = elders.compactMap(\.id)
        guard !ids.isEmpty else { return [:] }
        let assessment = try await currentAssessments(ids, on: db, on: today)
        var receiving: [UUID: Set<String>] = [:]
        // Two columns of a wide table, read by every order placed: written out.
        for row in try await (db as! any SQLDatabase).raw("""
            SELECT elder_id, benefit_type FROM entitlements WHERE elder_id IN (\(binds: ids)) AND status = \(bind: Entitlement.Status.active.rawValue)
            """).all() {
            receiving[try row.decode(column: "elder_id", as: UUID.self), default: []].insert(try row.decode(column: "benefit_type", as: String.self))
        }
        var out: [UUID: PersonFacts] = [:]
        for e in elders {
            guard let id = e.id, let birth = CalendarDate(e.birthDate) else { continue }
            out[id] = PersonFacts(birthDate: birth, residenceRegion: e.residenceRegion, living: e.status == ElderStatus.living.rawValue,
                                  categories: Set(e.categoryCodes), economicStatus: e.economicStatus,
                                  inInstitution: e.livingArrangement == "institution", assessment: assessment[id], receiving: receiving[id] ?? [])
        }
        return out
    }

    /// The assessment in force on a day for each person who has one, as the rules read it.
    static func currentAssessments(_ ids: [UUID], on db: any Database, on day: CalendarDate) async throws -> [UUID: PersonFacts.Assessment] {
        var out: [UUID: PersonFacts.Assessment] = [:]
        for (id, r) in try await AssessmentService.current(elderIDs: ids, on: db, today: day) {
            if let until = CalendarDate(r.validUntil) {
                out[id] = .init(instrument: r.instrument, level: r.finalLevel, levelName: r.finalLevelName, validUntil: until)
            }
        }
        return out
    }

    /// Every benefit with a policy for the person's residence, decided on a month, with reasons.
    static func decisions(for elder: Elder, month: Month, on db: any Database) async throws -> [BenefitDecision] {
        guard let facts = try await of([elder], on: db, today: month.firstDay)[elder.id!] else { return [] }
        return EntitlementRules.evaluate(facts, month: month, policies: try await BenefitPolicyRow.all(on: db), names: try await names(on: db))
    }

    /// Names of the registry's codes for explanations.
    static func names(on db: any Database) async throws -> CodeNames {
        let (_, codes) = try await RegistryVocabulary.load(on: db)
        var names: [String: LocalizedText] = [:]
        for c in codes { names[c.code] = c.name }
        return CodeNames(names)
    }
}

/// The proactive scan (免申即享): people who qualify on a month but have neither an
/// entitlement nor an open case of that benefit get a pre-filled case for staff to confirm.
/// Running it again opens nothing twice.
enum BenefitScan {
    static func run(month: Month, scope: RegionScope, db: any Database, batch: Int = 500,
                    progress: (_ done: Int, _ total: Int) async -> Void = { _, _ in }) async throws -> Int {
        // Per-use benefits (meal subsidies) are spent where the service is given, never decided as cases.
        let policies = try await BenefitPolicyRow.all(on: db).filter { !$0.isPerUse }
        let names = try await BenefitFacts.names(on: db)
        let total = try await scope.query(Elder.self, on: db).filter(\.$status == ElderStatus.living.rawValue).count()
        var after: UUID? = nil
        var opened = 0, done = 0
        while true {
            var q = scope.query(Elder.self, on: db).filter(\.$status == ElderStatus.living.rawValue).sort(\.$id).limit(batch)
            if let after { q = q.filter(\.$id > after) }
            let elders = try await q.all()
            guard let last = elders.last?.id else { break }
            after = last
            let facts = try await BenefitFacts.of(elders, on: db, today: month.firstDay)
            let ids = elders.compactMap(\.id)
            let open = try await BenefitCase.query(on: db).filter(\.$elderID ~~ ids).filter(\.$status == BenefitCase.Status.pending.rawValue).all()
            var has = Set(open.map { "\($0.elderID)|\($0.benefitType)" })
            let oneOffTypes = Set(policies.filter(\.isOneOff).map(\.benefitType))
            for e in try await Entitlement.query(on: db).filter(\.$elderID ~~ ids).all()
            where e.status != Entitlement.Status.ended.rawValue || oneOffTypes.contains(e.benefitType) {
                has.insert("\(e.elderID)|\(e.benefitType)")
            }
            var cases: [BenefitCase] = []
            for e in elders {
                guard let id = e.id, let f = facts[id] else { continue }
                for d in EntitlementRules.evaluate(f, month: month, policies: policies, names: names) where d.entitled {
                    guard !has.contains("\(id)|\(d.benefitType)") else { continue }
                    let c = BenefitCase()
                    c.elderID = id; c.regionCode = e.residenceRegion; c.benefitType = d.benefitType; c.policyID = d.policyID
                    c.policyVersion = d.policyVersion; c.month = month.description; c.source = "scan"; c.status = BenefitCase.Status.pending.rawValue
                    c.amountFen = d.amountFen ?? 0; c.paymentForm = d.paymentForm.rawValue
                    c.decisionJSON = String(decoding: try JSONEncoder.sorted.encode(d), as: UTF8.self)
                    cases.append(c)
                }
            }
            if !cases.isEmpty {
                let toCreate = cases
                try await db.transaction { tx in try await toCreate.create(on: tx) }
            }
            opened += cases.count
            done += elders.count
            await progress(done, total)
        }
        return opened
    }
}

/// Staff decisions on cases, and the end of entitlements.
struct BenefitService {
    let req: Request
    var db: any Database { req.db }

    /// Approving makes the entitlement from the case's month. The decision is checked again
    /// on today's facts, so a case that went stale (a death since the scan) is not granted.
    func approve(_ c: BenefitCase, account: String?, note: String? = nil) async throws -> Entitlement {
        let actor = try req.require(.benefitsManage)
        guard c.status == BenefitCase.Status.pending.rawValue else {
            throw AppError(.conflict, "benefit.case_status", field: "status", zh: "此申请已处理", en: "This case is decided already")
        }
        if c.source == "application" {
            // An application is decided only after its review steps and the public notice.
            guard c.stage == "notice", let until = c.noticeUntil.flatMap(CalendarDate.init) else {
                throw AppError(.conflict, "benefit.not_reviewed", field: "status",
                               zh: "此申请尚未完成审核和公示", en: "This application has not finished its review and public notice")
            }
            guard req.today > until else {
                throw AppError(.conflict, "benefit.notice_running", field: "status",
                               zh: "公示期至 \(until) 结束，之后才能作出决定", en: "The public notice runs until \(until); decide after it")
            }
            try requireDecider(c, actor: actor.username)
            if !c.objections.isEmpty, (note ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw AppError(.unprocessableEntity, "benefit.objections_unanswered", field: "note",
                               zh: "公示期间收到 \(c.objections.count) 条异议，请写明核实结论", en: "\(c.objections.count) objections were raised; state what checking them found")
            }
        }
        let elder = try await req.findScoped(Elder.self, c.elderID)
        let policies = try await BenefitPolicyRow.all(on: db)
        guard let month = Month(c.month), let policy = policies.first(where: { $0.id == c.policyID }) else {
            throw AppError(.conflict, "benefit.policy_missing", field: nil, zh: "此申请依据的政策已不存在", en: "The policy of this case no longer exists")
        }
        guard let facts = try await BenefitFacts.of([elder], on: db, today: req.today)[elder.id!] else { throw AppError.notFound() }
        let decision = EntitlementRules.decide(facts, month: month, policy: policy, names: try await BenefitFacts.names(on: db))
        guard decision.entitled, let amount = decision.amountFen else {
            throw AppError(.unprocessableEntity, "benefit.no_longer_eligible", field: nil,
                           zh: "按当前信息已不符合条件：" + decision.plainSummary.zh, en: "No longer eligible on current facts: " + decision.plainSummary.en)
        }
        try await refuseIfReceived(elder.id!, policy: policy, field: nil)
        let e = Entitlement()
        e.elderID = elder.id!; e.regionCode = elder.residenceRegion; e.benefitType = c.benefitType; e.policyID = policy.id
        e.policyVersion = policy.version; e.amountFen = amount; e.paymentForm = policy.paymentForm.rawValue; e.startMonth = month.description
        e.status = Entitlement.Status.active.rawValue; e.caseID = c.id; e.createdBy = actor.username
        // A one-off benefit pays in its first month and then it is done.
        if policy.isOneOff { e.endMonth = month.description }
        (e.accountCipher, e.accountMasked) = try PaymentAccount.seal(account, field: "account", vault: req.application.vault)
        c.status = BenefitCase.Status.approved.rawValue; c.decidedBy = actor.username; c.decidedAt = Date(); c.amountFen = amount
        if c.source == "application" {
            c.stage = "decided"; c.decisionNote = note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
            c.history += [ApplicationStepRecord(step: "decision", by: actor.username, at: Date(), decision: "approve", note: c.decisionNote ?? "")]
        }
        c.decisionJSON = String(decoding: try JSONEncoder.sorted.encode(decision), as: UTF8.self)
        try await db.transaction { tx in
            try await e.create(on: tx)
            try await c.save(on: tx)
        }
        try await AuditLog.record(on: req, action: .benefitApproved, entityType: "entitlement", entityID: e.id?.uuidString, region: e.regionCode,
                                  after: ["case": c.id!.uuidString, "benefit": e.benefitType, "amountFen": String(amount), "from": e.startMonth])
        return e
    }

    /// What bulk approval did with one case.
    struct BulkOutcome: Content {
        var caseId: UUID
        /// approved or refused
        var outcome: String
        var entitlementId: UUID?
        var code: String?
        var field: String?
        var message: String?
    }

    /// The most cases one bulk approval takes; the rest wait for the next.
    static let bulkLimit = 2000

    /// Approves many cases, each exactly as one at a time (scope, status, notice, four eyes,
    /// facts of today, one audit entry each), and says per case what was done or why not.
    /// A case refused does not stop the others.
    func approveMany(_ ids: [UUID]) async throws -> [BulkOutcome] {
        try req.require(.benefitsManage)
        guard ids.count <= Self.bulkLimit else {
            throw AppError(.unprocessableEntity, "benefit.bulk_limit", field: "caseIds",
                           zh: "一次最多批量认定 \(Self.bulkLimit) 件", en: "At most \(Self.bulkLimit) cases at a time")
        }
        var seen = Set<UUID>(), out: [BulkOutcome] = []
        for id in ids where seen.insert(id).inserted {
            do {
                let c = try await req.findScoped(BenefitCase.self, id)
                let e = try await approve(c, account: nil)
                out.append(BulkOutcome(caseId: id, outcome: "approved", entitlementId: e.id))
            } catch let e as AppError {
                out.append(BulkOutcome(caseId: id, outcome: "refused", code: e.code, field: e.field, message: e.message.text(req.locale)))
            } catch let e as ValidationFailure {
                out.append(BulkOutcome(caseId: id, outcome: "refused", code: e.issues.first?.rule, field: e.issues.first?.field,
                                       message: e.issues.map { $0.message.text(req.locale) }.joined(separator: "；")))
            }
        }
        return out
    }

    struct ApplicationInput: Content {
        var elderId: UUID
        var benefitType: String
        /// person, family or staff
        var applicantKind: String
        var applicantName: String?
        var applicantRelation: String?
        var note: String?
    }

    /// An application by the person, a family member for them (name and relation recorded), or
    /// staff on their behalf. One open case per person and benefit: a second gets a pointer.
    func apply(_ input: ApplicationInput) async throws -> BenefitCase {
        let actor = try req.require(.benefitsManage)
        let elder = try await req.findScoped(Elder.self, input.elderId)
        guard ["person", "family", "staff"].contains(input.applicantKind) else {
            throw AppError(.unprocessableEntity, "benefit.applicant_kind", field: "applicantKind", zh: "申请人应为本人、家属或工作人员", en: "applicantKind must be person, family or staff")
        }
        let name = (input.applicantName ?? "").trimmingCharacters(in: .whitespaces)
        let relation = (input.applicantRelation ?? "").trimmingCharacters(in: .whitespaces)
        if input.applicantKind == "family", name.isEmpty || relation.isEmpty {
            throw AppError(.unprocessableEntity, "benefit.proxy", field: name.isEmpty ? "applicantName" : "applicantRelation",
                           zh: "家属代为申请时须写明家属姓名和与老人的关系", en: "A family member applying must give their name and relation")
        }
        return try await open(elder: elder, benefitType: input.benefitType, kind: input.applicantKind, name: name, relation: relation,
                              note: input.note, recordedBy: actor.username)
    }

    /// An application from the portal: by the person themself, or by a family member through
    /// a confirmed link (the link is the proxy record).
    func applyOnline(elder: Elder, link: FamilyLink, benefitType: String, note: String?) async throws -> BenefitCase {
        let own = link.relation == "本人" || link.relation.lowercased() == "self"
        return try await open(elder: elder, benefitType: benefitType, kind: own ? "person" : "family", name: link.displayName,
                              relation: link.relation, note: note, recordedBy: link.username)
    }

    private func open(elder: Elder, benefitType: String, kind: String, name: String, relation: String, note: String?,
                      recordedBy: String) async throws -> BenefitCase {
        let input = (elderId: elder.id!, benefitType: benefitType, applicantKind: kind, note: note)
        if let open = try await BenefitCase.query(on: db).filter(\.$elderID == elder.id!).filter(\.$benefitType == input.benefitType)
            .filter(\.$status == BenefitCase.Status.pending.rawValue).first() {
            throw AppError(.conflict, "benefit.duplicate_application", field: "benefitType",
                           zh: "此人已有办理中的同类申请：/benefits/cases/\(open.id!.uuidString)", en: "This person has an open case for it: /benefits/cases/\(open.id!.uuidString)")
        }
        let month = Month(req.today)
        let policies = try await BenefitPolicyRow.all(on: db)
        guard let policy = EntitlementRules.policy(for: input.benefitType, region: elder.residenceRegion, month: month, among: policies) else {
            throw AppError(.unprocessableEntity, "benefit.no_policy", field: "benefitType",
                           zh: "本地区没有现行的“\(BenefitType.name(input.benefitType).zh)”政策", en: "No policy for \(input.benefitType) is in force here")
        }
        guard !policy.isPerUse else {
            throw AppError(.unprocessableEntity, "benefit.per_use", field: "benefitType",
                           zh: "“\(BenefitType.name(input.benefitType).zh)”在用餐时按人自动享受，无需申请", en: "\(input.benefitType) applies by itself at each meal; there is nothing to apply for")
        }
        guard policy.isForPersons else {
            throw AppError(.unprocessableEntity, "benefit.for_institutions", field: "benefitType",
                           zh: "“\(BenefitType.name(input.benefitType).zh)”发给养老机构，不由个人申请", en: "\(input.benefitType) is paid to care institutions; a person does not apply for it")
        }
        try await refuseIfReceived(elder.id!, policy: policy, field: "benefitType")
        let facts = try await BenefitFacts.of([elder], on: db, today: req.today)[elder.id!]!
        let decision = EntitlementRules.decide(facts, month: month, policy: policy, names: try await BenefitFacts.names(on: db))
        let c = BenefitCase()
        c.elderID = elder.id!; c.regionCode = elder.residenceRegion; c.benefitType = input.benefitType; c.policyID = policy.id
        c.policyVersion = policy.version; c.month = month.description; c.source = "application"; c.status = BenefitCase.Status.pending.rawValue
        c.amountFen = decision.amountFen ?? 0; c.paymentForm = policy.paymentForm.rawValue
        c.decisionJSON = String(decoding: try JSONEncoder.sorted.encode(decision), as: UTF8.self)
        c.applicantKind = input.applicantKind; c.applicantName = name.nilIfEmpty; c.applicantRelation = relation.nilIfEmpty
        c.requestNote = input.note?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        c.stage = "review"; c.stepIndex = 0
        // The steps in force today stay with the application, whatever changes later.
        let workflow = try await BenefitSettingsRow.inForce(on: db, day: req.today).workflow
        c.workflowJSON = String(decoding: try JSONEncoder.sorted.encode(workflow), as: UTF8.self)
        c.history = [ApplicationStepRecord(step: "received", by: recordedBy, at: Date(), decision: "received", note: c.requestNote ?? "")]
        c.objections = []
        try await c.create(on: db)
        try await AuditLog.record(on: req, action: .benefitApplied, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode,
                                  after: ["benefit": c.benefitType, "applicant": input.applicantKind, "proxy": name])
        return c
    }

    /// A review step: pass moves to the next step, and after the last to the public notice.
    func review(_ c: BenefitCase, pass: Bool, note: String?) async throws {
        let actor = try req.require(.benefitsManage)
        guard c.status == BenefitCase.Status.pending.rawValue, c.source == "application", c.stage == "review", let step = c.stepIndex else {
            throw AppError(.conflict, "benefit.not_in_review", field: "status", zh: "此申请不在审核阶段", en: "This application is not under review")
        }
        let flow = c.workflow
        try requireStepTaker(c, step: step, actor: actor)
        guard pass else { return try await reject(c, note: note) }
        c.history += [ApplicationStepRecord(step: flow.steps[step].code, by: actor.username, at: Date(), decision: "pass",
                                            note: note?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")]
        if step + 1 < flow.steps.count {
            c.stepIndex = step + 1
        } else {
            c.stage = "notice"; c.stepIndex = nil
            c.noticeUntil = req.today.addingDays(flow.noticeDays).description
            c.history += [ApplicationStepRecord(step: "notice", by: actor.username, at: Date(), decision: "notice", note: "公示至 \(c.noticeUntil!)")]
        }
        try await c.save(on: db)
        try await AuditLog.record(on: req, action: .benefitReviewed, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode,
                                  after: ["step": flow.steps[step].code, "stage": c.stage ?? ""])
    }

    /// An objection received during the public notice, recorded by staff.
    func object(_ c: BenefitCase, from: String, text: String) async throws {
        let actor = try req.require(.benefitsManage)
        guard c.status == BenefitCase.Status.pending.rawValue, c.stage == "notice" else {
            throw AppError(.conflict, "benefit.not_in_notice", field: "status", zh: "此申请不在公示期", en: "This application is not in its public notice")
        }
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw AppError(.unprocessableEntity, "benefit.objection_text", field: "text", zh: "请写明异议内容", en: "Write the objection") }
        c.objections += [ApplicationObjection(at: Date(), recordedBy: actor.username, from: from.trimmingCharacters(in: .whitespaces), text: t)]
        try await c.save(on: db)
        try await AuditLog.record(on: req, action: .benefitObjection, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode,
                                  after: ["from": from])
    }

    /// One entitlement of a benefit at a time; a one-off, once at all (the scan keeps the same rule).
    func refuseIfReceived(_ elderID: UUID, policy: BenefitPolicy, field: String?) async throws {
        var q = Entitlement.query(on: db).filter(\.$elderID == elderID).filter(\.$benefitType == policy.benefitType)
        if !policy.isOneOff { q = q.filter(\.$status != Entitlement.Status.ended.rawValue) }
        if try await q.count() > 0 {
            throw AppError(.conflict, "benefit.already_entitled", field: field, zh: "此人已享受该项待遇", en: "This person already has this benefit")
        }
    }

    /// A review step (passing or refusing) is taken by staff of the step's level, and each step
    /// is a second pair of eyes: nobody takes two steps of one case.
    func requireStepTaker(_ c: BenefitCase, step: Int, actor: Actor) throws {
        let flow = c.workflow
        guard flow.allows(actor.region.level, step: step) else {
            let s = flow.steps.indices.contains(step) ? flow.steps[step] : nil
            throw AppError(.forbidden, "benefit.step_level", field: nil,
                           zh: "“\(s?.name.zh ?? "")”须由\(s?.level.name.zh ?? "")工作人员办理",
                           en: "\(s?.name.en ?? "The step") is for \(s?.level.name.en.lowercased() ?? "other") staff")
        }
        let flowCodes = Set(flow.steps.map(\.code))
        if c.history.contains(where: { flowCodes.contains($0.step) && $0.by == actor.username }) {
            throw AppError(.forbidden, "benefit.same_person", field: nil,
                           zh: "您已办理过此申请的上一环节，“\(flow.steps[step].name.zh)”须由另一名工作人员办理",
                           en: "You took an earlier step of this application; \(flow.steps[step].name.en) needs another account")
        }
    }

    /// The decision after the public notice is a further pair of eyes: not the account that
    /// filed the application, nor one that took a review step.
    func requireDecider(_ c: BenefitCase, actor: String) throws {
        let earlier = Set(c.workflow.steps.map(\.code) + ["received"])
        guard !c.history.contains(where: { earlier.contains($0.step) && $0.by == actor }) else {
            throw AppError(.forbidden, "benefit.same_person", field: nil,
                           zh: "您受理或审核过此申请，公示后的决定须由另一名工作人员作出",
                           en: "You filed or reviewed this application; another account decides it after the public notice")
        }
    }

    func reject(_ c: BenefitCase, note: String?) async throws {
        let actor = try req.require(.benefitsManage)
        guard c.status == BenefitCase.Status.pending.rawValue else {
            throw AppError(.conflict, "benefit.case_status", field: "status", zh: "此申请已处理", en: "This case is decided already")
        }
        // Refusing is a decision too: in review it is the current step's, after the notice the decider's.
        if c.source == "application", c.stage == "review" { try requireStepTaker(c, step: c.stepIndex ?? 0, actor: actor) }
        if c.source == "application", c.stage == "notice" { try requireDecider(c, actor: actor.username) }
        let text = (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw AppError(.unprocessableEntity, "benefit.reject_note", field: "note", zh: "请写明不予认定的理由", en: "Give the reason") }
        c.status = BenefitCase.Status.rejected.rawValue; c.decidedBy = actor.username; c.decidedAt = Date(); c.decisionNote = text
        if c.source == "application" {
            c.history += [ApplicationStepRecord(step: c.stage == "review" ? c.workflow.steps[c.stepIndex ?? 0].code : "decision",
                                                by: actor.username, at: Date(), decision: "reject", note: text)]
            c.stage = "decided"
        }
        try await c.save(on: db)
        try await AuditLog.record(on: req, action: .benefitRejected, entityType: "benefit_case", entityID: c.id?.uuidString, region: c.regionCode, after: ["note": text])
    }
}

/// A death or a move out ends every entitlement of the person from the month after the event;
/// what was already paid for later months becomes an overpayment to recover.
enum BenefitsOnLifeEvent: LifeEventSubscriber {
    static func handle(_ event: LifeEvent, elder: Elder, on db: any Database) async throws {
        guard let date = CalendarDate(event.eventDate), let elderID = elder.id else { return }
        let end = PaymentRules.lastPaidMonth(afterEventOn: date)
        let reason = event.kind == LifeEvent.Kind.death.rawValue ? "death" : "moved_out"
        for e in try await Entitlement.query(on: db).filter(\.$elderID == elderID).all() {
            if let current = e.endMonth.flatMap(Month.init), current <= end { continue }
            e.endMonth = end.description
            e.status = Entitlement.Status.ended.rawValue
            e.statusReason = reason
            try await e.save(on: db)
            let paid = try await Payment.query(on: db).filter(\.$entitlementID == e.id!).filter(\.$month > end.description).all()
            guard !paid.isEmpty else { continue }
            let o = Overpayment()
            o.entitlementID = e.id!; o.elderID = elderID; o.regionCode = e.regionCode; o.benefitType = e.benefitType
            o.months = paid.map(\.month).sorted().joined(separator: ",")
            o.amountFen = paid.reduce(0) { $0 + $1.amountFen }
            o.reason = reason; o.status = Overpayment.Status.open.rawValue
            try await o.create(on: db)
        }
    }
}

/// A bank account to pay into: digits only, 8–32 of them; kept sealed, shown masked.
enum PaymentAccount {
    static func seal(_ input: String?, field: String, vault: PersonalDataVault) throws -> (cipher: String?, masked: String) {
        guard let raw = input?.filter({ !$0.isWhitespace }), !raw.isEmpty else { return (nil, "") }
        guard raw.count >= 8, raw.count <= 32, raw.allSatisfy(\.isNumber) else {
            throw AppError(.unprocessableEntity, "benefit.account", field: field, zh: "银行账号应为 8–32 位数字", en: "The bank account must be 8–32 digits")
        }
        return (try vault.seal(raw), String(raw.prefix(4)) + String(repeating: "*", count: raw.count - 8) + String(raw.suffix(4)))
    }
}
