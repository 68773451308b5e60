import Crypto
import Fluent
import FluentSQL
import SQLKit
import Vapor
import YiyangDomain

/// The life of a service order, from the family's order to the settled visit. Every write of
/// an order goes through `write`, which refuses to overwrite a change it did not see.
struct ServiceOrders {
    let req: Request
    var db: any Database { req.db }

    // MARK: What it costs

    struct Offer: Sendable {
        var item: ServiceItem
        var contract: ProviderContract
        var provider: ServiceProvider
        var tier: String?
        var quote: OrderQuote
        var balance: ServiceBalance.Figures
    }

    /// The menu item in force for a person's region: the one of the nearest region wins.
    static func item(code: String, for region: String, day: CalendarDate, on db: any Database) async throws -> ServiceItem? {
        let candidates = try await ServiceReads.items(code: code, regions: lineage(region), on: db)
            .filter { region.hasPrefix(RegionCode($0.regionCode)?.prefix ?? "") && $0.inForce(day) }
        func depth(_ i: ServiceItem) -> Int { RegionCode(i.regionCode)?.prefix.count ?? 0 }
        return candidates.max { (depth($0), $0.effectiveFrom) < (depth($1), $1.effectiveFrom) }
    }

    /// The person's region and the regions above it: the only ones whose menu items and
    /// contracts apply, so the database need not hand over the others.
    static func lineage(_ region: String) -> [String]? {
        RegionCode(region)?.lineage.map(\.value)
    }

    /// Every item of the menu a person can order on a day.
    static func menu(for region: String, day: CalendarDate, on db: any Database) async throws -> [ServiceItem] {
        var q = ServiceItem.query(on: db)
        if let regions = lineage(region) { q = q.filter(\.$regionCode ~~ regions) }
        let all = try await q.all().filter { region.hasPrefix(RegionCode($0.regionCode)?.prefix ?? "") && $0.inForce(day) }
        var best: [String: ServiceItem] = [:]
        for i in all {
            let depth = RegionCode(i.regionCode)?.prefix.count ?? 0
            if let b = best[i.code], (RegionCode(b.regionCode)?.prefix.count ?? 0, b.effectiveFrom) >= (depth, i.effectiveFrom) { continue }
            best[i.code] = i
        }
        return best.values.sorted { ($0.category, $0.code) < ($1.category, $1.code) }
    }

    func offer(elder: Elder, code: String, day: CalendarDate, providerID: UUID? = nil) async throws -> Offer {
        guard let item = try await Self.item(code: code, for: elder.residenceRegion, day: day, on: db) else {
            throw AppError(.unprocessableEntity, "order.service_unknown", field: "service",
                           zh: "本地区服务目录中没有“\(code)”这项服务（或不在有效期内）", en: "The menu of this region has no service \"\(code)\" in force")
        }
        // The contracts in force here with an active provider; the nearest region's wins.
        let contract = try await ServiceReads.contracts(regions: Self.lineage(elder.residenceRegion), day: day, providerID: providerID, on: db)
            .filter { elder.residenceRegion.hasPrefix(RegionCode($0.regionCode)?.prefix ?? "") && $0.covers(day) && $0.prices[code] != nil }
            .max { (RegionCode($0.regionCode)?.prefix.count ?? 0) < (RegionCode($1.regionCode)?.prefix.count ?? 0) }
        guard let contract else {
            throw AppError(.unprocessableEntity, "order.no_provider", field: "service",
                           zh: "\(day) 没有服务商签约在本地区提供“\(item.name)”", en: "No provider is contracted for \(item.name) here on \(day)")
        }
        guard let provider = try await ServiceReads.provider(contract.providerID, on: db) else { throw AppError.notFound() }
        guard let facts = try await BenefitFacts.of([elder], on: db, today: day)[elder.id!] else { throw AppError.notFound() }
        let list = contract.prices[code] ?? item.listPriceFen
        let price = PriceTiers.price(listFen: list, tierPrices: item.tierPrices, personTiers: PriceTiers.of(facts, on: day))
        let balance = try await ServiceBalance.figures(elderID: elder.id!, on: db)
        let quote = OrderQuote.make(listFen: list, subsidisedFen: price.fen, balanceAvailableFen: balance.availableFen, balanceAllowed: item.balanceAllowed)
        return Offer(item: item, contract: contract, provider: provider, tier: price.tier, quote: quote, balance: balance)
    }

