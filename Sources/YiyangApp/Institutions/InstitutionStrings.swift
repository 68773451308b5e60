import YiyangDomain

/// The words of the institution pages (keys `in_…`), merged into `UIStrings`.
enum InstitutionStrings {
    static let entries: [String: LocalizedText] = [
        "in_title": .init(zh: "养老机构", en: "Care institutions"),
        "in_help": .init(zh: "登记养老机构及其入住、退住老人和新增床位。养老机构运营补贴按月末在院老人的评估等级计算，新增床位建设补贴按验收当月计算，都随月度发放表发放到机构账户。",
                         en: "Register care institutions, their residents in and out, and their new beds. The operating subsidy counts residents at the month's end by assessed level; the construction subsidy counts beds in the month they are accepted; both are paid into the institution's account with the monthly roll."),
        "in_name": .init(zh: "机构名称", en: "Name"),
        "in_credit_code": .init(zh: "统一社会信用代码", en: "Unified social credit code"),
        "in_operator": .init(zh: "举办类型", en: "Operator"),
        "in_operator_public": .init(zh: "公办", en: "Public"),
        "in_operator_private": .init(zh: "民办", en: "Private"),
        "in_operator_public_private": .init(zh: "公建民营", en: "Public, privately run"),
        "in_address": .init(zh: "地址", en: "Address"),
        "in_account": .init(zh: "补贴收款账号", en: "Account for subsidies"),
        "in_region": .init(zh: "所在区划", en: "Region"),
        "in_on_roll": .init(zh: "在院老人", en: "Residents now"),
        "in_new": .init(zh: "登记养老机构", en: "Register an institution"),
        "in_save": .init(zh: "保存", en: "Save"),
        "in_residents": .init(zh: "入住老人", en: "Residents"),
        "in_resident": .init(zh: "老人", en: "Person"),
        "in_admitted": .init(zh: "入住日期", en: "Admitted"),
        "in_discharged": .init(zh: "退住日期", en: "Left"),
        "in_reason": .init(zh: "退住原因", en: "Reason"),
        "in_admit": .init(zh: "办理入住", en: "Admit"),
        "in_id_number": .init(zh: "身份证号", en: "ID number"),
        "in_discharge": .init(zh: "办理退住", en: "Discharge"),
        "in_from_elsewhere": .init(zh: "（外地老人）", en: "(from another region)"),
        "in_beds": .init(zh: "新增床位（按验收）", en: "New beds (as accepted)"),
        "in_bed_kind": .init(zh: "床位类型", en: "Kind"),
        "in_bed_count": .init(zh: "床位数", en: "Beds"),
        "in_accepted": .init(zh: "验收日期", en: "Accepted on"),
        "in_note": .init(zh: "备注", en: "Note"),
        "in_add_beds": .init(zh: "登记新增床位", en: "Record new beds"),
        "in_subsidies": .init(zh: "本月机构补贴测算", en: "Subsidies to this institution this month"),
        "in_subsidies_help": .init(zh: "按现有登记计算；实际金额以月度发放表为准。", en: "From what is on record now; the monthly roll is what pays."),
        "in_counted": .init(zh: "计入", en: "Counted"),
        "in_unit": .init(zh: "单价（元）", en: "Each (yuan)"),
        "in_amount": .init(zh: "金额（元）", en: "Amount (yuan)"),
        "in_no_subsidies": .init(zh: "本地区没有现行的机构补贴政策。", en: "No subsidy to institutions is in force here."),
        "in_accounts": .init(zh: "机构账号", en: "The institution's accounts"),
        "in_accounts_help": .init(zh: "关联后，该账号（角色为“养老机构”）只能查看和办理本机构，看不到其他机构。",
                                  en: "A tied account (role institution) sees and handles this institution and no other."),
        "in_username": .init(zh: "账号", en: "Username"),
        "in_display_name": .init(zh: "姓名", en: "Name"),
        "in_tie": .init(zh: "关联账号", en: "Tie the account"),
        "in_untie": .init(zh: "取消关联", en: "Untie"),
    ]

    static let notices: [String: LocalizedText] = [
        "in_saved": .init(zh: "已保存。", en: "Saved."),
    ]
}
