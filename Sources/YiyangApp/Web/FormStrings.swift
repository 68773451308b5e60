import YiyangDomain

/// The words of the region picker, the assessor's confirmation step and the portal's
/// eligibility lines (issue 12), in their own table so `UIStrings` merges them like a module's.
enum FormStrings {
    static let entries: [String: LocalizedText] = [
        "region_choose": .init(zh: "请选择区划", en: "Choose a region"),
        "as_review_submit": .init(zh: "检查并提交", en: "Check and submit"),
        "as_confirm_title": .init(zh: "确认提交评估", en: "Confirm the assessment"),
        "as_confirm_final": .init(zh: "提交后结果即锁定，不能再修改；如需更正，只能另行发起新的评估。请核对以下答案和等级。",
                                  en: "Once submitted the result is locked and cannot be changed; a correction needs a new assessment. "
                                      + "Check the answers and the level below."),
        "as_confirm_changed": .init(zh: "这份评估的答案在您打开本页后有了改动（可能在另一个窗口中保存过）。请重新核对下面的答案后再确认。",
                                    en: "The answers changed after this page was opened (perhaps saved in another window). "
                                        + "Check them again below before confirming."),
        "as_confirm_level": .init(zh: "按这些答案得出的等级", en: "The level these answers score"),
        "as_confirm_submit": .init(zh: "确认提交（不可更改）", en: "Confirm and submit (final)"),
        "as_confirm_back": .init(zh: "返回修改", en: "Back to edit"),
        "as_confirm_answers": .init(zh: "将要提交的答案", en: "The answers to be submitted"),
        "as_confirm_item": .init(zh: "评估项目", en: "Item"),
        "as_confirm_chosen": .init(zh: "所选情况", en: "Chosen answer"),
        "my_apply_why_not": .init(zh: "暂不能网上申请", en: "No online application for now"),
        "my_self_title": .init(zh: "这是我本人", en: "This is me"),
        "my_self_help": .init(zh: "填写您本人的姓名和身份证号，与老年人档案核对一致后，由社区工作人员确认，之后即可在这里查看您自己的待遇和服务。",
                              en: "Give your own name and ID number. When they match your record in the registry and the community staff "
                                  + "confirm, you see your own benefits and services here."),
        "my_self_submit": .init(zh: "确认是我本人", en: "Yes, this is me"),
        "my_self_name": .init(zh: "您的姓名", en: "Your name"),
        "my_self_id": .init(zh: "您的身份证号", en: "Your ID number"),
        "my_family_other": .init(zh: "为家人办理（关联家人）", en: "For a family member (link to them)"),
    ]

    static let notices: [String: LocalizedText] = [
        "my_self_requested": .init(zh: "已提交。姓名与身份证号核对一致后，社区工作人员会确认是您本人。",
                                   en: "Sent. When the name and ID number match, the community staff confirm it is you."),
    ]
}