    // MARK: Placing

    struct PlaceInput: Content {
        var service: String
        /// `YYYY-MM-DDTHH:MM` in China Standard Time, or ISO 8601 with a zone.
        var start: String
        var end: String
        /// home (default) or point
        var place: String?
        var pointId: UUID?
        var note: String?
        var providerId: UUID?
    }

    struct Window { var start: Date; var end: Date; var day: CalendarDate }

    static func parseTime(_ raw: String, field: String) throws -> Date {
        let t = raw.trimmingCharacters(in: .whitespaces)
        if let d = chinaTime(t) { return d }
        let iso = ISO8601DateFormatter()
        if let d = iso.date(from: t) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = ChinaTime.timeZone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss"] {
            f.dateFormat = format
            if let d = f.date(from: t) { return d }
        }
        throw AppError(.unprocessableEntity, "order.time", field: field,
                       zh: "时间“\(raw)”无法识别：请写成 2026-11-24 09:00", en: "Cannot read the time \"\(raw)\": write it like 2026-11-24 09:00")
    }

    /// `YYYY-MM-DD HH:MM[:SS]` or with a `T`, in China Standard Time: the form every client
    /// sends, read without making date formatters (costly; two an order) for it.
    static func chinaTime(_ t: String) -> Date? {
        let b = Array(t.utf8)
        guard b.count == 16 || b.count == 19, b[4] == 45, b[7] == 45, b[10] == 32 || b[10] == 84, b[13] == 58,
              b.count == 16 || b[16] == 58 else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var n = 0
            for i in r { guard (48...57).contains(b[i]) else { return nil }; n = n * 10 + Int(b[i] - 48) }
            return n
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = b.count == 19 ? number(17..<19) : 0,
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        let calendar = ChinaTime.calendar
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)),
              calendar.component(.day, from: date) == day else { return nil }
        return date
    }

    func window(_ input: PlaceInput, settings: HomeServiceSettings, now: Date = Date()) throws -> Window {
        let start = try Self.parseTime(input.start, field: "start")
        let end = try Self.parseTime(input.end, field: "end")
        guard end > start else {
            throw AppError(.unprocessableEntity, "order.window_order", field: "end", zh: "结束时间应晚于开始时间", en: "The end must be after the start")
        }
        guard end.timeIntervalSince(start) <= Double(settings.maxWindowHours) * 3600 else {
            throw AppError(.unprocessableEntity, "order.window_long", field: "end",
                           zh: "预约时段最长 \(settings.maxWindowHours) 小时", en: "A window may last at most \(settings.maxWindowHours) h")
        }
        guard end > now else {
            throw AppError(.unprocessableEntity, "order.window_past", field: "start", zh: "预约时段已经过去", en: "The window is in the past")
        }
        return Window(start: start, end: end, day: CalendarDate.today(start))
    }

    /// Places an order for a person; `via` says who: the person, a family member, staff.
    func place(elder: Elder, input: PlaceInput, via: String) async throws -> ServiceOrder {
        let actor = try req.requireActor()
        guard elder.status == ElderStatus.living.rawValue else {
            throw AppError(.unprocessableEntity, "order.not_living", field: "elderId", zh: "此人不在册（已故或已迁出），不能下单", en: "This person is not on the register")
        }
        let settings = try await HomeServiceSettingsRow.inForce(on: db)
        let w = try window(input, settings: settings)
        let offer = try await offer(elder: elder, code: input.service.trimmingCharacters(in: .whitespaces), day: w.day, providerID: input.providerId)
        let o = ServiceOrder()
        o.regionCode = elder.residenceRegion; o.elderID = elder.id!; o.itemID = offer.item.id!; o.serviceCode = offer.item.code
        o.serviceName = offer.item.name; o.standardMinutes = offer.item.standardMinutes
        o.providerID = offer.provider.id!; o.contractID = offer.contract.id!
        o.placedBy = actor.username; o.placedVia = via
        o.windowStart = w.start; o.windowEnd = w.end; o.serviceDay = w.day.description
        o.note = (input.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if input.place == "point" {
            let point = try await ServiceAccess.nearbyPoint(for: elder, input.pointId, on: db)
            let pid = point.id!
            o.placeKind = "point"; o.pointID = pid
            o.placeGeoCipher = try point.geo.map { try req.application.vault.seal("\($0.latitude),\($0.longitude)") }
        } else {
            o.placeKind = "home"
            o.placeGeoCipher = try await ServiceReads.homeGeo(elderID: elder.id!, on: db)
        }
        o.priceTier = offer.tier ?? ""; o.listFen = offer.quote.listFen; o.bureauFen = offer.quote.bureauFen
        o.balanceFen = offer.quote.balanceFen; o.selfPayFen = offer.quote.selfPayFen
        o.status = ServiceOrderStatus.placed.rawValue
        o.exceptionsJSON = "[]"; o.review = ServiceOrder.Review.none.rawValue
        o.id = UUID()
        o.confirmCodeHash = Self.codeHash(Self.confirmCode(for: o, secret: req.application.secret.bytes), order: o)
        o.historyJSON = Self.encode([OrderEvent(at: Date(), by: actor.username, status: o.status, note: offer.quote.plain.zh)])
        o.changeToken = UUID()
        try await o.create(on: db)
        try await AuditLog.record(on: req, action: .serviceOrderPlaced, entityType: "service_order", entityID: o.id?.uuidString, region: o.regionCode,
                                  after: ["service": o.serviceCode, "via": via, "start": ChinaTime.dateTime(o.windowStart),
                                          "listFen": "\(o.listFen)", "bureauFen": "\(o.bureauFen)", "balanceFen": "\(o.balanceFen)", "selfPayFen": "\(o.selfPayFen)"])
        return o
    }

    /// The code that confirms a visit on the spot: derived from the order so nothing needs
    /// storing in the clear; shown to the person and family, typed by the caregiver.
    static func confirmCode(for order: ServiceOrder, secret: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("confirm:\(order.id?.uuidString ?? "")".utf8), using: SymmetricKey(data: secret))
        let n = Data(mac).prefix(4).reduce(0) { ($0 << 8) | Int($1) }
        return String(format: "%04d", n % 10_000)
    }

    static func codeHash(_ code: String, order: ServiceOrder) -> String {
        Data(SHA256.hash(data: Data("\(order.elderID.uuidString):\(code)".utf8))).hexString
    }

    static func encode<T: Encodable>(_ v: T) -> String { String(decoding: (try? JSONEncoder().encode(v)) ?? Data("[]".utf8), as: UTF8.self) }

    // MARK: Writing safely

    static let changedMeanwhile = AppError(.conflict, "order.changed", field: nil,
                                           zh: "这张订单刚被别人修改过，请刷新后再操作", en: "The order was changed meanwhile; reload and try again")

    /// Writes the order only if nobody changed it since it was read; `extra` runs in the same
    /// transaction (bookings, debits). Two racing writers: one wins, the other gets 409.
    func write(_ o: ServiceOrder, status: ServiceOrderStatus?, note: String, audit: AuditAction = .serviceOrderChanged,
               before: String? = nil, extra: (@Sendable (any Database) async throws -> Void)? = nil) async throws {
        let actor = try req.requireActor()
        let old = o.changeToken, new = UUID(), id = o.id!
        let beforeStatus = before ?? o.status
        if let status { o.status = status.rawValue }
        o.historyJSON = Self.encode(o.history + [OrderEvent(at: Date(), by: actor.username, status: o.status, note: note)])
        o.changeToken = new
        do {
            if let extra {
                try await db.transaction { tx in
                    guard try await Self.update(o, ifTokenIs: old, on: tx) else { throw Self.changedMeanwhile }
                    try await extra(tx)
                }
            } else {
                guard try await Self.update(o, ifTokenIs: old, on: db) else { throw Self.changedMeanwhile }
            }
        } catch {
            o.changeToken = old
            if let e = error as? AppError { throw e }
            if let e = error as? any DatabaseError, e.isConstraintFailure { throw Self.changedMeanwhile }
            throw error
        }
        try await AuditLog.record(on: req, action: audit, entityType: "service_order", entityID: id.uuidString, region: o.regionCode,
                                  before: ["status": beforeStatus], after: ["status": o.status, "note": note])
    }

    /// Writes the order's changes, new token included, only if the row still holds the token
    /// `old` it was read with; false when another writer got there first. One statement that
    /// says which rows it changed (`RETURNING`), so nothing holds SQLite's write lock between
    /// round trips; where that cannot be said, a transaction that counts the row afterwards.
    static func update(_ o: ServiceOrder, ifTokenIs old: UUID, on db: any Database) async throws -> Bool {
        let changes = ChangedFields()
        o.input(to: changes)
        let id = o.id!, new = o.changeToken
        if let sql = db as? any SQLDatabase, sql.dialect.supportsReturning, let assignments = changes.sqlAssignments {
            let update = sql.update(ServiceOrder.schema)
            for (column, value) in assignments { update.set(SQLIdentifier(column), to: value) }
            return try await update.where("id", .equal, SQLBind(id)).where("change_token", .equal, SQLBind(old))
                .returning("id").first() != nil
        }
        let values = changes.values
        return try await db.transaction { tx in
            try await ServiceOrder.query(on: tx).filter(\.$id == id).filter(\.$changeToken == old).set(values).update()
            return try await ServiceOrder.query(on: tx).filter(\.$id == id).filter(\.$changeToken == new).count() == 1
        }
    }

    func require(_ o: ServiceOrder, in states: [ServiceOrderStatus], _ zh: String, _ en: String) throws {
        guard states.contains(o.orderStatus) else {
            throw AppError(.conflict, "order.status", field: "status",
                           zh: "订单当前为“\(o.orderStatus.name.zh)”，\(zh)", en: "The order is \(o.orderStatus.name.en.lowercased()); \(en)")
        }
    }

    // MARK: Provider

    func accept(_ o: ServiceOrder) async throws {
        try require(o, in: [.placed], "不能接单", "it cannot be accepted")
        try await write(o, status: .accepted, note: "服务商接单")
    }

    /// Gives the visit to a caregiver of the provider who holds a valid certificate for the
    /// service and has no other visit in that time. The database has the last word: two
    /// dispatchers booking the same caregiver into the same time cannot both succeed.
    func assign(_ o: ServiceOrder, caregiverID: UUID) async throws {
        try require(o, in: [.placed, .accepted], "不能派单", "it cannot be assigned")
        // Looked up among the order's provider's caregivers (the order is already in the account's
        // reach), never by id alone: another provider's caregiver answers like an unknown id.
        guard let c = try await Caregiver.query(on: db).filter(\.$id == caregiverID).filter(\.$providerID == o.providerID).first(),
              c.active else {
            throw AppError(.unprocessableEntity, "order.caregiver", field: "caregiverId", zh: "请选择本服务商在职的护理员", en: "Choose an active caregiver of the provider")
        }
        let item = try await ServiceItem.find(o.itemID, on: db)
        if let q = item?.qualification, !q.isEmpty {
            let certs = try await CaregiverCertificate.query(on: db).filter(\.$caregiverID == caregiverID).filter(\.$qualification == q).all()
            guard certs.contains(where: { $0.validUntil >= o.serviceDay }) else {
                let name = Qualification(rawValue: q)?.name ?? .init(zh: q, en: q)
                throw AppError(.unprocessableEntity, "order.certificate", field: "caregiverId",
                               zh: "\(c.name)没有在 \(o.serviceDay) 有效的“\(name.zh)”", en: "\(c.name) holds no \(name.en) valid on \(o.serviceDay)")
            }
        }
        // The travel gap of the visit's day is held after it (see `CaregiverBlocks`); it is looked
        // for before it too, as visits booked before the gap was set hold none after them.
        let gap = try await HomeServiceSettingsRow.inForce(on: db, day: CalendarDate(o.serviceDay) ?? .today()).travelGapMinutes
        let blocks = CaregiverBlocks.blocks(start: o.windowStart, end: o.windowEnd, gapMinutes: gap)
        let around = CaregiverBlocks.blocks(start: o.windowStart.addingTimeInterval(Double(-gap * 60)), end: o.windowEnd, gapMinutes: gap)
        if let clash = try await CaregiverBooking.query(on: db).filter(\.$caregiverID == caregiverID).filter(\.$block ~~ around)
            .filter(\.$orderID != o.id!).first() {
            throw Self.overlap(c, clash.orderID, gap: gap)
        }
        let orderID = o.id!, previous = o.caregiverID
        o.caregiverID = caregiverID; o.assignedBy = try req.requireActor().username
        do {
            try await write(o, status: .assigned, note: "派给护理员 \(c.name)") { tx in
                if previous != nil { try await CaregiverBooking.query(on: tx).filter(\.$orderID == orderID).delete() }
                for b in blocks {
                    let booking = CaregiverBooking()
                    booking.caregiverID = caregiverID; booking.orderID = orderID; booking.block = b
                    try await booking.create(on: tx)
                }
            }
        } catch let e as AppError where e.code == "order.changed" {
            // A unique index refused the booking, or another dispatcher got there first.
            if let clash = try await CaregiverBooking.query(on: db).filter(\.$caregiverID == caregiverID).filter(\.$block ~~ blocks)
                .filter(\.$orderID != orderID).first() {
                throw Self.overlap(c, clash.orderID, gap: gap)
            }
            throw e
        }
    }

    static func overlap(_ c: Caregiver, _ other: UUID, gap: Int) -> AppError {
        let zhGap = gap > 0 ? "（两次服务之间至少间隔 \(gap) 分钟）" : "", enGap = gap > 0 ? " (visits are at least \(gap) minutes apart)" : ""
        return AppError(.conflict, "order.caregiver_busy", field: "caregiverId",
                        zh: "\(c.name)在这个时段已有另一次服务（订单 \(other.uuidString.prefix(8))），不能重叠派单\(zhGap)",
                        en: "\(c.name) already has another visit (order \(other.uuidString.prefix(8))) in this time\(enGap)")
    }

    func cancel(_ o: ServiceOrder, reason: String) async throws {
        let r = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !r.isEmpty else { throw AppError.required("reason", zh: "取消原因", en: "The reason") }
        guard o.orderStatus.cancellable else {
            throw AppError(.conflict, "order.status", field: "status", zh: "护理员已开始服务，订单不能再取消；如有问题请投诉", en: "The visit has started and cannot be cancelled; file a complaint instead")
        }
        let actor = try req.requireActor()
        let id = o.id!
        o.cancelledBy = actor.username; o.cancelledAt = Date(); o.cancelReason = r
        try await write(o, status: .cancelled, note: "取消：\(r)") { tx in
            try await CaregiverBooking.query(on: tx).filter(\.$orderID == id).delete()
        }
    }

    // MARK: The visit

    struct Location: Content {
        var latitude: Double?
        var longitude: Double?
    }

    func place(of o: ServiceOrder) -> GeoPoint? {
        guard let sealed = o.placeGeoCipher, let text = try? req.application.vault.open(sealed) else { return nil }
        let parts = text.split(separator: ",").compactMap { Double($0) }
        return parts.count == 2 ? GeoPoint(latitude: parts[0], longitude: parts[1]) : nil
    }

    static func point(_ l: Location?) -> GeoPoint? {
        guard let la = l?.latitude, let lo = l?.longitude else { return nil }
        return GeoPoint(latitude: la, longitude: lo)
    }

    /// The visit as the verification rules see it.
    func record(_ o: ServiceOrder) -> VisitRecord {
        VisitRecord(standardMinutes: o.standardMinutes, home: place(of: o), checkIn: o.checkInAt,
                    checkInAt: o.checkInLat.flatMap { la in o.checkInLng.flatMap { GeoPoint(latitude: la, longitude: $0) } },
                    checkOut: o.checkOutAt, checkOutAt: o.checkOutLat.flatMap { la in o.checkOutLng.flatMap { GeoPoint(latitude: la, longitude: $0) } },
                    checkedInByOffice: o.checkInByOffice ?? false, bookedDay: CalendarDate(o.serviceDay))
    }

    /// The caregiver's other visits that day, to find overlaps. Two columns, not whole orders:
    /// a caregiver's day can hold a dozen visits, each order row is wide.
    func otherVisits(_ o: ServiceOrder) async throws -> [DateInterval] {
        guard let c = o.caregiverID else { return [] }
        guard let sql = db as? any SQLDatabase else {
            let others = try await ServiceOrder.query(on: db).filter(\.$caregiverID == c).filter(\.$id != o.id!)
                .filter(\.$serviceDay == o.serviceDay).filter(\.$checkInAt != nil).all()
            return others.compactMap { x in x.checkInAt.map { DateInterval(start: $0, end: max($0, x.checkOutAt ?? Date())) } }
        }
        let rows = try await sql.select().column("check_in_at").column("check_out_at").from(ServiceOrder.schema)
            .where("caregiver_id", .equal, SQLBind(c)).where("id", .notEqual, SQLBind(o.id!))
            .where("service_day", .equal, SQLBind(o.serviceDay)).where("check_in_at", .isNot, SQLLiteral.null).all()
        return try rows.map { row in
            let start = try row.decode(column: "check_in_at", as: Date.self)
            return DateInterval(start: start, end: max(start, try row.decode(column: "check_out_at", as: Date?.self) ?? Date()))
        }
    }

    /// Recomputes the exceptions; a visit with any goes to the review queue, and a reviewed
    /// one goes back if a new reason appears.
    func verify(_ o: ServiceOrder, now: Date = Date()) async throws {
        let settings = try await HomeServiceSettingsRow.inForce(on: db, day: CalendarDate(o.serviceDay) ?? .today())
        // Overlaps are judged on finished visits: before check-out the others are not needed.
        let others = o.checkOutAt == nil ? [] : try await otherVisits(o)
        let found = VisitVerification.exceptions(record(o), otherVisits: others, rules: settings.visitRules, now: now)
        let known = Set(o.exceptions.map(\.code))
        o.exceptionsJSON = Self.encode(found)
        if found.isEmpty {
            if o.review == ServiceOrder.Review.pending.rawValue { o.review = ServiceOrder.Review.none.rawValue }
        } else if o.review == ServiceOrder.Review.none.rawValue || !Set(found.map(\.code)).isSubset(of: known) {
            o.review = ServiceOrder.Review.pending.rawValue
        }
    }

    func caregiverMayAct(_ o: ServiceOrder) async throws {
        guard case .caregiver(let mine, _) = try await ServiceAccess.seat(req), o.caregiverID == mine else { throw AppError.notFound() }
    }

    func checkIn(_ o: ServiceOrder, at location: Location?) async throws {
        try await caregiverMayAct(o)
        try require(o, in: [.assigned], "不能签到", "it cannot be checked in")
        o.checkInAt = Date(); o.checkInLat = Self.point(location)?.latitude; o.checkInLng = Self.point(location)?.longitude
        o.checkInByOffice = false
        try await verify(o)
        try await write(o, status: .checkedIn, note: o.exceptions.isEmpty ? "签到" : "签到（异常：\(o.exceptions.map(\.message.zh).joined(separator: "；"))）")
    }

    /// The office checks the visit in for a caregiver who forgot the phone; the comment says why.
    func officeCheckIn(_ o: ServiceOrder, comment: String, at time: Date?) async throws {
        let c = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !c.isEmpty else { throw AppError.required("comment", zh: "代签到说明", en: "The comment") }
        try require(o, in: [.assigned], "不能代签到", "it cannot be checked in")
        if let time, time > Date().addingTimeInterval(300) {
            throw AppError(.unprocessableEntity, "order.time_future", field: "time", zh: "代签到时间不能晚于现在", en: "The check-in time cannot be in the future")
        }
        o.checkInAt = time ?? Date(); o.checkInByOffice = true; o.officeComment = c
        o.checkInLat = nil; o.checkInLng = nil
        try await verify(o)
        try await write(o, status: .checkedIn, note: "办公室代签到：\(c)")
    }

    func checkOut(_ o: ServiceOrder, at location: Location?) async throws {
        try await caregiverMayAct(o)
        try require(o, in: [.checkedIn], "不能签退", "it cannot be checked out")
        o.checkOutAt = Date(); o.checkOutLat = Self.point(location)?.latitude; o.checkOutLng = Self.point(location)?.longitude
        try await verify(o)
        let elderID = o.elderID, region = o.regionCode, verified = o.exceptions.isEmpty, by = try req.requireActor().username
        try await write(o, status: .checkedOut, note: verified ? "签退，服务已核验" : "签退（异常待审核：\(o.exceptions.map(\.message.zh).joined(separator: "；"))）") { tx in
            // A verified visit is also the lightest proof that the person is alive (benefits).
            if verified {
                let ev = LivenessEvidence()
                ev.elderID = elderID; ev.regionCode = region; ev.seenOn = CalendarDate.today().description
                ev.method = LivenessEvidence.Method.serviceVisit.rawValue; ev.recordedBy = by; ev.note = "上门服务核验"
                try await ev.create(on: tx)
            }
        }
    }

    /// Visits checked in long ago and never checked out join the queue (check-out missing).
    static func flagMissingCheckOuts(req: Request, now: Date = Date()) async throws -> Int {
        let open = try await req.scoped(ServiceOrder.self).filter(\.$status == ServiceOrderStatus.checkedIn.rawValue)
            .filter(\.$checkInAt < now.addingTimeInterval(-15 * 60)).all()
        var flagged = 0
        let orders = ServiceOrders(req: req)
        for o in open {
            let before = o.exceptionsJSON
            try await orders.verify(o, now: now)
            guard o.exceptionsJSON != before else { continue }
            try? await orders.write(o, status: nil, note: "系统：签到后一直未签退")
            flagged += 1
        }
        return flagged
    }

    func review(_ o: ServiceOrder, accept: Bool, note: String) async throws {
        let n = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !n.isEmpty else { throw AppError.required("note", zh: "审核理由", en: "The reason") }
        guard o.review == ServiceOrder.Review.pending.rawValue else {
            throw AppError(.conflict, "order.review", field: nil, zh: "这次服务没有待审核的异常", en: "This visit has no exception waiting for review")
        }
        let actor = try req.requireActor()
        o.review = (accept ? ServiceOrder.Review.accepted : .rejected).rawValue
        o.reviewNote = n; o.reviewedBy = actor.username; o.reviewedAt = Date()
        try await write(o, status: nil, note: (accept ? "异常审核通过：" : "异常审核不通过，不予结算：") + n, audit: .serviceVisitReviewed)
    }

    /// The person or family confirms the visit (a tap in the portal, or the code read to the
    /// caregiver) and may rate it 1–5.
    func confirm(_ o: ServiceOrder, code: String?, rating: Int?, comment: String?) async throws {
        try require(o, in: [.checkedOut], "不能确认", "it cannot be confirmed")
        if let code {
            guard Self.codeHash(code.trimmingCharacters(in: .whitespaces), order: o) == o.confirmCodeHash else {
                throw AppError(.unprocessableEntity, "order.confirm_code", field: "code", zh: "确认码不对，请再问一下老人或家属", en: "The code is wrong; ask the person again")
            }
        }
        if let rating, !(1...5).contains(rating) {
            throw AppError(.unprocessableEntity, "order.rating", field: "rating", zh: "评分应为 1 到 5 星", en: "The rating must be 1–5")
        }
        o.confirmedBy = try req.requireActor().username; o.confirmedAt = Date()
        o.rating = rating; o.ratingComment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        try await write(o, status: .confirmed, note: "确认服务" + (rating.map { "，评分 \($0) 星" } ?? ""))
    }

    func complain(_ o: ServiceOrder, text: String) async throws -> ServiceComplaint {
        try await ServiceComplaints.file(req, elderID: o.elderID, region: o.regionCode, about: .order(o.id!), text: text)
    }
}

