import Fluent
import Vapor
import YiyangDomain

/// Export of a search result as CSV or XLSX: masked unless the user may unmask and asks for
/// it (`unmasked=true`), and always written to the audit log first.
enum ElderExport {
    static let maxRows = 200_000

    static func respond(_ req: Request) async throws -> Response {
        let actor = try req.require(.registryUse)
        let filter = try ElderSearch(req)
        let format = req.query[String.self, at: "format"] ?? "csv"
        guard format == "csv" || format == "xlsx" else {
            throw AppError(.badRequest, "query.format", field: "format", zh: "format 应为 csv 或 xlsx", en: "format must be csv or xlsx")
        }
        let wantsUnmasked = req.query[Bool.self, at: "unmasked"] ?? false
        if wantsUnmasked { try req.require(.personalDataUnmask) }
        let rows = try await filter.sorted(filter.apply(to: req.scoped(Elder.self), vault: req.vault)).limit(maxRows).all()
        try await AuditLog.record(on: req, action: .eldersExported, entityType: "elder", entityID: nil, region: actor.region.value,
                                  after: ["filter": filter.raw.description, "rows": String(rows.count), "format": format, "unmasked": String(wantsUnmasked)])
        let (_, codes) = try await RegistryVocabulary.load(on: req.db)
        let names = Dictionary(codes.map { ("\($0.kind.rawValue):\($0.code)", $0.name.text(req.locale)) }, uniquingKeysWith: { a, _ in a })
        func name(_ kind: ReferenceCode.Kind, _ code: String?) -> String { code.map { names["\(kind.rawValue):\($0)"] ?? $0 } ?? "" }
        let en = req.locale == .en
        var table: [[String]] = [en
            ? ["Name", "ID number", "Gender", "Birth date", "Age", "Phones", "Household region", "Residence region", "Address",
               "Living arrangement", "Economic status", "Categories", "Status", "Status date"]
            : ["姓名", "身份证号", "性别", "出生日期", "年龄", "联系电话", "户籍地区划代码", "居住地区划代码", "详细地址",
               "居住情况", "经济状况", "类别", "状态", "状态日期"]]
        let service = ElderService(req: req, source: "export")
        for e in rows {
            let secrets = wantsUnmasked ? try service.secrets(e) : nil
            table.append([
                e.name, secrets?.idNumber ?? e.idMasked, Gender(rawValue: e.gender)?.name.text(req.locale) ?? e.gender, e.birthDate,
                e.age.map(String.init) ?? "", secrets?.phones ?? e.phonesMasked, e.householdRegion, e.residenceRegion,
                secrets?.address ?? e.addressMasked, name(.livingArrangement, e.livingArrangement), name(.economicStatus, e.economicStatus),
                e.categoryCodes.map { name(.category, $0) }.joined(separator: "、"),
                ElderStatus(rawValue: e.status)?.name.text(req.locale) ?? e.status, e.statusDate ?? "",
            ])
        }
        let stamp = ChinaTime.date(Date())
        let res: Response
        if format == "xlsx" {
            res = Response(status: .ok, body: .init(data: try XLSXWriter.make(sheetName: en ? "Elders" : "老年人名册", rows: table)))
            res.headers.contentType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else {
            res = Response(status: .ok, body: .init(string: "\u{FEFF}" + table.map(CSVReader.row).joined()))
            res.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        }
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"elders-\(stamp).\(format)\"")
        return res
    }
}
