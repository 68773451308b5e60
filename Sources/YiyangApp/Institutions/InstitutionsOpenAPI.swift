import YiyangDomain

/// The institutions part of the OpenAPI document.
enum InstitutionsOpenAPI {
    typealias D = OpenAPIDocument
    static let tag = "Institutions"

    static let operations: [APIOperation] = [
        .init(method: "get", path: "/api/v1/institutions", tag: tag, summary: "Care institutions in scope (养老机构)", query: D.pagination, response: "Paged<Institution>"),
        .init(method: "post", path: "/api/v1/institutions", tag: tag, summary: "Register an institution with its credit code and payment account (needs institutions.manage)",
              body: .json("InstitutionCreate"), status: 201, response: "Institution"),
        .init(method: "get", path: "/api/v1/institutions/{institutionID}", tag: tag, summary: "An institution with its residents in and out and its new beds", response: "Institution"),
        .init(method: "post", path: "/api/v1/institutions/{institutionID}/residents", tag: tag, summary: "A person moves in (入住); nobody lives in two institutions at once",
              body: .json("ResidentAdmission"), status: 201, response: "InstitutionResident"),
        .init(method: "post", path: "/api/v1/institutions/{institutionID}/residents/{residentID}/discharge", tag: tag, summary: "A resident leaves (退住) on a day, with the reason",
              body: .json("ResidentDischarge"), response: "InstitutionResident"),
        .init(method: "post", path: "/api/v1/institutions/{institutionID}/beds", tag: tag,
              summary: "New beds accepted (验收) on a day, not after today: the construction subsidy counts them that month",
              body: .json("InstitutionBedsCreate"), status: 201, response: "InstitutionBeds"),
        .init(method: "get", path: "/api/v1/institutions/{institutionID}/subsidies", tag: tag,
              summary: "What each subsidy to institutions in force here pays this institution for a month, line by line, and who was not counted",
              query: [("month", "string", "YYYY-MM, default this month")], response: "InstitutionSubsidies"),
        .init(method: "post", path: "/api/v1/institutions/{institutionID}/accounts", tag: tag,
              summary: "Tie an account of role institution to the institution: it then sees and handles this one and no other "
                  + "(staff with institutions.manage)",
              body: .json("InstitutionAccountTie"), status: 201, response: "InstitutionAccount"),
        .init(method: "delete", path: "/api/v1/institutions/{institutionID}/accounts/{userID}", tag: tag,
              summary: "Untie an account from the institution (staff with institutions.manage)", status: 204, response: nil),
    ]

    static var schemas: [(String, JSONValue)] {
        let s = D.str, i = D.integer, b = D.boolean, o = D.object, arr = D.arrayOf, ref = D.ref
        let uuid = s(nil, "uuid", nil, false), sN = s(nil, nil, nil, true)
        let day = s("YYYY-MM-DD", nil, nil, false)
        return [
            ("InstitutionResident", o([("id", uuid), ("elderId", uuid), ("admittedOn", day), ("dischargedOn", sN), ("dischargeReason", sN)], ["id", "elderId", "admittedOn"])),
            ("InstitutionBeds", o([("id", uuid), ("kind", s(nil, nil, InstitutionBeds.kinds, false)), ("count", i), ("acceptedOn", day), ("note", s(nil, nil, nil, false))],
                                  ["id", "kind", "count", "acceptedOn"])),
            ("Institution", o([("id", uuid), ("regionCode", s(nil, nil, nil, false)), ("name", s(nil, nil, nil, false)), ("creditCode", s(nil, nil, nil, false)),
                               ("operatorKind", s(nil, nil, Institution.Operator.allCases.map(\.rawValue), false)), ("address", s(nil, nil, nil, false)),
                               ("account", s("Masked", nil, nil, false)), ("active", b),
                               ("residents", arr(ref("InstitutionResident"))), ("beds", arr(ref("InstitutionBeds"))),
                               ("accounts", arr(ref("InstitutionAccount")))],
                              ["id", "regionCode", "name", "creditCode", "operatorKind", "account", "active"])),
            ("InstitutionCreate", o([("regionCode", s(nil, nil, nil, false)), ("name", s(nil, nil, nil, false)), ("creditCode", D.creditCode),
                                     ("operatorKind", s(nil, nil, Institution.Operator.allCases.map(\.rawValue), false)), ("address", s(nil, nil, nil, false)),
                                     ("account", s("8–32 digits; stored encrypted", nil, nil, false))], ["regionCode", "name", "creditCode"])),
            ("InstitutionAccount", o([("userId", uuid), ("username", s(nil, nil, nil, false)), ("displayName", s(nil, nil, nil, false))],
                                     ["userId", "username", "displayName"])),
            ("InstitutionAccountTie", o([("username", s("An account with the role institution", nil, nil, false))], ["username"])),
            ("ResidentAdmission", o([("elderId", uuid), ("admittedOn", day)], ["elderId", "admittedOn"])),
            ("ResidentDischarge", o([("dischargedOn", day), ("reason", s("home, transfer, death…", nil, nil, false))], ["dischargedOn", "reason"])),
            ("InstitutionBedsCreate", o([("kind", s(nil, nil, InstitutionBeds.kinds, false)), ("count", i), ("acceptedOn", day), ("note", s(nil, nil, nil, false))],
                                        ["kind", "count", "acceptedOn"])),
            ("InstitutionSubsidies", o([("month", s(nil, nil, nil, false)),
                                        ("subsidies", arr(o([("benefitType", s(nil, nil, nil, false)), ("name", s(nil, nil, nil, false)), ("policyId", uuid),
                                                             ("policyVersion", i), ("amountFen", i),
                                                             ("lines", arr(o([("code", s(nil, nil, nil, false)), ("label", s(nil, nil, nil, false)), ("count", i),
                                                                              ("unitFen", i), ("fen", i)], ["code", "count", "unitFen", "fen"]))),
                                                             ("notCounted", arr(s(nil, nil, nil, false)))],
                                                            ["benefitType", "amountFen", "lines", "notCounted"])))],
                                       ["month", "subsidies"])),
        ]
    }
}

extension OpenAPIDocument {
    /// A unified social credit code as providers and institutions are registered with (`CreditCode`).
    static var creditCode: JSONValue { str("18 characters, the last the GB 32100 check character") }
}
