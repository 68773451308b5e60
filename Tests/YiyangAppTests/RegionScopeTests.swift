@testable import YiyangApp
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// The promise of region scope: an account of one township sees nothing of its sibling, by
/// any route of the web or the API. The probe account is an administrator (every permission),
/// so a refusal can only come from scope, and the answer must be the 404 of a missing record.
@Suite("Region scope")
struct RegionScopeTests {
    /// The sibling's records, one per kind of route parameter. A new parameter name makes the
    /// walk fail until it is added here with a record of the sibling township.
    struct SiblingRecords {
        var values: [String: String]
        /// Texts that would betray the sibling if they appeared in an answer.
        var secrets: [String]
    }

    static let probeRegion = "130102002000"   // 青园街道
    static let siblingRegion = "130102001000" // 建北街道, same county

    func siblingRecords(_ app: Application) async throws -> SiblingRecords {
        let sibling = try await app.user("demo_township")
        // Give the sibling an audit trail of its own.
        _ = try await app.token("demo_township")
        let audit = try #require(try await AuditEntry.query(on: app.db).filter(\.$regionCode == Self.siblingRegion).first())
        let elder = try await app.makeElder("周秘密", id: makeID("130102", "19380808", 555), region: "130102001001")
        let assessment = Assessment()
        assessment.elderID = elder.id!; assessment.regionCode = elder.residenceRegion; assessment.instrument = "gbt42195-2022"
        assessment.reason = "first"; assessment.requestedVia = "staff"; assessment.requestNote = ""; assessment.requestedBy = "demo_township"
        assessment.status = Assessment.Status.requested.rawValue; assessment.draft = AssessmentAnswers(answers: [:])
        try await assessment.create(on: app.db)
        let outcome = try AssessmentScoring.score(AssessmentInstruments.gbt42195_2022, AssessmentAnswers(
            answers: Dictionary(uniqueKeysWithValues: AssessmentInstruments.gbt42195_2022.items.map { ($0.code, $0.maxScore) }))).get()
        let result = AssessmentService.makeResult(outcome: outcome, answers: AssessmentAnswers(answers: [:]), elderID: elder.id!,
                                                  region: elder.residenceRegion, assessedOn: .today(), validityMonths: 12,
                                                  assessors: "甲", agency: "乙", origin: "imported", recordedBy: "demo_township")
        try await result.create(on: app.db)
        let benefitCase = BenefitCase()
        benefitCase.elderID = elder.id!; benefitCase.regionCode = elder.residenceRegion; benefitCase.benefitType = "age_allowance"
        benefitCase.policyID = UUID(); benefitCase.policyVersion = 1; benefitCase.month = "2026-10"; benefitCase.source = "scan"
        benefitCase.status = "pending"; benefitCase.amountFen = 5000; benefitCase.paymentForm = "cash"; benefitCase.decisionJSON = "{}"
        try await benefitCase.create(on: app.db)
        let run = PaymentRun()
        run.month = "2026-10"; run.regionCode = Self.siblingRegion; run.status = "computed"; run.startedBy = "demo_township"; run.payments = 0; run.totalFen = 0
        try await run.create(on: app.db)
        let over = Overpayment()
        over.entitlementID = UUID(); over.elderID = elder.id!; over.regionCode = elder.residenceRegion; over.benefitType = "age_allowance"
        over.months = "2026-11"; over.amountFen = 5000; over.reason = "death"; over.status = "open"
        try await over.create(on: app.db)
        let attachment = BenefitAttachment()
        attachment.caseID = benefitCase.id!; attachment.regionCode = elder.residenceRegion; attachment.fileName = "秘密.png"
        attachment.contentType = "image/png"; attachment.size = 1; attachment.uploadedBy = "demo_township"
        try await attachment.create(on: app.db)
        let link = FamilyLink()
        link.userID = UUID(); link.username = "someone"; link.displayName = "某人"; link.elderID = elder.id!; link.regionCode = elder.residenceRegion
        link.relation = "儿子"; link.status = "pending"
        try await link.create(on: app.db)
        let transfer = ElderTransfer()
        transfer.elderID = elder.id!; transfer.fromRegionCode = elder.residenceRegion; transfer.toRegionCode = "130102001002"
        transfer.idMasked = elder.idMasked; transfer.nameGiven = "周秘密"; transfer.requestedBy = "x"; transfer.requestedVia = "api"
        transfer.status = "pending"
        try await transfer.create(on: app.db)
        let services = try await serviceRecords(app, elder: elder, region: Self.siblingRegion, tag: "秘密", marks: ("SECRET1", "SECRET01"))
        return SiblingRecords(values: services.merging([
            "transferID": transfer.id!.uuidString,
            "linkID": link.id!.uuidString,
            "attachmentID": attachment.id!.uuidString,
            "overpaymentID": over.id!.uuidString,
            "caseID": benefitCase.id!.uuidString,
            "runID": run.id!.uuidString,
            "assessmentID": assessment.id!.uuidString,
            "resultID": result.id!.uuidString,
            "code": "130102001001",              // a community under the sibling township
            "userID": sibling.id!.uuidString,
            "auditID": audit.id!.uuidString,
            "elderID": elder.id!.uuidString,
        ]) { a, _ in a }, secrets: ["秘密服务社", "秘密食堂", "秘密养老院"] + ["建北", "demo_township\"", sibling.id!.uuidString, audit.id!.uuidString, "130102001001", "东风社区",
                     elder.id!.uuidString, "周秘密", assessment.id!.uuidString, result.id!.uuidString,
                     benefitCase.id!.uuidString, run.id!.uuidString, over.id!.uuidString])
    }

