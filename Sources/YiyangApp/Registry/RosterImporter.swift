import Fluent
import SQLKit
import Vapor
import YiyangDomain

/// Imports a roster row by row: every good row lands (new people registered, changed people
/// updated with history), every bad row is reported with its row, column, value and rule, and
/// the same file twice changes nothing. Rows are written in batches, so memory stays flat.
final class RosterImporter: @unchecked Sendable {
    struct RowError: Content, Equatable {
        var row: Int
        var column: String
        var value: String
        var rule: String
        var message: String
    }

    struct Report: Content {
        var imported = 0
        var updated = 0
        var unchanged = 0
        var rejected = 0
        var errors: [RowError] = []
        var unknownColumns: [String] = []
        var dryRun = false
        /// Names this import in the audit log: every batch's entry and the closing one carry it.
        var job = ""
        /// Batches written, each with its own audit entry.
        var batches = 0
        var rows: Int { imported + updated + unchanged + rejected }
    }

    /// What the closing audit entry keeps of an import, written for a dry run too.
    struct AuditSummary: Encodable {
        var job: String
        var file: String
        var dryRun: Bool
        var batches: Int
        var imported: Int
        var updated: Int
        var unchanged: Int
        var rejected: Int
        /// The numbers (masked) found registered in another region: what the import told the
        /// importer about other regions' people, dry or not.
        var registeredElsewhere: [String]
    }

    /// What each batch's audit entry keeps: the rows it covers and what it wrote.
    struct BatchAudit: Encodable {
        var job: String
        var file: String
        var batch: Int
        var firstRow: Int
        var lastRow: Int
        var imported: Int
        var updated: Int
    }

    struct Options {
        var dryRun = false
        var scope: RegionScope?
        var locale: UILocale = .zh
        var batchSize = 500
        /// Who imports: each batch is audited in the transaction that writes it, so a run stopped
        /// half way leaves no row that no entry names. Nil only where nothing is audited (benchmarks).
        var audit: AuditTrail?
        var fileName = ""
    }

    let db: any Database
    let service: ElderService
    let options: Options
    let vocabulary: ElderRecord.Vocabulary
    let knownRegions: Set<String>
    let today = CalendarDate.today()

    private var header: [String]?
    private var columns: [String?] = []
    private var batch: [(row: Int, facts: ElderFacts, cells: [String: (String, String)])] = []
    /// First 8 bytes of each ID's lookup hash → the row it was first seen on.
    private var seen: [UInt64: Int] = [:]
    private(set) var report = Report()
    /// Rows read so far, for progress.
    private(set) var rowsRead = 0

    init(db: any Database, service: ElderService, options: Options, vocabulary: ElderRecord.Vocabulary, knownRegions: Set<String>) {
        self.db = db; self.service = service; self.options = options; self.vocabulary = vocabulary; self.knownRegions = knownRegions
        report.dryRun = options.dryRun
        report.job = UUID().uuidString
    }

    static func make(req: Request, dryRun: Bool, fileName: String) async throws -> RosterImporter {
        let (vocabulary, _) = try await RegistryVocabulary.load(on: req.db)
        let regions = try await knownRegionCodes(on: req.db)
        return RosterImporter(db: req.db, service: ElderService(req: req, source: "import"),
                              options: Options(dryRun: dryRun, scope: try req.regionScope(), locale: req.locale,
                                               audit: try AuditTrail(req), fileName: fileName),
                              vocabulary: vocabulary, knownRegions: regions)
    }

    /// The closing entry of the import, real or dry: what it wrote, or would have written.
    func auditCompletion(on db: any Database) async throws {
        guard let trail = options.audit else { return }
        let summary = AuditSummary(job: report.job, file: options.fileName, dryRun: options.dryRun, batches: report.batches,
                                   imported: report.imported, updated: report.updated, unchanged: report.unchanged,
                                   rejected: report.rejected,
                                   registeredElsewhere: report.errors.filter { $0.rule == "id_number.registered_elsewhere" }.map(\.value))
        try await AuditLog.record(trail, on: db, action: .eldersImported, entityType: "elder", entityID: options.fileName, after: summary)
    }

    /// Every stored region code, to check household and residence codes against.
    static func knownRegionCodes(on db: any Database) async throws -> Set<String> {
        guard let sql = db as? any SQLDatabase else { return Set(try await Region.query(on: db).all().compactMap(\.id)) }
        let rows = try await sql.raw("SELECT code FROM regions").all()
        return Set(try rows.map { try $0.decode(column: "code", as: String.self) })
    }

    static let personalColumns: Set<String> = ["idNumber", "phones", "address"]

    func reject(_ row: Int, field: String, rule: String, message: LocalizedText, cells: [String: (String, String)]) {
        let (column, value) = cells[field] ?? (field, "")
        var shown = value
        // Masked for everyone: the report is kept and passed around more freely than the file.
        if Self.personalColumns.contains(field) {
            shown = field == "idNumber" ? CitizenID.mask(value) : (field == "phones" ? Masking.phone(value) : PersonalMask.address(value))
        }
        report.errors.append(RowError(row: row, column: column, value: shown, rule: rule, message: message.text(options.locale)))
    }