/// Complaints about a visit or a meal: one way in, audited.
enum ServiceComplaints {
    enum Subject { case order(UUID), meal(UUID) }

    static func file(_ req: Request, elderID: UUID, region: String, about subject: Subject, text: String) async throws -> ServiceComplaint {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !t.isEmpty else { throw AppError.required("text", zh: "投诉内容", en: "The complaint") }
        let c = ServiceComplaint()
        c.regionCode = region; c.elderID = elderID; c.text = t
        c.by = try req.requireActor().username; c.status = "open"
        let entity: (type: String, id: UUID)
        switch subject {
        case .order(let id): c.orderID = id; entity = ("service_order", id)
        case .meal(let id): c.mealOrderID = id; entity = ("meal_order", id)
        }
        try await c.create(on: req.db)
        try await AuditLog.record(on: req, action: .serviceComplaint, entityType: entity.type, entityID: entity.id.uuidString, region: region,
                                  after: ["complaint": t])
        return c
    }
}

/// The fields of a model changed since it was read, as its update would send them.
private final class ChangedFields: DatabaseInput {
    var values: [FieldKey: DatabaseQuery.Value] = [:]

    func set(_ value: DatabaseQuery.Value, at key: FieldKey) { values[key] = value }

    /// As SQL, or nil for a kind of value only Fluent knows how to write.
    var sqlAssignments: [(String, any SQLExpression)]? {
        var out: [(String, any SQLExpression)] = []
        for (key, value) in values {
            switch value {
            case .bind(let v): out.append((key.description, SQLBind(v)))
            case .null: out.append((key.description, SQLLiteral.null))
            default: return nil
            }
        }
        return out
    }
}

