/// The people who use the platform (SYSTEM.md, "Who uses it"). The raw values are the codes
/// used in the API, the CLI and the permission table.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, bureau, township, community, assessor, institution, provider, caregiver
    case mealPoint = "meal_point"
    case volunteer, inspector, family, elder

    public var name: LocalizedText {
        switch self {
        case .admin: LocalizedText(zh: "系统管理员", en: "Administrator")
        case .bureau: LocalizedText(zh: "民政局", en: "Civil-affairs bureau")
        case .township: LocalizedText(zh: "乡镇（街道）工作人员", en: "Township / street staff")
        case .community: LocalizedText(zh: "社区（村）网格员", en: "Community / village worker")
        case .assessor: LocalizedText(zh: "评估员", en: "Assessor")
        case .institution: LocalizedText(zh: "养老机构", en: "Institution operator")
        case .provider: LocalizedText(zh: "服务商调度", en: "Provider dispatcher")
        case .caregiver: LocalizedText(zh: "护理员", en: "Caregiver")
        case .mealPoint: LocalizedText(zh: "助餐点", en: "Meal point operator")
        case .volunteer: LocalizedText(zh: "志愿者", en: "Volunteer")
        case .inspector: LocalizedText(zh: "检查员", en: "Inspector")
        case .family: LocalizedText(zh: "家属", en: "Family member")
        case .elder: LocalizedText(zh: "老年人", en: "Elderly person")
        }
    }
}

/// What an account may do. A role's permissions are rows of a table in the database, seeded
/// from `PermissionTable.defaults` once, and then the deployment's to adjust.
public enum Permission: String, Sendable, Codable, CaseIterable {
    // Foundation
    case regionsView = "regions.view"
    case regionsImport = "regions.import"
    case usersView = "users.view"
    case usersManage = "users.manage"
    case rolesManage = "roles.manage"
    case auditView = "audit.view"
    case auditExport = "audit.export"
    case personalDataUnmask = "personal_data.unmask"
    // Modules of SYSTEM.md: using a module at all. Finer permissions arrive with each module.
    case registryUse = "registry.use"
    case registryEdit = "registry.edit"
    case registryImport = "registry.import"
    case assessmentUse = "assessment.use"
    case assessmentManage = "assessment.manage"
    case assessmentPerform = "assessment.perform"
    case benefitsUse = "benefits.use"
    case benefitsManage = "benefits.manage"
    case institutionsUse = "institutions.use"
    case institutionsManage = "institutions.manage"
    case servicesUse = "services.use"
    case servicesManage = "services.manage"
    case servicesDispatch = "services.dispatch"
    case servicesVisit = "services.visit"
    case servicesMeals = "services.meals"
    case visitsUse = "visits.use"
    case alarmsUse = "alarms.use"
    case timebankUse = "timebank.use"
    case supervisionUse = "supervision.use"
    case workforceUse = "workforce.use"
    case indicatorsUse = "indicators.use"
    case childcareUse = "childcare.use"
    case portalUse = "portal.use"

    public var name: LocalizedText {
        switch self {
        case .regionsView: LocalizedText(zh: "查看行政区划", en: "View regions")
        case .regionsImport: LocalizedText(zh: "导入行政区划", en: "Import regions")
        case .usersView: LocalizedText(zh: "查看账号", en: "View accounts")
        case .usersManage: LocalizedText(zh: "管理账号", en: "Manage accounts")
        case .rolesManage: LocalizedText(zh: "调整角色权限", en: "Adjust role permissions")
        case .auditView: LocalizedText(zh: "查看审计日志", en: "View audit log")
        case .auditExport: LocalizedText(zh: "导出审计日志", en: "Export audit log")
        case .personalDataUnmask: LocalizedText(zh: "查看完整个人信息", en: "Unmask personal data")
        case .registryUse: LocalizedText(zh: "老年人基础信息库", en: "Elderly registry")
        case .registryEdit: LocalizedText(zh: "登记和修改老年人信息", en: "Register and edit elderly people")
        case .registryImport: LocalizedText(zh: "批量导入老年人名册与生命事件", en: "Import rosters and life events")
        case .assessmentUse: LocalizedText(zh: "能力综合评估", en: "Capability assessment")
        case .assessmentManage: LocalizedText(zh: "受理、派单与审核评估", en: "Request, assign and sign off assessments")
        case .assessmentPerform: LocalizedText(zh: "作为评估员填写评估表", en: "Carry out assessments as an assessor")
        case .benefitsUse: LocalizedText(zh: "基本养老服务与补贴", en: "Benefits and allowances")
        case .benefitsManage: LocalizedText(zh: "补贴政策、认定与发放", en: "Benefit policies, decisions and payment runs")
        case .institutionsUse: LocalizedText(zh: "养老机构", en: "Care institutions")
        case .institutionsManage: LocalizedText(zh: "登记养老机构、入住退住与新增床位", en: "Register institutions, residents in and out, new beds")
        case .servicesUse: LocalizedText(zh: "居家社区服务", en: "Home and community services")
        case .servicesManage: LocalizedText(zh: "服务点、服务商、服务目录、异常审核与结算", en: "Service points, providers, menu, exception review and settlement")
        case .servicesDispatch: LocalizedText(zh: "服务商接单与派单", en: "Accept and dispatch orders for a provider")
        case .servicesVisit: LocalizedText(zh: "护理员上门签到签退", en: "Check visits in and out as a caregiver")
        case .servicesMeals: LocalizedText(zh: "助餐点菜单与就餐登记", en: "Meal point menus and meals served")
        case .visitsUse: LocalizedText(zh: "探访关爱", en: "Care visits")
        case .alarmsUse: LocalizedText(zh: "紧急呼叫", en: "Emergency alarms")
        case .timebankUse: LocalizedText(zh: "时间银行", en: "Time bank")
        case .supervisionUse: LocalizedText(zh: "综合监管", en: "Supervision")
        case .workforceUse: LocalizedText(zh: "人才队伍", en: "Workforce")
        case .indicatorsUse: LocalizedText(zh: "规划指标", en: "Plan indicators")
        case .childcareUse: LocalizedText(zh: "一老一小·托育", en: "Childcare")
        case .portalUse: LocalizedText(zh: "老年人与家属服务", en: "Elderly and family portal")
        }
    }
}

