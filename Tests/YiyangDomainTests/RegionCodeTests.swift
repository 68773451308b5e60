import Testing
import YiyangDomain

@Suite("Region codes")
struct RegionCodeTests {
    @Test("levels come from the padded 12 digits or from the short forms", arguments: [
        ("130000000000", RegionLevel.province), ("130100000000", .city), ("130102000000", .county),
        ("130102001000", .township), ("130102001001", .village), ("13", .province), ("1301", .city),
        ("130102", .county), ("130102001", .township), ("429004000000", .county), ("000000000000", .nation),
    ])
    func levels(raw: String, level: RegionLevel) throws {
        let code = try #require(RegionCode(raw))
        #expect(code.level == level)
        #expect(code.value.count == 12)
    }

    @Test("bad codes say what is wrong")
    func problems() {
        #expect(RegionCode.parse("1301020010") == .failure(.wrongLength(10)))
        #expect(RegionCode.parse("13a1") == .failure(.notDigits))
        #expect(RegionCode.parse("") == .failure(.notDigits))
        #expect(RegionCode.parse("130100000001") == .failure(.doesNotNest), "a village under township 000")
        #expect(RegionCode.parse("130002000000") == .failure(.doesNotNest), "a county under city 00")
        #expect(RegionCode.parse("000102000000") == .failure(.doesNotNest))
        #expect(RegionCode.parse(" 130102 ") == .success(RegionCode("130102000000")!), "spaces around are forgiven")
    }

    @Test("parents, lineage and containment follow the prefixes")
    func tree() throws {
        let village = try #require(RegionCode("230811004005"))
        #expect(village.lineage.map(\.value) == ["230811004005", "230811004000", "230811000000", "230800000000", "230000000000", "000000000000"])
        #expect(village.prefix == "230811004005")
        let county = try #require(RegionCode("230811"))
        #expect(county.prefix == "230811")
        #expect(county.contains(village))
        #expect(!village.contains(county))
        #expect(!RegionCode("230812")!.contains(village), "a sibling county")
        #expect(RegionCode.root.contains(village))
        #expect(RegionCode.root.parent == nil)
    }

    @Test("urban-rural classes")
    func classes() {
        #expect(UrbanRuralClass(rawValue: "111")?.isUrban == true)
        #expect(UrbanRuralClass(rawValue: "220")?.isUrban == false)
        #expect(UrbanRuralClass(rawValue: "999") == nil)
    }
}

@Suite("Region table plans")
struct RegionTableTests {
    @Test("children may come before their parents in the file; a refused parent takes its children with it")
    func ordering() {
        let csv = """
        130102001001,社区,111
        130102001000,街道,
        130102000000,长安区,
        130199001000,孤儿街道,
        130199001001,孤儿社区,111
        """
        let plan = RegionTable.plan(csv: csv, existing: ["130000000000", "130100000000"])
        #expect(plan.rows.map(\.code.value) == ["130102000000", "130102001000", "130102001001"])
        #expect(plan.errors.map(\.line) == [4, 5])
        #expect(plan.errors.allSatisfy { $0.issue.rule == "region.parent.missing" })
    }

    @Test("headers in Chinese or English are found by name, in any order")
    func headers() {
        let plan = RegionTable.plan(csv: "名称,统计用区划代码\n北京市,110000000000\n", existing: [])
        #expect(plan.rows.first?.name == "北京市")
        #expect(plan.rows.first?.code.value == "110000000000")
        let en = RegionTable.plan(csv: "name,code,class,extra\nX,11,,\n", existing: [])
        #expect(en.unknownColumns == ["extra"])
        #expect(en.rows.count == 1)
    }

    @Test("the platform root cannot be imported")
    func root() {
        let plan = RegionTable.plan(csv: "000000000000,全国\n", existing: [])
        #expect(plan.errors.first?.issue.rule == "region.code.root")
    }
}

@Suite("CSV")
struct CSVReaderTests {
    @Test("quotes, doubled quotes, line breaks inside quotes, CRLF, BOM and blank lines")
    func reading() {
        let text = "\u{FEFF}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n\"two\nlines\",z\n"
        let records = CSVReader.records(text)
        #expect(records.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["two\nlines", "z"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test("writing quotes what needs it and defuses spreadsheet formulas")
    func writing() {
        #expect(CSVReader.escape("plain") == "plain")
        #expect(CSVReader.escape("a,b") == "\"a,b\"")
        #expect(CSVReader.escape("=SUM(A1)") == "'=SUM(A1)")
        #expect(CSVReader.escape("@cmd") == "'@cmd")
        #expect(CSVReader.escape("-12") == "-12", "a negative number stays a number")
        #expect(CSVReader.row(["a", "b\"c"]) == "a,\"b\"\"c\"\r\n")
    }
}
