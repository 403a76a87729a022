import XCTest
@testable import Report

/// Reading log.jsonl: records, forward compatibility, and the errors for broken logs.
final class RunLogReaderTests: RunFolderTestCase {
    func testSyntheticRun() throws {
        try SyntheticRun().write(to: folder)
        let log = try RunLogReader.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 600)
        XCTAssertEqual(log.steps.first?.step, 1)
        XCTAssertEqual(log.evals(split: "dev").count, 6)
        XCTAssertEqual(log.evals(split: "test").count, 1)
        XCTAssertEqual(log.quant.count, 13)
        XCTAssertEqual(log.quant.last?.layers.count, 40)
        XCTAssertNil(log.quant.last?.layers.first?.thresholds.input)  // embeddings: weight only
        XCTAssertEqual(log.summary?.mainMetric, "accuracy")
        XCTAssertEqual(log.settings?.members.prefix(3).map(\.key), ["model", "task", "batch_size"])
        XCTAssertTrue(log.warnings.isEmpty)
    }

    func testUnknownTypesAndFieldsAreIgnored() throws {
        try writeLog(lines: [
            #"{"type": "config", "settings": {"task": "sst2"}, "version": 3}"#,
            #"{"type": "heartbeat", "t": 1}"#,
            #"{"type": "step", "step": 1, "loss": 0.7, "new_field": {"deep": [1, 2]}, "lr": null}"#,
            #"{"type": "eval", "split": "dev", "step": 1, "metrics": {"accuracy": 0.5, "confusion": [[1, 0], [0, 1]]}}"#,
        ])
        let log = try RunLogReader.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 1)
        XCTAssertNil(log.steps[0].lr)
        XCTAssertEqual(log.evals.first?.metrics.map(\.name), ["accuracy"])
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
        guard case .malformedLine(let path, let line, _, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(line, 3)
        XCTAssertTrue(path.hasSuffix("log.jsonl"))
        XCTAssertTrue(error?.description.contains("log.jsonl:3:") ?? false, error?.description ?? "")
    }

    func testGarbageLastLineIsAnError() throws {
        try writeLog(lines: [#"{"type": "step", "step": 1, "loss": 0.7}"#, #"{"type": "step", "step": 2}} "#])
        let error = reportError { _ = try RunLogReader.read(runDirectory: folder) }
        guard case .malformedLine(_, 2, _, _)? = error else { return XCTFail("\(String(describing: error))") }
    }

    func testTruncatedLastLineIsSkippedWithWarning() throws {
        try writeLog(#"{"type": "step", "step": 1, "loss": 0.7}"# + "\n" + #"{"type": "step", "step": 2, "lo"#)
        let log = try RunLogReader.read(runDirectory: folder)
        XCTAssertEqual(log.steps.count, 1)
        XCTAssertEqual(log.warnings.count, 1)
        XCTAssertTrue(log.warnings[0].contains("log.jsonl:2:"), log.warnings[0])
    }

    func testWrongFieldTypesAndMissingFields() throws {
        try writeLog(lines: [#"{"type": "step", "step": 1}"#, #"{"type": "step", "step": 2, "loss": "low"}"#])
        XCTAssertEqual(reportError { _ = try RunLogReader.read(runDirectory: folder) }?.description,
                       folder.appendingPathComponent("log.jsonl").path + ":2: field \"loss\" must be a number")

        try writeLog(lines: [#"{"type": "eval", "split": "dev", "metrics": {}}"#])
        guard case .missingField(_, 1, "step")? = reportError({ _ = try RunLogReader.read(runDirectory: folder) }) else {
            return XCTFail("expected missing step")
        }

        try writeLog(lines: [#"{"type": "step", "step": 1.5}"#])
        guard case .invalidField(_, 1, "step", _)? = reportError({ _ = try RunLogReader.read(runDirectory: folder) }) else {
            return XCTFail("expected a non-integer step to be refused")
        }

        try writeLog(lines: [#"{"type": "quant", "step": 5, "layers": {"fc": 3}}"#])
        guard case .invalidField(_, 1, "layers.fc", _)? = reportError({ _ = try RunLogReader.read(runDirectory: folder) }) else {
            return XCTFail("expected a bad layer entry to be refused")
        }

        try writeLog(lines: [#"[1, 2]"#])
        guard case .notARecord(_, 1, _)? = reportError({ _ = try RunLogReader.read(runDirectory: folder) }) else {
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
        let log = try RunLogReader.read(runDirectory: folder)
        XCTAssertEqual(log.steps.map(\.step), [1, 2, 3])
        XCTAssertEqual(log.steps[1].loss, 0.75)
    }

    func testCRLFLines() throws {
        try writeLog("{\"type\": \"step\", \"step\": 1, \"loss\": 0.9}\r\n{\"type\": \"step\", \"step\": 2, \"loss\": 0.8}\r\n")
        XCTAssertEqual(try RunLogReader.read(runDirectory: folder).steps.count, 2)
    }
}