/// The modules of SYSTEM.md in their order, each opened by one permission. The home page
/// lists those the account may use.
public struct PlatformModule: Sendable, Identifiable {
    public var id: String
    public var number: Int
    public var permission: Permission
    public var summary: LocalizedText
    /// Whether this release has built the module; the home page says so honestly.
    public var available: Bool
    public var path: String

    public static let all: [PlatformModule] = [
        .init(id: "registry", number: 1, permission: .registryUse, summary: .init(zh: "登记每一位老年人的身份、类别与状态", en: "Every elderly person's identity, categories and status"), available: true, path: "/elders"),
        .init(id: "assessment", number: 2, permission: .assessmentUse, summary: .init(zh: "GB/T 42195-2022 能力评估与复评", en: "GB/T 42195-2022 capability assessment"), available: true, path: "/assessment"),
        .init(id: "benefits", number: 3, permission: .benefitsUse, summary: .init(zh: "高龄津贴、护理补贴、服务补贴与发放", en: "Allowances, subsidies and payment runs"), available: true, path: "/benefits"),
        .init(id: "institutions", number: 4, permission: .institutionsUse, summary: .init(zh: "机构登记、入住退住、新增床位与机构补贴", en: "Institutions, residents in and out, new beds, subsidies to institutions"), available: true, path: "/institutions"),
        .init(id: "services", number: 5, permission: .servicesUse, summary: .init(zh: "服务点、订单、上门核验、助餐与结算", en: "Service points, orders, verified visits, meals, settlement"), available: true, path: "/services"),
        .init(id: "visits", number: 6, permission: .visitsUse, summary: .init(zh: "特殊困难老年人月探访", en: "Monthly visits to the vulnerable"), available: false, path: "/visits"),
        .init(id: "alarms", number: 7, permission: .alarmsUse, summary: .init(zh: "呼叫设备、接警台与处置", en: "Alarm devices, console and response"), available: false, path: "/alarms"),
        .init(id: "timebank", number: 8, permission: .timebankUse, summary: .init(zh: "志愿服务时长存取", en: "Volunteer hours saved and spent"), available: false, path: "/timebank"),
        .init(id: "supervision", number: 9, permission: .supervisionUse, summary: .init(zh: "双随机检查、整改与信用", en: "Random inspections, rectification, credit"), available: false, path: "/supervision"),
        .init(id: "workforce", number: 10, permission: .workforceUse, summary: .init(zh: "护理员、社工、评估员与培训", en: "Caregivers, social workers, assessors, training"), available: false, path: "/workforce"),
        .init(id: "indicators", number: 11, permission: .indicatorsUse, summary: .init(zh: "规划指标、目标与年报", en: "Plan indicators, targets and yearly report"), available: false, path: "/indicators"),
        .init(id: "childcare", number: 12, permission: .childcareUse, summary: .init(zh: "托育机构与托位", en: "Childcare institutions and slots"), available: false, path: "/childcare"),
        .init(id: "portal", number: 13, permission: .portalUse, summary: .init(zh: "关联家人、查看待遇、网上申请补贴", en: "Link family, see benefits, apply online"), available: true, path: "/portal"),
    ]
}

/// The permissions each role starts with. Written to the database on first migration and
/// never read again after that: from then on the table in the database is the truth.
public enum PermissionTable {
    public static let defaults: [Role: Set<Permission>] = {
        let modules: Set<Permission> = [.registryUse, .assessmentUse, .benefitsUse, .institutionsUse, .servicesUse,
                                         .visitsUse, .alarmsUse, .timebankUse, .supervisionUse, .workforceUse,
                                         .indicatorsUse, .childcareUse]
        return [
            .admin: Set(Permission.allCases),
            .bureau: modules.union([.regionsView, .usersView, .auditView, .personalDataUnmask, .registryEdit, .registryImport, .assessmentManage, .benefitsManage,
                                    .servicesManage, .institutionsManage]),
            .township: [.regionsView, .usersView, .registryUse, .registryEdit, .registryImport, .personalDataUnmask, .assessmentUse, .assessmentManage,
                        .benefitsUse, .benefitsManage, .servicesUse, .servicesManage, .visitsUse, .alarmsUse, .indicatorsUse],
            .community: [.regionsView, .registryUse, .registryEdit, .benefitsUse, .servicesUse, .visitsUse, .alarmsUse],
            .assessor: [.regionsView, .assessmentUse, .assessmentPerform],
            .institution: [.institutionsUse, .workforceUse],
            .provider: [.servicesUse, .servicesDispatch, .workforceUse],
            .caregiver: [.servicesUse, .servicesVisit],
            .mealPoint: [.servicesUse, .servicesMeals],
            .volunteer: [.timebankUse],
            .inspector: [.regionsView, .supervisionUse, .institutionsUse],
            .family: [.portalUse],
            .elder: [.portalUse],
        ]
    }()
}
