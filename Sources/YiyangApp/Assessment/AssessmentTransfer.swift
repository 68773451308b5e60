import Fluent
import Vapor
import YiyangDomain

/// A result as a JSON document another system can read, and the reverse: a result made
/// elsewhere, recognised here. The document names its instrument and version; on import the
/// answers are scored again with that instrument, and a document whose stated level differs
/// from the score is refused, so a recognised result is one we can explain.
struct AssessmentResultDocument: Content {
    static let formatName = "yiyang-assessment-result/1"

    struct Person: Content { var idNumber: String; var name: String }
    struct Level: Content { var code: Int; var name: String }
    struct Result: Content {
        var total: Int
        var dimensions: [String: Int]
        var preliminaryLevel: Level
        var finalLevel: Level
        var appliedRules: [String]
    }

    var format: String
    var instrument: String
    var version: String
    var person: Person
    var assessedOn: String
    var validUntil: String?
    var agency: String
    var assessors: [String]
    var answers: [String: Int]
    var coma: Bool?
    var diagnoses: [String]?
    var riskEvents30d: Int?
    var result: Result?

    init(_ r: AssessmentResult, elder: Elder, idNumber: String) {
        let answers = r.answers ?? AssessmentAnswers(answers: [:])
        let o = r.outcome
        format = Self.formatName; instrument = r.instrument; version = r.instrumentVersion
        person = Person(idNumber: idNumber, name: elder.name); assessedOn = r.assessedOn; validUntil = r.validUntil
        agency = r.agency; assessors = r.assessors.split(separator: "、").map(String.init)
        self.answers = answers.answers; coma = answers.coma; diagnoses = answers.diagnoses; riskEvents30d = answers.riskEvents30d
        result = o.map { o in
            Result(total: o.total, dimensions: o.dimensions,
                   preliminaryLevel: Level(code: o.preliminaryLevel.code, name: o.preliminaryLevel.name.zh),
                   finalLevel: Level(code: o.finalLevel.code, name: o.finalLevel.name.zh), appliedRules: o.appliedRules.map(\.code))
        }
    }
}

enum AssessmentTransfer {
    static func export(_ r: AssessmentResult, unmasked: Bool, req: Request) async throws -> AssessmentResultDocument {
        let elder = try await req.findScoped(Elder.self, r.elderID)
        var idNumber = elder.idMasked
        if unmasked {
            try req.require(.personalDataUnmask)
            idNumber = try ElderService(req: req, source: "api").secrets(elder).idNumber
        }
        try await AuditLog.record(on: req, action: .assessmentExported, entityType: "assessment_result", entityID: r.id?.uuidString,
                                  region: r.regionCode, after: ["unmasked": unmasked ? "true" : "false"])
        return AssessmentResultDocument(r, elder: elder, idNumber: idNumber)
    }

    static func importDocument(_ doc: AssessmentResultDocument, req: Request) async throws -> AssessmentResult {
        let actor = try req.require(.assessmentManage)
        guard doc.format == AssessmentResultDocument.formatName else {
            throw AppError(.unprocessableEntity, "assessment.import_format", field: "format",
                           zh: "format 应为 \(AssessmentResultDocument.formatName)", en: "format must be \(AssessmentResultDocument.formatName)")
        }
        guard let assessedOn = CalendarDate(doc.assessedOn), assessedOn <= .today() else {
            throw AppError(.unprocessableEntity, "assessment.import_date", field: "assessedOn", zh: "评估日期无效或在将来", en: "assessedOn is invalid or in the future")
        }
        let policy = try await AssessmentService.policy(on: req.db, day: assessedOn)
        let instrument = try AssessmentService.instrument(doc.instrument, policy: policy)
        guard instrument.version == doc.version else {
            throw AppError(.unprocessableEntity, "assessment.import_version", field: "version",
                           zh: "本平台的 \(instrument.id) 为 \(instrument.version) 版，文件为 \(doc.version) 版，不能识别", en: "This platform has \(instrument.id) version \(instrument.version), the file has \(doc.version)")
        }
        guard let id = CitizenID(doc.person.idNumber) else {
            throw AppError(.unprocessableEntity, "id_number.invalid", field: "person.idNumber", zh: "身份证号无效", en: "Invalid ID number")
        }
        let hash = req.application.vault.lookupHash(id.value)
        guard let elder = try await req.scoped(Elder.self).filter(\.$idHash == hash).first() else {
            throw AppError(.unprocessableEntity, "assessment.import_person", field: "person.idNumber",
                           zh: "本辖区名册中没有此人，请先登记", en: "No such person in the registry of your region; register them first")
        }
        let answers = AssessmentAnswers(answers: doc.answers, coma: doc.coma ?? false, diagnoses: doc.diagnoses ?? [], riskEvents30d: doc.riskEvents30d ?? 0)
        let outcome = try AssessmentService.score(instrument, answers)
        if let stated = doc.result, stated.finalLevel.code != outcome.finalLevel.code || stated.total != outcome.total {
            throw AppError(.unprocessableEntity, "assessment.import_mismatch", field: "result",
                           zh: "文件所述结果（总分 \(stated.total)，等级 \(stated.finalLevel.code)）与按 \(instrument.id) 重新计分的结果（总分 \(outcome.total)，等级 \(outcome.finalLevel.code)）不一致",
                           en: "The stated result (total \(stated.total), level \(stated.finalLevel.code)) differs from rescoring with \(instrument.id) (total \(outcome.total), level \(outcome.finalLevel.code))")
        }
        let duplicate = try await AssessmentResult.query(on: req.db).filter(\.$elderID == elder.id!)
            .filter(\.$instrument == instrument.id).filter(\.$assessedOn == assessedOn.description).filter(\.$origin == "imported").count()
        if duplicate > 0 {
            throw AppError(.conflict, "assessment.import_duplicate", field: "assessedOn",
                           zh: "此人同日的外部评估结果已导入过", en: "This person's result of that day is imported already")
        }
        let agency = doc.agency.trimmingCharacters(in: .whitespaces)
        guard !agency.isEmpty, !doc.assessors.isEmpty else {
            throw AppError(.unprocessableEntity, "assessment.import_agency", field: agency.isEmpty ? "agency" : "assessors",
                           zh: "请写明评估机构和评估员", en: "Name the agency and the assessors")
        }
        let r = AssessmentService.makeResult(outcome: outcome, answers: answers, elderID: elder.id!, region: elder.residenceRegion,
                                             assessedOn: assessedOn, validityMonths: policy.validityMonths,
                                             assessors: doc.assessors.joined(separator: "、"), agency: agency, origin: "imported", recordedBy: actor.username)
        if let until = doc.validUntil.flatMap(CalendarDate.init), until < assessedOn.validUntil(months: policy.validityMonths) {
            // A shorter validity given by the issuing agency is kept; a longer one is not granted.
            r.validUntil = until.description
        }
        try await r.create(on: req.db)
        try await AuditLog.record(on: req, action: .assessmentImported, entityType: "assessment_result", entityID: r.id?.uuidString,
                                  region: r.regionCode, after: ["elder": elder.id!.uuidString, "instrument": r.instrument, "level": r.finalLevelName, "agency": agency])
        return r
    }
}
