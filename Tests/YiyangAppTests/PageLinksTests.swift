@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

/// A page links only where the account may go: the browser suite's crawl found links that
/// answered 403 (an assessor's due list, the community hub's queues).
@Suite("Links only where they lead")
struct PageLinksTests {
    @Test("the assessor's due list names people without linking to the registry; staff who may open it get the link",
          arguments: TestDatabase.all)
    func dueList(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let elder = try await app.makeElder("王秀兰", id: makeID("130102", "19400101", 11), region: "130102001001")
            let link = "href=\"/elders/\(try elder.requireID())\""
            let assessor = Browser(app)
            try await assessor.signIn("demo_assessor")
            let due = try await assessor.get("/assessment/due")
            #expect(due.status == .ok)
            #expect(due.body.string.contains("王秀兰"))
            #expect(!due.body.string.contains(link))
            #expect(try await assessor.get("/elders/\(try elder.requireID())").status == .forbidden, "the link would have led here")

            let township = Browser(app)
            try await township.signIn("demo_township")
            #expect(try await township.get("/assessment/due").body.string.contains(link))
        }
    }

    @Test("the services hub shows the exception and complaint counts, linked only for accounts that may open those queues",
          arguments: TestDatabase.all)
    func servicesHub(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let community = Browser(app)
            try await community.signIn("demo_community")
            let hub = try await community.get("/services")
            #expect(hub.status == .ok)
            #expect(hub.body.string.contains("<strong>0</strong>"))
            #expect(!hub.body.string.contains("href=\"/services/exceptions\""))
            #expect(!hub.body.string.contains("href=\"/services/complaints\""))
            #expect(try await community.get("/services/exceptions").status == .forbidden)

            let bureau = Browser(app)
            try await bureau.signIn("demo_bureau")
            let staffHub = try await bureau.get("/services").body.string
            #expect(staffHub.contains("href=\"/services/exceptions\"") && staffHub.contains("href=\"/services/complaints\""))
        }
    }
}
