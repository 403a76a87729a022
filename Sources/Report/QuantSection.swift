import RunLog

/// The quantization section of a QAT run: a grid of small charts of each layer's input and
/// output thresholds over steps, and a table of the final weight thresholds.
enum QuantSection {
    static let inputColor = Palette.color(0)
    static let outputColor = Palette.color(1)

    /// The section's HTML, or nil when the log has no quant records.
    static func html(_ log: RunHistory) -> String? {
        guard let last = log.quant.last else { return nil }
        var names: [String] = []
        var seen = Set<String>()
        for snapshot in log.quant {
            for layer in snapshot.sortedLayers where seen.insert(layer.name).inserted { names.append(layer.name) }
        }
        let layout = QuantLayout(names: names)
        let steps = log.quant.map { Double($0.step) }
        let xRange = (steps.min() ?? 0)...(steps.max() ?? 1)
        let final = last.layers

        var out = "<section class=\"card\" id=\"quant\"><h2>Quantization thresholds</h2>\n"
        out += "<p class=\"note\">\(names.count) quantized layers, \(log.quant.count) snapshot"
            + "\(log.quant.count == 1 ? "" : "s") (steps \(steps.first.map { Int($0) } ?? 0)–\(last.step)). "
            + "Each small chart shows one layer's activation thresholds over steps; y axes differ per chart."
            + (layout.rows.isEmpty ? "" : " Rows are the blocks <code>\(HTML.escape(layout.prefix)).N</code>,"
                + " columns the layers within a block.")
            + "</p>\n"
        out += "<div class=\"legend-html\">"
            + "<span><i style=\"background:\(inputColor)\"></i>input threshold</span>"
            + "<span><i style=\"background:\(outputColor)\"></i>output threshold</span></div>\n"

        if !layout.rows.isEmpty {
            out += "<div class=\"quant-grid\""
                + " style=\"grid-template-columns: 4.5em repeat(\(layout.columns.count), minmax(0, 1fr))\">"
            out += "<div class=\"qhead\"></div>"
            out += layout.columns.map { "<div class=\"qhead\">\(HTML.escape($0))</div>" }.joined()
            for row in layout.rows {
                out += "<div class=\"qrow\">\(HTML.escape(lastComponent(layout.prefix))) \(row.index)</div>"
                for cell in row.cells {
                    let chart = cell.map { cellHTML(log, layer: $0, xRange: xRange, final: final[$0]) } ?? ""
                    out += "<div class=\"qcell\">\(chart)</div>"
                }
            }
            out += "</div>\n"
        }
        if !layout.others.isEmpty {
            out += "<div class=\"quant-others\">"
            for name in layout.others {
                out += "<figure><figcaption title=\"\(HTML.escape(name))\">\(HTML.escape(name))</figcaption>"
                    + cellHTML(log, layer: name, xRange: xRange, final: final[name]) + "</figure>"
            }
            out += "</div>\n"
        }
        out += "<h3>Final weight thresholds (step \(last.step))</h3>\n" + weightTables(layout, final: final)
        return out + "</section>\n"
    }

    /// One layer's small chart, or a note when it has no activation thresholds.
    static func cellHTML(_ log: RunHistory, layer: String, xRange: ClosedRange<Double>,
                         final: QuantRecord.LayerThresholds?) -> String {
        var input: [ChartPoint] = [], output: [ChartPoint] = []
        for snapshot in log.quant {
            guard let t = snapshot.layers[layer] else { continue }
            if let v = t.inputThresh { input.append(ChartPoint(x: Double(snapshot.step), y: v)) }
            if let v = t.outputThresh { output.append(ChartPoint(x: Double(snapshot.step), y: v)) }
        }
        var chart = LineChart(title: "", xLabel: "", yLabel: "")
        chart.width = 176
        chart.height = 112
        chart.style = .compact
        chart.xRange = xRange
        if !input.isEmpty { chart.series.append(.init(name: "input", points: input, color: inputColor, lineWidth: 1.5)) }
        if !output.isEmpty { chart.series.append(.init(name: "output", points: output, color: outputColor, lineWidth: 1.5)) }
        guard chart.hasData else {
            let weight = final?.weightThresh.map { "weight threshold \(NumberFormat.value($0))" } ?? "no thresholds"
            return "<div class=\"qempty\">no activation thresholds<br>\(weight)</div>"
        }
        return chart.svg()
    }

    /// The final weight thresholds: a matrix for the grid's layers, a list for the others.
    static func weightTables(_ layout: QuantLayout, final: [String: QuantRecord.LayerThresholds]) -> String {
        func text(_ name: String?) -> String {
            guard let name, let w = final[name]?.weightThresh else { return "–" }
            return NumberFormat.value(w)
        }
        var out = ""
        if !layout.rows.isEmpty {
            let header = [HTML.escape(layout.prefix) + ".N."] + layout.columns.map(HTML.escape)
            let rows = layout.rows.map { row in
                ["\(HTML.escape(lastComponent(layout.prefix))) \(row.index)"] + row.cells.map { text($0) }
            }
            out += HTML.table(header: header, rows: rows, cssClass: "numbers weights")
        }
        if !layout.others.isEmpty {
            let rows = layout.others.map { [HTML.escape($0), text($0)] }
            out += HTML.table(header: ["layer", "weight threshold"], rows: rows, cssClass: "numbers weights")
        }
        return out
    }

    private static func lastComponent(_ prefix: String) -> String {
        prefix.split(separator: ".").last.map(String.init) ?? prefix
    }
}
