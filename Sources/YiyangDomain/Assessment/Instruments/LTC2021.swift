import Foundation

extension AssessmentInstruments {
    /// 《长期护理失能等级评估标准（试行）》(国家医保局办公室、民政部办公厅, 2021-08-03):
    /// 3 一级指标, 17 二级指标 — C1 日常生活活动能力 (10 items, 0–100), C2 认知能力 (4 × 0–4),
    /// C3 感知觉与沟通能力 (3 × 0–4); higher is better. Items, points and option wording follow
    /// the 附件1 评估表 transcriptions named in standards.md §2.2.
    ///
    /// ⚠️ PROVISIONAL — NOT FROM THE OFFICIAL TEXT. The grade bands of C1, C2 and C3 and the
    /// 组合法 matrix below could not be found in any source (standards.md §2.3: "UNVERIFIED,
    /// NOT FOUND"). The C1 bands reuse the MZ/T 039 ADL cut points (100 / 65–95 / 45–60 / ≤40);
    /// the C2 and C3 bands and every matrix cell are an editable policy of ours. They must be
    /// confirmed against the official document by the local medical-insurance bureau before any
    /// result is used; until then `provisional` is true and every result says so.
    public static let ltc2021 = AssessmentInstrument(
        id: "ltc-2021",
        version: "2021",
        name: "长期护理失能等级评估标准（试行）",
        source: "国家医保局办公室、民政部办公厅《长期护理失能等级评估标准（试行）》（2021年8月3日印发）附件1 长期护理失能等级评估表"
            + "（C1 日常生活活动能力、C2 认知能力、C3 感知觉与沟通能力）；一级指标分级区间与组合矩阵为暂定设置，未经官方文本核对",
        dimensions: [
            AssessmentDimension("C1", name: "日常生活活动能力", maxScore: 100),
            AssessmentDimension("C2", name: "认知能力", maxScore: 16),
            AssessmentDimension("C3", name: "感知觉与沟通能力", maxScore: 12),
        ],
        items: ltcADLItems + ltcCognitionItems + ltcPerceptionItems,
        levels: [
            AssessmentLevel(0, zh: "基本正常", en: "Basically normal"),
            AssessmentLevel(1, zh: "轻度失能", en: "Mild disability"),
            AssessmentLevel(2, zh: "中度失能", en: "Moderate disability"),
            AssessmentLevel(3, zh: "重度失能Ⅰ级", en: "Severe disability, grade I"),
            AssessmentLevel(4, zh: "重度失能Ⅱ级", en: "Severe disability, grade II"),
            AssessmentLevel(5, zh: "重度失能Ⅲ级", en: "Severe disability, grade III"),
        ],
        // PROVISIONAL (standards.md §2.3): bands and matrix are not from the official text.
        method: .combination(CombinationTable(
            dimensionBands: [
                "C1": [
                    ScoreBand(level: 0, min: 100, max: 100),
                    ScoreBand(level: 1, min: 65, max: 99),
                    ScoreBand(level: 2, min: 45, max: 64),
                    ScoreBand(level: 3, min: 0, max: 44),
                ],
                "C2": [
                    ScoreBand(level: 0, min: 16, max: 16),
                    ScoreBand(level: 1, min: 12, max: 15),
                    ScoreBand(level: 2, min: 8, max: 11),
                    ScoreBand(level: 3, min: 0, max: 7),
                ],
                "C3": [
                    ScoreBand(level: 0, min: 12, max: 12),
                    ScoreBand(level: 1, min: 9, max: 11),
                    ScoreBand(level: 2, min: 6, max: 8),
                    ScoreBand(level: 3, min: 0, max: 5),
                ],
            ],
            gradeNames: [
                AssessmentLevel(0, zh: "能力完好", en: "Intact"),
                AssessmentLevel(1, zh: "轻度受损", en: "Mildly impaired"),
                AssessmentLevel(2, zh: "中度受损", en: "Moderately impaired"),
                AssessmentLevel(3, zh: "重度受损", en: "Severely impaired"),
            ],
            rowDimension: "C1",
            columnDimensions: ["C2", "C3"],
            // Rows: C1 grade 0…3; columns: the worse of the C2 and C3 grades, 0…3.
            matrix: [
                [0, 1, 1, 2],
                [1, 1, 2, 3],
                [2, 2, 3, 4],
                [3, 4, 5, 5],
            ]
        )),
        adjustments: .none,
        provisional: true
    )

