import Fluent
import Vapor
import YiyangDomain

/// The one place where pages take a region by name: the options offered as a `<datalist>` and
/// the resolver that turns what was typed (a code, a name, or "name（code）") into a code
/// within the account's scope. The API keeps taking codes only; this is for forms and filters.
enum RegionPicker {
    /// At most this many regions are offered as suggestions: whole levels from the top of the
    /// account's scope, so a county offers its townships and villages, a province its counties.
    static let optionLimit = 1_500
    /// A name typed that matches more than this many regions is shown with the first ones only.
    static let candidateLimit = 20

    struct Option: Encodable { var value: String }
    struct Candidate: Encodable, Equatable { var code: String; var label: String }

    /// What the template `region-field` renders: a text input with suggestions, or, when the
    /// name typed matched several regions, a choice among them (the rest of the form is kept).
    struct Field: Encodable {
        var id: String
        var name: String
        var label: String
        var value: String
        var required: Bool
        var hint: String?
        var error: String?
        var candidates: [Candidate]
        var choose: String
        var listID: String
        var options: [Option]
    }

    enum Resolution: Equatable {
        case empty
        case code(String)
        case ambiguous(typed: String, [Candidate])
        case unknown(typed: String)

        var code: String? { if case .code(let c) = self { c } else { nil } }
        var isResolved: Bool { if case .ambiguous = self { false } else if case .unknown = self { false } else { true } }
    }

    /// "长安区（130102000000）" as shown in suggestions, lists and candidates.
    static func label(name: String, code: String) -> String { "\(name)（\(code)）" }

    /// Resolves what was typed. A 12-digit code in the account's area passes as it is; a name
    /// is looked up among the regions the account sees,
    /// exactly first, then as the start of a name ("长安" finds 长安区).
    static func resolve(_ raw: String?, req: Request) async throws -> Resolution {
        let typed = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !typed.isEmpty else { return .empty }
        // A code outside the account's area is answered as a name that is not there: the
        // same as for every other record out of scope.
        if let code = RegionCode(typed)?.value ?? trailingCode(typed) {
            return try req.regionScope().allows(code) ? .code(code) : .unknown(typed: typed)
        }
        var matches = try await req.scoped(Region.self).filter(\.$name == typed).sort(\.$id).limit(candidateLimit + 1).all()
        if matches.isEmpty {
            matches = try await LikePattern.filter(try req.scoped(Region.self), "name", text: typed, after: "%")
                .sort(\.$id).limit(candidateLimit + 1).all()
        }
        if matches.count == 1, let code = matches[0].id { return .code(code) }
        if matches.isEmpty { return .unknown(typed: typed) }
        let parents = try await names(of: matches.compactMap(\.parentCode), req: req)
        return .ambiguous(typed: typed, matches.prefix(candidateLimit).map { r in
            let code = r.id ?? ""
            let within = r.parentCode.flatMap { parents[$0] }.map { "\($0) · " } ?? ""
            return Candidate(code: code, label: "\(r.name)（\(within)\(code)）")
        })
    }

    /// "name（code）" or "name(code)" as picked from the suggestions.
    static func trailingCode(_ s: String) -> String? {
        guard s.hasSuffix("）") || s.hasSuffix(")") else { return nil }
        let inner = s.dropLast()
        guard let open = inner.lastIndex(where: { $0 == "（" || $0 == "(" }) else { return nil }
        return RegionCode(String(inner[inner.index(after: open)...]).trimmingCharacters(in: .whitespaces))?.value
    }

    /// The message beside the field when the name did not resolve.
    static func message(_ r: Resolution, label: String, locale: UILocale) -> String? {
        switch r {
        case .empty, .code: return nil
        case .ambiguous(let typed, let c):
            return locale == .en ? "\(label): \(c.count) regions are named like \"\(typed)\"; choose one below"
                : "\(label)：有 \(c.count) 个区划名为“\(typed)”，请从下面选择一个"
        case .unknown(let typed):
            return locale == .en ? "\(label): no region named \"\(typed)\" in your area; type a name or a 12-digit code"
                : "\(label)：您的管辖范围内没有名为“\(typed)”的区划，请输入区划名称或 12 位代码"
        }
    }

    /// The suggestions: whole levels of the account's scope, from the top, while they fit.
    static func options(req: Request) async throws -> [Option] {
        let scope = try req.regionScope()
        var levels: [String] = []
        var count = 0
        for level in RegionLevel.allCases where level.prefixLength >= scope.region.level.prefixLength {
            let n = try await req.scoped(Region.self).filter(\.$level == level.rawValue).count()
            if count + n > optionLimit { break }
            count += n
            levels.append(level.rawValue)
        }
        guard !levels.isEmpty else { return [] }
        let regions = try await req.scoped(Region.self).filter(\.$level ~~ levels).sort(\.$id).all()
        return regions.map { Option(value: label(name: $0.name, code: $0.id ?? "")) }
    }

    /// The field for a template: what was typed stays in the box; an unresolved name brings
    /// its message, and several matches bring the choice among them.
    static func field(id: String, name: String, label: String, value: String, resolution: Resolution = .empty, required: Bool = false,
                      hint: String? = nil, error: String? = nil, req: Request) async throws -> Field {
        var candidates: [Candidate] = []
        if case .ambiguous(_, let c) = resolution { candidates = c }
        return Field(id: id, name: name, label: label, value: value, required: required, hint: hint,
                     error: error ?? message(resolution, label: label, locale: req.locale), candidates: candidates,
                     choose: req.locale == .en ? "Choose a region" : "请选择区划", listID: "\(id)-options",
                     options: try await options(req: req))
    }

    /// Names of regions by code, for lists that would otherwise show raw codes. Codes the
    /// account does not see, or that are not in the table, are left out (shown as the code).
    static func names(of codes: [String], req: Request) async throws -> [String: String] {
        let wanted = Array(Set(codes.filter { !$0.isEmpty }))
        guard !wanted.isEmpty else { return [:] }
        var out: [String: String] = [:]
        // Chunks keep the `IN` list within every database's bound-parameter limit.
        for start in stride(from: 0, to: wanted.count, by: 500) {
            let chunk = Array(wanted[start..<min(start + 500, wanted.count)])
            for r in try await Region.query(on: req.db).filter(\.$id ~~ chunk).all() { out[r.id ?? ""] = r.name }
        }
        return out
    }

    /// "长安区（130102000000）", or the code alone when it has no name.
    static func display(_ code: String, _ names: [String: String]) -> String {
        names[code].map { label(name: $0, code: code) } ?? code
    }
}
