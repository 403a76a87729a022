import Foundation

/// One data point of a chart.
struct ChartPoint: Equatable {
    var x: Double
    var y: Double
}

/// A small SVG line-chart builder: series of (x, y) points, a title, axis labels with 1-2-5
/// ticks, a legend and optional highlighted points. The SVG is standalone (no scripts, no
/// external fonts) and scales to its container through its viewBox.
struct LineChart {
    /// One line. Non-finite points break the line rather than being drawn.
    struct Series {
        var name: String
        var points: [ChartPoint]
        var color: String
        var lineWidth = 1.6
        var opacity = 1.0
        var dashed = false
        /// Draw a dot at every point (for sparse series such as evaluations).
        var showPoints = false
        var inLegend = true
    }

    /// A highlighted point, e.g. the best evaluation; its label goes in the legend (so it
    /// never covers the lines).
    struct Marker {
        var point: ChartPoint
        var label: String
        var color: String
    }

    /// Sizes for full charts and for small multiples.
    struct Style {
        var fontSize: Double
        var titleSize: Double
        var xTicks: Int
        var yTicks: Int
        var showLegend: Bool

        static let standard = Style(fontSize: 12, titleSize: 14, xTicks: 6, yTicks: 5, showLegend: true)
        static let compact = Style(fontSize: 10, titleSize: 11, xTicks: 3, yTicks: 3, showLegend: false)
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series] = []
    var markers: [Marker] = []
    var width = 560.0
    var height = 300.0
    var style = Style.standard
    /// Fixes the x range (to align small multiples); by default the data's range.
    var xRange: ClosedRange<Double>?
    /// Stretch the y axis to include 0.
    var includeZero = false

    /// Whether any series has a finite point to draw.
    var hasData: Bool { series.contains { $0.points.contains { $0.x.isFinite && $0.y.isFinite } } }

