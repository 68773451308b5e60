import Vapor

/// Logs each request's method, path, status and duration, but never its query string: a
/// search by ID number or phone carries them there, and log files must not hold them.
struct RequestLogMiddleware: AsyncMiddleware {
    let level: Logger.Level

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let res = try await next.respond(to: req)
            log(req, status: res.status.code, start: start)
            return res
        } catch {
            log(req, status: nil, start: start)
            throw error
        }
    }

    func log(_ req: Request, status: UInt?, start: ContinuousClock.Instant) {
        let ms = (ContinuousClock.now - start).components
        let millis = Double(ms.seconds) * 1000 + Double(ms.attoseconds) / 1e15
        req.logger.log(level: level, "\(req.method) \(req.url.path) \(status.map(String.init) ?? "error") \(String(format: "%.1f", millis)) ms")
    }
}
