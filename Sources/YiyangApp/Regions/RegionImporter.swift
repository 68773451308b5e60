import Fluent
import Vapor
import YiyangDomain

/// Loads an official division table: every good row lands (new codes inserted, renamed ones
/// updated), every bad row is reported with its line, and loading the same file twice changes
/// nothing the second time.
enum RegionImporter {
    struct RowError: Content {
        var line: Int
        var code: String
        var field: String
        var rule: String
        var message: String
    }

    struct Report: Content {
        var inserted: Int
        var updated: Int
        var unchanged: Int
        var rejected: Int
        var errors: [RowError]
        var unknownColumns: [String]
    }

    /// - Parameter scope: rows outside this region are refused (nil: the machine's operator).
    static func run(csv: String, scope: RegionScope?, locale: UILocale, on db: any Database,
                    progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Report {
        var existing: [String: (name: String, cls: String?)] = [:]
        for r in try await Region.query(on: db).all() {
            existing[r.id ?? ""] = (r.name, r.urbanRuralClass)
        }
        let plan = RegionTable.plan(csv: csv, existing: Set(existing.keys))
        var errors = plan.errors.map {
            RowError(line: $0.line, code: $0.code, field: $0.issue.field, rule: $0.issue.rule, message: $0.issue.message.text(locale))
        }
        var toInsert: [Region] = []
        var toUpdate: [RegionRow] = []
        var unchanged = 0
        for row in plan.rows {
            if let scope, !scope.region.contains(row.code) {
                errors.append(RowError(line: row.line, code: row.code.value, field: "code", rule: "region.out_of_scope",
                                       message: LocalizedText(zh: "区划 \(row.code.value) 不在您的管辖范围内",
                                                              en: "Region \(row.code.value) is outside your area").text(locale)))
                continue
            }
            if let old = existing[row.code.value] {
                if old.name == row.name && old.cls == row.urbanRuralClass?.rawValue { unchanged += 1 } else { toUpdate.append(row) }
            } else {
                toInsert.append(Region(code: row.code, name: row.name, urbanRuralClass: row.urbanRuralClass))
            }
        }
        // A row refused for scope may be the parent of a later row: those children must go too.
        let refused = Set(errors.filter { $0.rule == "region.out_of_scope" }.map(\.code))
        if !refused.isEmpty {
            toInsert.removeAll { r in refused.contains(r.parentCode ?? "") }
        }
        let total = toInsert.count + toUpdate.count
        let inserts = toInsert, updates = toUpdate
        try await db.transaction { tx in
            var done = 0
            // Parents come before children in the plan, so each batch finds its parents stored.
            for start in stride(from: 0, to: inserts.count, by: 500) {
                let batch = Array(inserts[start..<min(start + 500, inserts.count)])
                try await batch.create(on: tx)
                done += batch.count
                progress?(done, total)
            }
            for row in updates {
                try await Region.query(on: tx).filter(\.$id == row.code.value)
                    .set(\.$name, to: row.name)
                    .set(\.$urbanRuralClass, to: row.urbanRuralClass?.rawValue)
                    .set(\.$updatedAt, to: Date())
                    .update()
                done += 1
                if done % 500 == 0 { progress?(done, total) }
            }
        }
        progress?(total, total)
        errors.sort { $0.line < $1.line }
        return Report(inserted: toInsert.count, updated: toUpdate.count, unchanged: unchanged, rejected: errors.count,
                      errors: errors, unknownColumns: plan.unknownColumns)
    }
}
