import YiyangApp

try await YiyangMain.run()