    /// One of each home-service record, in a township (the sibling's, or the probe's own): names
    /// start with `tag`, and `marks` make the credit codes unique.
    func serviceRecords(_ app: Application, elder: Elder, region: String, tag: String, marks: (String, String)) async throws -> [String: String] {
        let provider = ServiceProvider()
        provider.regionCode = region; provider.name = "\(tag)服务社"; provider.creditCode = "91130102MA0\(marks.0)"; provider.qualifications = ""
        provider.contact = ""; provider.active = true; provider.createdBy = "demo_township"
        try await provider.create(on: app.db)
        let caregiver = Caregiver()
        caregiver.providerID = provider.id!; caregiver.regionCode = region; caregiver.name = "\(tag)护理员"; caregiver.phoneMasked = ""; caregiver.active = true
        try await caregiver.create(on: app.db)
        let point = ServicePoint()
        point.regionCode = region; point.kind = "meal_point"; point.name = "\(tag)食堂"; point.address = ""; point.capacity = 0; point.hours = ""
        point.active = true; point.createdBy = "demo_township"
        try await point.create(on: app.db)
        let order = ServiceOrder()
        order.regionCode = elder.residenceRegion; order.elderID = elder.id!; order.itemID = UUID(); order.serviceCode = "bathing"; order.serviceName = "助浴"
        order.standardMinutes = 60; order.providerID = provider.id!; order.contractID = UUID(); order.placedBy = "demo_township"; order.placedVia = "staff"
        order.windowStart = Date(); order.windowEnd = Date().addingTimeInterval(3600); order.serviceDay = CalendarDate.today().description
        order.placeKind = "home"; order.note = ""; order.priceTier = ""; order.listFen = 1; order.bureauFen = 0; order.balanceFen = 0; order.selfPayFen = 1
        order.status = "placed"; order.exceptionsJSON = "[]"; order.review = "pending"; order.confirmCodeHash = ""; order.historyJSON = "[]"; order.changeToken = UUID()
        try await order.create(on: app.db)
        let complaint = ServiceComplaint()
        complaint.regionCode = elder.residenceRegion; complaint.elderID = elder.id!; complaint.orderID = order.id; complaint.text = tag; complaint.by = "x"; complaint.status = "open"
        try await complaint.create(on: app.db)
        let returnVisit = ReturnVisit()
        returnVisit.orderID = order.id!; returnVisit.regionCode = elder.residenceRegion; returnVisit.weekStart = "2026-11-16"; returnVisit.status = "pending"
        try await returnVisit.create(on: app.db)
        let meal = MealOrder()
        meal.pointID = point.id!; meal.regionCode = region; meal.elderID = elder.id!; meal.day = "2026-11-23"; meal.meal = "lunch"; meal.mode = "dine_in"
        meal.priceFen = 1; meal.subsidyFen = 0; meal.selfPayFen = 1; meal.status = "ordered"; meal.createdBy = "x"
        try await meal.create(on: app.db)
        let statement = ServiceStatement()
        statement.regionCode = region; statement.kind = "visits"; statement.partyID = provider.id!; statement.partyName = "\(tag)服务社"; statement.month = "2026-11"
        statement.status = "draft"; statement.totalsJSON = "{}"; statement.createdBy = "x"
        try await statement.create(on: app.db)
        let home = Institution()
        home.regionCode = region; home.name = "\(tag)养老院"; home.creditCode = "52130102MJ\(marks.1)"; home.operatorKind = "private"; home.address = ""
        home.accountMasked = ""; home.active = true; home.createdBy = "x"
        try await home.create(on: app.db)
        let resident = InstitutionResident()
        resident.institutionID = home.id!; resident.regionCode = region; resident.elderID = elder.id!; resident.admittedOn = "2026-01-01"; resident.createdBy = "x"
        try await resident.create(on: app.db)
        return ["institutionID": home.id!.uuidString, "residentID": resident.id!.uuidString,
                "providerID": provider.id!.uuidString, "caregiverID": caregiver.id!.uuidString, "pointID": point.id!.uuidString,
                "orderID": order.id!.uuidString, "complaintID": complaint.id!.uuidString, "returnVisitID": returnVisit.id!.uuidString,
                "mealOrderID": meal.id!.uuidString, "statementID": statement.id!.uuidString]
    }