    func add(row: Int, cells raw: [String], fromSpreadsheet: Bool = false) async throws {
        guard let header else {
            self.header = raw
            columns = RosterColumns.map(raw)
            report.unknownColumns = zip(raw, columns).filter { $0.1 == nil && !$0.0.trimmingCharacters(in: .whitespaces).isEmpty }.map(\.0)
            if !columns.contains("idNumber") || !columns.contains("name") {
                throw AppError(.unprocessableEntity, "import.header", field: "header",
                               zh: "第 1 行应为表头，且至少包含“姓名”和“身份证号”两列", en: "Row 1 must be the header, with at least the name and ID number columns")
            }
            return
        }
        rowsRead += 1
        if raw.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { return }
        var input = ElderInput()
        var cells: [String: (String, String)] = [:]
        for (i, key) in columns.enumerated() {
            guard let key else { continue }
            var value = i < raw.count ? raw[i] : ""
            // A date cell of a spreadsheet arrives as a day count (Excel's serial number).
            if fromSpreadsheet, key == "birthDate", let serial = Int(value), (1...80_000).contains(serial),
               let date = CalendarDate(excelSerial: serial) {
                value = date.description
            }
            input[key] = value
            cells[key] = (header[i], value)
        }
        switch ElderRecord.validate(input, vocabulary: vocabulary, today: today) {
        case .failure(let e):
            // One row, one rejection; every broken rule of it is listed.
            for issue in e.issues { reject(row, field: issue.field, rule: issue.rule, message: issue.message, cells: cells) }
            report.rejected += 1
        case .success(let facts):
            let errorsBefore = report.errors.count
            if !knownRegions.contains(facts.householdRegion.value) {
                reject(row, field: "householdRegion", rule: "region.unknown",
                       message: .init(zh: "户籍地区划代码 \(facts.householdRegion.value) 不在区划表中", en: "Household region \(facts.householdRegion.value) is not in the region table"), cells: cells)
            } else if !knownRegions.contains(facts.residenceRegion.value) {
                reject(row, field: cells["residenceRegion"] == nil ? "householdRegion" : "residenceRegion", rule: "region.unknown",
                       message: .init(zh: "居住地区划代码 \(facts.residenceRegion.value) 不在区划表中", en: "Residence region \(facts.residenceRegion.value) is not in the region table"), cells: cells)
            } else if let scope = options.scope, !scope.allows(facts.residenceRegion.value) {
                reject(row, field: cells["residenceRegion"] == nil ? "householdRegion" : "residenceRegion", rule: "region.out_of_scope",
                       message: .init(zh: "居住地 \(facts.residenceRegion.value) 不在您的管辖范围内", en: "Residence \(facts.residenceRegion.value) is outside your area"), cells: cells)
            } else {
                let hash = service.vault.lookupHash(facts.id.value)
                let key = UInt64(hash.prefix(16), radix: 16)!
                if let first = seen[key] {
                    reject(row, field: "idNumber", rule: "id_number.duplicate_in_file",
                           message: .init(zh: "身份证号与本文件第 \(first) 行重复", en: "The ID number repeats row \(first) of this file"), cells: cells)
                } else {
                    seen[key] = row
                    batch.append((row, facts, cells))
                }
            }
            if report.errors.count > errorsBefore { report.rejected += 1 }
        }
        if batch.count >= options.batchSize { try await flush() }
    }

    /// Reads a whole CSV or XLSX file through the importer, a batch of rows at a time, and
    /// reports progress (bytes read, bytes in all, rows) after each batch. File reading runs on
    /// the thread pool, off the threads that serve requests.
    func read(_ file: URL, temporaryDirectory: URL, threadPool: NIOThreadPool,
              progress: @Sendable (_ done: Int, _ total: Int, _ rows: Int) async -> Void = { _, _, _ in }) async throws -> Report {
        try await TabularFileReader.forEachRow(in: file, temporaryDirectory: temporaryDirectory, threadPool: threadPool,
                                               afterBatch: { await progress($0.doneBytes, $0.totalBytes, self.rowsRead) }) {
            try await add(row: $0.number, cells: $0.cells, fromSpreadsheet: $0.fromSpreadsheet)
        }
        return try await finish()
    }

    func finish() async throws -> Report {
        if header == nil {
            throw AppError(.unprocessableEntity, "import.empty", field: "file", zh: "文件是空的", en: "The file is empty")
        }
        try await flush()
        report.errors.sort { $0.row < $1.row }
        // After a big load SQLite's planner needs fresh statistics, or a name search may walk a
        // whole region instead of the name index. PostgreSQL's autovacuum does this by itself.
        if report.imported >= 10_000, !options.dryRun, let sql = db as? any SQLDatabase, sql.dialect.name == "sqlite" {
            try await sql.raw("ANALYZE").run()
        }
        return report
    }

