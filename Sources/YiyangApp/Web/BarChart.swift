import Foundation
import YiyangDomain

/// A value on a chart's axis: where it sits (SVG units) and what it says.
struct ChartTick: Encodable, Equatable {
    var position: Int
    var label: String
}

/// A bar chart of amounts drawn on the server as SVG, at one pixel per unit (never scaled
/// down, so its words keep their size: 14 px, 20 px in elder mode), with a value axis of a
/// few round ticks. Its geometry follows the text size, so elder mode gets wider room for its
/// labels rather than overlapping ones.
struct BarChart: Encodable {
    struct Bar: Encodable {
        var x: Int; var y: Int; var width: Int; var height: Int
        var label: String; var year: String?; var labelX: Int; var value: String
    }
    var width: Int; var height: Int
    var plotLeft: Int; var plotRight: Int; var plotTop: Int; var plotBottom: Int
    var tickLabelX: Int; var labelY: Int; var yearY: Int
    var bars: [Bar]; var ticks: [ChartTick]

    /// The text size the stylesheet gives `svg.chart text` (px), in each mode.
    static func fontPx(elder: Bool) -> Int { elder ? 20 : 14 }

    /// Round steps of 1, 2, 2.5 or 5 times a power of ten, so that about four cover the peak.
    static func step(for peak: Int, ticks: Int = 4) -> Int {
        guard peak > 0 else { return 1 }
        let raw = Double(peak) / Double(ticks)
        let power = pow(10, floor(log10(raw)))
        let nice = [1, 2, 2.5, 5, 10].first { $0 * power >= raw } ?? 10
        return max(1, Int((nice * power).rounded()))
    }

    /// Monthly amounts in fen; the axis is in whole yuan.
    static func months(_ values: [(month: Month, fen: Int)], elder: Bool, locale: UILocale) -> BarChart {
        let font = Double(fontPx(elder: elder))
        let peakYuan = max(1, Int((Double(values.map(\.fen).max() ?? 0) / 100).rounded(.up)))
        let step = Self.step(for: peakYuan)
        let top = ((peakYuan + step - 1) / step) * step
        let tickValues = Array(stride(from: 0, through: top, by: step))
        let tickLabels = tickValues.map(Fen.grouped)
        // Digits and commas are about 0.6 of the text size wide.
        let left = Int(Double(tickLabels.map(\.count).max() ?? 1) * font * 0.62) + 14
        let labels = values.map { locale == .en ? String(format: "%02d", $0.month.month) : "\($0.month.month)月" }
        let slot = max(Int(font * 3.2), Int(Double(labels.map(\.count).max() ?? 2) * font * 0.9) + 12)
        let plotTop = Int(font)
        let plotHeight = elder ? 240 : 180
        let plotBottom = plotTop + plotHeight
        func y(_ yuan: Double) -> Int { plotBottom - Int((yuan / Double(top) * Double(plotHeight)).rounded()) }
        let barWidth = Int(Double(slot) * 0.6)
        let bars = values.enumerated().map { i, v in
            let x = left + i * slot + (slot - barWidth) / 2
            let barTop = y(Double(v.fen) / 100)
            // The year under January and under the first bar, so twelve months across two years read right.
            let year = i == 0 || v.month.month == 1 ? String(v.month.year) : nil
            return Bar(x: x, y: barTop, width: barWidth, height: plotBottom - barTop, label: labels[i], year: year,
                       labelX: x + barWidth / 2, value: Fen.display(v.fen))
        }
        let labelY = plotBottom + Int(font * 1.3)
        let yearY = labelY + Int(font * 1.2)
        return BarChart(width: left + values.count * slot + 8, height: yearY + Int(font * 0.5),
                        plotLeft: left, plotRight: left + values.count * slot, plotTop: plotTop, plotBottom: plotBottom,
                        tickLabelX: left - 6, labelY: labelY, yearY: yearY, bars: bars,
                        ticks: zip(tickValues, tickLabels).map { ChartTick(position: y(Double($0.0)), label: $0.1) })
    }
}