/// A person's service balance: what approved payment runs credited (service-balance
/// benefits), less what settled visits spent, less what open orders will spend.
enum ServiceBalance {
    struct Figures: Content, Sendable {
        var creditedFen: Int
        var spentFen: Int
        var heldFen: Int
        var availableFen: Int
    }

    static func figures(elderID: UUID, on db: any Database) async throws -> Figures {
        guard let sql = db as? any SQLDatabase else { return Figures(creditedFen: 0, spentFen: 0, heldFen: 0, availableFen: 0) }
        // One round trip for the three sums. PostgreSQL sums integers as NUMERIC; the casts keep
        // both databases answering an integer.
        let row = try await sql.raw("""
            SELECT
              (SELECT CAST(COALESCE(SUM(p.amount_fen), 0) AS BIGINT) FROM payments p JOIN payment_runs r ON r.id = p.run_id
               WHERE p.elder_id = \(bind: elderID) AND p.payment_form = 'service_balance' AND r.status = 'approved') AS credited,
              (SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM service_balance_debits WHERE elder_id = \(bind: elderID)) AS spent,
              (SELECT CAST(COALESCE(SUM(balance_fen), 0) AS BIGINT) FROM service_orders
               WHERE elder_id = \(bind: elderID) AND status NOT IN ('settled', 'cancelled') AND review <> 'rejected') AS held
            """).first()
        let credited = try row?.decode(column: "credited", as: Int.self) ?? 0
        let spent = try row?.decode(column: "spent", as: Int.self) ?? 0
        let held = try row?.decode(column: "held", as: Int.self) ?? 0
        return Figures(creditedFen: credited, spentFen: spent, heldFen: held, availableFen: max(0, credited - spent - held))
    }
}

