import Fluent
import Vapor
import YiyangDomain

/// Roster imports started from the web run in the background, so the page can show their
/// progress: the status page refreshes itself every two seconds (a `<meta>` refresh, no
/// script needed) until the report is ready. Jobs live in memory; a restarted server forgets
/// them, but what they wrote stays written, and a re-run of the same file is harmless.
actor ImportJobs {
    struct Job: Sendable {
        var id: String
        var ownerID: UUID
        var fileName: String
        var totalBytes: Int
        var doneBytes: Int = 0
        var rows: Int = 0
        var report: RosterImporter.Report?
        var failure: String?
        var errorsLink: String?
        var startedAt = Date()
        var finished: Bool { report != nil || failure != nil }
    }

    private var jobs: [String: Job] = [:]

    func start(_ job: Job) {
        // Finished jobs are kept an hour for their status page, then forgotten.
        let cutoff = Date().addingTimeInterval(-3600)
        jobs = jobs.filter { !$0.value.finished || $0.value.startedAt > cutoff }
        jobs[job.id] = job
    }
    func progress(_ id: String, bytes: Int, rows: Int) { jobs[id]?.doneBytes = bytes; jobs[id]?.rows = rows }
    func finish(_ id: String, report: RosterImporter.Report, errorsLink: String?) {
        guard var job = jobs[id] else { return }
        job.report = report
        job.errorsLink = errorsLink
        job.doneBytes = job.totalBytes
        jobs[id] = job
    }
    func fail(_ id: String, _ message: String) { jobs[id]?.failure = message }

    /// Jobs still reading their file.
    var running: Int { jobs.values.filter { !$0.finished }.count }

    /// A job, for its owner only.
    func job(_ id: String, owner: UUID) -> Job? {
        guard let j = jobs[id], j.ownerID == owner else { return nil }
        return j
    }
}

extension Application {
    private struct ImportJobsKey: StorageKey { typealias Value = ImportJobs }
    var importJobs: ImportJobs {
        if let j = storage[ImportJobsKey.self] { return j }
        let j = ImportJobs()
        storage[ImportJobsKey.self] = j
        return j
    }
}

enum WebRosterImport {
    /// Starts the import of an uploaded file and returns the job id.
    static func start(_ upload: SpooledUpload, dryRun: Bool, req: Request) async throws -> String {
        let actor = try req.require(.registryImport)
        let file = try upload.requiredFile
        let importer = try await RosterImporter.make(req: req, dryRun: dryRun, fileName: upload.fileName)
        let id = SessionSecrets.newToken()
        let jobs = req.application.importJobs
        await jobs.start(.init(id: id, ownerID: actor.userID, fileName: upload.fileName, totalBytes: upload.bytes))
        let app = req.application
        let locale = req.locale
        Task {
            do {
                let report = try await importer.read(file, temporaryDirectory: app.yiyang.temporaryDirectory, threadPool: app.threadPool) {
                    done, total, rows in
                    // Progress in the file's own measure (the unpacked sheet for XLSX), as a share of the upload.
                    await jobs.progress(id, bytes: total > 0 ? Int(Double(done) / Double(total) * Double(upload.bytes)) : 0, rows: rows)
                }
                var link: String? = nil
                if !report.errors.isEmpty {
                    let token = try saveErrors(report, owner: actor.userID, locale: locale, app: app)
                    link = "/elders/import/errors?report=\(token)"
                }
                try await importer.auditCompletion(on: app.db)
                await jobs.finish(id, report: report, errorsLink: link)
            } catch let e as AppError {
                await jobs.fail(id, e.message.text(locale))
            } catch {
                app.logger.report(error: error)
                await jobs.fail(id, locale == .en ? "The import stopped on an internal error; the rows before it are saved." : "导入因内部错误中止；此前的行已保存。")
            }
        }
        return id
    }

    /// The full error list as CSV, kept for its owner only, next to the uploads.
    static func saveErrors(_ report: RosterImporter.Report, owner: UUID, locale: UILocale, app: Application) throws -> String {
        let token = SessionSecrets.newToken()
        let dir = app.yiyang.uploadsDirectory.appendingPathComponent("import-reports", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let file = dir.appendingPathComponent("\(owner.uuidString)-\(token).csv")
        try Data(RosterImporter.errorsCSV(report.errors, locale: locale).utf8).write(to: file, options: .atomic)
        return token
    }
}
