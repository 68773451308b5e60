import Vapor
import YiyangDomain

typealias UILocale = LocalizedText.Locale

extension Request {
    /// API paths speak JSON; everything else is a page.
    var isAPI: Bool { url.path.hasPrefix("/api/") }

    /// The language of this answer: for pages the language switch (a cookie) wins, then
    /// `Accept-Language`; the API follows `Accept-Language` alone. Chinese by default.
    var locale: UILocale {
        if !isAPI, let c = cookies[WebCookie.language]?.string, let l = UILocale(rawValue: c) { return l }
        return .negotiate(acceptLanguage: headers.first(name: .acceptLanguage))
    }

    var elderMode: Bool { cookies[WebCookie.elderMode]?.string == "1" }

    /// The id that ties log lines and audit entries of one request together. A proxy's
    /// `X-Request-Id` is kept so a trace crosses the boundary.
    var requestID: String {
        if let h = headers.first(name: "X-Request-Id"), !h.isEmpty, h.count <= 100 { return h }
        return id
    }

    var clientAddress: String {
        // The last address is the one our own proxy added; those before it are the client's to write.
        if application.yiyang.trustProxy, let f = headers[.xForwardedFor].joined(separator: ",").split(separator: ",").last {
            return f.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? ""
    }

    func text(_ t: LocalizedText) -> String { t.text(locale) }
}

enum WebCookie {
    static let session = "yiyang_session"
    static let csrf = "yiyang_csrf"
    static let language = "yiyang_lang"
    static let elderMode = "yiyang_elder"
}

/// `page` and `per` of a list request, checked.
struct PageRequest: Sendable {
    var page: Int
    var per: Int

    static let maxPer = 200

    /// For batch jobs walking a list page by page.
    init(page: Int, per: Int) {
        self.page = max(1, page)
        self.per = min(max(1, per), Self.maxPer)
    }

    init(_ req: Request, defaultPer: Int = 50) throws {
        func read(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let raw = req.query[String.self, at: name], !raw.isEmpty else { return fallback }
            guard let v = Int(raw), range.contains(v) else {
                throw AppError(.badRequest, "query.range", field: name,
                               zh: "参数 \(name) 应为 \(range.lowerBound) 到 \(range.upperBound) 之间的整数",
                               en: "Parameter \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return v
        }
        page = try read("page", 1, 1...1_000_000)
        per = try read("per", defaultPer, 1...Self.maxPer)
    }

    var offset: Int { (page - 1) * per }
}

/// One page of a list, as the API answers it.
struct Paged<Item: Content>: Content {
    var items: [Item]
    var page: Int
    var per: Int
    var total: Int
}
