import Foundation

extension AssessmentInstruments {
    /// GB/T 42195-2022《老年人能力评估规范》: the 26 items of appendix B, the level bands of C.3
    /// and the level changes of C.4 (facts: `shared/domain/standards.md` §1 of the project notes).
    ///
    /// * 4 dimensions, 8 + 4 + 9 + 5 items, maxima 32 / 15 / 28 / 15, total 90. Higher is better.
    /// * Option wording from the appendix B transcription named in standards.md §1.2; every option
    ///   is listed best first.
    /// * B.1.7 option 3: the sources disagree on the frequency ("每天<1次" vs "每周<1次"); we use
    ///   "每周<1次", the only reading that fits below option 2 ("每天<1次，但每周>1次"). Check
    ///   against the official text.
    /// * Coma: the B.3.9 note in one transcription says "直接评定为重度失能" (left over from
    ///   MZ/T 039-2013), while C.4 item 1 says 能力完全丧失（完全失能）. We follow C.4:
    ///   `comaLevel` is 4.
    /// * C.4 does not say whether rules 2 (F00–F99) and 3 (≥ 2 risk events) stack; `.each` is
    ///   the shipped setting, `.once` the alternative a deployment may choose. The level never
    ///   goes past 4.
    public static let gbt42195_2022 = AssessmentInstrument(
        id: "gbt42195-2022",
        version: "2022",
        name: "GB/T 42195-2022 老年人能力评估规范",
        source: "GB/T 42195-2022《老年人能力评估规范》附录B 老年人能力评估表（B.1–B.4）；"
            + "附录C 能力等级评定（C.3 初步等级、C.4 能力等级变更依据、C.5 最终等级）",
        dimensions: [
            AssessmentDimension("B.1", name: "自理能力", maxScore: 32),
            AssessmentDimension("B.2", name: "基础运动能力", maxScore: 15),
            AssessmentDimension("B.3", name: "精神状态", maxScore: 28),
            AssessmentDimension("B.4", name: "感知觉与社会参与", maxScore: 15),
        ],
        items: gbtSelfCareItems + gbtMotorItems + gbtMentalItems + gbtPerceptionItems,
        levels: [
            AssessmentLevel(0, zh: "能力完好", en: "Intact"),
            AssessmentLevel(1, zh: "能力轻度受损（轻度失能）", en: "Mildly impaired (mild disability)"),
            AssessmentLevel(2, zh: "能力中度受损（中度失能）", en: "Moderately impaired (moderate disability)"),
            AssessmentLevel(3, zh: "能力重度受损（重度失能）", en: "Severely impaired (severe disability)"),
            AssessmentLevel(4, zh: "能力完全丧失（完全失能）", en: "Completely lost (complete disability)"),
        ],
        method: .totalBands([
            ScoreBand(level: 0, min: 90, max: 90),
            ScoreBand(level: 1, min: 66, max: 89),
            ScoreBand(level: 2, min: 46, max: 65),
            ScoreBand(level: 3, min: 30, max: 45),
            ScoreBand(level: 4, min: 0, max: 29),
        ]),
        adjustments: LevelAdjustmentPolicy(comaLevel: 4, diagnosisFrom: "F00", diagnosisTo: "F99", riskEventThreshold: 2, stacking: .each),
        provisional: false
    )

    /// The standard 5-level assistance scale of appendix B (B.1.2–B.1.5, B.1.8, B.2.1, B.2.2).
    private static let gbtAssistanceScale: [AssessmentOption] = [
        AssessmentOption(4, "独立完成，不需要协助"),
        AssessmentOption(3, "在他人指导或提示下完成"),
        AssessmentOption(2, "需要他人协助，但以自身完成为主"),
        AssessmentOption(1, "主要依靠他人协助，自身能给予配合"),
        AssessmentOption(0, "完全依赖他人协助，且不能给予配合"),
    ]

