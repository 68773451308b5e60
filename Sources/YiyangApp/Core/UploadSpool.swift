import Foundation
import MultipartKit
import Vapor

/// Writes an uploaded file to a private temporary file as its bytes arrive, so a roster of
/// any size costs disk, not memory. Routes that use it take their body as a stream
/// (`body: .stream`).
final class SpooledUpload: @unchecked Sendable {
    /// Nil for a form that came without a file.
    let file: URL?
    let fileName: String
    let bytes: Int
    /// The other (small) fields of a form.
    let fields: [String: String]

    init(file: URL?, fileName: String, bytes: Int, fields: [String: String]) {
        self.file = file; self.fileName = fileName; self.bytes = bytes; self.fields = fields
    }

    deinit { if let file { try? FileManager.default.removeItem(at: file) } }

    /// The file, for routes that required one.
    var requiredFile: URL {
        get throws {
            guard let file else { throw AppError(.unprocessableEntity, "file.required", field: "file", zh: "请选择文件", en: "Choose a file") }
            return file
        }
    }
}

enum UploadSpool {
    /// The whole request body is the file (the API's `POST …/import`).
    static func body(_ req: Request) async throws -> SpooledUpload {
        let writer = try SpoolWriter(req)
        if let data = req.body.data {
            try writer.write(data)
        } else if hasBody(req) {
            for try await chunk in req.body { try writer.write(chunk) }
        }
        guard writer.bytes > 0 else {
            throw AppError(.badRequest, "body.empty", field: "body", zh: "请求体应为要导入的文件", en: "The request body must be the file to import")
        }
        try writer.close()
        writer.keep()
        return SpooledUpload(file: writer.url, fileName: "", bytes: writer.bytes, fields: [:])
    }

    /// A `multipart/form-data` form whose `file` field is the file (the web import pages).
    /// Other fields are kept as text, up to `fieldLimit` bytes in all. A form whose CSRF check
    /// was left to this reader (see `CSRFMiddleware`) must carry its `_csrf` field before the
    /// file. Without `requireFile`, a form with no file gives an upload of zero bytes.
    static func form(_ req: Request, fileField: String = "file", fieldLimit: Int = 64 * 1024, requireFile: Bool = true) async throws -> SpooledUpload {
        guard let type = req.headers.contentType, type.type == "multipart", let boundary = type.parameters["boundary"] else {
            throw AppError(.unsupportedMediaType, "body.multipart", field: "file", zh: "请通过表单上传文件", en: "Upload the file through the form")
        }
        let writer = try SpoolWriter(req)
        let parser = MultipartParser(boundary: boundary)
        var headers: [String: String] = [:]
        var fields: [String: String] = [:]
        var fieldBytes: [UInt8] = []
        var fieldTotal = 0
        var fileName = ""
        var sawFile = false
        var failure: (any Error)?
        func currentName() -> (name: String?, fileName: String?) {
            guard let d = headers["content-disposition"] else { return (nil, nil) }
            return (dispositionParameter(d, "name"), dispositionParameter(d, "filename*").map(decodeRFC5987) ?? dispositionParameter(d, "filename"))
        }
        parser.onHeader = { name, value in headers[name.lowercased()] = value }
        parser.onBody = { buffer in
            guard failure == nil else { return }
            let (name, file) = currentName()
            if name == fileField, file != nil {
                if !sawFile {
                    sawFile = true
                    fileName = file ?? ""
                    if CSRF.isDeferred(req), !CSRF.matches(fields["_csrf"], req) { failure = CSRF.failure(); return }
                }
                do { try writer.write(buffer) } catch { failure = error }
            } else {
                fieldTotal += buffer.readableBytes
                guard fieldTotal <= fieldLimit else {
                    failure = AppError(.payloadTooLarge, "form.too_large", field: name,
                                       zh: "表单内容超过上限 \(fieldLimit >> 10) KB，请改用文件上传", en: "The form is larger than \(fieldLimit >> 10) KB; upload a file instead")
                    return
                }
                fieldBytes.append(contentsOf: buffer.readableBytesView)
            }
        }
        parser.onPartComplete = {
            let (name, file) = currentName()
            if let name, !(name == fileField && file != nil) { fields[name] = String(decoding: fieldBytes, as: UTF8.self) }
            headers = [:]
            fieldBytes = []
        }
        if let data = req.body.data {
            try parser.execute(data)
        } else if hasBody(req) {
            for try await chunk in req.body {
                try parser.execute(chunk)
                if let failure { throw failure }
            }
        }
        if let failure { throw failure }
        if CSRF.isDeferred(req), !CSRF.matches(fields["_csrf"], req) { throw CSRF.failure() }
        try writer.close()
        guard sawFile, writer.bytes > 0 else {
            if requireFile { throw AppError(.unprocessableEntity, "file.required", field: "file", zh: "请选择文件", en: "Choose a file") }
            return SpooledUpload(file: nil, fileName: "", bytes: 0, fields: fields)
        }
        writer.keep()
        return SpooledUpload(file: writer.url, fileName: fileName, bytes: writer.bytes, fields: fields)
    }

    /// A request without a declared length or chunked encoding has no body to stream.
    private static func hasBody(_ req: Request) -> Bool {
        if req.headers.first(name: .transferEncoding) != nil { return true }
        return (req.headers.first(name: .contentLength).flatMap(Int.init) ?? 0) > 0
    }

    /// `name` in `form-data; name="file"; filename="名册.xlsx"`.
    static func dispositionParameter(_ header: String, _ name: String) -> String? {
        for part in header.split(separator: ";") {
            let kv = part.trimmingCharacters(in: .whitespaces)
            guard let eq = kv.firstIndex(of: "="), kv[..<eq].lowercased() == name else { continue }
            var value = String(kv[kv.index(after: eq)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    /// `UTF-8''%E5%90%8D%E5%86%8C.xlsx` → `名册.xlsx`
    static func decodeRFC5987(_ value: String) -> String {
        guard let quote = value.range(of: "''") else { return value }
        return String(value[quote.upperBound...]).removingPercentEncoding ?? value
    }
}

/// The temporary file an upload is written to, refusing more than the configured limit.
private final class SpoolWriter {
    let url: URL
    let limit: Int
    private let handle: FileHandle
    private var pending = Data()
    private(set) var bytes = 0
    /// Set once the file is handed to a `SpooledUpload`, which then owns it.
    private var kept = false

    init(_ req: Request) throws {
        let dir = req.application.yiyang.temporaryDirectory
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        url = dir.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw AppError(.internalServerError, "upload.disk", field: nil, zh: "无法保存上传的文件", en: "The upload could not be saved")
        }
        handle = try FileHandle(forWritingTo: url)
        limit = req.application.yiyang.uploadLimitBytes
    }

    deinit {
        try? handle.close()
        if !kept { try? FileManager.default.removeItem(at: url) }
    }

    func write(_ buffer: ByteBuffer) throws {
        bytes += buffer.readableBytes
        guard bytes <= limit else {
            throw AppError(.payloadTooLarge, "upload.too_large", field: "file",
                           zh: "文件超过上限 \(limit >> 20) MB", en: "The file is larger than the limit of \(limit >> 20) MB")
        }
        pending.append(contentsOf: buffer.readableBytesView)
        if pending.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        try handle.write(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }

    func keep() { kept = true }
}
