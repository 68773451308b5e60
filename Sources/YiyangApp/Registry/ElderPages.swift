import Fluent
import Vapor
import YiyangDomain

/// The registry's pages: list with filters, person page with timeline, forms, import.
struct ElderPages: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let elders = routes.grouped("elders")
        elders.get(use: list)
        elders.get("new", use: newForm)
        elders.post(use: create)
        elders.get("export", use: export)
        elders.get("import", use: importPage)
        elders.on(.POST, "import", body: .stream, use: importRoster).streamingUpload()
        elders.get("import", "errors", use: errorsCSV)
        elders.get("import", "status", use: importStatus)
        elders.on(.POST, "events", "import", body: .stream, use: importEvents).streamingUpload()
        elders.get(":elderID", use: show)
        elders.get(":elderID", "edit", use: editForm)
        elders.post(":elderID", use: update)
        elders.post(":elderID", "unmask", use: unmask)
        elders.post(":elderID", "events", use: recordEvent)
        elders.post(":elderID", "delete", use: delete)
    }

    struct Option: Encodable { var code: String; var name: String; var selected: Bool }
    struct Row: Encodable { var id: String; var name: String; var idNumber: String; var genderAge: String; var residence: String; var categories: String; var status: String }
    struct ListPage: Encodable {
        var elders: [Row]; var total: Int; var filter: [String: String]; var query: String
        var categories: [Option]; var economics: [Option]; var statuses: [Option]
        var canEdit: Bool; var canImport: Bool
        var prev: String?; var next: String?; var pageNumber: Int; var pageCount: Int
        var region: RegionPicker.Field
    }

    /// Names of codes in the page's language.
    struct Names {
        var codes: [ReferenceCode]
        var locale: UILocale
        func name(_ kind: ReferenceCode.Kind, _ code: String?) -> String {
            guard let code else { return "" }
            if kind == .category, code == "advanced_age" { return locale == .en ? "Aged 80+" : "高龄" }
            return codes.first { $0.kind == kind && $0.code == code }?.name.text(locale) ?? code
        }
        func options(_ kind: ReferenceCode.Kind, selected: Set<String>) -> [Option] {
            codes.filter { $0.kind == kind }.map { Option(code: $0.code, name: $0.name.text(locale), selected: selected.contains($0.code)) }
        }
    }

    static func genderAge(_ v: ElderView, _ l: UILocale) -> String {
        let g = Gender(rawValue: v.gender)?.name.text(l) ?? v.gender
        return v.age.map { l == .en ? "\(g), \($0)" : "\(g)，\($0) 岁" } ?? g
    }

    @Sendable func list(req: Request) async throws -> Response {
        let actor = try req.require(.registryUse)
        let l = req.locale
        let page = try PageRequest(req, defaultPer: 30)
        // A region typed by name: resolved here, so the search below and the export take the code.
        let typedRegion = req.query[String.self, at: "region"] ?? ""
        let picked = try await RegionPicker.resolve(typedRegion, req: req)
        let filter = try ElderSearch(req, picked: picked)
        let q = filter.apply(to: try req.scoped(Elder.self), vault: req.vault)
        // An unresolved name finds nobody rather than everybody: the form says why beside the field.
        let total = picked.isResolved ? try await q.count() : 0
        let rows = picked.isResolved ? try await filter.sorted(q).range(page.offset..<(page.offset + page.per)).all() : []
        let (_, codes) = try await RegistryVocabulary.load(on: req.db)
        let names = Names(codes: codes, locale: l)
        let regionNames = try await RegionPicker.names(of: rows.map(\.residenceRegion), req: req)
        let pager = Pager(req: req, page: page, total: total)
        let query = (req.url.query ?? "").split(separator: "&").filter { !$0.hasPrefix("page=") && !$0.hasPrefix("region=") }
            .map(String.init) + (picked.code.map { ["region=\($0)"] } ?? [])
        let regionField = try await RegionPicker.field(id: "region", name: "region", label: UIStrings.text("field_region", l),
                                                       value: typedRegion, resolution: picked, req: req)
        return try await WebPage.render("elders", title: UIStrings.text("elders_title", l), ListPage(
            elders: rows.map { e in
                let v = ElderView(e)
                return Row(id: v.id.uuidString, name: v.name, idNumber: v.idNumber, genderAge: Self.genderAge(v, l),
                           residence: regionNames[v.residenceRegion] ?? v.residenceRegion,
                           categories: v.categories.map { names.name(.category, $0) }.joined(separator: "、"),
                           status: ElderStatus(rawValue: v.status)?.name.text(l) ?? v.status)
            },
            total: total, filter: filter.raw, query: query.joined(separator: "&"),
            categories: [Option(code: "advanced_age", name: names.name(.category, "advanced_age"), selected: filter.category == "advanced_age")]
                + names.options(.category, selected: [filter.category ?? ""]),
            economics: names.options(.economicStatus, selected: [filter.economicStatus ?? ""]),
            statuses: ElderStatus.allCases.map { Option(code: $0.rawValue, name: $0.name.text(l), selected: $0.rawValue == filter.status) },
            canEdit: actor.has(.registryEdit), canImport: actor.has(.registryImport),
            prev: pager.prev, next: pager.next, pageNumber: page.page, pageCount: pager.pageCount, region: regionField), req: req)
    }

    // MARK: person page

    struct History: Encodable { var at: String; var actor: String; var source: String; var field: String; var before: String?; var after: String? }
    struct ShowPage: Encodable {
        var elder: ElderView; var genderAge: String; var phones: String; var household: String; var residence: String
        var living: String; var economic: String; var categories: String; var insurance: String; var status: String
        var hasContacts: Bool; var history: [History]; var unmasked: Bool; var canEdit: Bool; var canUnmask: Bool
        var isLiving: Bool
        /// The capability level in force, from the assessment module, and the person's assessments.
        var assessment: ElderAssessments?
        /// What the benefit rules say this month, and the person's entitlements.
        var benefits: ElderBenefits?
        enum CodingKeys: String, CodingKey {
            case elder, genderAge, phones, household, residence, economic, categories, insurance, status, hasContacts, history, unmasked, canEdit, canUnmask
            case assessment, benefits
            case living = "livingArrangementName", isLiving = "living"
        }
    }

    static let fieldNames: [String: LocalizedText] = [
        "created": .init(zh: "登记", en: "Registered"), "name": .init(zh: "姓名", en: "Name"), "gender": .init(zh: "性别", en: "Gender"),
        "birthDate": .init(zh: "出生日期", en: "Birth date"), "idNumber": .init(zh: "身份证号", en: "ID number"),
        "ethnicity": .init(zh: "民族", en: "Ethnicity"), "phones": .init(zh: "联系电话", en: "Phones"),
        "householdRegion": .init(zh: "户籍地", en: "Household region"), "residenceRegion": .init(zh: "居住地", en: "Residence region"),
        "address": .init(zh: "地址", en: "Address"), "livingArrangement": .init(zh: "居住情况", en: "Living arrangement"),
        "economicStatus": .init(zh: "经济状况", en: "Economic status"), "categories": .init(zh: "类别", en: "Categories"),
        "disabilityLevel": .init(zh: "残疾等级", en: "Disability level"), "healthInsurance": .init(zh: "医保类型", en: "Health insurance"),
        "notes": .init(zh: "备注", en: "Notes"), "contacts": .init(zh: "联系人", en: "Contacts"), "status": .init(zh: "状态", en: "Status"),
        "statusDate": .init(zh: "状态日期", en: "Status date"), "statusNote": .init(zh: "状态说明", en: "Status note"),
    ]

    func renderShow(_ req: Request, _ e: Elder, view: ElderView) async throws -> Response {
        let actor = try req.require(.registryUse)
        let l = req.locale
        let (_, codes) = try await RegistryVocabulary.load(on: req.db)
        let names = Names(codes: codes, locale: l)
        let regionNames = try await req.scoped(Region.self).filter(\.$id ~~ [e.householdRegion, e.residenceRegion]).all()
        func region(_ code: String) -> String { (regionNames.first { $0.id == code }?.name).map { "\($0)（\(code)）" } ?? code }
        let history = try await ElderService.history(of: e, on: req.db, limit: 200)
        let status = (ElderStatus(rawValue: e.status)?.name.text(l) ?? e.status) + (e.statusDate.map { " \($0)" } ?? "") + (e.statusNote.map { " · \($0)" } ?? "")
        return try await WebPage.render("elder", title: e.name, ShowPage(
            elder: view, genderAge: Self.genderAge(view, l), phones: view.phones.isEmpty ? UIStrings.text("none", l) : view.phones.joined(separator: "、"),
            household: region(e.householdRegion), residence: region(e.residenceRegion),
            living: names.name(.livingArrangement, e.livingArrangement), economic: names.name(.economicStatus, e.economicStatus),
            categories: view.categories.map { names.name(.category, $0) }.joined(separator: "、") + (e.disabilityLevel.map { l == .en ? " (disability grade \($0))" : "（残疾 \($0) 级）" } ?? ""),
            insurance: names.name(.healthInsurance, e.healthInsurance), status: status,
            hasContacts: !(view.contacts ?? []).isEmpty,
            history: history.map { h in
                History(at: ChinaTime.dateTime(h.at), actor: h.actorUsername, source: h.source,
                        field: Self.fieldNames[h.field]?.text(l) ?? h.field, before: h.before, after: h.after)
            },
            unmasked: !view.masked, canEdit: actor.has(.registryEdit), canUnmask: actor.has(.personalDataUnmask),
            isLiving: e.status == ElderStatus.living.rawValue,
            assessment: actor.has(.assessmentUse) ? try await ElderAssessments.load(e, req: req) : nil,
            benefits: actor.has(.benefitsUse) ? try await ElderBenefits.load(e, req: req) : nil), req: req)
    }

    @Sendable func show(req: Request) async throws -> Response {
        try req.require(.registryUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        return try await renderShow(req, e, view: ElderView(e, contacts: try await e.$contacts.get(on: req.db)))
    }

    @Sendable func unmask(req: Request) async throws -> Response {
        try req.require(.registryUse)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        // Shown on this answer only, and written to the audit log.
        return try await renderShow(req, e, view: try await ElderWrites.unmasked(e, req: req))
    }

    struct EventForm: Content { var kind: String; var date: String; var source: String?; var destination: String? }

    @Sendable func recordEvent(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let form = try req.content.decode(EventForm.self)
        try await ElderWrites.recordEvent(e, kind: form.kind, date: form.date, source: form.source ?? "", destination: form.destination, req: req)
        return req.redirect(to: "/elders/\(e.id!.uuidString)?notice=elder_saved")
    }

    struct DeleteForm: Content { var reason: String? }

    @Sendable func delete(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        try await ElderWrites.delete(e, reason: try req.content.decode(DeleteForm.self).reason, req: req)
        return req.redirect(to: "/elders?notice=elder_deleted")
    }

    // MARK: forms

    struct Field: Encodable {
        var key: String; var label: String; var kind = "text"; var value = ""; var required = false
        var options: [Option] = []; var hint: String?; var error: String?
        /// A region typed by a name that several regions have: the choice among them.
        var candidates: [RegionPicker.Candidate] = []
    }
    struct FormPage: Encodable {
        var heading: String; var action: String; var cancel: String; var fields: [Field]; var errors: [String: String]; var link: String?
        /// The suggestions of the two region fields, by name (`RegionPicker`).
        var regionOptions: [RegionPicker.Option]
    }

    /// The two region fields as typed (a code, a name, or "name（code）") turned into codes; a
    /// name that resolves to none or several leaves the field as typed, with its message.
    static func resolveRegions(_ input: inout ElderInput, req: Request) async throws
        -> (errors: [String: String], candidates: [String: [RegionPicker.Candidate]]) {
        var errors: [String: String] = [:], candidates: [String: [RegionPicker.Candidate]] = [:]
        let labels = ["householdRegion": req.locale == .en ? "Household region" : "户籍地",
                      "residenceRegion": req.locale == .en ? "Residence region" : "居住地"]
        for (key, path) in [("householdRegion", \ElderInput.householdRegion), ("residenceRegion", \ElderInput.residenceRegion)] {
            let r = try await RegionPicker.resolve(input[keyPath: path], req: req)
            if let code = r.code { input[keyPath: path] = code }
            if let m = RegionPicker.message(r, label: labels[key]!, locale: req.locale) { errors[key] = m }
            if case .ambiguous(_, let c) = r { candidates[key] = c }
        }
        return (errors, candidates)
    }

    /// The form's fields, named as the JSON keys so errors land beside the right one.
    struct ElderForm: Content {
        var name: String?; var idNumber: String?; var gender: String?; var birthDate: String?; var ethnicity: String?
        var phones: String?; var householdRegion: String?; var residenceRegion: String?; var address: String?
        var livingArrangement: String?; var economicStatus: String?; var categories: [String]?; var disabilityLevel: String?
        var healthInsurance: String?; var notes: String?

        var input: ElderInput {
            var i = ElderInput()
            i.name = name ?? ""; i.idNumber = idNumber ?? ""; i.gender = gender ?? ""; i.birthDate = birthDate ?? ""; i.ethnicity = ethnicity ?? ""
            i.phones = phones ?? ""; i.householdRegion = householdRegion ?? ""; i.residenceRegion = residenceRegion ?? ""; i.address = address ?? ""
            i.livingArrangement = livingArrangement ?? ""; i.economicStatus = economicStatus ?? ""; i.categories = (categories ?? []).joined(separator: ",")
            i.disabilityLevel = disabilityLevel ?? ""; i.healthInsurance = healthInsurance ?? ""; i.notes = notes ?? ""
            return i
        }

    }

    /// Contacts come as numbered slots (`contactName_0`, `contactRelation_0`, …); a slot without
    /// a name is empty. The form always offers one empty slot more than the person has.
    static let contactSlotLimit = 8

    static func contactSlots(_ req: Request) -> [ContactInput] {
        (0..<contactSlotLimit).compactMap { i in
            func v(_ k: String) -> String { ((try? req.content.get(String.self, at: "\(k)_\(i)")) ?? "").trimmingCharacters(in: .whitespaces) }
            let name = v("contactName")
            guard !name.isEmpty else { return nil }
            return ContactInput(name: name, relation: v("contactRelation"), phone: v("contactPhone"), guardian: v("contactGuardian") == "true")
        }
    }

    func fields(_ req: Request, values i: ElderInput, contacts: [ContactInput], errors: [String: String], isNew: Bool,
                codes: [ReferenceCode], candidates: [String: [RegionPicker.Candidate]] = [:]) -> [Field] {
        let l = req.locale
        let names = Names(codes: codes, locale: l)
        func t(_ zh: String, _ en: String) -> String { l == .en ? en : zh }
        let cats = Set(i.categories.split(separator: ",").map(String.init))
        var f: [Field] = [
            Field(key: "name", label: t("姓名", "Name"), value: i.name, required: true),
            Field(key: "idNumber", label: t("身份证号", "ID number"), value: i.idNumber, required: true,
                  hint: t("18 位，末位可为 X；15 位旧号码会自动升位", "18 characters, the last may be X; a 15-digit old number is upgraded")),
            Field(key: "gender", label: t("性别", "Gender"), kind: "select",
                  options: Gender.allCases.map { Option(code: $0.rawValue, name: $0.name.text(l), selected: $0.rawValue == i.gender || $0.name.zh == i.gender) },
                  hint: t("可不填，由身份证号得出", "Optional: taken from the ID number")),
            Field(key: "birthDate", label: t("出生日期", "Birth date"), value: i.birthDate, hint: t("可不填，由身份证号得出", "Optional: taken from the ID number")),
            Field(key: "ethnicity", label: t("民族", "Ethnicity"), value: i.ethnicity),
            Field(key: "phones", label: t("联系电话（多个用逗号分隔）", "Phones (comma separated)"), value: i.phones),
            Field(key: "householdRegion", label: t("户籍地", "Household region"), kind: "region", value: i.householdRegion, required: true,
                  hint: t("输入区划名称，或 12 位统计用区划代码", "Type the region's name, or its 12-digit statistical code")),
            Field(key: "residenceRegion", label: t("居住地", "Residence region"), kind: "region", value: i.residenceRegion,
                  hint: t("不填则同户籍地；输入区划名称或代码", "Empty: same as household; type a name or a code")),
            Field(key: "address", label: t("详细地址", "Address"), value: i.address),
            Field(key: "livingArrangement", label: t("居住情况", "Living arrangement"), kind: "select",
                  options: names.options(.livingArrangement, selected: [i.livingArrangement])),
            Field(key: "economicStatus", label: t("经济状况", "Economic status"), kind: "select",
                  options: names.options(.economicStatus, selected: [i.economicStatus.isEmpty && isNew ? "ordinary" : i.economicStatus])),
            Field(key: "categories", label: t("类别", "Categories"), kind: "checkboxes", options: names.options(.category, selected: cats),
                  hint: t("高龄由出生日期自动得出", "Aged 80+ follows from the birth date")),
            Field(key: "disabilityLevel", label: t("残疾等级（1–4 级）", "Disability grade (1–4)"), value: i.disabilityLevel),
            Field(key: "healthInsurance", label: t("医保类型", "Health insurance"), kind: "select", options: names.options(.healthInsurance, selected: [i.healthInsurance])),
            Field(key: "notes", label: t("备注", "Notes"), kind: "textarea", value: i.notes),
        ]
        let slots = min(Self.contactSlotLimit, max(2, contacts.count + 1))
        for n in 0..<slots {
            let c = n < contacts.count ? contacts[n] : nil
            let number = slots > 1 ? " \(n + 1)" : ""
            f += [
                Field(key: "contactName_\(n)", label: t("联系人姓名", "Contact name") + number, value: c?.name ?? ""),
                Field(key: "contactRelation_\(n)", label: t("与老人关系", "Relation") + number, value: c?.relation ?? ""),
                Field(key: "contactPhone_\(n)", label: t("联系人电话", "Contact phone") + number, value: c?.phone ?? ""),
                Field(key: "contactGuardian_\(n)", label: t("是否监护人", "Guardian") + number, kind: "select",
                      options: [Option(code: "true", name: t("是", "Yes"), selected: c?.guardian == true)]),
            ]
        }
        for idx in f.indices {
            let key = f[idx].key
            var mapped = key
            if let us = key.lastIndex(of: "_"), let n = Int(key[key.index(after: us)...]) {
                let base = String(key[..<us])
                mapped = ["contactName": "contacts[\(n)].name", "contactPhone": "contacts[\(n)].phone", "contactRelation": "contacts[\(n)].relation"][base] ?? key
            }
            f[idx].error = errors[mapped]
            f[idx].candidates = candidates[key] ?? []
        }
        return f
    }

    func renderForm(_ req: Request, heading: String, action: String, cancel: String, values: ElderInput, contacts: [ContactInput],
                    errors: [String: String], link: String? = nil, isNew: Bool, status: HTTPStatus = .ok,
                    candidates: [String: [RegionPicker.Candidate]] = [:]) async throws -> Response {
        let (_, codes) = try await RegistryVocabulary.load(on: req.db)
        var general = errors
        let known = Set(ElderInput.keyPaths.keys).union((0..<Self.contactSlotLimit).flatMap { ["contacts[\($0)].name", "contacts[\($0)].phone", "contacts[\($0)].relation"] })
        let stray = general.filter { !known.contains($0.key) }.map(\.value)
        if !stray.isEmpty { general["form"] = stray.joined(separator: "；") }
        return try await WebPage.render("elder-form", title: heading, FormPage(
            heading: heading, action: action, cancel: cancel,
            fields: fields(req, values: values, contacts: contacts, errors: errors, isNew: isNew, codes: codes, candidates: candidates),
            errors: general, link: link, regionOptions: try await RegionPicker.options(req: req)), req: req, status: status)
    }

    @Sendable func newForm(req: Request) async throws -> Response {
        let actor = try req.require(.registryEdit)
        var values = ElderInput()
        if actor.region.level == .village { values.householdRegion = actor.region.value }
        return try await renderForm(req, heading: UIStrings.text("elders_new", req.locale), action: "/elders", cancel: "/elders",
                                    values: values, contacts: [], errors: [:], isNew: true)
    }

    static func fieldErrors(_ error: any Error, _ l: UILocale) -> ([String: String], String?)? {
        switch error {
        case let e as ValidationFailure:
            var out: [String: String] = [:]
            for i in e.issues { out[i.field] = (out[i.field].map { $0 + "；" } ?? "") + i.message.text(l) }
            return (out, nil)
        case let e as AppError where e.status != .notFound && e.status != .forbidden:
            return ([e.field ?? "form": e.message.text(l)], e.link)
        default:
            return nil
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let form = try req.content.decode(ElderForm.self)
        var input = form.input
        let regions = try await Self.resolveRegions(&input, req: req)
        guard regions.errors.isEmpty else {
            return try await renderForm(req, heading: UIStrings.text("elders_new", req.locale), action: "/elders", cancel: "/elders",
                                        values: form.input, contacts: Self.contactSlots(req), errors: regions.errors, isNew: true,
                                        status: .unprocessableEntity, candidates: regions.candidates)
        }
        do {
            let e = try await ElderWrites.create(input, contacts: Self.contactSlots(req), req: req, source: "web")
            try await AuditLog.record(on: req, action: .elderCreated, entityType: "elder", entityID: e.id?.uuidString,
                                      region: e.residenceRegion, after: ElderView(e))
            return req.redirect(to: "/elders/\(e.id!.uuidString)?notice=elder_saved")
        } catch {
            guard let (errors, link) = Self.fieldErrors(error, req.locale) else { throw error }
            return try await renderForm(req, heading: UIStrings.text("elders_new", req.locale), action: "/elders", cancel: "/elders",
                                        values: form.input, contacts: Self.contactSlots(req), errors: errors, link: link, isNew: true, status: .unprocessableEntity)
        }
    }

    @Sendable func editForm(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        var values = try ElderService(req: req, source: "web").input(of: e)
        // Personal data stays masked in the form; sent back unchanged, it keeps the stored value.
        values.idNumber = e.idMasked; values.phones = e.phonesMasked; values.address = e.addressMasked
        let contacts = try await e.$contacts.get(on: req.db).map { ContactInput(name: $0.name, relation: $0.relation, phone: $0.phoneMasked, guardian: $0.isGuardian) }
        let id = e.id!.uuidString
        return try await renderForm(req, heading: UIStrings.text("elders_edit", req.locale), action: "/elders/\(id)", cancel: "/elders/\(id)",
                                    values: values, contacts: contacts, errors: [:], isNew: false)
    }

    @Sendable func update(req: Request) async throws -> Response {
        try req.require(.registryEdit)
        let e = try await req.findScoped(Elder.self, try EldersAPI.elderID(req))
        let form = try req.content.decode(ElderForm.self)
        let service = ElderService(req: req, source: "web")
        let stored = try service.input(of: e)
        var input = form.input
        // A masked value sent back means "unchanged".
        if input.idNumber == e.idMasked { input.idNumber = stored.idNumber }
        if input.phones == e.phonesMasked { input.phones = stored.phones }
        if input.address == e.addressMasked { input.address = stored.address }
        let regions = try await Self.resolveRegions(&input, req: req)
        guard regions.errors.isEmpty else {
            let id = e.id!.uuidString
            return try await renderForm(req, heading: UIStrings.text("elders_edit", req.locale), action: "/elders/\(id)",
                                        cancel: "/elders/\(id)",
                                        values: form.input, contacts: Self.contactSlots(req), errors: regions.errors, isNew: false,
                                        status: .unprocessableEntity, candidates: regions.candidates)
        }
        var contacts = Self.contactSlots(req)
        // A masked phone sent back keeps the stored number of the contact it was shown for.
        let old = try await e.$contacts.get(on: req.db)
        for i in contacts.indices where contacts[i].phone.contains("*") {
            if let match = old.first(where: { $0.phoneMasked == contacts[i].phone && $0.name == contacts[i].name })
                ?? (i < old.count && old[i].phoneMasked == contacts[i].phone ? old[i] : nil) {
                contacts[i].phone = try match.phoneCipher.map(service.vault.open) ?? ""
            }
        }
        let id = e.id!.uuidString
        do {
            try await ElderWrites.update(e, input: input, contacts: contacts, req: req, source: "web")
            return req.redirect(to: "/elders/\(id)?notice=elder_saved")
        } catch {
            guard let (errors, link) = Self.fieldErrors(error, req.locale) else { throw error }
            return try await renderForm(req, heading: UIStrings.text("elders_edit", req.locale), action: "/elders/\(id)", cancel: "/elders/\(id)",
                                        values: form.input, contacts: Self.contactSlots(req), errors: errors, link: link, isNew: false, status: .unprocessableEntity)
        }
    }

    // MARK: import and export

    struct ImportPage: Encodable {
        var report: RosterImporter.Report?; var hasErrors: Bool; var hasUnknown: Bool; var shownErrors: [RosterImporter.RowError]
        var moreErrors: Bool; var errorsLink: String?; var events: LifeEventImporter.Report?
        var running = false
    }

    @Sendable func importPage(req: Request) async throws -> Response {
        try req.require(.registryImport)
        return try await WebPage.render("elder-import", title: UIStrings.text("elders_import", req.locale),
                                        ImportPage(report: nil, hasErrors: false, hasUnknown: false, shownErrors: [], moreErrors: false, errorsLink: nil, events: nil), req: req)
    }

    @Sendable func importRoster(req: Request) async throws -> Response {
        try req.require(.registryImport)
        let upload = try await UploadSpool.form(req)
        let job = try await WebRosterImport.start(upload, dryRun: upload.fields["dryRun"] == "true", req: req)
        return req.redirect(to: "/elders/import/status?job=\(job)")
    }

    struct StatusPage: Encodable {
        var running: Bool; var percent: Int; var rows: Int; var fileName: String; var failure: String?
        var report: RosterImporter.Report?; var hasErrors: Bool; var hasUnknown: Bool; var shownErrors: [RosterImporter.RowError]
        var moreErrors: Bool; var errorsLink: String?; var events: LifeEventImporter.Report?; var refresh: String?
    }

    /// The job's progress, refreshing itself until the report is there.
    @Sendable func importStatus(req: Request) async throws -> Response {
        let actor = try req.require(.registryImport)
        guard let id = req.query[String.self, at: "job"], let job = await req.application.importJobs.job(id, owner: actor.userID) else {
            throw AppError.notFound()
        }
        let report = job.report
        return try await WebPage.render("elder-import", title: UIStrings.text("elders_import", req.locale), StatusPage(
            running: !job.finished, percent: job.totalBytes > 0 ? min(100, job.doneBytes * 100 / job.totalBytes) : 0, rows: job.rows,
            fileName: job.fileName, failure: job.failure, report: report, hasErrors: !(report?.errors.isEmpty ?? true),
            hasUnknown: !(report?.unknownColumns.isEmpty ?? true), shownErrors: Array((report?.errors ?? []).prefix(500)),
            moreErrors: (report?.errors.count ?? 0) > 500, errorsLink: job.errorsLink, events: nil,
            refresh: job.finished ? nil : "2"), req: req)
    }

    @Sendable func errorsCSV(req: Request) async throws -> Response {
        let actor = try req.require(.registryImport)
        guard let token = req.query[String.self, at: "report"], token.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw AppError.notFound()
        }
        let file = req.application.yiyang.uploadsDirectory.appendingPathComponent("import-reports/\(actor.userID.uuidString)-\(token).csv")
        guard let data = FileManager.default.contents(atPath: file.path) else { throw AppError.notFound() }
        let res = Response(status: .ok, body: .init(data: data))
        res.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        res.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"import-errors.csv\"")
        return res
    }

    @Sendable func importEvents(req: Request) async throws -> Response {
        try req.require(.registryImport)
        let upload = try await UploadSpool.form(req)
        let kind = upload.fields["kind"].flatMap(LifeEvent.Kind.init(rawValue:))
        let report = try await ElderWrites.importEvents(upload, kind: kind, source: "", req: req)
        return try await WebPage.render("elder-import", title: UIStrings.text("elders_import", req.locale), ImportPage(
            report: nil, hasErrors: false, hasUnknown: false, shownErrors: [], moreErrors: false, errorsLink: nil, events: report), req: req)
    }

    @Sendable func export(req: Request) async throws -> Response {
        try await ElderExport.respond(req)
    }
}

extension ElderPages.StatusPage: SelfRefreshing {
    var refreshSeconds: String? { refresh }
}
