import Fluent
import Foundation
import SQLKit
import YiyangDomain

/// Caregivers' bookings move from quarter hours to five-minute blocks (`CaregiverBlocks`):
/// every booked visit's blocks are worked out again from its window, in one transaction, so a
/// database booked before the upgrade keeps every visit held and refuses the same overlaps.
/// No clash can appear: five-minute blocks of a window lie within its quarter hours, and those
/// of two booked visits were apart. Bookings hold no gap (the setting starts at 0).
struct CaregiverBookingsInFiveMinutes: AsyncMigration {
    var name: String { "031_CaregiverBookingsInFiveMinutes" }

    func prepare(on database: any Database) async throws {
        try await Self.rebook(on: database, blockMinutes: CaregiverBlocks.minutes)
    }

    func revert(on database: any Database) async throws {
        try await Self.rebook(on: database, blockMinutes: 15)
    }

    static func rebook(on database: any Database, blockMinutes: Int) async throws {
        try await database.transaction { tx in
            guard let sql = tx as? any SQLDatabase else { return }
            let rows = try await sql.raw("""
                SELECT DISTINCT b.order_id, b.caregiver_id, o.window_start, o.window_end
                FROM caregiver_bookings b JOIN service_orders o ON o.id = b.order_id
                """).all()
            try await sql.raw("DELETE FROM caregiver_bookings").run()
            var batch: [CaregiverBooking] = []
            for row in rows {
                let order = try row.decode(column: "order_id", as: UUID.self)
                let caregiver = try row.decode(column: "caregiver_id", as: UUID.self)
                let start = try row.decode(column: "window_start", as: Date.self), end = try row.decode(column: "window_end", as: Date.self)
                for block in CaregiverBlocks.blocks(start: start, end: end, blockMinutes: blockMinutes) {
                    let b = CaregiverBooking()
                    b.caregiverID = caregiver; b.orderID = order; b.block = block
                    batch.append(b)
                }
                // Inserted a few hundred at a time: one statement each, bounded in size.
                if batch.count >= 500 { try await batch.create(on: tx); batch.removeAll(keepingCapacity: true) }
            }
            if !batch.isEmpty { try await batch.create(on: tx) }
        }
    }
}
