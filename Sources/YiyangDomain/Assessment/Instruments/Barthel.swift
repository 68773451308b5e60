import Foundation

extension AssessmentInstruments {
    /// The Barthel Index of activities of daily living (Mahoney & Barthel 1965): 10 items,
    /// 0–100 in steps of 5, higher is better. Option wording follows the Chinese MZ/T 039-2013
    /// table B.1 (standards.md §3.1).
    ///
    /// The level bands are a setting, not part of the index: there is no single official
    /// banding (standards.md §3.2). We ship the MZ/T 039 ADL grading — 100 能力完好, 65–95
    /// 轻度受损, 45–60 中度受损, ≤40 重度受损 — written as contiguous bands (100 / 65…99 /
    /// 45…64 / 0…44) so that every integer from 0 to 100 has a band while every reachable total
    /// (a multiple of 5) keeps the documented cut points. No level changes apply.
    public static let barthel = AssessmentInstrument(
        id: "barthel",
        version: "1965",
        name: "Barthel 指数（日常生活活动能力）",
        source: "Mahoney FI, Barthel DW. Functional evaluation: the Barthel Index. Md State Med J 1965;14:61-65；"
            + "中文条目与分级参照 MZ/T 039-2013《老年人能力评估》表B.1 日常生活活动评估",
        dimensions: [
            AssessmentDimension("ADL", name: "日常生活活动", maxScore: 100),
        ],
        items: [
            AssessmentItem("BI.1", dimension: "ADL", name: "进食", definition: "指用餐具将食物由容器送到口中、咀嚼、吞咽等过程", options: [
                AssessmentOption(10, "可独立进食（在合理的时间内独立进食准备好的食物）"),
                AssessmentOption(5, "需部分帮助（进食过程中需要一定帮助，如协助把持餐具）"),
                AssessmentOption(0, "需极大帮助或完全依赖他人，或有留置营养管"),
            ]),
            AssessmentItem("BI.2", dimension: "ADL", name: "洗澡", definition: "清洗和擦干身体", options: [
                AssessmentOption(5, "准备好洗澡水后，可自己独立完成洗澡过程"),
                AssessmentOption(0, "在洗澡过程中需他人帮助"),
            ]),
            AssessmentItem("BI.3", dimension: "ADL", name: "修饰", definition: "指洗脸、刷牙、梳头、刮脸等", options: [
                AssessmentOption(5, "可自己独立完成"),
                AssessmentOption(0, "需他人帮助"),
            ]),
            AssessmentItem("BI.4", dimension: "ADL", name: "穿衣", definition: "指穿脱衣服、系扣、拉拉链、穿脱鞋袜、系鞋带", options: [
                AssessmentOption(10, "可独立完成"),
                AssessmentOption(5, "需部分帮助（能自己穿脱，但需他人帮助整理衣物、系扣/鞋带、拉拉链）"),
                AssessmentOption(0, "需极大帮助或完全依赖他人"),
            ]),
            AssessmentItem("BI.5", dimension: "ADL", name: "大便控制", definition: "控制和排出粪便的能力", options: [
                AssessmentOption(10, "可控制大便"),
                AssessmentOption(5, "偶尔失控（每周<1次），或需要他人提示"),
                AssessmentOption(0, "完全失控"),
            ]),
            AssessmentItem("BI.6", dimension: "ADL", name: "小便控制", definition: "控制和排出尿液的能力", options: [
                AssessmentOption(10, "可控制小便"),
                AssessmentOption(5, "偶尔失控（每天<1次，但每周>1次），或需要他人提示"),
                AssessmentOption(0, "完全失控，或留置导尿管"),
            ]),
            AssessmentItem("BI.7", dimension: "ADL", name: "如厕", definition: "包括去厕所、解开衣裤、擦净、整理衣裤、冲水", options: [
                AssessmentOption(10, "可独立完成"),
                AssessmentOption(5, "需部分帮助（需他人搀扶去厕所、需他人帮忙冲水或整理衣裤等）"),
                AssessmentOption(0, "需极大帮助或完全依赖他人"),
            ]),
            AssessmentItem("BI.8", dimension: "ADL", name: "床椅转移", definition: "从床到椅子、再从椅子回到床上的转移过程", options: [
                AssessmentOption(15, "可独立完成"),
                AssessmentOption(10, "需部分帮助（需他人搀扶或使用拐杖）"),
                AssessmentOption(5, "需极大帮助（较大程度上依赖他人搀扶和帮助）"),
                AssessmentOption(0, "完全依赖他人"),
            ]),
            AssessmentItem("BI.9", dimension: "ADL", name: "平地行走", definition: "在平地上行走45 m的能力（含使用轮椅独立移动）", options: [
                AssessmentOption(15, "可独立在平地上行走45 m"),
                AssessmentOption(10, "需部分帮助（因肢体残疾、平衡能力差、过度衰弱、视力等问题，在一定程度上需他人搀扶或使用拐杖、助行器等辅助用具）"),
                AssessmentOption(5, "需极大帮助（因肢体残疾、平衡能力差、过度衰弱、视力等问题，在较大程度上依赖他人搀扶，或坐在轮椅上自行移动）"),
                AssessmentOption(0, "完全依赖他人"),
            ]),
            AssessmentItem("BI.10", dimension: "ADL", name: "上下楼梯", definition: "双脚交替完成楼梯台阶连续的上下移动", options: [
                AssessmentOption(10, "可独立上下楼梯（连续上下10~15个台阶）"),
                AssessmentOption(5, "需部分帮助（需他人搀扶，或扶着楼梯、使用拐杖等）"),
                AssessmentOption(0, "需极大帮助或完全依赖他人"),
            ]),
        ],
        levels: [
            AssessmentLevel(0, zh: "能力完好", en: "Independent"),
            AssessmentLevel(1, zh: "轻度受损", en: "Mildly impaired"),
            AssessmentLevel(2, zh: "中度受损", en: "Moderately impaired"),
            AssessmentLevel(3, zh: "重度受损", en: "Severely impaired"),
        ],
        method: .totalBands([
            ScoreBand(level: 0, min: 100, max: 100),
            ScoreBand(level: 1, min: 65, max: 99),
            ScoreBand(level: 2, min: 45, max: 64),
            ScoreBand(level: 3, min: 0, max: 44),
        ]),
        adjustments: .none,
        provisional: false
    )
}
