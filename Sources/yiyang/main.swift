import Foundation
import YiyangApp

// A failed command prints its reason once and exits 1, instead of a crash report.
do {
    try await YiyangMain.run()
} catch {
    FileHandle.standardError.write(Data("yiyang: \(error)\n".utf8))
    exit(1)
}