    /// B.1 自理能力 (8 items, 32 points).
    private static let gbtSelfCareItems: [AssessmentItem] = [
        AssessmentItem("B.1.1", dimension: "B.1", name: "进食", definition: "使用适当的器具将食物送入口中并咽下", options: [
            AssessmentOption(4, "独立使用器具将食物送进口中并咽下，没有呛咳"),
            AssessmentOption(3, "在他人指导或提示下完成，或独立使用辅具，没有呛咳"),
            AssessmentOption(2, "进食中至少需要少量接触式协助，偶尔（每月一次及以上）呛咳"),
            AssessmentOption(1, "在进食中需要大量接触式协助，经常（每周一次及以上）呛咳"),
            AssessmentOption(0, "完全依赖他人协助进食，或吞咽困难，或留置营养管"),
        ]),
        AssessmentItem("B.1.2", dimension: "B.1", name: "修饰", definition: "指洗脸、刷牙、梳头、刮脸、剪指（趾）甲等",
                       options: gbtAssistanceScale),
        AssessmentItem("B.1.3", dimension: "B.1", name: "洗澡", definition: "清洗和擦干身体", options: gbtAssistanceScale),
        AssessmentItem("B.1.4", dimension: "B.1", name: "穿/脱上衣", definition: "指穿/脱上身衣服、系扣、拉拉链等",
                       options: gbtAssistanceScale),
        AssessmentItem("B.1.5", dimension: "B.1", name: "穿/脱裤子和鞋袜", definition: "指穿/脱裤子、鞋袜等", options: gbtAssistanceScale),
        AssessmentItem("B.1.6", dimension: "B.1", name: "小便控制", definition: "控制和排出尿液的能力", options: [
            AssessmentOption(4, "可自行控制排尿，排尿次数、排尿控制均正常"),
            AssessmentOption(3, "白天可自行控制排尿次数，夜间出现排尿次数增多、排尿控制较差，或自行使用尿布、尿垫等辅助用物"),
            AssessmentOption(2, "白天大部分时间可自行控制排尿，偶出现（每天<1次，但每周>1次）尿失禁，夜间控制排尿较差，或他人少量协助使用尿布、尿垫等辅助用物"),
            AssessmentOption(1, "白天大部分时间不能控制排尿（每天≥1次，但尚非完全失控），夜间出现尿失禁，或他人大量协助使用尿布、尿垫等辅助用物"),
            AssessmentOption(0, "小便失禁，完全不能控制排尿，或留置导尿管"),
        ]),
        AssessmentItem("B.1.7", dimension: "B.1", name: "大便控制", definition: "控制和排出粪便的能力", options: [
            AssessmentOption(4, "可正常自行控制大便排出"),
            AssessmentOption(3, "有时出现（每周<1次）便秘或大便失禁，或自行使用开塞露、尿垫等辅助用物"),
            AssessmentOption(2, "经常出现（每天<1次，但每周>1次）便秘或大便失禁，或他人少量协助使用开塞露、尿垫等辅助用物"),
            AssessmentOption(1, "大部分时间均出现（每天≥1次）便秘或大便失禁，但尚非完全失控，或他人大量协助使用开塞露、尿垫等辅助用物"),
            AssessmentOption(0, "严重便秘或者完全大便失禁，需要依赖他人协助排便或清洁皮肤"),
        ]),
        AssessmentItem("B.1.8", dimension: "B.1", name: "如厕",
                       definition: "上厕所排泄大小便，并清洁身体（评估中强调排泄前解开裤子、完成排泄后清洁身体、穿上裤子）",
                       options: gbtAssistanceScale),
    ]

    /// B.2 基础运动能力 (4 items, 15 points).
    private static let gbtMotorItems: [AssessmentItem] = [
        AssessmentItem("B.2.1", dimension: "B.2", name: "床上体位转移", definition: "卧床翻身及坐起躺下", options: gbtAssistanceScale),
        AssessmentItem("B.2.2", dimension: "B.2", name: "床椅转移", definition: "从坐位到站位，再从站位到坐位的转换过程",
                       options: gbtAssistanceScale),
        AssessmentItem("B.2.3", dimension: "B.2", name: "平地行走",
                       definition: "双脚交互的方式在地面行动，总是一只脚在前（包括他人辅助和使用辅具的步行）", options: [
            AssessmentOption(4, "独立平地行走50 m左右，不需要协助，无摔倒风险"),
            AssessmentOption(3, "能平地行走50 m左右，存在跌倒风险，需要他人监护或指导，或使用拐杖、助行器等辅助工具"),
            AssessmentOption(2, "在步行时需要他人少量扶持协助"),
            AssessmentOption(1, "在步行时需要他人大量扶持协助"),
            AssessmentOption(0, "完全不能步行"),
        ]),
        AssessmentItem("B.2.4", dimension: "B.2", name: "上下楼梯", definition: "双脚交替完成楼梯台阶连续的上下移动", options: [
            AssessmentOption(3, "可独立上下楼梯（连续上下10个~15个台阶），不需要协助"),
            AssessmentOption(2, "在他人指导或提示下完成"),
            AssessmentOption(1, "需要他人协助，但以自身完成为主"),
            AssessmentOption(0, "主要依靠他人协助，自身能给予配合；或者完全依赖他人协助，且不能给予配合"),
        ]),
    ]

