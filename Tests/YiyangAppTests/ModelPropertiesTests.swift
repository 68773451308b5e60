@testable import YiyangApp
import Fluent
import Foundation
import Testing

/// Every model lists its properties (`var properties`) instead of letting FluentKit find them by
/// reflection: Fluent asks for them several times per query and per row, and the reflection
/// was a quarter of the CPU of placing a service order. A list that misses, adds or reorders a
/// field would silently drop a column, so this checks each list against reflection.
@Suite("Model property lists")
struct ModelPropertiesTests {
    /// The models, found in the sources so a new one cannot be forgotten here.
    static let modelNames: [String] = {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/YiyangApp")
        let pattern = try! Regex(#"final class (\w+): Model\b"#)
        var names: [String] = []
        for case let url as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where url.pathExtension == "swift" {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            names += text.matches(of: pattern).map { String(text[$0.range].dropFirst("final class ".count).prefix { $0 != ":" }) }
        }
        return names.sorted()
    }()

    @Test("the sources hold the models")
    func found() {
        #expect(Self.modelNames.count >= 40)
        #expect(Self.modelNames.contains("ServiceOrder") && Self.modelNames.contains("User"))
    }

    @Test("each model lists exactly the properties reflection finds, in the same order", arguments: modelNames)
    func listed(name: String) throws {
        let modelType = try #require(_typeByName("YiyangApp.\(name)") as? any Model.Type, "\(name) is not a model type")
        let model = modelType.init()
        // Fluent's property wrappers are objects: the list must hold the very same ones.
        let listed = model.properties.map { ObjectIdentifier($0 as AnyObject) }
        let reflectedProperties = Mirror(reflecting: model).children.compactMap { $0.value as? any AnyProperty }
        let reflected = reflectedProperties.map { ObjectIdentifier($0 as AnyObject) }
        #expect(!listed.isEmpty, "\(name) lists no properties")
        #expect(listed.count == reflected.count, "\(name) lists \(listed.count) properties; it has \(reflected.count)")
        for i in 0..<min(listed.count, reflected.count) where listed[i] != reflected[i] {
            Issue.record("\(name): property \(i + 1) of the list is not the model's property \(i + 1) (\((reflectedProperties[i] as? any AnyDatabaseProperty)?.keys.map(\.description) ?? []))")
        }
    }
}
