import Fluent
import Vapor
import YiyangDomain

/// `/api/v1/elder-transfers`: requests to move a record between regions, and their decisions.
struct ElderTransfersAPI: RouteCollection {
    struct TransferView: Content {
        var id: UUID
        /// `incoming`: the record is in the caller's region, which decides; `outgoing`: the caller asked.
        var direction: String
        /// The record, for the region that holds it only.
        var elderId: UUID?
        var idNumber: String
        var nameGiven: String
        /// The region holding the record, shown only to that region: the requester learns no more
        /// than that the number is registered elsewhere.
        var fromRegion: String?
        var toRegion: String
        var status: String
        var requestedBy: String
        var requestedAt: Date?
        var decidedBy: String?
        var decidedAt: Date?
        var note: String?

        init(_ t: ElderTransfer, scope: RegionScope) {
            let holds = scope.allows(t.fromRegionCode)
            id = t.id!
            direction = holds ? "incoming" : "outgoing"
            elderId = holds ? t.elderID : nil
            idNumber = t.idMasked
            nameGiven = t.nameGiven
            fromRegion = holds ? t.fromRegionCode : nil
            toRegion = t.toRegionCode
            status = t.status
            requestedBy = t.requestedBy
            requestedAt = t.createdAt
            decidedBy = t.decidedBy
            decidedAt = t.decidedAt
            note = t.decisionNote
        }
    }

    struct DecisionBody: Content {
        var note: String?
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("elder-transfers", use: list)
        routes.post("elder-transfers", ":transferID", "accept", use: accept)
        routes.post("elder-transfers", ":transferID", "decline", use: decline)
    }

    static func transferID(_ req: Request) throws -> UUID {
        guard let id = req.parameters.get("transferID", as: UUID.self) else { throw AppError.notFound() }
        return id
    }

    /// The requests the caller's region holds or made, newest first.
    static func load(_ req: Request, status: String?) async throws -> [ElderTransfer] {
        try req.require(.registryEdit)
        var q = try req.scoped(ElderTransfer.self)
        if let status, !status.isEmpty {
            guard ElderTransfer.Status(rawValue: status) != nil else {
                throw AppError(.unprocessableEntity, "elder_transfer.status", field: "status",
                               zh: "状态应为 pending、accepted 或 declined", en: "status must be pending, accepted or declined")
            }
            q = q.filter(\.$status == status)
        }
        return try await q.sort(\.$createdAt, .descending).limit(500).all()
    }

    @Sendable func list(req: Request) async throws -> [TransferView] {
        let scope = try req.regionScope()
        return try await Self.load(req, status: req.query[String.self, at: "status"]).map { TransferView($0, scope: scope) }
    }

    @Sendable func accept(req: Request) async throws -> TransferView {
        let t = try await req.findScoped(ElderTransfer.self, try Self.transferID(req))
        try await ElderTransfers.decide(t, accept: true, note: try? req.content.decode(DecisionBody.self).note, req: req)
        return TransferView(t, scope: try req.regionScope())
    }

    @Sendable func decline(req: Request) async throws -> TransferView {
        let t = try await req.findScoped(ElderTransfer.self, try Self.transferID(req))
        try await ElderTransfers.decide(t, accept: false, note: try req.content.decode(DecisionBody.self).note, req: req)
        return TransferView(t, scope: try req.regionScope())
    }
}

/// `/elder-transfers`: the same on a page, the requests to decide first.
struct ElderTransferPages: RouteCollection {
    struct Line: Encodable {
        var id: String
        var elderId: String
        var person: String
        var toRegion: String
        var status: String
        var requestedBy: String
        var at: String
        var note: String
    }

    struct Page: Encodable {
        var incoming: [Line]
        var outgoing: [Line]
    }

    struct DecisionForm: Content {
        var note: String?
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("elder-transfers", use: list)
        routes.post("elder-transfers", ":transferID", "accept", use: accept)
        routes.post("elder-transfers", ":transferID", "decline", use: decline)
    }

    @Sendable func list(req: Request) async throws -> Response {
        let scope = try req.regionScope()
        let rows = try await ElderTransfersAPI.load(req, status: nil)
        let names = Dictionary(uniqueKeysWithValues: try await req.scoped(Region.self)
            .filter(\.$id ~~ Set(rows.map(\.toRegionCode))).all().map { ($0.id!, $0.name) })
        let l = req.locale
        func line(_ t: ElderTransfer) -> Line {
            Line(id: t.id!.uuidString, elderId: t.elderID.uuidString, person: "\(t.nameGiven)（\(t.idMasked)）",
                 toRegion: names[t.toRegionCode] ?? t.toRegionCode,
                 status: UIStrings.text("et_status_" + t.status, l), requestedBy: t.requestedBy,
                 at: t.createdAt.map(ChinaTime.dateTime) ?? "", note: t.decisionNote ?? "")
        }
        return try await WebPage.render("elder-transfers", title: UIStrings.text("et_title", l), Page(
            incoming: rows.filter { scope.allows($0.fromRegionCode) }.map(line),
            outgoing: rows.filter { !scope.allows($0.fromRegionCode) }.map(line)), req: req)
    }

    @Sendable func accept(req: Request) async throws -> Response {
        let t = try await req.findScoped(ElderTransfer.self, try ElderTransfersAPI.transferID(req))
        try await ElderTransfers.decide(t, accept: true, note: try req.content.decode(DecisionForm.self).note, req: req)
        return req.redirect(to: "/elder-transfers?notice=et_done")
    }

    @Sendable func decline(req: Request) async throws -> Response {
        let t = try await req.findScoped(ElderTransfer.self, try ElderTransfersAPI.transferID(req))
        try await ElderTransfers.decide(t, accept: false, note: try req.content.decode(DecisionForm.self).note, req: req)
        return req.redirect(to: "/elder-transfers?notice=et_done")
    }
}
