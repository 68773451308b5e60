import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Who needs a (re)assessment in a region: everyone of the due age (80+) who has no valid
/// result, and everyone whose result has run out or runs out soon. The same counts give the
/// coverage indicator: the share of people of the due age with a valid result.
enum AssessmentDueList {
    struct Entry: Content {
        var elderId: UUID
        var name: String
        var gender: String
        var age: Int?
        var idNumber: String
        var residenceRegion: String
        /// `never`, `expired` or `expiring`.
        var why: String
        var validUntil: String?
        var openAssessmentId: UUID?
    }

    struct Coverage: Content {
        /// Living people of the due age in the region.
        var people: Int
        /// Of them, with a valid result.
        var assessed: Int
        var percent: Double
    }

    static func list(scope: RegionScope, region: String?, page: PageRequest, on db: any Database, today: CalendarDate = .today()) async throws -> Paged<Entry> {
        let policy = try await AssessmentService.policy(on: db, day: today)
        let sql = db as! any SQLDatabase
        let prefix = try prefixFor(scope: scope, region: region)
        let cutoff = today.yearsBefore(policy.dueAge).description
        let soon = today.addingDays(policy.dueSoonDays).description
        func base(_ select: String) -> SQLQueryString {
            """
            \(unsafeRaw: select) FROM elders e
            LEFT JOIN (SELECT r.elder_id AS elder_id, MAX(r.valid_until) AS valid_until FROM assessment_results r
                       LEFT JOIN assessments a ON a.id = r.assessment_id
                       WHERE r.assessment_id IS NULL OR a.status = 'approved' GROUP BY r.elder_id) lr ON lr.elder_id = e.id
            WHERE e.residence_region LIKE \(bind: prefix + "%") AND e.status = 'living'
              AND ((lr.valid_until IS NULL AND e.birth_date <= \(bind: cutoff)) OR lr.valid_until < \(bind: soon))
            """
        }
        let total = try await sql.raw(base("SELECT COUNT(*) AS n")).first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await sql.raw(base("SELECT e.id AS id, lr.valid_until AS valid_until") + """
             ORDER BY CASE WHEN lr.valid_until IS NULL THEN 0 ELSE 1 END, lr.valid_until, e.birth_date, e.id
             LIMIT \(unsafeRaw: String(page.per)) OFFSET \(unsafeRaw: String(page.offset))
            """).all()
        var until: [UUID: String?] = [:]
        var order: [UUID] = []
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            until[id] = try row.decode(column: "valid_until", as: String?.self)
            order.append(id)
        }
        let elders = Dictionary(uniqueKeysWithValues: try await Elder.query(on: db).filter(\.$id ~~ order).all().map { ($0.id!, $0) })
        let open = try await Assessment.query(on: db).filter(\.$elderID ~~ order)
            .filter(\.$status ~~ [Assessment.Status.requested, .assigned, .inProgress, .submitted].map(\.rawValue)).all()
        let openByElder = Dictionary(open.map { ($0.elderID, $0.id!) }, uniquingKeysWith: { a, _ in a })
        let items: [Entry] = order.compactMap { id in
            guard let e = elders[id] else { return nil }
            let valid = until[id] ?? nil
            let why = valid == nil ? "never" : (valid! < today.description ? "expired" : "expiring")
            return Entry(elderId: id, name: e.name, gender: e.gender, age: e.age, idNumber: e.idMasked, residenceRegion: e.residenceRegion,
                         why: why, validUntil: valid, openAssessmentId: openByElder[id])
        }
        return Paged(items: items, page: page.page, per: page.per, total: total)
    }

    static func coverage(scope: RegionScope, region: String?, on db: any Database, today: CalendarDate = .today()) async throws -> Coverage {
        let policy = try await AssessmentService.policy(on: db, day: today)
        let sql = db as! any SQLDatabase
        let prefix = try prefixFor(scope: scope, region: region)
        let cutoff = today.yearsBefore(policy.dueAge).description
        let row = try await sql.raw("""
            SELECT COUNT(*) AS people,
                   SUM(CASE WHEN lr.valid_until >= \(bind: today.description) THEN 1 ELSE 0 END) AS assessed
            FROM elders e
            LEFT JOIN (SELECT r.elder_id AS elder_id, MAX(r.valid_until) AS valid_until FROM assessment_results r
                       LEFT JOIN assessments a ON a.id = r.assessment_id
                       WHERE r.assessment_id IS NULL OR a.status = 'approved' GROUP BY r.elder_id) lr ON lr.elder_id = e.id
            WHERE e.residence_region LIKE \(bind: prefix + "%") AND e.status = 'living' AND e.birth_date <= \(bind: cutoff)
            """).first()
        let people = try row?.decode(column: "people", as: Int.self) ?? 0
        // SUM of no rows is NULL.
        let assessed: Int = try row?.decode(column: "assessed", as: Int?.self) ?? 0
        return Coverage(people: people, assessed: assessed, percent: people == 0 ? 0 : (Double(assessed) * 1000 / Double(people)).rounded() / 10)
    }

    /// The region asked for, within the caller's scope (the caller's own region otherwise).
    static func prefixFor(scope: RegionScope, region: String?) throws -> String {
        guard let region, !region.isEmpty else { return scope.region.prefix }
        guard let code = RegionCode(region), scope.allows(code.value) else {
            throw AppError(.unprocessableEntity, "region.out_of_scope", field: "region",
                           zh: "区划 \(region) 无效或不在您的管辖范围内", en: "Region \(region) is invalid or outside your area")
        }
        return code.prefix
    }
}

/// Opens a request (by `automatic`) for everyone on a region's due list who has no open case:
/// first assessments for those never assessed, routine ones for the rest. Running it again
/// opens nothing new, because a person with an open case is skipped; a crash half way loses
/// nothing, because every request is written as it is made.
enum AssessmentDueRequests {
    static func run(scope: RegionScope, region: String?, actor: String, db: any Database,
                    progress: (_ done: Int, _ total: Int) async -> Void) async throws -> Int {
        var page = 1
        var opened = 0
        var seen = 0
        while true {
            let list = try await AssessmentDueList.list(scope: scope, region: region, page: PageRequest(page: page, per: 200), on: db)
            for entry in list.items where entry.openAssessmentId == nil {
                guard let elder = try await Elder.find(entry.elderId, on: db) else { continue }
                let a = Assessment()
                a.elderID = entry.elderId; a.regionCode = elder.residenceRegion; a.instrument = "gbt42195-2022"
                a.reason = (entry.why == "never" ? Assessment.Reason.first : .routine).rawValue
                a.requestedVia = Assessment.Requester.automatic.rawValue; a.requestNote = ""; a.requestedBy = actor
                a.status = Assessment.Status.requested.rawValue; a.draft = AssessmentAnswers(answers: [:])
                try await a.create(on: db)
                opened += 1
            }
            seen += list.items.count
            await progress(seen, list.total)
            if list.items.count < 200 { break }
            page += 1
        }
        return opened
    }
}