    /// The chart as an `<svg>` element.
    func svg() -> String {
        let fs = style.fontSize
        var out = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\""
            + " width=\"\(n(width))\" height=\"\(n(height))\" role=\"img\""
            + " font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"\(n(fs))\">"
        if !title.isEmpty { out += "<title>\(HTML.escape(title))</title>" }

        let pad = 8.0
        var top = pad
        if !title.isEmpty {
            out += "<text class=\"chart-title\" x=\"\(n(pad))\" y=\"\(n(top + style.titleSize))\""
                + " font-size=\"\(n(style.titleSize))\""
                + " font-weight=\"600\" fill=\"#1f2937\">\(HTML.escape(title))</text>"
            top += style.titleSize + 8
        }

        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
            + markers.map(\.point).filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else {
            out += "<text x=\"\(n(width / 2))\" y=\"\(n((top + height) / 2))\" text-anchor=\"middle\""
                + " fill=\"#9ca3af\">no data</text>"
            return out + "</svg>"
        }

        // Legend rows under the title.
        if style.showLegend {
            let (legend, rows) = legendSVG(x: pad + 4, y: top, maxWidth: width - 2 * pad)
            out += legend
            top += Double(rows) * (fs + 7) + (rows > 0 ? 2 : 0)
        }
        top += fs / 2 + 2  // room for the top tick label

        // Y scale and the left margin its labels need.
        var yMin = finite.map(\.y).min() ?? 0, yMax = finite.map(\.y).max() ?? 1
        if includeZero { yMin = min(yMin, 0); yMax = max(yMax, 0) }

        let bottom = height - pad - (fs + 6) - (xLabel.isEmpty ? 0 : fs + 6)
        let plotHeight = max(10, bottom - top)
        var yTarget = style.yTicks
        while yTarget > 2, plotHeight / Double(yTarget) < fs + 6 { yTarget -= 1 }
        let yScale = LineChart.yScale(min: yMin, max: yMax, targetCount: yTarget)
        let yLabels = NumberFormat.ticks(yScale.ticks, step: yScale.step)
        let yLabelWidth = yLabels.map { textWidth($0) }.max() ?? 0
        let left = pad + (yLabel.isEmpty ? 0 : fs + 6) + yLabelWidth + 6

        // X range: the data's, or the given one; a start close to 0 is pulled to 0.
        var x0 = xRange?.lowerBound ?? (finite.map(\.x).min() ?? 0)
        var x1 = xRange?.upperBound ?? (finite.map(\.x).max() ?? 1)
        if x0 > 0, x0 <= 0.05 * (x1 - x0) { x0 = 0 }
        if x1 <= x0 { x0 -= 1; x1 += 1 }
        var right = width - pad
        var xTarget = style.xTicks
        var xTicks: [Double] = [], xLabels: [String] = []
        while true {
            let scale = NiceScale(min: x0, max: x1, targetCount: xTarget)
            xTicks = scale.ticks.filter { $0 >= x0 - 1e-9 * (x1 - x0) && $0 <= x1 + 1e-9 * (x1 - x0) }
            xLabels = NumberFormat.ticks(xTicks, step: scale.step)
            right = width - max(pad, (xLabels.last.map { textWidth($0) } ?? 0) / 2 + 2)
            let spacing = (right - left) * scale.step / (x1 - x0)
            let widest = xLabels.map { textWidth($0) }.max() ?? 0
            if spacing >= widest + fs || xTarget <= 2 { break }
            xTarget -= 1
        }
        let plotWidth = max(10, right - left)
        let sx = { (x: Double) in left + (x - x0) / (x1 - x0) * plotWidth }
        let sy = { (y: Double) in bottom - (y - yScale.lower) / (yScale.upper - yScale.lower) * plotHeight }

        // Grid, ticks and axes.
        out += "<g class=\"grid\" stroke=\"#e5e7eb\" stroke-width=\"1\">"
        for t in yScale.ticks { out += "<line x1=\"\(n(left))\" x2=\"\(n(right))\" y1=\"\(n(sy(t)))\" y2=\"\(n(sy(t)))\"/>" }
        for t in xTicks { out += "<line x1=\"\(n(sx(t)))\" x2=\"\(n(sx(t)))\" y1=\"\(n(top))\" y2=\"\(n(bottom))\"/>" }
        out += "</g>"
        out += "<g class=\"axes\" stroke=\"#6b7280\" stroke-width=\"1\">"
            + "<line x1=\"\(n(left))\" x2=\"\(n(left))\" y1=\"\(n(top))\" y2=\"\(n(bottom))\"/>"
            + "<line x1=\"\(n(left))\" x2=\"\(n(right))\" y1=\"\(n(bottom))\" y2=\"\(n(bottom))\"/></g>"
        out += "<g class=\"ticks\" fill=\"#4b5563\">"
        for (t, label) in zip(yScale.ticks, yLabels) {
            out += "<text x=\"\(n(left - 5))\" y=\"\(n(sy(t) + fs * 0.35))\" text-anchor=\"end\">\(HTML.escape(label))</text>"
        }
        for (t, label) in zip(xTicks, xLabels) {
            out += "<text x=\"\(n(sx(t)))\" y=\"\(n(bottom + fs + 3))\" text-anchor=\"middle\">\(HTML.escape(label))</text>"
        }
        out += "</g>"
        if !xLabel.isEmpty {
            out += "<text class=\"axis-label\" x=\"\(n(left + plotWidth / 2))\" y=\"\(n(height - pad))\""
                + " text-anchor=\"middle\" fill=\"#374151\">\(HTML.escape(xLabel))</text>"
        }
        if !yLabel.isEmpty {
            let cx = pad + fs * 0.8, cy = top + plotHeight / 2
            out += "<text class=\"axis-label\" x=\"\(n(cx))\" y=\"\(n(cy))\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 \(n(cx)) \(n(cy)))\" fill=\"#374151\">\(HTML.escape(yLabel))</text>"
        }

        // Lines, dots, markers.
        for s in series {
            out += seriesSVG(s, sx: sx, sy: sy)
        }
        for m in markers where m.point.x.isFinite && m.point.y.isFinite {
            let px = sx(m.point.x), py = sy(m.point.y)
            out += "<g class=\"marker\"><circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"6\" fill=\"#fff\" stroke=\"\(m.color)\""
                + " stroke-width=\"2.5\"/><circle cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"2.5\" fill=\"\(m.color)\"/>"
            out += "</g>"
        }
        return out + "</svg>"
    }

    // MARK: Parts