    /// Parameters that do not name region-owned data.
    static let unscopedParameters: [String: String] = ["role": "township", "file": "app.css", "instrument": "gbt42195-2022"]

    @Test("every route that takes an id answers 404 for a sibling township's record", arguments: TestDatabase.all)
    func walkEveryRoute(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("probe", roles: [.admin], region: Self.probeRegion)
            let records = try await siblingRecords(app)
            let siblingBefore = try await app.user("demo_township")
            let token = try await app.token("probe")
            let browser = Browser(app)
            try await browser.signIn("probe")
            try await browser.get("/") // a page with a form, for the CSRF token

            var walked = 0
            for route in app.routes.all {
                let parameters = route.path.compactMap { c -> String? in if case .parameter(let p) = c { return p } else { return nil } }
                guard !parameters.isEmpty else { continue }
                if parameters.allSatisfy({ Self.unscopedParameters[$0] != nil }) { continue }
                var path = ""
                for component in route.path {
                    switch component {
                    case .constant(let c): path += "/" + c
                    case .parameter(let p):
                        let value = records.values[p] ?? Self.unscopedParameters[p]
                        try #require(value != nil, "route \(route.method) \(route.path.string) has parameter :\(p) that this test does not know; add a sibling record for it")
                        path += "/" + value!
                    case .anything, .catchall: path += "/x"
                    }
                }
                let res: TestingHTTPResponse
                if path.hasPrefix("/api/") {
                    res = try await app.api(route.method, path, token: token, json: route.method == .GET ? nil : "{}")
                } else if route.method == .GET {
                    res = try await browser.get(path)
                } else {
                    res = try await browser.post(path, [("enabled", "false"), ("displayName", "x"), ("regionCode", Self.probeRegion)])
                }
                #expect(res.status == .notFound, "\(route.method) \(path) answered \(res.status.code), not 404")
                // What the request itself carried (the id in its path) may be echoed back.
                for secret in records.secrets where !path.contains(secret) {
                    #expect(!res.body.string.contains(secret), "\(route.method) \(path) leaked \(secret)")
                }
                walked += 1
            }
            #expect(walked >= 10, "the walk covered \(walked) routes")

            // Nothing of the sibling changed.
            let siblingAfter = try await app.user("demo_township")
            #expect(siblingAfter.enabled == siblingBefore.enabled)
            #expect(siblingAfter.passwordHash == siblingBefore.passwordHash)
            #expect(siblingAfter.displayName == siblingBefore.displayName)
        }
    }

    /// Body fields that name a record, by their name in the OpenAPI document → the sibling's
    /// record of that kind. A new body field ending in `Id` (or array ending in `Ids`) fails the walk below until it is here.
    static let bodyIDRecords: [String: String] = [
        "elderId": "elderID", "caregiverId": "caregiverID", "providerId": "providerID", "pointId": "pointID", "userId": "userID",
        "previousId": "assessmentID", "entitlementId": "entitlementID", "partyId": "providerID", "institutionId": "institutionID",
        "orderId": "orderID", "caseId": "caseID", "runId": "runID", "statementId": "statementID", "mealOrderId": "mealOrderID",
    ]

    @Test("every id in a request body is looked up in scope: a sibling's record answers like a made-up id", arguments: TestDatabase.all)
    func walkBodyIDs(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("probe", roles: [.admin], region: Self.probeRegion)
            var records = try await siblingRecords(app)
            let entitlement = Entitlement()
            let sibling = try #require(try await Elder.query(on: app.db).filter(\.$name == "周秘密").first())
            entitlement.elderID = sibling.id!; entitlement.regionCode = sibling.residenceRegion; entitlement.benefitType = "age_allowance"
            entitlement.policyID = UUID(); entitlement.policyVersion = 1; entitlement.startMonth = "2026-01"; entitlement.status = "active"
            entitlement.amountFen = 5000; entitlement.paymentForm = "cash"; entitlement.accountMasked = ""; entitlement.createdBy = "x"
            try await entitlement.create(on: app.db)
            records.values["entitlementID"] = entitlement.id!.uuidString
            // The probe's own records, one for each path parameter of an operation with a body id,
            // so the request gets past its path to the body's lookup.
            let own = try await app.makeElder("孙自家", id: makeID("130102", "19400707", 61), region: "130102002001")
            var ownPath = try await serviceRecords(app, elder: own, region: Self.probeRegion, tag: "自家", marks: ("OWNPRV1", "OWNHOME1"))
            let ownCase = BenefitCase()
            ownCase.elderID = own.id!; ownCase.regionCode = own.residenceRegion; ownCase.benefitType = "age_allowance"
            ownCase.policyID = UUID(); ownCase.policyVersion = 1; ownCase.month = "2026-10"; ownCase.source = "scan"
            ownCase.status = "pending"; ownCase.amountFen = 5000; ownCase.paymentForm = "cash"; ownCase.decisionJSON = "{}"
            try await ownCase.create(on: app.db)
            let ownRun = PaymentRun()
            ownRun.month = "2026-10"; ownRun.regionCode = Self.probeRegion; ownRun.status = "computed"; ownRun.startedBy = "x"; ownRun.payments = 0; ownRun.totalFen = 0
            try await ownRun.create(on: app.db)
            let ownTransfer = ElderTransfer()
            ownTransfer.elderID = own.id!; ownTransfer.fromRegionCode = own.residenceRegion; ownTransfer.toRegionCode = "130102002002"
            ownTransfer.idMasked = own.idMasked; ownTransfer.nameGiven = "孙自家"; ownTransfer.requestedBy = "x"; ownTransfer.requestedVia = "api"
            ownTransfer.status = "pending"
            try await ownTransfer.create(on: app.db)
            ownPath.merge(["elderID": own.id!.uuidString, "caseID": ownCase.id!.uuidString, "runID": ownRun.id!.uuidString,
                           "transferID": ownTransfer.id!.uuidString]) { a, _ in a }
            // A service the probe's own provider is contracted for, so an order gets past the menu to
            // the ids it names; and a confirmed link from the probe to its own person, for the portal.
            let item = ServiceItem()
            item.regionCode = Self.probeRegion; item.code = "cleaning"; item.name = "保洁"; item.category = "cleaning"; item.unit = "hour"
            item.standardMinutes = 60; item.listPriceFen = 4000; item.tierPricesJSON = "{}"; item.balanceAllowed = true
            item.effectiveFrom = "2026-01-01"; item.createdBy = "x"
            try await item.create(on: app.db)
            let contract = ProviderContract()
            contract.providerID = try #require(UUID(uuidString: ownPath["providerID"]!)); contract.regionCode = Self.probeRegion
            contract.pricesJSON = #"{"cleaning":4000}"#; contract.startsOn = CalendarDate.today().addingDays(-30).description
            contract.endsOn = CalendarDate.today().addingDays(365).description; contract.createdBy = "x"
            try await contract.create(on: app.db)
            let probe = try await app.user("probe")
            let ownLink = FamilyLink()
            ownLink.userID = probe.id!; ownLink.username = "probe"; ownLink.displayName = "probe"; ownLink.elderID = own.id!
            ownLink.regionCode = own.residenceRegion; ownLink.relation = "儿子"; ownLink.status = FamilyLink.Status.confirmed.rawValue
            try await ownLink.create(on: app.db)
            // Other id fields of a body name the probe's own records, so only the field walked is foreign.
            var ownBody: [String: String] = [:]
            for (field, kind) in Self.bodyIDRecords { if let id = ownPath[kind] { ownBody[field] = id } }
            let token = try await app.token("probe")
            let document = try JSONSerialization.jsonObject(with: Data(try OpenAPIDocument.json().utf8)) as! [String: Any]
            let schemas = (document["components"] as! [String: Any])["schemas"] as! [String: [String: Any]]
            let counted = ["institution_residents", "service_orders", "benefit_cases", "assessments", "meal_orders", "payment_adjustments",
                           "service_statements", "service_points", "service_accounts", "caregiver_bookings"]
            func counts() async throws -> [String: Int] {
                var out: [String: Int] = [:]
                for table in counted {
                    let row = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
                    out[table] = try row?.decode(column: "n", as: Int.self) ?? 0
                }
                return out
            }
            let before = try await counts()
            var walked = 0, seen: Set<String> = []
            for (path, operations) in document["paths"] as! [String: [String: Any]] {
                for (method, raw) in operations {
                    let op = raw as! [String: Any]
                    guard let content = (op["requestBody"] as? [String: Any])?["content"] as? [String: Any],
                          let json = content["application/json"] as? [String: Any],
                          let ref = (json["schema"] as? [String: Any])?["$ref"] as? String else { continue }
                    let schema = schemas[String(ref.split(separator: "/").last!)] ?? [:]
                    let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
                    // A field ending in `Id` names one record; an array ending in `Ids` names several,
                    // walked with one element (`caseIds` → the record of `caseId`).
                    let idFields = properties.keys.filter { $0.hasSuffix("Id") || $0.hasSuffix("Ids") && properties[$0]?["type"] as? String == "array" }.sorted()
                    guard !idFields.isEmpty else { continue }
                    var concrete = path
                    for name in Self.pathParameters(path) {
                        let value = try #require(ownPath[name], "\(method.uppercased()) \(path) has a body id and the path parameter {\(name)}, for which this test has no record of the probe's own; add one to ownPath")
                        concrete = concrete.replacingOccurrences(of: "{\(name)}", with: value)
                    }
                    for field in idFields {
                        let label = "\(method.uppercased()) \(path) \(field)"
                        seen.insert(label)
                        if Self.notRead[label] != nil { continue }
                        let isArray = field.hasSuffix("Ids")
                        let single = isArray ? String(field.dropLast()) : field
                        let kind = try #require(Self.bodyIDRecords[single], "\(method.uppercased()) \(path): body field \(field) names a record this test does not know; add \(single) to bodyIDRecords")
                        let siblingID = try #require(records.values[kind], "no sibling record for \(kind)")
                        func body(_ id: String) throws -> String {
                            var b = Self.example(properties, required: schema["required"] as? [String] ?? [], own: ownBody)
                            b[field] = isArray ? [id] : id
                            // The bulk approval's other fields filter `all`, which is how they are used.
                            if path == "/api/v1/benefit-case-approvals", field != "caseIds" { b["all"] = true }
                            // Only a dispute or a correction links to an earlier assessment; another reason
                            // is refused before the lookup.
                            if field == "previousId" { b["reason"] = "dispute" }
                            // An order reads pointId only for a visit at a point.
                            if field == "pointId", path.hasSuffix("/service-orders") { b["place"] = "point" }
                            return String(decoding: try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys]), as: UTF8.self)
                        }
                        let madeUp = try await app.api(HTTPMethod(rawValue: method.uppercased()), concrete, token: token, json: try body(UUID().uuidString))
                        // The made-up id proves the request reached the lookup of this field's record:
                        // its refusal is about that record. The sibling's must be the very same refusal.
                        let madeUpRefusal = Self.refusal(madeUp, field: single, path: path)
                        #expect(madeUpRefusal != nil, "\(label): a made-up id answered \(madeUp.status.code) \(madeUp.body.string.prefix(300)), not a refusal of that record")
                        if Self.countyWide[label] != nil { walked += 1; continue }
                        let foreign = try await app.api(HTTPMethod(rawValue: method.uppercased()), concrete, token: token, json: try body(siblingID))
                        #expect(Self.refusal(foreign, field: single, path: path) == madeUpRefusal,
                                "\(label): sibling \(foreign.status.code) \(foreign.body.string.prefix(300)) vs made-up \(madeUpRefusal ?? "-")")
                        for secret in records.secrets where secret != siblingID {
                            #expect(!foreign.body.string.contains(secret), "\(label) leaked \(secret)")
                        }
                        walked += 1
                    }
                }
            }
            #expect(walked >= 14, "the body walk covered \(walked) fields")
            // An exception no longer met is stale: drop it.
            for label in Array(Self.notRead.keys) + Array(Self.countyWide.keys) { #expect(seen.contains(label), "\(label) is no longer walked") }
            #expect(try await counts() == before, "nothing was written")
        }
    }

    /// Body id fields an operation accepts but does not read, and why: nothing to look up.
    static let notRead: [String: String] = [
        "POST /api/v1/service-orders/quote pointId": "a quote's price does not depend on the place, so it reads no point",
        "POST /api/v1/my/elders/{elderID}/service-orders/quote pointId": "a quote's price does not depend on the place, so it reads no point",
    ]

    /// Body ids looked up on purpose in the person's county rather than the caller's township: a
    /// person may be served or eat at any open point of their county (ServiceAccess.nearbyPoint,
    /// ServiceAccess.mealPoints), so the sibling township's point, in the same county, is not
    /// foreign there. The walk still proves the lookup is reached (a made-up id is refused by it).
    static let countyWide: [String: String] = [
        "POST /api/v1/service-orders pointId": "a visit at any open point of the person's county",
        "POST /api/v1/my/elders/{elderID}/service-orders pointId": "a visit at any open point of the person's county",
        "POST /api/v1/my/elders/{elderID}/meal-orders pointId": "a meal at any meal point of the person's county",
    ]

    /// The `{name}` parameters of an OpenAPI path.
    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) }
    }

    /// What an answer says about the record a body field named, or nil when it does not refuse
    /// that record: the 404 of a missing record, or a 4xx whose field (or one of whose details) is
    /// the field. Two operations answer otherwise, on purpose: the bulk approval (one refused case
    /// must not stop the others, so it answers 200 and reports each case; there the refusal is the
    /// case's own outcome, and it must be the 404 code), and an order's providerId (below).
    static func refusal(_ res: TestingHTTPResponse, field: String, path: String) -> String? {
        if path == "/api/v1/benefit-case-approvals" {
            guard res.status == .ok, let answer = try? res.content.decode(BenefitsAPI.BulkAnswer.self), answer.approved == 0 else { return nil }
            if field == "caseId" {
                guard answer.results.count == 1, answer.results[0].outcome == "refused", answer.results[0].code == "not_found" else { return nil }
                return "200 refused not_found"
            }
            // elderId (with all=true) filters the pending cases of the caller's scope rather than
            // naming one to act on: a person not in scope selects nothing, so the answer is an
            // empty approval (the probe's own pending case is not taken either).
            guard answer.results.isEmpty else { return nil }
            return "200 nothing selected"
        }
        guard (400..<500).contains(Int(res.status.code)), let error = try? res.content.decode(AppErrorMiddleware.Body.self).error else { return nil }
        if res.status == .notFound, error.code == "not_found" { return "404 not_found" }
        // A provider is chosen among the contracts in force for the person's region: an id that is
        // none of them (made-up or of elsewhere) is refused as "no provider contracted here".
        if field == "providerId", error.code == "order.no_provider" { return "\(res.status.code) order.no_provider" }
        let fields = [error.field] + (error.details ?? []).map(\.field)
        guard fields.contains(where: { $0 == field || $0 == field + "s" }) else { return nil }
        return "\(res.status.code) \(error.code) \(field)"
    }

    /// A body with every required field given a plausible value of its type, so a request goes
    /// past its shape to the lookups.
    static func example(_ properties: [String: [String: Any]], required: [String], own: [String: String]) -> [String: Any] {
        var out: [String: Any] = [:]
        for name in required {
            let p = properties[name] ?? [:]
            if let values = p["enum"] as? [String], let first = values.first { out[name] = first; continue }
            if let id = own[name] { out[name] = id; continue }
            if name.hasSuffix("On") || name.lowercased().hasSuffix("date") { out[name] = CalendarDate.today().description; continue }
            if name.lowercased().hasSuffix("region") || name == "regionCode" { out[name] = probeRegion; continue }
            // A visit's window, tomorrow, as the service forms write it.
            if name == "start" || name == "end" {
                out[name] = "\(CalendarDate.today().addingDays(1)) \(name == "start" ? "09:00" : "10:00")"; continue
            }
            if name == "username" { out[name] = "probe"; continue }
            if name == "service" { out[name] = "cleaning"; continue }
            switch (p["type"] as? String, p["format"] as? String) {
            case ("integer", _): out[name] = 1
            case ("boolean", _): out[name] = false
            case ("array", _): out[name] = [Any]()
            case (_, "date"): out[name] = CalendarDate.today().description
            case (_, "date-time"): out[name] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400))
            case (_, "uuid"): out[name] = UUID().uuidString
            default: out[name] = name == "month" ? String(CalendarDate.today().description.prefix(7)) : "测试"
            }
        }
        return out
    }

    @Test("lists and searches return nothing beside or above the account's region", arguments: TestDatabase.all)
    func listsStayInScope(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            try await app.makeUser("probe", roles: [.admin], region: Self.probeRegion)
            let records = try await siblingRecords(app)
            let token = try await app.token("probe")
            for path in ["/api/v1/regions?per=200", "/api/v1/regions?q=%E5%BB%BA%E5%8C%97", "/api/v1/regions?parent=130102000000",
                         "/api/v1/users?per=200", "/api/v1/users?region=130102001000", "/api/v1/audit?per=200",
                         "/api/v1/audit?region=130102001000", "/api/v1/audit/export", "/api/v1/regions/130102000000"] {
                let res = try await app.api(.GET, path, token: token)
                for secret in records.secrets {
                    #expect(!res.body.string.contains(secret), "\(path) leaked \(secret)")
                }
            }
            // Above: the county and the city are out of sight too.
            #expect(try await app.api(.GET, "/api/v1/regions/130102000000", token: token).status == .notFound)
            #expect(try await app.api(.GET, "/api/v1/regions/130100000000", token: token).status == .notFound)
            let own = try await app.api(.GET, "/api/v1/regions?per=200", token: token)
            let page = try own.content.decode(Paged<RegionDTO>.self)
            #expect(page.total == 4, "青园街道 and its three communities")
            #expect(page.items.allSatisfy { $0.code.hasPrefix("130102002") })

            let browser = Browser(app)
            try await browser.signIn("probe")
            for path in ["/regions", "/regions?q=%E5%BB%BA%E5%8C%97", "/users", "/audit", "/users/new", "/"] {
                let res = try await browser.get(path)
                #expect(res.status == .ok, "\(path)")
                for secret in records.secrets where !(path.removingPercentEncoding ?? path).contains(secret) {
                    #expect(!res.body.string.contains(secret), "\(path) leaked \(secret)")
                }
            }
        }
    }

    @Test("route files reach region-owned data only through the scope")
    func routeFilesUseTheScope() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/YiyangApp")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.lastPathComponent.hasSuffix("API.swift") || $0.lastPathComponent.hasSuffix("Pages.swift") }
        #expect(files.count >= 6)
        let scopedModels = ["Region", "User", "AuditEntry", "Elder", "LifeEvent", "Assessment", "AssessmentResult",
                            "BenefitCase", "Entitlement", "PaymentRun", "Payment", "Overpayment", "BenefitAttachment",
                            "PaymentAdjustment", "LivenessEvidence", "FamilyLink", "ServicePoint", "ServiceProvider", "ProviderContract",
                            "Caregiver", "CaregiverCertificate", "ServiceAccount", "ServiceItem", "ServiceHome", "ServiceOrder",
                            "ServiceBalanceDebit", "ReturnVisit", "ServiceComplaint", "MealMenu", "MealOrder", "ServiceStatement",
                            "Institution", "InstitutionResident", "InstitutionBeds", "InstitutionPayment", "ElderTransfer"]
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for model in scopedModels {
                for pattern in ["\(model).query(", "\(model).find("] {
                    #expect(!text.contains(pattern), "\(file.lastPathComponent) uses \(pattern) directly; use req.scoped(\(model).self) or req.findScoped")
                }
            }
        }
    }
}
