/// One good row of a region table, ready to be stored.
public struct RegionRow: Sendable, Equatable {
    public var line: Int
    public var code: RegionCode
    public var name: String
    public var urbanRuralClass: UrbanRuralClass?
}

/// A row the import refused, with the line a person finds in the file.
public struct RegionRowError: Sendable, Equatable {
    public var line: Int
    public var code: String
    public var issue: ValidationIssue
}

public struct RegionTablePlan: Sendable {
    /// Good rows, parents before children, so they can be written in order.
    public var rows: [RegionRow]
    public var errors: [RegionRowError]
    public var unknownColumns: [String]
}

/// Checks an official division table (`code,name[,class]`, with or without a header line)
/// against the rules of the code and against the regions that already exist, and returns the
/// rows to load and every row that breaks a rule. One bad row never stops the good ones; a
/// row whose parent was itself refused is refused too, naming that parent.
public enum RegionTable {
    public static func plan(csv text: String, existing: Set<String>) -> RegionTablePlan {
        var records = CSVReader.records(text)
        var codeColumn = 0, nameColumn = 1, classColumn: Int? = 2
        var unknown: [String] = []
        if let header = records.first, let first = header.fields.first,
           RegionCode(first) == nil, !first.isEmpty, first.first?.isNumber == false {
            // A header line: find the columns by name, in Chinese or English.
            let names = header.fields.map { $0.trimmingASCIIWhitespace().lowercased() }
            func index(_ candidates: [String]) -> Int? { names.firstIndex { candidates.contains($0) } }
            codeColumn = index(["code", "区划代码", "统计用区划代码", "代码"]) ?? 0
            nameColumn = index(["name", "名称", "区划名称"]) ?? 1
            classColumn = index(["class", "城乡分类代码", "城乡分类", "urban_rural_class"])
            for (i, _) in names.enumerated() where i != codeColumn && i != nameColumn && i != classColumn {
                unknown.append(header.fields[i])
            }
            records.removeFirst()
        }

        var errors: [RegionRowError] = []
        var candidates: [RegionRow] = []
        var seen: [String: Int] = [:]
        for record in records {
            let f = record.fields
            let rawCode = f.indices.contains(codeColumn) ? f[codeColumn].trimmingASCIIWhitespace() : ""
            let name = f.indices.contains(nameColumn) ? f[nameColumn].trimmingASCIIWhitespace() : ""
            let rawClass = classColumn.flatMap { f.indices.contains($0) ? f[$0].trimmingASCIIWhitespace() : nil } ?? ""
            func fail(_ field: String, _ rule: String, _ zh: String, _ en: String) {
                errors.append(RegionRowError(line: record.line, code: rawCode,
                                             issue: ValidationIssue(field: field, rule: rule, message: LocalizedText(zh: zh, en: en))))
            }
            let code: RegionCode
            switch RegionCode.parse(rawCode) {
            case .failure(.notDigits):
                fail("code", "region.code.digits", "区划代码“\(rawCode)”应只含数字", "Region code \"\(rawCode)\" must contain digits only"); continue
            case .failure(.wrongLength(let n)):
                fail("code", "region.code.length", "区划代码长度为 \(n) 位，应为 2、4、6、9 或 12 位", "Region code has \(n) digits; it must have 2, 4, 6, 9 or 12"); continue
            case .failure(.doesNotNest):
                fail("code", "region.code.nesting", "区划代码“\(rawCode)”的各级分段不嵌套（上级分段为零而下级不为零）", "Region code \"\(rawCode)\" does not nest: a higher segment is zero while a lower one is not"); continue
            case .success(let c):
                code = c
            }
            if code == .root {
                fail("code", "region.code.root", "000000000000 是平台根节点，不能导入", "000000000000 is the platform root and cannot be imported"); continue
            }
            if name.isEmpty {
                fail("name", "region.name.required", "名称不能为空", "Name is required"); continue
            }
            if name.count > 100 {
                fail("name", "region.name.length", "名称不能超过 100 个字", "Name must be at most 100 characters"); continue
            }
            var urbanRural: UrbanRuralClass? = nil
            if !rawClass.isEmpty {
                guard let c = UrbanRuralClass(rawValue: rawClass) else {
                    fail("class", "region.class.unknown", "城乡分类代码“\(rawClass)”不在 111、112、121、122、123、210、220 之中", "Urban-rural class \"\(rawClass)\" is not one of 111, 112, 121, 122, 123, 210, 220"); continue
                }
                urbanRural = c
            }
            if let earlier = seen[code.value] {
                fail("code", "region.code.duplicate", "区划代码 \(code.value) 与第 \(earlier) 行重复", "Region code \(code.value) repeats line \(earlier)"); continue
            }
            seen[code.value] = record.line
            candidates.append(RegionRow(line: record.line, code: code, name: name, urbanRuralClass: urbanRural))
        }

        // Parents first; a row is good when its parent exists already or is a good row here.
        candidates.sort { ($0.code.level, $0.code.value) < ($1.code.level, $1.code.value) }
        var known = existing
        known.insert(RegionCode.root.value)
        var good: [RegionRow] = []
        for row in candidates {
            let parent = row.code.parent!
            if known.contains(parent.value) {
                known.insert(row.code.value)
                good.append(row)
            } else {
                errors.append(RegionRowError(line: row.line, code: row.code.value, issue: ValidationIssue(
                    field: "code", rule: "region.parent.missing",
                    message: LocalizedText(zh: "上级区划 \(parent.value) 不存在（既不在系统中，也不是本文件中的有效行）",
                                           en: "Parent region \(parent.value) does not exist (neither stored nor a valid row of this file)"))))
            }
        }
        errors.sort { $0.line < $1.line }
        good.sort { ($0.code.level, $0.line) < ($1.code.level, $1.line) }
        return RegionTablePlan(rows: good, errors: errors, unknownColumns: unknown)
    }
}
