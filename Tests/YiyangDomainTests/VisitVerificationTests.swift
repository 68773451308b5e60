import Foundation
import Testing
@testable import YiyangDomain

@Suite("Visit verification and order pricing")
struct VisitVerificationTests {
    static let home = GeoPoint(latitude: 38.0428, longitude: 114.5149)!
    /// About `metres` north of home (one degree of latitude is about 111.2 km).
    static func north(_ metres: Double) -> GeoPoint { GeoPoint(latitude: home.latitude + metres / 111_195, longitude: home.longitude)! }
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    @Test("distances: a kilometre north is a kilometre")
    func distance() {
        #expect(abs(Self.home.distance(to: Self.north(1000)) - 1000) < 2)
        #expect(Self.home.distance(to: Self.home) == 0)
        #expect(GeoPoint(latitude: 91, longitude: 0) == nil)
    }

    @Test("a clean visit has no exception")
    func clean() {
        let v = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(50),
                            checkOut: Self.t0.addingTimeInterval(55 * 60), checkOutAt: Self.north(80))
        #expect(VisitVerification.exceptions(v).isEmpty)
    }

    @Test("checking in a kilometre away is beyond the 300 m tolerance, with the distance in the reason")
    func farAway() {
        let v = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1000),
                            checkOut: Self.t0.addingTimeInterval(60 * 60), checkOutAt: Self.north(10))
        let e = VisitVerification.exceptions(v)
        #expect(e.map(\.code) == [.placeBeyondTolerance])
        #expect(e.first?.message.zh.contains("签到位置距老人住址 1000 米") == true)
        // The tolerance is a setting.
        #expect(VisitVerification.exceptions(v, rules: VisitRules(toleranceMeters: 1500)).isEmpty)
    }

    @Test("no location, durations far from the standard, over 25 hours, a missing check-out")
    func others() {
        let noLocation = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: nil,
                                     checkOut: Self.t0.addingTimeInterval(3600), checkOutAt: Self.north(10))
        #expect(VisitVerification.exceptions(noLocation).map(\.code) == [.noLocation])
        let short = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1),
                                checkOut: Self.t0.addingTimeInterval(20 * 60), checkOutAt: Self.north(1))
        #expect(VisitVerification.exceptions(short).map(\.code) == [.durationShort])
        let long = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1),
                               checkOut: Self.t0.addingTimeInterval(3 * 3600), checkOutAt: Self.north(1))
        #expect(VisitVerification.exceptions(long).map(\.code) == [.durationLong])
        let day = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1),
                              checkOut: Self.t0.addingTimeInterval(26 * 3600), checkOutAt: Self.north(1))
        #expect(VisitVerification.exceptions(day).map(\.code) == [.tooLong])
        let open = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1), checkOut: nil, checkOutAt: nil)
        #expect(VisitVerification.exceptions(open, now: Self.t0.addingTimeInterval(3 * 3600)).map(\.code) == [.checkOutMissing])
        #expect(VisitVerification.exceptions(open, now: Self.t0.addingTimeInterval(30 * 60)).isEmpty, "still under way")
        let office = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: nil,
                                 checkOut: Self.t0.addingTimeInterval(3600), checkOutAt: Self.north(5), checkedInByOffice: true)
        #expect(VisitVerification.exceptions(office).map(\.code) == [.officeCheckIn])
    }

    @Test("overlaps of one caregiver beyond a minute are exceptions; travel-time noise is not")
    func overlaps() {
        let v = VisitRecord(standardMinutes: 60, home: Self.home, checkIn: Self.t0, checkInAt: Self.north(1),
                            checkOut: Self.t0.addingTimeInterval(3600), checkOutAt: Self.north(1))
        let touching = DateInterval(start: Self.t0.addingTimeInterval(3570), duration: 3600)
        let overlapping = DateInterval(start: Self.t0.addingTimeInterval(1800), duration: 3600)
        #expect(VisitVerification.exceptions(v, otherVisits: [touching]).isEmpty)
        #expect(VisitVerification.exceptions(v, otherVisits: [overlapping]).map(\.code) == [.overlap])
    }

    @Test("the price splits into subsidy, service balance first, then self-pay")
    func quote() {
        let q = OrderQuote.make(listFen: 8000, subsidisedFen: 3000, balanceAvailableFen: 2000, balanceAllowed: true)
        #expect((q.bureauFen, q.balanceFen, q.selfPayFen) == (5000, 2000, 1000))
        #expect(q.bureauFen + q.balanceFen + q.selfPayFen == q.listFen)
        #expect(q.plain.zh == "服务价格 80.00 元：政府补贴 50.00 元，服务额度支付 20.00 元，自付 10.00 元。")
        let noBalance = OrderQuote.make(listFen: 8000, subsidisedFen: 3000, balanceAvailableFen: 2000, balanceAllowed: false)
        #expect((noBalance.balanceFen, noBalance.selfPayFen) == (0, 3000))
        let fullPrice = OrderQuote.make(listFen: 8000, subsidisedFen: nil, balanceAvailableFen: 10_000, balanceAllowed: true)
        #expect((fullPrice.bureauFen, fullPrice.balanceFen, fullPrice.selfPayFen) == (0, 8000, 0))
    }

    @Test("a check-in on another day than the booked one is an exception of its own, by the day in China Standard Time")
    func wrongDay() {
        let booked = CalendarDate.today(Self.t0)
        func visit(_ checkIn: Date, booked day: CalendarDate?) -> VisitRecord {
            VisitRecord(standardMinutes: 60, home: Self.home, checkIn: checkIn, checkInAt: Self.north(1),
                        checkOut: checkIn.addingTimeInterval(3600), checkOutAt: Self.north(1), bookedDay: day)
        }
        #expect(VisitVerification.exceptions(visit(Self.t0, booked: booked)).isEmpty)
        #expect(VisitVerification.exceptions(visit(Self.t0, booked: booked.addingDays(1))).map(\.code) == [.wrongDay])
        #expect(VisitVerification.exceptions(visit(Self.t0.addingTimeInterval(-86_400), booked: booked)).map(\.code) == [.wrongDay])
        #expect(VisitVerification.exceptions(visit(Self.t0, booked: nil)).isEmpty, "no booked day, nothing to compare")
    }
}
