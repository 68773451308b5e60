import Foundation

/// A place on the map (WGS 84 degrees), as a browser reports it.
public struct GeoPoint: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init?(latitude: Double, longitude: Double) {
        guard (-90...90).contains(latitude), (-180...180).contains(longitude), latitude.isFinite, longitude.isFinite else { return nil }
        self.latitude = latitude; self.longitude = longitude
    }

    /// Great-circle distance in metres (haversine; plenty for a few hundred metres of tolerance).
    public func distance(to other: GeoPoint) -> Double {
        let r = 6_371_000.0
        let φ1 = latitude * .pi / 180, φ2 = other.latitude * .pi / 180
        let dφ = (other.latitude - latitude) * .pi / 180, dλ = (other.longitude - longitude) * .pi / 180
        let a = sin(dφ / 2) * sin(dφ / 2) + cos(φ1) * cos(φ2) * sin(dλ / 2) * sin(dλ / 2)
        return 2 * r * atan2(sqrt(a), sqrt(1 - a))
    }
}

/// A bureau's visit-verification settings (EVV practice, practice.md): data, not literals.
public struct VisitRules: Sendable, Hashable, Codable {
    /// Check-in or check-out farther than this from the person's address is an exception.
    public var toleranceMeters: Double
    /// A visit shorter than this share of the standard duration is an exception…
    public var shortRatio: Double
    /// …and one longer than this share.
    public var longRatio: Double
    /// Longer than this is not a visit at all.
    public var maxHours: Double
    /// Overlaps of one caregiver's visits up to this long are travel-time noise.
    public var overlapToleranceSeconds: Double

    public init(toleranceMeters: Double = 300, shortRatio: Double = 0.5, longRatio: Double = 2, maxHours: Double = 25, overlapToleranceSeconds: Double = 60) {
        self.toleranceMeters = toleranceMeters; self.shortRatio = shortRatio; self.longRatio = longRatio
        self.maxHours = maxHours; self.overlapToleranceSeconds = overlapToleranceSeconds
    }

    public static let defaults = VisitRules()
}

/// What a visit recorded: the six data items are the service, the person, the date, the place,
/// the caregiver and the start and end; location is taken only at check-in and check-out.
public struct VisitRecord: Sendable, Hashable, Codable {
    public var standardMinutes: Int
    public var home: GeoPoint?
    public var checkIn: Date?
    public var checkInAt: GeoPoint?
    public var checkOut: Date?
    public var checkOutAt: GeoPoint?
    /// Checked in by the office for a caregiver without their phone (with a comment).
    public var checkedInByOffice: Bool
    /// The day the visit was booked for (China Standard Time): the date of the six data items.
    public var bookedDay: CalendarDate?

    public init(standardMinutes: Int, home: GeoPoint?, checkIn: Date?, checkInAt: GeoPoint?, checkOut: Date?, checkOutAt: GeoPoint?,
                checkedInByOffice: Bool = false, bookedDay: CalendarDate? = nil) {
        self.standardMinutes = standardMinutes; self.home = home; self.checkIn = checkIn; self.checkInAt = checkInAt
        self.checkOut = checkOut; self.checkOutAt = checkOutAt; self.checkedInByOffice = checkedInByOffice; self.bookedDay = bookedDay
    }
}

/// A reason a visit goes to the exception queue. Never dropped: each is reviewed.
public struct VisitException: Sendable, Hashable, Codable {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case placeBeyondTolerance = "place_beyond_tolerance"
        case noLocation = "no_location"
        case durationShort = "duration_short"
        case durationLong = "duration_long"
        case tooLong = "too_long"
        case overlap
        case checkOutMissing = "check_out_missing"
        case officeCheckIn = "office_check_in"
        case wrongDay = "wrong_day"
    }

    public var code: Code
    public var message: LocalizedText
}