    /// Y ticks with a little headroom, so extreme points do not sit on the frame, unless
    /// the headroom would cost a coarser tick step (then the data may touch the frame).
    /// Non-negative data never gets a negative axis.
    static func yScale(min lo: Double, max hi: Double, targetCount: Int) -> NiceScale {
        let tight = NiceScale(min: lo, max: hi, targetCount: targetCount)
        let margin = (hi - lo) * 0.03
        let padded = NiceScale(min: lo == 0 || (lo >= 0 && lo - margin < 0) ? Swift.max(0, lo - margin) : lo - margin,
                               max: hi == 0 ? hi : hi + margin, targetCount: targetCount)
        return padded.step == tight.step ? padded : tight
    }

    private func seriesSVG(_ s: Series, sx: (Double) -> Double, sy: (Double) -> Double) -> String {
        // Split at non-finite points.
        var segments: [[ChartPoint]] = [[]]
        for p in s.points {
            if p.x.isFinite && p.y.isFinite {
                segments[segments.count - 1].append(p)
            } else if !segments[segments.count - 1].isEmpty {
                segments.append([])
            }
        }
        let attributes = "fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(n(s.lineWidth))\""
            + (s.opacity < 1 ? " stroke-opacity=\"\(n(s.opacity))\"" : "")
            + (s.dashed ? " stroke-dasharray=\"5 3\"" : "")
            + " stroke-linejoin=\"round\" stroke-linecap=\"round\""
        var out = ""
        for segment in segments where !segment.isEmpty {
            let coordinates = segment.map { "\(n(sx($0.x))),\(n(sy($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-series=\"\(HTML.escape(s.name))\" data-points=\"\(segment.count)\""
                + " \(attributes) points=\"\(coordinates)\"/>"
            if s.showPoints || segment.count == 1 {
                for p in segment {
                    out += "<circle class=\"point\" cx=\"\(n(sx(p.x)))\" cy=\"\(n(sy(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>"
                }
            }
        }
        return out
    }

    /// Legend entries laid out left to right, wrapping; returns the SVG and the row count.
    private func legendSVG(x: Double, y: Double, maxWidth: Double) -> (String, Int) {
        let entries = series.filter(\.inLegend)
        let labelled = markers.filter { !$0.label.isEmpty }
        guard !entries.isEmpty || !labelled.isEmpty else { return ("", 0) }
        let fs = style.fontSize
        var out = "<g class=\"legend\">"
        var cx = x, row = 0
        /// The top-left corner's centre line for an entry of width `w`, wrapping when full.
        func place(_ w: Double) -> Double {
            if cx + w > x + maxWidth, cx > x {
                row += 1
                cx = x
            }
            return y + Double(row) * (fs + 7) + fs / 2 + 1
        }
        for s in entries {
            let w = 22 + textWidth(s.name) + 14
            let cy = place(w)
            out += "<line x1=\"\(n(cx))\" x2=\"\(n(cx + 18))\" y1=\"\(n(cy))\" y2=\"\(n(cy))\" stroke=\"\(s.color)\""
                + " stroke-width=\"\(n(max(2, s.lineWidth)))\" stroke-opacity=\"\(n(max(0.6, s.opacity)))\""
                + (s.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>"
            if s.showPoints { out += "<circle cx=\"\(n(cx + 9))\" cy=\"\(n(cy))\" r=\"3\" fill=\"\(s.color)\"/>" }
            out += "<text x=\"\(n(cx + 22))\" y=\"\(n(cy + fs * 0.35))\" fill=\"#374151\">\(HTML.escape(s.name))</text>"
            cx += w
        }
        for m in labelled {
            let w = 22 + textWidth(m.label) * 1.05 + 14  // bold
            let cy = place(w)
            out += "<circle cx=\"\(n(cx + 9))\" cy=\"\(n(cy))\" r=\"5\" fill=\"#fff\" stroke=\"\(m.color)\""
                + " stroke-width=\"2.5\"/>"
                + "<circle cx=\"\(n(cx + 9))\" cy=\"\(n(cy))\" r=\"2\" fill=\"\(m.color)\"/>"
                + "<text x=\"\(n(cx + 22))\" y=\"\(n(cy + fs * 0.35))\" fill=\"#111827\" font-weight=\"600\">"
                + "\(HTML.escape(m.label))</text>"
            cx += w
        }
        return (out + "</g>", row + 1)
    }

    /// An estimate of rendered text width (no font metrics available).
    private func textWidth(_ text: String) -> Double { Double(text.count) * style.fontSize * 0.6 }

    /// A coordinate with at most one decimal.
    private func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        guard r.isFinite, abs(r) < 1e9 else { return "0" }
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
