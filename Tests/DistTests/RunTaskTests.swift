import Foundation
import ModelFormat
import XCTest
@testable import BERT

/// A model folder records the task it was trained on (task.json), and `q8train eval` and
/// `q8train predict` use it: a generic-TSV model evaluates with no task options, predict reads
/// the trained text column by name, and a file whose header lacks it is refused, not guessed.
final class RunTaskTests: XCTestCase {
    /// The tiny workspace's task as a generic TSV task: columns `stars` (label first) and `review`.
    func makeTSVTask(_ dir: URL) throws -> URL {
        let movie = dir.appendingPathComponent("data"), tsv = dir.appendingPathComponent("reviews")
        try FileManager.default.createDirectory(at: tsv, withIntermediateDirectories: true)
        for split in ["train", "dev", "test"] {
            let lines = try String(contentsOf: movie.appendingPathComponent("\(split).tsv"), encoding: .utf8)
                .split(separator: "\n").dropFirst()
            let rows = lines.map { line -> String in
                let f = line.split(separator: "\t")
                return "\(f[1] == "1" ? "pos" : "neg")\t\(f[0])"
            }
            try (["stars\treview"] + rows).joined(separator: "\n").appending("\n")
                .write(to: tsv.appendingPathComponent("\(split).tsv"), atomically: true, encoding: .utf8)
        }
        return tsv
    }

    func q8train(_ arguments: [String], expectFailure: Bool = false) throws -> HarnessRunner.Result {
        let result = try HarnessRunner.run(ranks: nil, arguments, executable: "q8train", timeout: 300)
        if expectFailure { XCTAssertNotEqual(result.status, 0, result.transcript) } else { XCTAssertEqual(result.status, 0, result.transcript) }
        return result
    }

    func testGenericTSVModelEvaluatesAndPredictsWithItsRecordedTask() throws {
        let dir = try makeWorkspace(trainExamples: 200)
        let data = try makeTSVTask(dir)
        let run = dir.appendingPathComponent("run")
        _ = try q8train(["train", "--model", dir.appendingPathComponent("model").path, "--task", "tsv",
                         "--data-dir", data.path, "--text-columns", "review", "--label-column", "stars",
                         "--label-names", "neg,pos", "--output-dir", run.path, "--max-seq-length", "16",
                         "--batch-size", "16", "--learning-rate", "1e-3", "--epochs", "1", "--max-steps", "6",
                         "--eval-every", "3", "--threads", "1", "--quantize", "q8bert"])

        // Every model folder records the task.
        let expected = TaskDefinition(name: "tsv", textColumns: ["review"], labelColumn: "stars", labelNames: ["neg", "pos"],
                                      regression: false, maxSeqLength: 16)
        for folder in ["best", "final", "int8"] {
            XCTAssertEqual(try TaskDefinition.load(folder: run.appendingPathComponent(folder)), expected, folder)
        }

        // eval with no task options: the recorded task, its columns, labels and length; the
        // same test accuracy the run reported for its best checkpoint.
        let eval = try q8train(["eval", "--model", run.appendingPathComponent("best").path, "--data-dir", data.path,
                                "--json", "--threads", "1"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.output.utf8)) as? [String: Any], eval.transcript)
        XCTAssertEqual(object["task"] as? String, "tsv")
        let accuracy = try XCTUnwrap((object["metrics"] as? [String: Double])?["accuracy"])
        let log = try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let summary = try XCTUnwrap(log.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .last { $0["type"] as? String == "summary" })
        XCTAssertEqual(accuracy, try XCTUnwrap((summary["test"] as? [String: Double])?["accuracy"]), accuracy: 1e-12)

        // predict reads the `review` column by name, though it is the second one.
        let int8 = run.appendingPathComponent("int8").path
        let test = data.appendingPathComponent("test.tsv").path
        let byName = try q8train(["predict", "--model", int8, "--input", test, "--threads", "1"])
        let predictions = byName.output.split(separator: "\n").dropFirst()
        XCTAssertEqual(predictions.count, 20)
        // The same rows with the columns swapped give the same predictions.
        let swapped = dir.appendingPathComponent("swapped.tsv")
        let rows = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n").map { line -> String in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            return "\(f[1])\t\(f[0])"
        }
        try (rows.joined(separator: "\n") + "\n").write(to: swapped, atomically: true, encoding: .utf8)
        let swappedRun = try q8train(["predict", "--model", int8, "--input", swapped.path, "--threads", "1"])
        XCTAssertEqual(swappedRun.output, byName.output)

        // label<TAB>text: the header names no `review` column: refused, naming the file and the column.
        let labelText = dir.appendingPathComponent("label-text.tsv")
        try ("label\ttext\n" + rows.dropFirst().map { l -> String in
            let f = l.split(separator: "\t", omittingEmptySubsequences: false)
            return "\(f[1])\t\(f[0])"
        }.joined(separator: "\n") + "\n").write(to: labelText, atomically: true, encoding: .utf8)
        let refused = try q8train(["predict", "--model", int8, "--input", labelText.path], expectFailure: true)
        XCTAssertTrue(refused.errors.contains(labelText.path) && refused.errors.contains("'review'")
                      && refused.errors.contains("--text-columns"), refused.transcript)
        // --text-columns names the column: the same predictions as reading `review`.
        let told = try q8train(["predict", "--model", int8, "--input", labelText.path, "--text-columns", "text", "--threads", "1"])
        XCTAssertEqual(told.output, byName.output)
    }

    func testEvalOfAFolderWithoutTaskNeedsTask() throws {
        let dir = try makeWorkspace(trainExamples: 64)
        let run = dir.appendingPathComponent("run")
        _ = try q8train(["train", "--model", dir.appendingPathComponent("model").path, "--task", "movie",
                         "--data-dir", dir.appendingPathComponent("data").path, "--output-dir", run.path,
                         "--max-seq-length", "16", "--batch-size", "16", "--epochs", "1", "--max-steps", "2",
                         "--eval-every", "0", "--threads", "1"])
        let best = run.appendingPathComponent("best")
        XCTAssertEqual(try TaskDefinition.load(folder: best)?.textColumns, ["sentence"])
        try FileManager.default.removeItem(at: best.appendingPathComponent(TaskDefinition.fileName))
        let refused = try q8train(["eval", "--model", best.path, "--data-dir", dir.appendingPathComponent("data").path],
                                  expectFailure: true)
        XCTAssertTrue(refused.errors.contains("records no task") && refused.errors.contains("--task"), refused.transcript)
        _ = try q8train(["eval", "--model", best.path, "--task", "movie", "--data-dir", dir.appendingPathComponent("data").path,
                         "--max-seq-length", "16", "--threads", "1"])
    }
}
