@testable import YiyangApp
import Foundation
import Vapor
import YiyangDomain

/// Synthetic ID numbers with a correct check character.
func makeID(_ address: String = "130102", _ birth: String = "19450312", _ sequence: Int = 123) -> String {
    let first17 = address + birth + String(format: "%03d", sequence)
    return first17 + String(CitizenID.checkCharacter(for: first17))
}

extension Application {
    /// Registers a person straight through the service, as staff of the root region would.
    @discardableResult
    func makeElder(_ name: String, id: String, region: String, categories: [String] = [], phone: String = "") async throws -> Elder {
        var input = ElderInput()
        input.name = name; input.idNumber = id; input.householdRegion = region; input.categories = categories.joined(separator: ",")
        input.phones = phone
        let (vocabulary, _) = try await RegistryVocabulary.load(on: db)
        let facts = try ElderRecord.validate(input, vocabulary: vocabulary).get()
        return try await ElderService(db: db, vault: vault, actorUsername: "test", source: "test")
            .create(facts, contacts: [], scope: RegionScope(region: .root))
    }
}

/// The rows of an .xlsx held in memory, read the way imports read files.
enum XLSXRows {
    static func read(_ data: Data) throws -> [XLSXSheetReader.Row] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("yiyang-xlsx-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("book.xlsx")
        try data.write(to: file)
        let reader = try XLSXSheetReader(file: file, temporaryDirectory: dir)
        var rows: [XLSXSheetReader.Row] = []
        while let batch = try reader.next() { rows += batch }
        return rows
    }
}