    /// C1 日常生活活动能力 (10 items, 100 points), in the order of the 评估表.
    private static let ltcADLItems: [AssessmentItem] = [
        AssessmentItem("C1.1", dimension: "C1", name: "进食", definition: "用适合的餐具将食物由容器送到口中、咀嚼、吞咽等过程", options: [
            AssessmentOption(10, "自理（在合理时间内能独立使用餐具进食各种食物，可使用辅助工具独立完成进食，但不包括做饭）"),
            AssessmentOption(5, "需部分帮助（夹菜、盛饭）"),
            AssessmentOption(0, "较大或完全依赖，或有留置营养管"),
        ]),
        AssessmentItem("C1.2", dimension: "C1", name: "穿衣", definition: "穿脱衣服、系扣、拉拉链、穿脱鞋袜、系鞋带等，包括假肢或矫形器", options: [
            AssessmentOption(10, "自理（自己系开纽扣，关开拉链和穿鞋、袜、假肢或矫形器等）"),
            AssessmentOption(5, "需要部分帮助（能自己穿脱衣服或假肢或矫形器，但需要他人帮助整理衣物，系扣/鞋带、拉拉链等）"),
            AssessmentOption(0, "依赖他人"),
        ]),
        AssessmentItem("C1.3", dimension: "C1", name: "面部与口腔清洁", definition: "洗脸、梳头、刷牙、剃须等", options: [
            AssessmentOption(5, "独立洗脸、梳头、刷牙、剃须（不包括准备洗脸水、梳子、牙刷等准备工作）"),
            AssessmentOption(0, "需要帮助"),
        ]),
        AssessmentItem("C1.4", dimension: "C1", name: "大便控制", definition: "控制和排出粪便的能力", options: [
            AssessmentOption(10, "能控制"),
            AssessmentOption(5, "偶有失禁（每周<1次），或需要他人提示，或便秘需要人工帮助取便"),
            AssessmentOption(0, "失禁（平均每周≥1次或完全不能控制大便排泄，需要完全依赖他人）"),
        ]),
        AssessmentItem("C1.5", dimension: "C1", name: "小便控制", definition: "控制和排出尿液的能力", options: [
            AssessmentOption(10, "能控制（或留置导尿管，可自行管理导尿管）"),
            AssessmentOption(5, "偶有失禁（每24 h<1次，但每周>1次），或需要他人提示"),
            AssessmentOption(0, "失禁（平均每天≥1次或经常尿失禁，完全需要他人帮忙完成排尿行为；或留置导尿管，但无法自行管理导尿管）"),
        ]),
        AssessmentItem("C1.6", dimension: "C1", name: "用厕", definition: "去厕所、解开衣裤、使用厕纸、整理衣裤、冲水等过程", options: [
            AssessmentOption(10, "自理（能够使用厕纸、穿脱裤子等）"),
            AssessmentOption(5, "需部分帮助（需他人帮忙整理衣裤、坐上/蹲上便器等）"),
            AssessmentOption(0, "需要极大地帮助或完全依赖他人"),
        ]),
        AssessmentItem("C1.7", dimension: "C1", name: "平地行走", definition: "在家及附近等日常生活活动范围内于平地上移动的能力", options: [
            AssessmentOption(15, "独立步行（自行使用辅助工具，在家及附近等日常生活活动范围内独立步行）"),
            AssessmentOption(10, "需少量帮助（需1人搀扶或需他人在旁提示或在他人帮助下使用辅助工具）"),
            AssessmentOption(5, "在较大程度上依赖他人搀扶（≥2人）或依赖他人帮助使用轮椅等辅助工具才能移动"),
            AssessmentOption(0, "卧床不起、不能步行、移动需要完全帮助"),
        ]),
        AssessmentItem("C1.8", dimension: "C1", name: "床椅转移", definition: "从床到椅子、再从椅子回到床上的转移过程", options: [
            AssessmentOption(15, "自理"),
            AssessmentOption(10, "需少量帮助（1人搀扶或使用拐杖等辅助工具或扶着墙、周围设施，转移时需他人在旁监护、提示）"),
            AssessmentOption(5, "需大量帮助（至少2人，身体帮助），能坐"),
            AssessmentOption(0, "完全依赖他人，不能坐"),
        ]),
        AssessmentItem("C1.9", dimension: "C1", name: "上下楼", definition: "双脚交替完成楼梯台阶连续的上下移动", options: [
            AssessmentOption(10, "独立上下楼（可借助电梯等，如果使用支具，需可独自完成穿、脱动作）"),
            AssessmentOption(5, "需要部分帮助（需扶着楼梯、他人搀扶、使用拐杖或需他人在旁提示）"),
            AssessmentOption(0, "不能，或需极大帮助或完全依赖他人"),
        ]),
        AssessmentItem("C1.10", dimension: "C1", name: "洗澡", definition: "清洗和擦干身体", options: [
            AssessmentOption(5, "准备好洗澡水后，可自己独立完成"),
            AssessmentOption(0, "洗澡过程中需他人帮助"),
        ]),
    ]

