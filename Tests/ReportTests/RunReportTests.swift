import Foundation
import XCTest
@testable import Report

/// The rendered page: charts with the right series and points, best point, settings,
/// escaping, the quantization section, incomplete runs and the atomic write.
final class RunReportTests: RunFolderTestCase {
    func testSyntheticRunCharts() throws {
        try SyntheticRun().write(to: folder)
        let html = try RunReport.render(runDirectory: folder)

        // Five training charts and one small chart per layer with activation thresholds (38 of 40).
        XCTAssertEqual(html.occurrences(of: "<svg class=\"chart\""), 5 + 38)
        let loss = try XCTUnwrap(html.chart(titled: "Training loss"))
        XCTAssertEqual(loss.polylinePoints(series: "train loss (raw)"), [600])
        XCTAssertEqual(loss.polylinePoints(series: "train loss (EMA)"), [600])
        XCTAssertEqual(loss.polylinePoints(series: "dev loss"), [6])
        XCTAssertEqual(loss.occurrences(of: "<polyline"), 3)
        for (title, series) in [("Learning rate", "learning rate"), ("Gradient norm", "grad norm (raw)"),
                                ("Throughput", "seq/s (raw)")] {
            XCTAssertEqual(try XCTUnwrap(html.chart(titled: title)).polylinePoints(series: series), [600], title)
        }
        let dev = try XCTUnwrap(html.chart(titled: "Dev metrics"))
        XCTAssertEqual(dev.occurrences(of: "<polyline"), 3)
        for metric in ["accuracy", "f1", "mcc"] { XCTAssertEqual(dev.polylinePoints(series: metric), [6], metric) }

        // The best dev point, marked on the chart and in the summary.
        let log = try RunHistory.read(runDirectory: folder)
        let best = try XCTUnwrap(log.evals(split: "dev").max { $0.metric("accuracy")! < $1.metric("accuracy")! })
        let bestText = NumberFormat.value(best.metric("accuracy")!)
        XCTAssertEqual(dev.occurrences(of: "class=\"marker\""), 1)
        XCTAssertTrue(dev.contains("best accuracy \(bestText) @ step \(best.step)"))
        XCTAssertTrue(html.contains("best dev accuracy</div><div class=\"tile-value\">\(bestText)</div>"))
        XCTAssertTrue(html.contains("<div class=\"tile-label\">test accuracy</div>"))
        XCTAssertTrue(html.contains("<div class=\"tile-value\">1.38 GB</div>"))

        // Settings, nested ones flattened.
        XCTAssertTrue(html.contains("<td><code>batch_size</code></td><td>32</td>"))
        XCTAssertTrue(html.contains("<td><code>learning_rate</code></td><td>5e-05</td>"))
        XCTAssertTrue(html.contains("<td><code>optimizer.weight_decay</code></td><td>0.01</td>"))
        XCTAssertTrue(html.contains("<td><code>optimizer.betas</code></td><td>[0.9, 0.999]</td>"))
        XCTAssertTrue(html.contains("<h1>movie · assets/models/minilm-l6-h384"))

        // Quantization: grid of 6 x 6 plus the 4 others, and the weight table.
        XCTAssertTrue(html.contains("id=\"quant\""))
        XCTAssertEqual(html.occurrences(of: "<div class=\"qrow\">"), 6)
        XCTAssertEqual(html.occurrences(of: "<figcaption"), 4)
        XCTAssertTrue(html.contains("Final weight thresholds (step 600)"))
        XCTAssertFalse(html.contains("class=\"warning\""))
    }

    func testTextIsEscaped() throws {
        var run = SyntheticRun(steps: 20, evalEvery: 10, quantEvery: 10)
        run.settings.append(("note", #""<script>alert(\"x\")</script> & more""#))
        run.settings.append(("<b>key</b>", "1"))
        run.settings[1] = ("task", #""a<b>&'c""#)
        try run.write(to: folder)
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more"))
        XCTAssertTrue(html.contains("<code>&lt;b&gt;key&lt;/b&gt;</code>"))
        XCTAssertTrue(html.contains("<h1>a&lt;b&gt;&amp;&#39;c"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<b>"))
    }

    func testPageIsSelfContained() throws {
        try SyntheticRun(steps: 50, evalEvery: 25, quantEvery: 25).write(to: folder)
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("<link"))
        XCTAssertFalse(html.contains("src="))
        let urls = html.components(separatedBy: "http").count - 1
        XCTAssertEqual(urls, html.occurrences(of: "xmlns=\"http://www.w3.org/2000/svg\""))
    }

    func testQuantSectionOnlyForQuantRuns() throws {
        try SyntheticRun(steps: 40, evalEvery: 20, quantized: false).write(to: folder)
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertFalse(html.contains("id=\"quant\""))
        XCTAssertFalse(html.contains("Quantization thresholds"))
        XCTAssertEqual(html.occurrences(of: "<svg class=\"chart\""), 5)
    }

    func testCrashedRunRendersWithWarnings() throws {
        var lines = SyntheticRun(steps: 120, evalEvery: 50, quantEvery: 50, finished: false).lines()
        lines.append(#"{"type": "step", "step": 121, "epoch": 0.6, "lo"#)  // killed mid-write
        try writeLog(lines.joined(separator: "\n"))
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertTrue(html.contains("class=\"warning\""))
        XCTAssertTrue(html.contains("log.jsonl:\(lines.count): the last line is incomplete"))
        XCTAssertTrue(html.contains("no summary record"))
        XCTAssertTrue(html.contains("badge status\">incomplete"))
        XCTAssertEqual(try XCTUnwrap(html.chart(titled: "Training loss")).polylinePoints(series: "train loss (raw)"), [120])
        XCTAssertTrue(html.contains("not evaluated yet"))
    }

    func testConfigOnlyLogRenders() throws {
        try writeLog(lines: [#"{"type": "config", "settings": {"task": "sst2", "model": "bert-base"}}"#])
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertTrue(html.contains("no training steps yet"))
        XCTAssertEqual(html.occurrences(of: "<svg"), 0)
        XCTAssertTrue(html.contains("<td><code>task</code></td><td>sst2</td>"))
    }

    func testLongRunsAreDecimated() throws {
        try SyntheticRun(steps: 5000, evalEvery: 1000, quantized: false).write(to: folder)
        let html = try RunReport.render(runDirectory: folder)
        let loss = try XCTUnwrap(html.chart(titled: "Training loss"))
        let raw = try XCTUnwrap(loss.polylinePoints(series: "train loss (raw)").first)
        XCTAssertLessThanOrEqual(raw, TrainingCharts.maxRawPoints)
        XCTAssertGreaterThan(raw, TrainingCharts.maxRawPoints / 2)
    }

    func testWriteIsAtomicAndReplaces() throws {
        try SyntheticRun(steps: 30, evalEvery: 10, quantEvery: 10).write(to: folder)
        let output = folder.appendingPathComponent("report.html")
        try "old".write(to: output, atomically: false, encoding: .utf8)
        try RunReport.write(runDirectory: folder, to: output)
        let written = try String(contentsOf: output, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix("<!DOCTYPE html>"))
        XCTAssertEqual(written, try RunReport.render(runDirectory: folder))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [])

        let nowhere = folder.appendingPathComponent("missing/dir/report.html")
        guard case .writeFailed(let path, _)? = reportError({ try RunReport.write(runDirectory: folder, to: nowhere) }) else {
            return XCTFail("expected writeFailed")
        }
        XCTAssertEqual(path, nowhere.path)
    }
}
