import Foundation
import Report
import XCTest
@testable import BERT
@testable import Tensor
@testable import Training

/// End to end: a tiny random BERT fine-tunes on a tiny synthetic task (is the word "good"
/// in the sentence?) to 100% train accuracy, through the real Trainer: batches, dropout,
/// AdamW, warm-up, evaluation, checkpoints and the log.
final class TinyTaskLearningTests: XCTestCase {
    func testTinyModelLearnsSyntheticTaskToFullTrainAccuracy() throws {
        Parallel.configure(threads: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-tiny-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try TinyRun(folder: dir, hiddenSize: 32, heads: 4, initStd: 0.02, trainSize: 128, devSize: 64)
        let model = try run.model(quantize: "none")
        let task = run.task()
        let train = task.train
        var settings = TrainingSettings()
        settings.outputDir = dir.appendingPathComponent("run").path
        settings.batchSize = 16
        settings.learningRate = 1e-3
        settings.epochs = 12
        settings.warmupRatio = 0.1
        settings.evalEvery = 40
        settings.maxSeqLength = 16
        let trainer = try Trainer(settings: settings, model: model, task: task, vocabulary: run.vocabulary, baseConfig: nil)
        try trainer.run()
        // Train accuracy of the final model.
        let result = try Evaluator(batchSize: 32, padToMax: false).evaluate(model, on: train, task: task)
        XCTAssertEqual(result.scores?.values["accuracy"], 1.0, "train accuracy")

        // The log parses, line by line, and has the records a run must have.
        let lines = try String(contentsOf: dir.appendingPathComponent("run/log.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        let records = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(records.first?["type"] as? String, "config")
        XCTAssertEqual(records.filter { $0["type"] as? String == "step" }.count, trainer.totalSteps)
        XCTAssertEqual(records.last?["type"] as? String, "summary")
        let steps = records.filter { $0["type"] as? String == "step" }
        XCTAssertEqual(steps.first?["lr"] as? Double, 0, "warm-up starts at 0 (update 0 of the schedule)")
        XCTAssertTrue(records.contains { $0["type"] as? String == "eval" && $0["split"] as? String == "test" })
        // The HTML report of this run holds the loss and learning-rate curves and the dev metrics.
        let html = try RunReport.render(runDirectory: dir.appendingPathComponent("run"))
        XCTAssertTrue(html.contains("<svg"), "inline SVG charts")
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<polyline").count - 1, 4, "loss, lr, grad norm, dev curves")
        XCTAssertTrue(html.contains("Learning rate") && html.contains("Training loss"))
        for fetch in ["src=\"http", "href=\"http", "url(http", "<link", "<script"] {
            XCTAssertFalse(html.contains(fetch), "no network references or scripts: found \(fetch)")
        }
        // Checkpoints reload into the same predictions.
        for name in ["best", "final"] {
            let (reloaded, report) = try PretrainedLoader.load(directory: dir.appendingPathComponent("run/\(name)"))
            XCTAssertFalse(report.initializedClassifier, "\(name) holds its classifier")
            XCTAssertEqual(reloaded.config.labelNames, ["no", "yes"])
            if name == "best" {  // after run(), the model holds the best dev checkpoint's weights
                XCTAssertEqual(Array(reloaded.parameters.buffer), Array(model.parameters.buffer))
            }
        }
    }
}

private extension Int { var d: Double { Double(self) } }
