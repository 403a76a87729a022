import Foundation
import ModelFormat
import XCTest
@testable import RunLog

/// The reader: typed records, forward compatibility, the line and field a bad line is
/// blamed on, and telling a last line cut short by a killed run from a damaged one.
final class RunLogReaderTests: XCTestCase {
    func read(_ lines: [String], trailingNewline: Bool = true) throws -> RunLogContents {
        try RunLogReader.decode(Data((lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")).utf8), path: "log.jsonl")
    }

    func error(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> RunLogError? {
        do {
            _ = try read(lines)
            XCTFail("read", file: file, line: line)
        } catch let error as RunLogError {
            return error
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
        return nil
    }

    func testRecordsAndUnknownTypes() throws {
        let contents = try read([
            #"{"type": "config", "settings": {"task": "sst2", "lr": 2e-05, "cols": ["a"]}, "version": 3}"#,
            "",
            #"{"type": "heartbeat", "t": 1}"#,
            #"{"type": "step", "step": 1, "loss": 0.7, "new_field": {"deep": [1, 2]}, "lr": null}"#,
            #"{"type": "eval", "split": "dev", "step": 1, "metrics": {"accuracy": 0.5, "confusion": [[1, 0], [0, 1]]}}"#,
        ])
        XCTAssertEqual(contents.entries.map(\.line), [1, 3, 4, 5])
        guard case .config(let config) = contents.entries[0].record,
              case .unknown("heartbeat") = contents.entries[1].record,
              case .step(let step) = contents.entries[2].record,
              case .eval(let eval) = contents.entries[3].record else { return XCTFail("\(contents.entries)") }
        XCTAssertEqual(config.settings, .object(["task": .string("sst2"), "lr": .number(2e-05), "cols": .array([.string("a")])]))
        XCTAssertEqual(step.loss, 0.7)
        XCTAssertNil(step.lr)
        XCTAssertEqual(eval.metrics?.sorted.map(\.name), ["accuracy"])
        XCTAssertTrue(contents.warnings.isEmpty)
    }

    func testBadLinesNameTheLineAndTheField() {
        XCTAssertEqual(error([#"{"type": "step", "step": 1}"#, #"{"type": "step", "step": 2, "loss": "low"}"#])?.description,
                       "log.jsonl:2: field \"loss\" must be a number")
        XCTAssertEqual(error([#"{"type": "eval", "split": "dev", "metrics": {}}"#]),
                       .missingField(path: "log.jsonl", line: 1, field: "step"))
        XCTAssertEqual(error([#"{"type": "step", "step": null}"#]), .missingField(path: "log.jsonl", line: 1, field: "step"))
        XCTAssertEqual(error([#"{"type": "step", "step": 1.5}"#])?.description, "log.jsonl:1: field \"step\" must be an integer")
        XCTAssertEqual(error([#"{"type": "summary", "steps": 3, "best_step": 2.5}"#]),
                       .invalidField(path: "log.jsonl", line: 1, field: "best_step", expected: "an integer"))
        XCTAssertEqual(error([#"{"type": "quant", "step": 5, "layers": {"a": {"step": 1}, "fc": {"step": 0.5}}}"#]),
                       .invalidField(path: "log.jsonl", line: 1, field: "layers.fc.step", expected: "an integer"))
        XCTAssertEqual(error([#"{"type": "quant", "step": 5, "layers": {"fc": 3}}"#]),
                       .invalidField(path: "log.jsonl", line: 1, field: "layers.fc", expected: "an object"))
        XCTAssertEqual(error([#"[1, 2]"#]), .notARecord(path: "log.jsonl", line: 1, reason: "expected a JSON object"))
        XCTAssertEqual(error([#"{"step": 1}"#]), .notARecord(path: "log.jsonl", line: 1, reason: "no string field \"type\""))
        XCTAssertEqual(error([#"{"type": 7}"#]), .notARecord(path: "log.jsonl", line: 1, reason: "no string field \"type\""))
    }

    func testALastLineCutShortIsSkippedWithAWarning() throws {
        let contents = try read([#"{"type": "step", "step": 1, "loss": 0.7}"#, #"{"type": "step", "step": 2, "lo"#],
                                trailingNewline: false)
        XCTAssertEqual(contents.entries.count, 1)
        XCTAssertEqual(contents.warnings, ["log.jsonl:2: the last line is incomplete (the run was probably stopped "
                                           + "while writing it) and was skipped."])
        // Not the last line: an error.
        XCTAssertEqual(error([#"{"type": "step", "step": 2, "lo"#, #"{"type": "step", "step": 3}"#]),
                       .malformedLine(path: "log.jsonl", line: 1, reason: "not valid JSON"))
        // The last line, but damaged rather than cut short: an error.
        XCTAssertEqual(error([#"{"type": "step", "step": 1}"#, #"{"type": "step", "step": 2}} "#]),
                       .malformedLine(path: "log.jsonl", line: 2, reason: "not valid JSON"))
    }

    /// Cut short: a prefix of a record. Damaged: anything else that is not JSON.
    func testCutShortIsToldFromDamage() {
        for cut in [#"{"type": "step", "step": 12, "lo"#, #"{"type": "step", "step": 1"#, #"{"type": "step", "step": 1."#,
                    #"{"a": tr"#, #"{"a": [1, 2"#, #"{"a": "x\"#, #"{"#, #"{"a""#, #"{"a":"#, #"{"a": "}"#] {
            XCTAssertTrue(LineDiagnosis.isCutShort(Data(cut.utf8)), cut)
        }
        for bad in [#"{"a": 1}}"#, #"{"a" 1}"#, #"{a: 1}"#, #"{"a": 01}"#, #"{"a": tru}"#, #"{"a": 1,}"#, "[1 2]", #""\q""#] {
            XCTAssertFalse(LineDiagnosis.isCutShort(Data(bad.utf8)), bad)
        }
    }

    func testCRLFAndBlankLines() throws {
        let text = "{\"type\": \"step\", \"step\": 1, \"loss\": 0.9}\r\n\r\n  \n{\"type\": \"step\", \"step\": 2}\r\n"
        let contents = try RunLogReader.decode(Data(text.utf8), path: "log.jsonl")
        XCTAssertEqual(contents.entries.map(\.line), [1, 4])
    }

    func testUnreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/log.jsonl")
        XCTAssertThrowsError(try RunLogReader.read(contentsOf: url)) { error in
            guard case .unreadable(let path, _)? = error as? RunLogError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
        }
    }
}
