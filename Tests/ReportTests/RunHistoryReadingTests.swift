import RunLog
import XCTest
@testable import Report

/// Reading log.jsonl: records, forward compatibility, and the errors for broken logs.
final class RunHistoryReadingTests: RunFolderTestCase {
    func testSyntheticRun() throws {
        try SyntheticRun().write(to: folder)
        let log = try RunHistory.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 600)
        XCTAssertEqual(log.steps.first?.step, 1)
        XCTAssertEqual(log.evals(split: "dev").count, 6)
        XCTAssertEqual(log.evals(split: "test").map(\.checkpoint), ["final", "best"])
        XCTAssertEqual(log.quant.count, 13)
        XCTAssertEqual(log.quant.last?.layers.count, 40)
        let embeddings = log.quant.last?.layers["bert.embeddings.word_embeddings"]
        XCTAssertNil(embeddings?.inputThresh)  // embeddings: weight only
        XCTAssertNotNil(embeddings?.weightThresh)
        XCTAssertEqual(log.summary?.mainMetric, "accuracy")
        XCTAssertEqual(log.settings?.count, 12)
        XCTAssertEqual(SettingsTable.flatten(log.settings ?? [:], prefix: "").prefix(3).map(\.key),
                       ["batch_size", "epochs", "learning_rate"])  // sorted, as the trainer writes them
        XCTAssertEqual(log.runFacts.keys.sorted(), ["parameters", "total_steps", "train_examples", "warmup_steps"])
        XCTAssertEqual(log.summary?.testFinal?.values.count, 3)
        XCTAssertTrue(log.warnings.isEmpty)
    }

    func testUnknownTypesAndFieldsAreIgnored() throws {
        try writeLog(lines: [
            #"{"type": "config", "settings": {"task": "sst2"}, "version": 3}"#,
            #"{"type": "heartbeat", "t": 1}"#,
            #"{"type": "step", "step": 1, "loss": 0.7, "new_field": {"deep": [1, 2]}, "lr": null}"#,
            #"{"type": "eval", "split": "dev", "step": 1, "metrics": {"accuracy": 0.5, "confusion": [[1, 0], [0, 1]]}}"#,
        ])
        let log = try RunHistory.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 1)
        XCTAssertNil(log.steps[0].lr)
        XCTAssertEqual(log.evals.first?.metrics?.sorted.map(\.name), ["accuracy"])
        XCTAssertNil(log.summary)
    }

    func testMalformedMiddleLineNamesTheLine() throws {
        try writeLog(lines: [
            #"{"type": "config", "settings": {}}"#,
            #"{"type": "step", "step": 1, "loss": 0.7}"#,
            #"{"type": "step", "step": 2, "loss": 0.6"#,  // cut short, but not the last line
            #"{"type": "step", "step": 3, "loss": 0.5}"#,
        ])
        let error = reportError { _ = try RunReport.render(runDirectory: folder) }
        guard case .badLog(.malformedLine(let path, let line, _))? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(line, 3)
        XCTAssertTrue(path.hasSuffix("log.jsonl"))
        XCTAssertTrue(error?.description.contains("log.jsonl:3:") ?? false, error?.description ?? "")
    }

    func testGarbageLastLineIsAnError() throws {
        try writeLog(lines: [#"{"type": "step", "step": 1, "loss": 0.7}"#, #"{"type": "step", "step": 2}} "#])
        let error = reportError { _ = try RunHistory.read(runDirectory: folder) }
        guard case .badLog(.malformedLine(_, 2, _))? = error else { return XCTFail("\(String(describing: error))") }
    }

    func testTruncatedLastLineIsSkippedWithWarning() throws {
        try writeLog(#"{"type": "step", "step": 1, "loss": 0.7}"# + "\n" + #"{"type": "step", "step": 2, "lo"#)
        let log = try RunHistory.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 1)
        XCTAssertEqual(log.warnings.count, 1)
        XCTAssertTrue(log.warnings[0].contains("log.jsonl:2:"), log.warnings[0])
    }

    func testWrongFieldTypesAndMissingFields() throws {
        try writeLog(lines: [#"{"type": "step", "step": 1}"#, #"{"type": "step", "step": 2, "loss": "low"}"#])
        XCTAssertEqual(reportError { _ = try RunHistory.read(runDirectory: folder) }?.description,
                       folder.appendingPathComponent("log.jsonl").path + ":2: field \"loss\" must be a number")

        try writeLog(lines: [#"{"type": "eval", "split": "dev", "metrics": {}}"#])
        guard case .badLog(.missingField(_, 1, "step"))? = reportError({ _ = try RunHistory.read(runDirectory: folder) }) else {
            return XCTFail("expected missing step")
        }

        try writeLog(lines: [#"{"type": "step", "step": 1.5}"#])
        guard case .badLog(.invalidField(_, 1, "step", _))? = reportError({ _ = try RunHistory.read(runDirectory: folder) }) else {
            return XCTFail("expected a non-integer step to be refused")
        }

        try writeLog(lines: [#"{"type": "quant", "step": 5, "layers": {"fc": 3}}"#])
        guard case .badLog(.invalidField(_, 1, "layers.fc", _))? = reportError({ _ = try RunHistory.read(runDirectory: folder) }) else {
            return XCTFail("expected a bad layer entry to be refused")
        }

        try writeLog(lines: [#"[1, 2]"#])
        guard case .badLog(.notARecord(_, 1, _))? = reportError({ _ = try RunHistory.read(runDirectory: folder) }) else {
            return XCTFail("expected a non-object line to be refused")
        }
    }

    func testEmptyAndMissingLogs() throws {
        for text in ["", "\n\n  \n"] {
            try writeLog(text)
            let error = reportError { _ = try RunReport.render(runDirectory: folder) }
            XCTAssertEqual(error, .emptyLog(path: folder.appendingPathComponent("log.jsonl").path))
            XCTAssertTrue(error?.description.contains("empty") ?? false)
        }
        let elsewhere = folder.appendingPathComponent("nothing-here")
        XCTAssertEqual(reportError { _ = try RunReport.render(runDirectory: elsewhere) },
                       .missingLog(path: elsewhere.appendingPathComponent("log.jsonl").path))
    }

    func testResumedRunKeepsTheLaterStep() throws {
        try writeLog(lines: [
            #"{"type": "step", "step": 1, "loss": 0.9}"#, #"{"type": "step", "step": 2, "loss": 0.8}"#,
            #"{"type": "step", "step": 2, "loss": 0.75}"#, #"{"type": "step", "step": 3, "loss": 0.7}"#,
        ])
        let log = try RunHistory.read(runDirectory: folder)
        XCTAssertEqual(log.steps.map(\.step), [1, 2, 3])
        XCTAssertEqual(log.steps[1].loss, 0.75)
    }

    func testCRLFLines() throws {
        try writeLog("{\"type\": \"step\", \"step\": 1, \"loss\": 0.9}\r\n{\"type\": \"step\", \"step\": 2, \"loss\": 0.8}\r\n")
        XCTAssertEqual(try RunHistory.read(runDirectory: folder).steps.count, 2)
    }
}

/// Logs as the trainer (Sources/Training) writes them: sorted keys, Float noise, NaN as null,
/// and an output folder reused for a second run.
final class TrainerLogTests: RunFolderTestCase {
    static let firstRun = [
        #"{"settings":{"batch_size":32,"epochs":2,"learning_rate":4.9999998736893758e-05,"model":"m","seed":42,"task":"movie","warmup_ratio":0.10000000149011612},"steps_per_epoch":265,"threads":8,"total_steps":530,"type":"config"}"#,
        #"{"elapsed_s":0.8,"epoch":0.004,"grad_norm":5.1,"loss":0.69,"lr":1e-06,"seq_len":41,"seq_per_s":40.2,"step":1,"type":"step"}"#,
        #"{"elapsed_s":1.6,"epoch":0.008,"grad_norm":null,"loss":null,"lr":2e-06,"seq_len":38,"seq_per_s":41.0,"step":2,"type":"step"}"#,
    ]
    static let secondRun = [
        #"{"settings":{"learning_rate":2.9999999242136255e-05,"model":"m","task":"movie"},"threads":8,"type":"config"}"#,
        #"{"elapsed_s":0.8,"epoch":0.004,"grad_norm":4.0,"loss":0.7,"lr":1e-06,"seq_per_s":40.2,"step":1,"type":"step"}"#,
        #"{"examples":1057,"epoch":0.004,"loss":0.6,"main_metric":"accuracy","metrics":{"accuracy":0.61,"f1":0.58},"seconds":2.0,"split":"dev","step":1,"type":"eval"}"#,
        #"{"checkpoint":"final","examples":1054,"loss":0.5,"main_metric":"accuracy","metrics":{"accuracy":0.6},"seconds":2.0,"split":"test","step":1,"type":"eval"}"#,
        #"{"checkpoint":"best","examples":1054,"loss":0.5,"main_metric":"accuracy","metrics":{"accuracy":0.62},"seconds":2.0,"split":"test","step":1,"type":"eval"}"#,
        #"{"best_metric":0.61,"best_step":1,"main_metric":"accuracy","peak_rss_mb":950.5,"steps":1,"test":{"accuracy":0.62},"test_final":{"accuracy":0.6},"train_seconds":0.9,"train_seq_per_s":35.5,"type":"summary"}"#,
    ]

    func testFloatSettingsAreShownCleanlyAndNullsAreGaps() throws {
        try writeLog(lines: Self.firstRun)
        let html = try RunReport.render(runDirectory: folder)
        XCTAssertTrue(html.contains("<td><code>learning_rate</code></td><td>5e-5</td>"))
        XCTAssertTrue(html.contains("<td><code>warmup_ratio</code></td><td>0.1</td>"))
        XCTAssertTrue(html.contains("<td><code>total_steps</code></td><td>530</td>"))  // config extras
        let loss = try XCTUnwrap(html.chart(titled: "Training loss"))
        XCTAssertEqual(loss.polylinePoints(series: "train loss (raw)"), [1])
    }

    func testReusedFolderReportsTheLastRun() throws {
        try writeLog(lines: Self.firstRun + Self.secondRun)
        let log = try RunHistory.read(runDirectory: folder)
        XCTAssertEqual(log.steps.map(\.loss), [0.7])
        XCTAssertEqual(log.setting("learning_rate").flatMap(Double.init) ?? 0, 3e-5, accuracy: 1e-12)
        XCTAssertEqual(log.warnings.count, 1)
        XCTAssertTrue(log.warnings[0].contains("holds 2 runs") && log.warnings[0].contains("from line 4"), log.warnings[0])

        let html = try RunReport.render(runDirectory: folder)
        XCTAssertTrue(html.contains("<div class=\"tile-label\">test accuracy</div><div class=\"tile-value\">0.62</div>"
                                    + "<div class=\"tile-detail\">best dev checkpoint · final 0.6</div>"))
        XCTAssertTrue(html.contains("median of 1 step · overall 35.5"))
        XCTAssertTrue(html.contains("best ckpt</span>"))
        XCTAssertFalse(html.contains("no summary record"))
    }
}
