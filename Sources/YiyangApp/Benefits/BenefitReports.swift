import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Spending and beneficiaries by month, benefit and the next level of regions below the one
/// asked for (a city sees its counties), from the payments themselves; and overpayments
/// still to recover.
enum BenefitReports {
    struct Row: Content { var month: String; var region: String; var benefitType: String; var payments: Int; var beneficiaries: Int; var totalFen: Int }
    struct Outstanding: Content { var cases: Int; var totalFen: Int }
    struct Report: Content { var from: String; var to: String; var region: String; var rows: [Row]; var overpaymentsOutstanding: Outstanding }

    static func build(region: RegionCode, from: Month, to: Month, db: any Database) async throws -> Report {
        let sql = db as! any SQLDatabase
        let child = RegionLevel.allCases.first { $0.prefixLength > region.level.prefixLength }?.prefixLength ?? 12
        let rows = try await sql.raw("""
            SELECT month, SUBSTR(region_code, 1, \(unsafeRaw: String(child))) AS area, benefit_type,
                   COUNT(*) AS n, COUNT(DISTINCT payee) AS people, CAST(SUM(amount_fen) AS BIGINT) AS total
            FROM (SELECT month, region_code, benefit_type, elder_id AS payee, amount_fen FROM payments
                  UNION ALL
                  SELECT month, region_code, benefit_type, institution_id AS payee, amount_fen FROM institution_payments) p
            WHERE region_code LIKE \(bind: region.prefix + "%") AND month >= \(bind: from.description) AND month <= \(bind: to.description)
            GROUP BY month, SUBSTR(region_code, 1, \(unsafeRaw: String(child))), benefit_type
            ORDER BY month, area, benefit_type
            """).all()
        let over = try await sql.raw("""
            SELECT COUNT(*) AS n, CAST(SUM(amount_fen) AS BIGINT) AS total FROM overpayments
            WHERE region_code LIKE \(bind: region.prefix + "%") AND status = 'open'
            """).first()
        return Report(from: from.description, to: to.description, region: region.value, rows: try rows.map { r in
            let area = try r.decode(column: "area", as: String.self)
            return Row(month: try r.decode(column: "month", as: String.self), region: area.padding(toLength: 12, withPad: "0", startingAt: 0),
                       benefitType: try r.decode(column: "benefit_type", as: String.self), payments: try r.decode(column: "n", as: Int.self),
                       beneficiaries: try r.decode(column: "people", as: Int.self), totalFen: try r.decode(column: "total", as: Int?.self) ?? 0)
        }, overpaymentsOutstanding: Outstanding(cases: try over?.decode(column: "n", as: Int.self) ?? 0,
                                                totalFen: try over?.decode(column: "total", as: Int?.self) ?? 0))
    }
}

extension BenefitsAPI {
    @Sendable func report(req: Request) async throws -> BenefitReports.Report {
        try req.require(.benefitsUse)
        let to = try Self.month(req.query[String.self, at: "to"], field: "to")
        let from = try req.query[String.self, at: "from"].map { try Self.month($0, field: "from") } ?? to.adding(-11)
        let region = try req.query[String.self, at: "region"].map { try req.requireInScope($0, field: "region") } ?? req.regionScope().region
        return try await BenefitReports.build(region: region, from: from, to: to, db: req.db)
    }

    struct ResolveBody: Content { var status: String; var note: String? }

    /// An overpayment is recovered (the money came back) or waived (with a reason).
    @Sendable func resolveOverpayment(req: Request) async throws -> OverpaymentView {
        let actor = try req.require(.benefitsManage)
        guard let id = req.parameters.get("overpaymentID", as: UUID.self) else { throw AppError.notFound() }
        let o = try await req.findScoped(Overpayment.self, id)
        let body = try req.content.decode(ResolveBody.self)
        guard let status = Overpayment.Status(rawValue: body.status), status != .open else {
            throw AppError(.unprocessableEntity, "overpayment.status", field: "status", zh: "状态应为 recovered（已追回）或 waived（核销）", en: "status must be recovered or waived")
        }
        let note = (body.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if status == .waived && note.isEmpty {
            throw AppError(.unprocessableEntity, "overpayment.note", field: "note", zh: "核销须写明理由", en: "A waiver needs a reason")
        }
        guard o.status == Overpayment.Status.open.rawValue else {
            throw AppError(.conflict, "overpayment.closed", field: "status", zh: "此多发记录已处理", en: "This overpayment is closed already")
        }
        let before = o.status
        o.status = status.rawValue
        try await o.save(on: req.db)
        try await AuditLog.record(on: req, action: .overpaymentResolved, entityType: "overpayment", entityID: o.id?.uuidString, region: o.regionCode,
                                  before: ["status": before], after: ["status": o.status, "note": note, "by": actor.username])
        return OverpaymentView(o)
    }
}

extension BenefitPages {
    struct ReportLine: Encodable { var month: String; var region: String; var benefit: String; var payments: Int; var people: Int; var total: String }
    struct ReportPage: Encodable {
        var from: String; var to: String; var lines: [ReportLine]; var chart: BarChart
        var outstandingCases: Int; var outstandingTotal: String; var grandTotal: String
    }

    /// Spending by month as a bar chart drawn here (SVG), and the table behind it.
    @Sendable func reports(req: Request) async throws -> Response {
        let actor = try req.require(.benefitsUse)
        let l = req.locale
        let to = try BenefitsAPI.month(req.query[String.self, at: "to"], field: "to")
        let from = try req.query[String.self, at: "from"].flatMap { $0.isEmpty ? nil : $0 }.map { try BenefitsAPI.month($0, field: "from") } ?? to.adding(-11)
        let r = try await BenefitReports.build(region: actor.region, from: from, to: to, db: req.db)
        let months = from.through(to)
        var perMonth: [String: Int] = [:]
        for row in r.rows { perMonth[row.month, default: 0] += row.totalFen }
        let chart = BarChart.months(months.map { ($0, perMonth[$0.description] ?? 0) }, elder: req.elderMode, locale: l)
        let regionNames = try await RegionPicker.names(of: r.rows.map(\.region), req: req)
        return try await WebPage.render("benefit-reports", title: UIStrings.text("bn_reports", l), ReportPage(
            from: from.description, to: to.description,
            lines: r.rows.map { ReportLine(month: $0.month, region: RegionPicker.display($0.region, regionNames),
                                           benefit: BenefitType.name($0.benefitType).text(l),
                                           payments: $0.payments, people: $0.beneficiaries, total: Fen.display($0.totalFen)) },
            chart: chart, outstandingCases: r.overpaymentsOutstanding.cases,
            outstandingTotal: Fen.display(r.overpaymentsOutstanding.totalFen),
            grandTotal: Fen.display(perMonth.values.reduce(0, +))), req: req)
    }
}