    private func flush() async throws {
        guard !batch.isEmpty else { return }
        let rows = batch
        batch.removeAll(keepingCapacity: true)
        let hashes = rows.map { service.vault.lookupHash($0.facts.id.value) }
        let sql = db as! any SQLDatabase
        let now = Date()
        var newRows: [Int: [any SQLExpression]] = [:]
        for (i, item) in rows.enumerated() {
            newRows[i] = try service.insertRow(item.facts, id: UUID(), idHash: hashes[i], now: now)
        }
        if options.dryRun {
            try await countDryRun(rows, hashes: hashes, sql: sql)
            return
        }
        // The batch's new rows, its updates and its audit entry commit together or not at all.
        let values = newRows
        try await db.transaction { tx in
            try await self.write(rows, hashes: hashes, newRows: values, tx: tx)
        }
    }

    private typealias BatchRow = (row: Int, facts: ElderFacts, cells: [String: (String, String)])

    /// A dry run only asks which numbers are registered already, and counts.
    private func countDryRun(_ rows: [BatchRow], hashes: [String], sql: any SQLDatabase) async throws {
        let known = Set(try await sql.select().column("id_hash").from(Elder.schema)
            .where(SQLColumn("id_hash"), .in, SQLGroupExpression(hashes.map { SQLBind($0) })).all()
            .map { try $0.decode(column: "id_hash", as: String.self) })
        let inserted = Set(hashes).subtracting(known)
        report.imported += inserted.count
        _ = try await classifyExisting(rows, hashes: hashes, inserted: inserted, on: db)
    }

    private func write(_ rows: [BatchRow], hashes: [String], newRows: [Int: [any SQLExpression]], tx: any Database) async throws {
        let sql = tx as! any SQLDatabase
        let imported = report.imported, updated = report.updated
        // New people go in first, in one statement that skips numbers already registered and
        // says which rows it wrote: the unique index answers "exists?" while inserting, so a
        // fresh roster costs no extra lookups.
        let insert = sql.insert(into: Elder.schema).columns(ElderService.insertColumns).ignoringConflicts(with: ["id_hash"])
        for i in rows.indices { insert.values(newRows[i]!) }
        let inserted = Set(try await insert.returning("id_hash").all().map { try $0.decode(column: "id_hash", as: String.self) })
        report.imported += inserted.count
        for (e, changes) in try await classifyExisting(rows, hashes: hashes, inserted: inserted, on: tx) {
            try await e.save(on: tx)
            if !changes.isEmpty { try await changes.create(on: tx) }
        }
        report.batches += 1
        if let trail = options.audit {
            let entry = BatchAudit(job: report.job, file: options.fileName, batch: report.batches, firstRow: rows.first?.row ?? 0,
                                   lastRow: rows.last?.row ?? 0, imported: report.imported - imported, updated: report.updated - updated)
            try await AuditLog.record(trail, on: tx, action: .eldersImportBatch, entityType: "elder", entityID: options.fileName, after: entry)
        }
    }

    /// Sorts the rows not inserted: registered elsewhere (rejected), changed (to update), unchanged.
    private func classifyExisting(_ rows: [BatchRow], hashes: [String], inserted: Set<String>,
                                  on db: any Database) async throws -> [(Elder, [ElderChange])] {
        let others = hashes.filter { !inserted.contains($0) }
        guard !others.isEmpty else { return [] }
        var existing: [String: Elder] = [:]
        for e in try await Elder.query(on: db).filter(\.$idHash ~~ others).all() { existing[e.idHash] = e }
        var updates: [(Elder, [ElderChange])] = []
        for (i, item) in rows.enumerated() where !inserted.contains(hashes[i]) {
            guard let e = existing[hashes[i]] else { continue }
            if let scope = options.scope, !scope.allows(e.residenceRegion) {
                // A real import asks the registering region to move the record here, as a form does.
                if !options.dryRun, let trail = options.audit {
                    try await ElderTransfers.request(e, to: item.facts.residenceRegion.value, idNumber: item.facts.id.value,
                                                     nameGiven: item.facts.name, via: "import", trail: trail, on: db)
                }
                reject(item.row, field: "idNumber", rule: "id_number.registered_elsewhere", message: options.dryRun
                       ? .init(zh: "此身份证号已在其他地区登记（正式导入时将向登记地提出迁入申请）",
                               en: "This ID number is registered in another region (a real import asks that region to transfer it)")
                       : .init(zh: "此身份证号已在其他地区登记；已向登记地提出迁入申请", en: "This ID number is registered in another region; a transfer request went there"),
                       cells: item.cells)
                report.rejected += 1
                continue
            }
            let before = ElderService.snapshot(e)
            if try service.apply(item.facts, to: e, current: try service.secrets(e)) {
                updates.append((e, service.changes(elderID: e.id!, before: before, after: ElderService.snapshot(e))))
                report.updated += 1
            } else {
                report.unchanged += 1
            }
        }
        return updates
    }

    /// The error report as a CSV a person opens in a spreadsheet.
    static func errorsCSV(_ errors: [RowError], locale: UILocale) -> String {
        var out = "\u{FEFF}" + CSVReader.row(locale == .en ? ["row", "column", "value", "rule", "problem"] : ["行号", "列", "值", "规则", "问题"])
        for e in errors { out += CSVReader.row([String(e.row), e.column, e.value, e.rule, e.message]) }
        return out
    }
}
