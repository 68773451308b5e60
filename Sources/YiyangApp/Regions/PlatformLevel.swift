import Fluent
import YiyangDomain

/// The platform level: the root, or the region at the top of the imported tree (a city's own
/// deployment imports its city and everything below, and its city-level admin runs it): a region
/// whose subtree holds every region on record but its own ancestors (the root, and a province
/// imported with its one city).
enum PlatformLevel {
    static func isPlatformWide(_ region: RegionCode, on db: any Database) async throws -> Bool {
        if region == .root { return true }
        var ancestors: [String] = []
        var up = region.parent
        while let a = up { ancestors.append(a.value); up = a.parent }
        let outside = try await Region.query(on: db)
            .filter(\.$id !~ ancestors)
            .filter(\.$id, .custom("NOT LIKE"), RegionScope(region: region).likePattern)
            .count()
        return outside == 0
    }
}