public enum VisitVerification {
    /// Every exception of a visit. `otherVisits` are the caregiver's other visits (start, end).
    public static func exceptions(_ v: VisitRecord, otherVisits: [DateInterval] = [], rules: VisitRules = .defaults, now: Date = Date()) -> [VisitException] {
        var out: [VisitException] = []
        func add(_ c: VisitException.Code, _ zh: String, _ en: String) { out.append(VisitException(code: c, message: .init(zh: zh, en: en))) }
        if v.checkedInByOffice { add(.officeCheckIn, "由办公室代为签到", "Checked in by the office") }
        // A visit given on another day than booked is not the visit the person ordered, wherever it took place.
        if let booked = v.bookedDay, let start = v.checkIn, CalendarDate.today(start) != booked {
            let day = CalendarDate.today(start)
            add(.wrongDay, "签到日期 \(day) 不是预约的服务日期 \(booked)", "Checked in on \(day), not on the booked day \(booked)")
        }
        let moments: [(zh: String, en: String, at: Date?, point: GeoPoint?)] = [("签到", "check-in", v.checkIn, v.checkInAt),
                                                                              ("签退", "check-out", v.checkOut, v.checkOutAt)]
        for m in moments where m.at != nil {
            // The office's check-in has no phone to locate; it is its own exception.
            if m.en == "check-in" && v.checkedInByOffice { continue }
            guard let point = m.point else {
                add(.noLocation, "\(m.zh)时没有位置信息", "No location at \(m.en)")
                continue
            }
            guard let home = v.home else {
                add(.noLocation, "老人住址没有坐标，无法核对\(m.zh)位置", "The address has no coordinates to check the \(m.en) against")
                continue
            }
            let d = point.distance(to: home)
            if d > rules.toleranceMeters {
                add(.placeBeyondTolerance, "\(m.zh)位置距老人住址 \(Int(d.rounded())) 米，超过 \(Int(rules.toleranceMeters)) 米",
                    "The \(m.en) was \(Int(d.rounded())) m from the address, over \(Int(rules.toleranceMeters)) m")
            }
        }
        guard let start = v.checkIn else { return out }
        guard let end = v.checkOut else {
            if now.timeIntervalSince(start) > Double(v.standardMinutes) * 60 * rules.longRatio {
                add(.checkOutMissing, "签到后一直未签退", "Checked in but never checked out")
            }
            return out
        }
        let minutes = end.timeIntervalSince(start) / 60
        if minutes > rules.maxHours * 60 {
            add(.tooLong, "服务时长 \(Int(minutes)) 分钟，超过 \(Int(rules.maxHours)) 小时", "Lasted \(Int(minutes)) min, over \(Int(rules.maxHours)) h")
        } else if minutes < Double(v.standardMinutes) * rules.shortRatio {
            add(.durationShort, "服务时长 \(Int(minutes.rounded())) 分钟，远短于标准 \(v.standardMinutes) 分钟", "Lasted \(Int(minutes.rounded())) min, far below the standard \(v.standardMinutes)")
        } else if minutes > Double(v.standardMinutes) * rules.longRatio {
            add(.durationLong, "服务时长 \(Int(minutes.rounded())) 分钟，远长于标准 \(v.standardMinutes) 分钟", "Lasted \(Int(minutes.rounded())) min, far above the standard \(v.standardMinutes)")
        }
        let mine = DateInterval(start: start, end: max(start, end))
        if otherVisits.contains(where: { overlap(mine, $0) > rules.overlapToleranceSeconds }) {
            add(.overlap, "与该护理员的另一次服务时间重叠", "Overlaps another visit of the caregiver")
        }
        return out
    }

    /// Seconds two intervals share.
    public static func overlap(_ a: DateInterval, _ b: DateInterval) -> Double {
        max(0, min(a.end, b.end).timeIntervalSince(max(a.start, b.start)))
    }
}

/// What an order costs whom: the bureau pays the difference between the list price and the
/// person's subsidised price; the person's part comes from their service balance first (where
/// the policy allows), the rest is self-paid.
public struct OrderQuote: Sendable, Hashable, Codable {
    public var listFen: Int
    public var bureauFen: Int
    public var balanceFen: Int
    public var selfPayFen: Int

    public init(listFen: Int, bureauFen: Int, balanceFen: Int, selfPayFen: Int) {
        self.listFen = listFen; self.bureauFen = bureauFen; self.balanceFen = balanceFen; self.selfPayFen = selfPayFen
    }

    public static func make(listFen: Int, subsidisedFen: Int?, balanceAvailableFen: Int, balanceAllowed: Bool) -> OrderQuote {
        let personPart = min(listFen, max(0, subsidisedFen ?? listFen))
        let fromBalance = balanceAllowed ? min(personPart, max(0, balanceAvailableFen)) : 0
        return OrderQuote(listFen: listFen, bureauFen: listFen - personPart, balanceFen: fromBalance, selfPayFen: personPart - fromBalance)
    }

    /// The split in a sentence, shown before the order is confirmed.
    public var plain: LocalizedText {
        .init(zh: "服务价格 \(Fen.display(listFen)) 元：政府补贴 \(Fen.display(bureauFen)) 元，服务额度支付 \(Fen.display(balanceFen)) 元，自付 \(Fen.display(selfPayFen)) 元。",
              en: "Price \(Fen.display(listFen)) yuan: subsidy \(Fen.display(bureauFen)), from the service balance \(Fen.display(balanceFen)), self-paid \(Fen.display(selfPayFen)).")
    }
}
