import Fluent
import Vapor
import YiyangDomain

/// Reads a death or move-out exchange file (ID number, date, source): matched people change
/// status with the event's date and source; every line is kept as a life event, matched or
/// not, and the unmatched ones are reported. A line already recorded is not recorded twice.
final class LifeEventImporter: @unchecked Sendable {
    struct Line: Content, Equatable {
        var row: Int
        var idNumber: String
        var outcome: String
        var message: String
    }

    struct Report: Content {
        var matched = 0
        var unmatched = 0
        var alreadyRecorded = 0
        var rejected = 0
        var lines: [Line] = []
    }

    static let aliases: [String: [String]] = [
        "idNumber": ["身份证号", "身份证号码", "公民身份号码", "idnumber", "id_number"],
        "kind": ["事件", "事件类型", "类型", "kind", "event"],
        "date": ["日期", "死亡日期", "迁出日期", "事件日期", "date"],
        "source": ["来源", "数据来源", "source"],
        "destination": ["迁往", "迁往地", "去向", "destination"],
    ]

    let service: ElderService
    let scope: RegionScope
    let defaultKind: LifeEvent.Kind?
    let locale: UILocale
    let defaultSource: String
    private var columns: [String?]?
    private(set) var report = Report()

    init(service: ElderService, scope: RegionScope, defaultKind: LifeEvent.Kind?, defaultSource: String, locale: UILocale) {
        self.service = service; self.scope = scope; self.defaultKind = defaultKind; self.defaultSource = defaultSource
        self.locale = locale
    }

    /// Reads a whole CSV or XLSX exchange file, a batch of lines at a time.
    func read(_ file: URL, temporaryDirectory: URL, threadPool: NIOThreadPool) async throws -> Report {
        try await TabularFileReader.forEachRow(in: file, temporaryDirectory: temporaryDirectory, threadPool: threadPool) {
            try await add(row: $0.number, cells: $0.cells, fromSpreadsheet: $0.fromSpreadsheet)
        }
        if columns == nil {
            throw AppError(.unprocessableEntity, "import.empty", field: "file", zh: "文件是空的", en: "The file is empty")
        }
        return report
    }

    func add(row: Int, cells fields: [String], fromSpreadsheet: Bool = false) async throws {
        guard let columns else {
            let mapped = fields.map { h in
                let key = h.trimmingCharacters(in: .whitespaces).lowercased()
                return Self.aliases.first { $0.value.contains(key) }?.key
            }
            guard mapped.contains("idNumber"), mapped.contains("date") else {
                throw AppError(.unprocessableEntity, "import.header", field: "header",
                               zh: "第 1 行应为表头，至少包含“身份证号”和“日期”两列", en: "Row 1 must be the header, with at least the ID number and date columns")
            }
            self.columns = mapped
            return
        }
        var cell: [String: String] = [:]
        for (i, key) in columns.enumerated() where key != nil && i < fields.count {
            cell[key!] = fields[i].trimmingCharacters(in: .whitespaces)
        }
        if cell.values.allSatisfy(\.isEmpty) { return }
        // A date cell of a spreadsheet arrives as a day count (Excel's serial number).
        if fromSpreadsheet, let serial = Int(cell["date"] ?? ""), (1...80_000).contains(serial), let d = CalendarDate(excelSerial: serial) {
            cell["date"] = d.description
        }
        let rawID = cell["idNumber"] ?? ""
        // Masked for everyone, like the roster report.
        let shownID = CitizenID.mask(rawID.uppercased())
        func line(_ outcome: String, _ message: LocalizedText) {
            report.lines.append(Line(row: row, idNumber: shownID, outcome: outcome, message: message.text(locale)))
        }
        guard let id = CitizenID(rawID) else {
            report.rejected += 1
            line("rejected", .init(zh: "身份证号无效", en: "Invalid ID number"))
            return
        }
        guard let date = CalendarDate(cell["date"] ?? ""), date <= .today() else {
            report.rejected += 1
            line("rejected", .init(zh: "日期无效或在将来", en: "The date is invalid or in the future"))
            return
        }
        // The number carries the birth date: an event before it is a typing mistake in one or the other.
        guard date >= id.birthDate else {
            report.rejected += 1
            line("rejected", .init(zh: "日期 \(date) 早于身份证号中的出生日期 \(id.birthDate)",
                                   en: "The date \(date) is before the birth date \(id.birthDate) in the ID number"))
            return
        }
        var kind = defaultKind
        if let k = cell["kind"], !k.isEmpty {
            switch k.lowercased() {
            case "死亡", "death", "dead": kind = .death
            case "迁出", "move_out", "moved_out", "迁移": kind = .moveOut
            default: kind = nil
            }
        }
        guard let kind else {
            report.rejected += 1
            line("rejected", .init(zh: "事件类型应为“死亡”或“迁出”", en: "The event must be death or move_out"))
            return
        }
        let source = (cell["source"].flatMap { $0.isEmpty ? nil : $0 }) ?? defaultSource
        let hash = service.vault.lookupHash(id.value)
        let recorded = try await LifeEvent.query(on: service.db).filter(\.$idHash == hash).filter(\.$kind == kind.rawValue)
            .filter(\.$eventDate == date.description).count()
        if recorded > 0 {
            report.alreadyRecorded += 1
            line("already_recorded", .init(zh: "此事件已记录过", en: "This event is recorded already"))
            return
        }
        // Only people in the importer's region count as found; others are not revealed.
        if let elder = try await scope.query(Elder.self, on: service.db).filter(\.$idHash == hash).first() {
            _ = try await service.recordEvent(kind, date: date, source: source, destination: cell["destination"], elder: elder, idNumber: id.value)
            report.matched += 1
            line("matched", .init(zh: "已匹配：\(elder.name) 标记为\(kind == .death ? "已故" : "已迁出")（\(date)）",
                                  en: "Matched: \(elder.name) marked \(kind == .death ? "deceased" : "moved out") (\(date))"))
        } else {
            let event = LifeEvent()
            event.kind = kind.rawValue; event.eventDate = date.description; event.source = source
            event.idHash = hash; event.idMasked = id.masked; event.elderID = nil; event.matched = false
            event.regionCode = scope.region.value; event.destination = cell["destination"]; event.recordedBy = service.actorUsername
            try await event.create(on: service.db)
            report.unmatched += 1
            line("unmatched", .init(zh: "未在本辖区名册中找到此人", en: "No such person in the registry of your region"))
        }
    }
}

/// A module that acts when a person dies or moves out. Life events are first-class records;
/// subscribers run inside the transaction that records the event.
protocol LifeEventSubscriber {
    static func handle(_ event: LifeEvent, elder: Elder, on db: any Database) async throws
}

enum LifeEventSubscribers {
    static var all: [any LifeEventSubscriber.Type] { [BenefitsOnLifeEvent.self] }
}
