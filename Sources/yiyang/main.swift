import Foundation
import YiyangApp

// A failed command prints its reason once, as the API words it, and exits 1, instead of a crash report.
do {
    try await YiyangMain.run()
} catch {
    FileHandle.standardError.write(Data((CommandFailure.message(for: error) + "\n").utf8))
    exit(1)
}
