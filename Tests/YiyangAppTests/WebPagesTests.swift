@testable import YiyangApp
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting
import YiyangDomain

@Suite("Web pages")
struct WebPagesTests {
    @Test("the login page signs in with a CSRF token and a safe session cookie", arguments: TestDatabase.all)
    func login(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            let page = try await browser.get("/login")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("<h1>登录</h1>"))
            let res = try await browser.post("/login", [("username", "demo_bureau"), ("password", DemoData.password), ("next", "/regions")])
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/regions")
            let cookie = try #require(res.headers[.setCookie].first { $0.hasPrefix("yiyang_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"), "plain HTTP in tests")
            let home = try await browser.get("/")
            #expect(home.status == .ok)
            #expect(home.body.string.contains("演示·市民政局"))
            #expect(home.body.string.contains("老年人基础信息库"), "the home page lists the modules the account may use")
            #expect(try await app.auditActions(.loginSucceeded).count == 1)

            _ = try await browser.post("/logout", [])
            let after = try await browser.get("/")
            #expect(after.status == .seeOther)
            #expect(after.headers.first(name: .location)?.hasPrefix("/login") == true)
            #expect(try await app.auditActions(.logout).count == 1)
        }
    }

    @Test("a form post without the CSRF token is refused and changes nothing", arguments: TestDatabase.all)
    func csrf(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.get("/login")
            let noToken = try await browser.post("/login", [("username", "demo_admin"), ("password", DemoData.password)], includeCSRF: false)
            #expect(noToken.status == .forbidden)
            #expect(noToken.body.string.contains("表单已失效"))
            #expect(try await AuthSession.query(on: app.db).count() == 0)

            try await browser.signIn("demo_admin")
            let target = try await app.user("demo_volunteer")
            let forged = try await browser.post("/users/\(target.id!)/enabled", [("enabled", "false")], csrf: "forged-token-forged-token")
            #expect(forged.status == .forbidden)
            #expect(try await app.user("demo_volunteer").enabled == true)
            // The real token works.
            try await browser.get("/users/\(target.id!)")
            let real = try await browser.post("/users/\(target.id!)/enabled", [("enabled", "false")])
            #expect(real.status == .seeOther)
            #expect(try await app.user("demo_volunteer").enabled == false)
        }
    }

    @Test("a wrong password shows the error on the login page", arguments: TestDatabase.all)
    func wrongPassword(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.get("/login")
            let res = try await browser.post("/login", [("username", "demo_admin"), ("password", "wrong")])
            #expect(res.status == .ok)
            #expect(res.body.string.contains("用户名或密码不正确"))
            #expect(res.body.string.contains(#"value="demo_admin""#), "the username stays filled in")
            browser.headers = ["Accept-Language": "en"]
            let en = try await browser.post("/login", [("username", "demo_admin"), ("password", "wrong")])
            #expect(en.body.string.contains("Wrong username or password"))
        }
    }

    @Test("pages need an account, and a page of another region is a 404", arguments: TestDatabase.all)
    func needsAccount(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            let res = try await browser.get("/users")
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/login?next=/users")
            try await browser.signIn("demo_township")
            let other = try await browser.get("/regions/130108000000")
            #expect(other.status == .notFound)
            #expect(other.body.string.contains("找不到这条记录"))
        }
    }

    @Test("elder mode and English switch on every page without scripts", arguments: TestDatabase.all)
    func switches(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            let login = try await browser.get("/login")
            #expect(login.body.string.contains(#"href="/preferences?elder=1&amp;next=/login""#))
            let toggle = try await browser.get("/preferences?elder=1&next=/login")
            #expect(toggle.status == .seeOther)
            #expect(toggle.headers.first(name: .location) == "/login")
            let elder = try await browser.get("/login")
            #expect(elder.body.string.contains(#"<body class="elder">"#))
            #expect(elder.body.string.contains("退出长辈模式"))
            _ = try await browser.get("/preferences?lang=en&next=/login")
            let en = try await browser.get("/login")
            #expect(en.body.string.contains("<h1>Sign in</h1>"))
            #expect(en.body.string.contains(#"<html lang="en">"#))
            // Only local addresses: no open redirect.
            let evil = try await browser.get("/preferences?lang=zh&next=//evil.example.com/")
            #expect(evil.headers.first(name: .location) == "/")
            let css = try await browser.get("/static/app.css")
            #expect(css.status == .ok)
            #expect(css.body.string.contains("min-height: 60px"))
            #expect(css.body.string.contains("font-size: 20px"))
        }
    }

    @Test("an administrator manages accounts through the pages, with errors beside the fields", arguments: TestDatabase.all)
    func accountPages(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_admin")
            let list = try await browser.get("/users")
            #expect(list.body.string.contains("demo_township2"))
            #expect(list.body.string.contains("138****"), "phones are masked in the list")
            try await browser.get("/users/new")
            let bad = try await browser.post("/users", [("username", "zhao"), ("displayName", "赵敏"), ("phone", "123"),
                                                        ("regionCode", "130102001000"), ("roles[]", "community"), ("password", "short")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.body.string.contains(#"id="phone-error""#))
            #expect(bad.body.string.contains(#"id="password-error""#))
            #expect(bad.body.string.contains(#"value="赵敏""#), "what was typed stays")
            let good = try await browser.post("/users", [("username", "zhao"), ("displayName", "赵敏"), ("phone", "13700001111"),
                                                         ("regionCode", "130102001000"), ("roles[]", "community"), ("password", "Strong-Pass-2026")])
            #expect(good.status == .seeOther)
            let zhao = try await app.user("zhao")
            #expect(zhao.regionCode == "130102001000")
            let show = try await browser.get("/users/\(zhao.id!)")
            #expect(show.body.string.contains("137****1111"))
            let edit = try await browser.get("/users/\(zhao.id!)/edit")
            #expect(edit.body.string.contains(#"value="137****1111""#), "the edit form keeps the phone masked")
            let saved = try await browser.post("/users/\(zhao.id!)", [("displayName", "赵敏敏"), ("phone", "137****1111"),
                                                                   ("regionCode", "130102001001"), ("roles[]", "community")])
            #expect(saved.status == .seeOther)
            let changed = try await app.user("zhao")
            #expect(changed.phone == "13700001111", "a masked phone sent back keeps the stored number")
            #expect(changed.displayName == "赵敏敏")
            #expect(changed.regionCode == "130102001001")
            let reset = try await browser.post("/users/\(zhao.id!)/password-reset", [])
            #expect(reset.status == .ok)
            #expect(reset.body.string.contains("临时密码只显示这一次"))
            #expect(try await app.user("zhao").mustChangePassword)

            let audit = try await browser.get("/audit")
            #expect(audit.body.string.contains("创建账号"))
            #expect(audit.body.string.contains("重置密码"))
            #expect(audit.body.string.contains("登录成功"))
        }
    }

    @Test("changing one's password: errors beside the field, then success", arguments: TestDatabase.all)
    func passwordPage(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_family")
            try await browser.get("/profile/password")
            let wrong = try await browser.post("/profile/password", [("currentPassword", "nope"), ("newPassword", "Another-Pass-2026")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.string.contains(#"id="currentPassword-error""#))
            let ok = try await browser.post("/profile/password", [("currentPassword", DemoData.password), ("newPassword", "Another-Pass-2026")])
            #expect(ok.status == .seeOther)
            _ = try await app.token("demo_family", "Another-Pass-2026")
        }
    }

    @Test("the region import page reports bad rows by line", arguments: TestDatabase.all)
    func importPage(db: TestDatabase) async throws {
        try await withYiyang(db) { app in
            let browser = Browser(app)
            try await browser.signIn("demo_admin")
            try await browser.get("/regions/import")
            let res = try await browser.post("/regions/import", [("text", "130102001004,新华社区,111\n1301020010,坏行,\n")])
            #expect(res.status == .ok)
            #expect(res.body.string.contains("<td>2</td>"))
            #expect(res.body.string.contains("区划代码长度为 10 位"))
            #expect(try await Region.find("130102001004", on: app.db)?.name == "新华社区")
            let browse = try await browser.get("/regions/130102001000")
            #expect(browse.body.string.contains("新华社区"))
            let audit = try await browser.get("/audit?action=regions.imported")
            #expect(audit.body.string.contains("导入行政区划"))
            #expect(audit.body.string.contains("demo_admin"))
        }
    }

    @Test("every template key exists in both languages")
    func templateKeys() throws {
        let views = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/YiyangApp/Resources/Views")
        let files = try FileManager.default.contentsOfDirectory(atPath: views.path).filter { $0.hasSuffix(".leaf") }
        #expect(files.count >= 10)
        let regex = try NSRegularExpression(pattern: #"(?<![A-Za-z_.])t\.([A-Za-z_]+)"#)
        for f in files {
            let text = try String(contentsOf: views.appendingPathComponent(f), encoding: .utf8)
            for m in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let key = String(text[Range(m.range(at: 1), in: text)!])
                let entry = UIStrings.all[key]
                #expect(entry != nil, "\(f) uses t.\(key), which UIStrings lacks")
                #expect(entry.map { !$0.zh.isEmpty && !$0.en.isEmpty } ?? true)
            }
        }
    }
}

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every /api/v1 route is documented, and nothing documented is missing", arguments: TestDatabase.all)
    func coverage(db: TestDatabase) async throws {
        try await withYiyang(db, demo: false) { app in
            var registered = Set<String>()
            for route in app.routes.all where route.path.first?.description == "api" && route.path.dropFirst().first?.description == "v1" {
                let path = "/" + route.path.map { c -> String in
                    if case .parameter(let p) = c { return "{\(p)}" }
                    return c.description
                }.joined(separator: "/")
                registered.insert("\(route.method.rawValue.lowercased()) \(path)")
            }
            let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
            #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")

            let res = try await app.api(.GET, "/api/openapi.json", token: nil)
            #expect(res.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(res.body.readableBytesView)) as? [String: Any])
            #expect(json["openapi"] as? String == "3.1.0")
            let paths = try #require(json["paths"] as? [String: Any])
            #expect(paths["/api/v1/users/{userID}"] != nil)
            // Every schema a document refers to is defined.
            let text = res.body.string
            let schemas = Set(((json["components"] as? [String: Any])?["schemas"] as? [String: Any])?.keys.map { $0 } ?? [])
            let refs = try NSRegularExpression(pattern: "#/components/schemas/([A-Za-z]+)")
                .matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range(at: 1), in: text)!]) }
            for r in refs { #expect(schemas.contains(r), "missing schema \(r)") }
        }
    }
}