    /// B.3 精神状态 (9 items, 28 points).
    private static let gbtMentalItems: [AssessmentItem] = [
        AssessmentItem("B.3.1", dimension: "B.3", name: "时间定向", definition: "知道并确认时间的能力", options: [
            AssessmentOption(4, "时间观念（年、月）清楚，日期（或星期几）可相差一天"),
            AssessmentOption(3, "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）"),
            AssessmentOption(2, "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节"),
            AssessmentOption(1, "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间"),
            AssessmentOption(0, "无时间观念"),
        ]),
        AssessmentItem("B.3.2", dimension: "B.3", name: "空间定向", definition: "知道并确认空间的能力", options: [
            AssessmentOption(4, "能在日常生活范围内单独外出，如在日常居住小区内独自外出购物等"),
            AssessmentOption(3, "不能单独外出，但能准确知道自己日常生活所在地的地址信息"),
            AssessmentOption(2, "不能单独外出，但知道较多有关自己日常生活的地址信息"),
            AssessmentOption(1, "不能单独外出，但知道较少自己居住或生活所在地的地址信息"),
            AssessmentOption(0, "不能单独外出，无空间观念"),
        ]),
        AssessmentItem("B.3.3", dimension: "B.3", name: "人物定向", definition: "知道并确认人物的能力", options: [
            AssessmentOption(4, "认识长期共同一起生活的人，能称呼并知道关系"),
            AssessmentOption(3, "能认识大部分共同生活居住的人，能称呼或知道关系"),
            AssessmentOption(2, "能认识部分日常同住的亲人或照护者等，能称呼或知道关系等"),
            AssessmentOption(1, "只认识自己或极少数日常同住的亲人或照护者等"),
            AssessmentOption(0, "不认识任何人（包括自己）"),
        ]),
        AssessmentItem("B.3.4", dimension: "B.3", name: "记忆", definition: "短时、近期和远期记忆能力", options: [
            AssessmentOption(4, "总能保持与社会、年龄所适应的记忆能力，能完整的回忆"),
            AssessmentOption(3, "出现轻度的记忆紊乱或回忆不能（不能回忆即时信息，3个词语经过5分钟后仅能回忆0~1个）"),
            AssessmentOption(2, "出现中度的记忆紊乱或回忆不能（不能回忆近期记忆，不记得上一顿饭吃了什么）"),
            AssessmentOption(1, "出现重度记忆紊乱或回忆不能（不能回忆远期记忆，不记得自己老朋友）"),
            AssessmentOption(0, "记忆完全紊乱或者完全不能对既往事物进行正确的回忆"),
        ]),
        AssessmentItem("B.3.5", dimension: "B.3", name: "理解能力",
                       definition: "理解语言信息和非语言信息的能力（可借助平时使用的助听设备等），即理解别人的话", options: [
            AssessmentOption(4, "能正常理解他人的话"),
            AssessmentOption(3, "能理解他人的话，但需要增加时间"),
            AssessmentOption(2, "理解有困难，需要频繁重复或简化口头表达"),
            AssessmentOption(1, "理解有严重困难，需要大量他人帮助"),
            AssessmentOption(0, "完全不能理解他人的话"),
        ]),
        AssessmentItem("B.3.6", dimension: "B.3", name: "表达能力",
                       definition: "表达信息能力，包括口头的和非口头的，即表达自己的想法", options: [
            AssessmentOption(4, "能正常表达自己的想法"),
            AssessmentOption(3, "能表达自己的需要，但需要增加时间"),
            AssessmentOption(2, "表达需要有困难，需频繁重复或简化口头表达"),
            AssessmentOption(1, "表达有严重困难，需要大量他人帮助"),
            AssessmentOption(0, "完全不能表达需要"),
        ]),
        AssessmentItem("B.3.7", dimension: "B.3", name: "攻击行为",
                       definition: "身体攻击行为（如打/踢/推/咬/抓/摔东西）和语言攻击行为（如骂人、语言威胁、尖叫）", options: [
            AssessmentOption(1, "未出现"),
            AssessmentOption(0, "近一个月内出现过攻击行为"),
        ]),
        AssessmentItem("B.3.8", dimension: "B.3", name: "抑郁症状",
                       definition: "存在情绪低落、兴趣减退、活力减退等症状，甚至出现妄想、幻觉、自杀念头或自杀行为（注：长期的负性情绪）", options: [
            AssessmentOption(1, "未出现"),
            AssessmentOption(0, "近一个月内出现过负性情绪"),
        ]),
        AssessmentItem("B.3.9", dimension: "B.3", name: "意识水平",
                       definition: "机体对自身和周围环境的刺激做出应答反应的能力程度，包括清醒和持续的觉醒状态（处于昏迷状态者按C.4直接评定为能力完全丧失）", options: [
            AssessmentOption(2, "神志清醒，对周围环境能做出正确反应"),
            AssessmentOption(1, "嗜睡，表现为睡眠状态过度延长，当呼唤或推动老年人的肢体时可唤醒，并能进行正确的交谈或执行指令，停止刺激后又继续入睡；"
                + "或意识模糊，注意力涣散，对外界刺激不能清晰的认识，空间和时间定向力障碍，理解力迟钝，记忆力模糊和不连贯"),
            AssessmentOption(0, "昏睡，一般的外界刺激不能使其觉醒，给予较强烈的刺激时可有短时的意识清醒，醒后可简短回答提问，当刺激减弱后又很快进入睡眠状态；"
                + "或者昏迷：意识丧失，随意运动丧失，对一般刺激全无反应"),
        ]),
    ]