    /// C2 认知能力 (4 items, 16 points).
    private static let ltcCognitionItems: [AssessmentItem] = [
        AssessmentItem("C2.1", dimension: "C2", name: "时间定向", definition: "知道并确认时间的能力", options: [
            AssessmentOption(4, "时间观念（年、月）清楚，日期（或星期几）可相差一天"),
            AssessmentOption(3, "时间观念有些下降，年、月、日（或星期几）不能全部分清（相差两天或以上）"),
            AssessmentOption(2, "时间观念较差，年、月、日不清楚，可知上半年或下半年或季节"),
            AssessmentOption(1, "时间观念很差，年、月、日不清楚，可知上午、下午或白天、夜间"),
            AssessmentOption(0, "无时间观念"),
        ]),
        AssessmentItem("C2.2", dimension: "C2", name: "人物定向", definition: "知道并确认人物的能力", options: [
            AssessmentOption(4, "认识长期共同一起生活的人，能称呼并知道关系"),
            AssessmentOption(3, "能认识大部分共同生活居住的人，能称呼或知道关系"),
            AssessmentOption(2, "能认识一半日常同住的亲人或照护者等，能称呼或知道关系等"),
            AssessmentOption(1, "只认识自己或极少数日常同住的亲人或照护者等"),
            AssessmentOption(0, "不认识任何人（包括自己）"),
        ]),
        AssessmentItem("C2.3", dimension: "C2", name: "空间定向", definition: "知道并确认空间的能力", options: [
            AssessmentOption(4, "能在日常生活范围内单独外出，如在日常居住小区内独自外出购物等"),
            AssessmentOption(3, "不能单独外出，但能准确知道自己日常生活所在地的地址"),
            AssessmentOption(2, "不能单独外出，但知道较多有关自己日常生活的地址"),
            AssessmentOption(1, "不能单独外出，少量知道自己居住或生活所在地的地址"),
            AssessmentOption(0, "不能单独外出，无空间观念"),
        ]),
        AssessmentItem("C2.4", dimension: "C2", name: "记忆力", definition: "短时、近期和远期记忆能力（即时回忆3个词语并回忆既往事物）", options: [
            AssessmentOption(4, "能够完整回忆既往事物，记住3个词语"),
            AssessmentOption(3, "能回忆大部分既往事物，记住2个词语"),
            AssessmentOption(2, "能回忆大部分既往事物，记住1个词语"),
            AssessmentOption(1, "对既往事物能有少部分正确的回忆，没有近期记忆"),
            AssessmentOption(0, "完全不能回忆即时信息，并且完全不能对既往事物进行正确的回忆"),
        ]),
    ]

    /// C3 感知觉与沟通能力 (3 items, 12 points).
    private static let ltcPerceptionItems: [AssessmentItem] = [
        AssessmentItem("C3.1", dimension: "C3", name: "视力", definition: "感受光线、物体大小和形状的能力，在个体的最好矫正视力下进行评估", options: [
            AssessmentOption(4, "与日常生活能力相关的视力（如阅读书报、看电视等）基本正常"),
            AssessmentOption(3, "能看清楚大字体，但看不清书报上的标准字体，辨别小物体有一定困难"),
            AssessmentOption(2, "视力有限，看不清报纸大标题，但能辨认较大的物体"),
            AssessmentOption(1, "只能看到光、颜色和形状（大致轮廓），眼睛可随物体移动"),
            AssessmentOption(0, "完全失明"),
        ]),
        AssessmentItem("C3.2", dimension: "C3", name: "听力", definition: "辨别声音的能力（可借助平时使用的助听设备等）", options: [
            AssessmentOption(4, "与日常生活习惯相关的听力基本正常（如能听到门铃、电视、电话等声音）"),
            AssessmentOption(3, "在轻声说话或说话距离超过2 m时听不清"),
            AssessmentOption(2, "正常交流有些困难，需在安静的环境大声说话才能听到"),
            AssessmentOption(1, "讲话者大声说话或说话很慢，才能部分听见"),
            AssessmentOption(0, "完全失聪"),
        ]),
        AssessmentItem("C3.3", dimension: "C3", name: "沟通能力", definition: "理解他人的话并表达自己的需要的能力，包括口头的和非口头的", options: [
            AssessmentOption(4, "无困难，能与他人正常沟通和交流"),
            AssessmentOption(3, "能够表达自己的需要或理解他人的话，但需要增加时间或给予帮助"),
            AssessmentOption(2, "勉强可与他人交流，谈吐内容不清楚，需频繁重复或简化口头表达"),
            AssessmentOption(1, "不能完全理解他人的话，只能以简单的单词或手势表达大概意愿"),
            AssessmentOption(0, "完全不能理解他人的言语，也无法表达"),
        ]),
    ]
}
