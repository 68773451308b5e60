import Fluent
import Vapor
import YiyangDomain

/// `yiyang elders import FILE [--dry-run]` and `yiyang elders events FILE --kind death|move_out`.
struct ElderCommands: AsyncCommandGroup {
    var help: String { "The elderly registry" }
    var commands: [String: any AnyAsyncCommand] { ["import": ImportEldersCommand(), "events": ImportEventsCommand()] }
    var defaultCommand: (any AnyAsyncCommand)? { nil }
}

enum CLIRegistry {
    static func importer(_ app: Application, dryRun: Bool, fileName: String) async throws -> RosterImporter {
        let (vocabulary, _) = try await RegistryVocabulary.load(on: app.db)
        return RosterImporter(db: app.db, service: ElderService(db: app.db, vault: app.vault, actorUsername: "cli", source: "cli"),
                              options: .init(dryRun: dryRun, scope: nil, locale: .zh, audit: AuditTrail(command: "cli"), fileName: fileName),
                              vocabulary: vocabulary, knownRegions: try await RosterImporter.knownRegionCodes(on: app.db))
    }

    static func printReport(_ r: RosterImporter.Report, console: any Console) {
        console.print("新登记 imported \(r.imported) · 更新 updated \(r.updated) · 未变 unchanged \(r.unchanged) · 拒绝 rejected \(r.rejected)\(r.dryRun ? " (试运行 dry run)" : "")")
        if !r.unknownColumns.isEmpty { console.print("未识别的列 unknown columns: \(r.unknownColumns.joined(separator: ", "))") }
        for e in r.errors.prefix(200) { console.print("第 \(e.row) 行 row \(e.row) [\(e.column)] \(e.value): \(e.message)") }
        if r.errors.count > 200 { console.print("… \(r.errors.count - 200) more") }
    }
}

struct ImportEldersCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "CSV (UTF-8 or GB18030) or XLSX roster") var file: String
        @Flag(name: "dry-run", help: "Check only; write nothing") var dryRun: Bool
    }
    var help: String { "Import a roster; prints a progress bar, the summary and every bad row" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        guard FileManager.default.isReadableFile(atPath: signature.file) else { throw ConfigError(message: "cannot read \(signature.file)") }
        let importer = try await CLIRegistry.importer(app, dryRun: signature.dryRun, fileName: signature.file)
        let bar = ProgressBar(label: "导入 importing")
        let report = try await importer.read(URL(fileURLWithPath: signature.file), temporaryDirectory: app.yiyang.temporaryDirectory,
                                             threadPool: app.threadPool) { done, total, _ in bar.update(done, max(total, done)) }
        bar.finish()
        try await importer.auditCompletion(on: app.db)
        CLIRegistry.printReport(report, console: context.console)
    }
}

struct ImportEventsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "CSV: ID number, date, source[, kind, destination]") var file: String
        @Option(name: "kind", help: "death or move_out, when the file has no kind column") var kind: String?
        @Option(name: "source", help: "Source when the file has none") var source: String?
    }
    var help: String { "Import deaths or move-outs from an exchange file" }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await prepareDatabase(app)
        guard FileManager.default.isReadableFile(atPath: signature.file) else { throw ConfigError(message: "cannot read \(signature.file)") }
        let importer = LifeEventImporter(service: ElderService(db: app.db, vault: app.vault, actorUsername: "cli", source: "event"),
                                         scope: RegionScope(region: .root), defaultKind: signature.kind.flatMap(LifeEvent.Kind.init(rawValue:)),
                                         defaultSource: signature.source ?? "exchange-file", locale: .zh)
        let r = try await importer.read(URL(fileURLWithPath: signature.file), temporaryDirectory: app.yiyang.temporaryDirectory, threadPool: app.threadPool)
        try await AuditLog.recordSystem(on: app.db, actor: "cli", action: .lifeEventsImported, entityType: "life_event", entityID: signature.file,
                                        region: RegionCode.root.value, after: ["matched": r.matched, "unmatched": r.unmatched])
        context.console.print("已匹配 matched \(r.matched) · 未匹配 unmatched \(r.unmatched) · 此前已记录 already recorded \(r.alreadyRecorded) · 拒绝 rejected \(r.rejected)")
        for l in r.lines where l.outcome != "matched" { context.console.print("第 \(l.row) 行 row \(l.row) \(l.idNumber): \(l.message)") }
    }
}

/// Adds synthetic elderly people, spread over the village-level regions in the database.
enum DemoElders {
    /// `within`: only villages whose code starts with it (a township's, say).
    static func add(_ count: Int, seed: UInt64, app: Application, progress: ProgressBar?, within: String = "") async throws -> RosterImporter.Report {
        let villages = try await Region.query(on: app.db).filter(\.$level == RegionLevel.village.rawValue).all().compactMap { RegionCode($0.id ?? "") }
            .filter { $0.value.hasPrefix(within) }
        guard !villages.isEmpty else { throw ConfigError(message: "no village-level regions: load the demo or a region table first") }
        let importer = try await CLIRegistry.importer(app, dryRun: false, fileName: "synthetic")
        try await importer.add(row: 1, cells: ["name", "idNumber", "householdRegion", "phones", "ethnicity", "categories",
                                               "disabilityLevel", "economicStatus", "livingArrangement", "healthInsurance"])
        var generator = SyntheticElders(seed: seed)
        for i in 0..<count {
            let p = generator.next(village: villages[i % villages.count]).input
            try await importer.add(row: i + 2, cells: [p.name, p.idNumber, p.householdRegion, p.phones, p.ethnicity, p.categories,
                                                       p.disabilityLevel, p.economicStatus, p.livingArrangement, p.healthInsurance])
            if i % 1000 == 0 { progress?.update(i, count) }
        }
        let report = try await importer.finish()
        progress?.update(count, count)
        progress?.finish()
        return report
    }
}