    /// B.4 感知觉与社会参与 (5 items, 15 points).
    private static let gbtPerceptionItems: [AssessmentItem] = [
        AssessmentItem("B.4.1", dimension: "B.4", name: "视力",
                       definition: "感受存在的光线并感受物体的大小、形状的能力，在个体的最好矫正视力下进行评估", options: [
            AssessmentOption(2, "视力正常"),
            AssessmentOption(1, "能看清楚大字体，但看不清书报上的标准字体；视力有限，看不清楚报纸大标题，但能辨认物体"),
            AssessmentOption(0, "只能看到光、颜色和形状；完全失明"),
        ]),
        AssessmentItem("B.4.2", dimension: "B.4", name: "听力",
                       definition: "能辨别声音的方位、音调、音量和音质的有关能力（可借助平时使用的助听设备等）", options: [
            AssessmentOption(2, "听力正常"),
            AssessmentOption(1, "在轻声说话或说话距离超过两米时听不清；正常交流有些困难，需要在安静的环境或大声说话才能听到"),
            AssessmentOption(0, "讲话者大声说话或说话很慢，才能部分听见；完全失聪"),
        ]),
        AssessmentItem("B.4.3", dimension: "B.4", name: "执行日常事务",
                       definition: "计划、安排并完成日常事务，包括但不限于洗衣服、小金额购物、服药管理", options: [
            AssessmentOption(4, "能完全独立计划、安排和完成日常事务，无需协助"),
            AssessmentOption(3, "在计划、安排和完成日常事务时需要他人监护或指导"),
            AssessmentOption(2, "在计划、安排和完成日常事务时需要少量协助"),
            AssessmentOption(1, "在计划、安排和完成日常事务时需要大量协助"),
            AssessmentOption(0, "完全依赖他人进行日常事务"),
        ]),
        AssessmentItem("B.4.4", dimension: "B.4", name: "使用交通工具外出", definition: "使用交通工具外出的能力", options: [
            AssessmentOption(3, "能自己骑车或搭乘公共交通工具外出"),
            AssessmentOption(2, "能自己搭乘出租车，但不会搭乘其他交通工具外出"),
            AssessmentOption(1, "当有人协助或陪伴，可搭乘公共交通工具外出"),
            AssessmentOption(0, "只能在他人协助下搭乘出租车或私家车外出；完全不能出门，或者外出完全需要协助"),
        ]),
        AssessmentItem("B.4.5", dimension: "B.4", name: "社会交往能力", definition: "参与社会、适应社会环境并与他人交往的能力", options: [
            AssessmentOption(4, "参与社会，在社会环境有一定的适应能力，待人接物恰当"),
            AssessmentOption(3, "能适应单纯环境，主动接触他人，初次见面时难让人发现智力问题，不能理解隐喻语"),
            AssessmentOption(2, "脱离社会，可被动接触，不会主动待人，谈话中很多不适词句，容易上当受骗"),
            AssessmentOption(1, "勉强可与他人接触，谈吐内容不清楚，表情不恰当"),
            AssessmentOption(0, "不能与人交往"),
        ]),
    ]
}