/// The indexes of the daily lists.
enum HomeServiceIndexes {
    static func create(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for s in ["CREATE INDEX IF NOT EXISTS service_orders_region_idx ON service_orders (region_code, status)",
                  "CREATE INDEX IF NOT EXISTS service_orders_provider_idx ON service_orders (provider_id, status)",
                  "CREATE INDEX IF NOT EXISTS service_orders_caregiver_idx ON service_orders (caregiver_id, service_day)",
                  "CREATE INDEX IF NOT EXISTS service_orders_elder_idx ON service_orders (elder_id)",
                  "CREATE INDEX IF NOT EXISTS service_orders_review_idx ON service_orders (review)",
                  "CREATE INDEX IF NOT EXISTS caregiver_bookings_order_idx ON caregiver_bookings (order_id)",
                  "CREATE INDEX IF NOT EXISTS service_balance_debits_elder_idx ON service_balance_debits (elder_id)",
                  "CREATE INDEX IF NOT EXISTS meal_orders_point_idx ON meal_orders (point_id, day)",
                  "CREATE INDEX IF NOT EXISTS caregivers_provider_idx ON caregivers (provider_id)",
                  "CREATE INDEX IF NOT EXISTS payments_elder_idx ON payments (elder_id)"] {
            try await sql.raw(SQLQueryString(s)).run()
        }
    }
}
