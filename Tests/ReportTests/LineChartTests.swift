import XCTest
@testable import Report

/// The chart builder and the helpers behind the charts.
final class LineChartTests: XCTestCase {
    func testSeriesBecomePolylines() {
        var chart = LineChart(title: "T <1>", xLabel: "step", yLabel: "loss")
        chart.series = [
            .init(name: "a", points: (0..<10).map { ChartPoint(x: Double($0), y: Double($0 * $0)) }, color: "#000"),
            .init(name: "b", points: [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: .nan), ChartPoint(x: 2, y: 3),
                                      ChartPoint(x: 3, y: 4)], color: "#111", showPoints: true),
        ]
        chart.markers = [.init(point: ChartPoint(x: 9, y: 81), label: "best", color: "#f00")]
        let svg = chart.svg()
        XCTAssertEqual(svg.polylinePoints(series: "a"), [10])
        XCTAssertEqual(svg.polylinePoints(series: "b"), [1, 2])  // broken at the NaN
        XCTAssertEqual(svg.occurrences(of: "class=\"point\""), 3)
        XCTAssertEqual(svg.occurrences(of: "class=\"marker\""), 1)
        XCTAssertTrue(svg.contains("<title>T &lt;1&gt;</title>"))
        XCTAssertTrue(svg.contains(">step</text>") && svg.contains(">loss</text>"))
        let legend = svg.components(separatedBy: "<g class=\"legend\">")[1].components(separatedBy: "</g>")[0]
        XCTAssertEqual(legend.occurrences(of: "<text"), 3)  // two series and the marker's label
        XCTAssertTrue(legend.contains(">best</text>"))
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))
    }

    func testTickLabelsAreOnTheAxes() {
        var chart = LineChart(title: "x", xLabel: "", yLabel: "")
        chart.series = [.init(name: "s", points: [ChartPoint(x: 0, y: 0), ChartPoint(x: 600, y: 0.93)], color: "#000")]
        let ticks = chart.svg().components(separatedBy: "<g class=\"ticks\"")[1]
        for label in ["0.2", "0.4", "0.8", "1.0", "100", "300", "600"] {
            XCTAssertTrue(ticks.contains(">\(label)</text>"), label)
        }
    }

    func testEmptyChartSaysSo() {
        let chart = LineChart(title: "empty", xLabel: "", yLabel: "",
                              series: [.init(name: "s", points: [ChartPoint(x: 1, y: .nan)], color: "#000")])
        XCTAssertFalse(chart.hasData)
        XCTAssertTrue(chart.svg().contains(">no data</text>"))
    }

    func testSmoothing() {
        let flat = (0..<50).map { ChartPoint(x: Double($0), y: 2) }
        for p in Smoothing.ema(flat, weight: 0.9) { XCTAssertEqual(p.y, 2, accuracy: 1e-12) }  // bias-corrected
        let noisy = (0..<10_000).map { ChartPoint(x: Double($0), y: $0 == 5_000 ? 100 : Double($0 % 7)) }
        let thin = Smoothing.decimate(noisy, maxPoints: 1000)
        XCTAssertLessThanOrEqual(thin.count, 1000)
        XCTAssertEqual(thin.map(\.y).max(), 100)  // the spike survives
        XCTAssertEqual(thin.map(\.x), thin.map(\.x).sorted())
        XCTAssertEqual(Smoothing.median([3, 1, .nan, 2]), 2)
        XCTAssertEqual(Smoothing.median([4, 1, 3, 2]), 2.5)
        XCTAssertNil(Smoothing.median([]))
    }

    func testQuantLayout() {
        let layout = QuantLayout(names: SyntheticRun.layerNames)
        XCTAssertEqual(layout.prefix, "bert.encoder.layer")
        XCTAssertEqual(layout.columns.first, "attention.self.query")
        XCTAssertEqual(layout.columns.count, 6)
        XCTAssertEqual(layout.rows.map(\.index), Array(0..<6))
        XCTAssertEqual(layout.rows[2].cells[1], "bert.encoder.layer.2.attention.self.key")
        XCTAssertEqual(layout.others, ["bert.embeddings.word_embeddings", "bert.embeddings.position_embeddings",
                                       "bert.pooler.dense", "classifier"])
        // Sorted names (as the trainer writes them): blocks by number, columns in forward order.
        let sorted = QuantLayout(names: (SyntheticRun.layerNames + ["bert.encoder.layer.10.output.dense", "bert.encoder.layer.6.extra"]).sorted())
        XCTAssertEqual(sorted.columns, QuantLayout.bertBlockOrder + ["extra"])
        XCTAssertEqual(sorted.rows.map(\.index), [0, 1, 2, 3, 4, 5, 6, 10])
        XCTAssertEqual(sorted.rows.last?.cells.compactMap { $0 }, ["bert.encoder.layer.10.output.dense"])
        let flat = QuantLayout(names: ["fc1", "fc2"])
        XCTAssertTrue(flat.rows.isEmpty)
        XCTAssertEqual(flat.others, ["fc1", "fc2"])
    }

    func testLowerIsBetterByName() {
        XCTAssertTrue(RunFacts.lowerIsBetter("eval_loss"))
        XCTAssertTrue(RunFacts.lowerIsBetter("mse"))
        XCTAssertFalse(RunFacts.lowerIsBetter("answer_f1"))
        XCTAssertFalse(RunFacts.lowerIsBetter("accuracy"))
    }
}
