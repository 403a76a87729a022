import BERT
import Dist
import Foundation
import RunLog
import Tensor

/// Evaluations during and after training, and the model folders they lead to (OUTPUT/best,
/// OUTPUT/final).
extension Trainer {
    /// Dev evaluation every `eval_every` steps, at each epoch end and after the last step.
    func evaluateIfDue(_ done: StepDone, session: Session) throws {
        let step = done.step
        guard (settings.evalEvery > 0 && step % settings.evalEvery == 0) || done.endsEpoch || step == totalSteps else {
            return
        }
        try evaluateDev(step: step, epoch: done.epoch, evaluator: session.evaluator, progress: session.progress)
        position.lastEvalStep = step
    }

    /// Evaluates on dev (after logging the Q8BERT thresholds); a new best result is kept
    /// (its parameters and thresholds) and written to OUTPUT/best.
    func evaluateDev(step: Int, epoch: Double, evaluator: Evaluator, progress: Progress) throws {
        logQuantization(step: step)
        communicator.phase = "dev evaluation at step \(step)"
        let result = try evaluator.evaluate(model, on: task.dev, task: task)
        logEval(result, split: "dev", step: step, epoch: epoch, checkpoint: nil)
        guard let scores = result.scores else { return }
        let improved = best.map { scores.mainValue > $0.scores.mainValue } ?? true
        progress.message("dev @ step \(step): " + Self.describe(scores) + (improved ? "  (best so far)" : ""))
        if improved {
            best = (step, scores)
            if bestParameters == nil { bestParameters = FloatBuffer(count: model.layout.count) }
            bestParameters!.pointer.update(from: model.parameters.pointer, count: model.layout.count)
            bestThresholds = model.linearQuantizers.map { ($0.step, $0.input.value, $0.output.value) }
            try save(to: output.appendingPathComponent("best"))
        }
    }

    /// The test evaluations: the final model, then the best dev checkpoint (the reported one,
    /// which the model holds afterwards); an unlabeled test set's predictions are written to
    /// OUTPUT/test_predictions.tsv. Returns both models' metrics.
    func evaluateTest(_ test: EncodedDataset, evaluator: Evaluator) throws -> (final: MetricValues, best: MetricValues) {
        let step = position.step
        communicator.phase = "test evaluation"
        let final = try evaluator.evaluate(model, on: test, task: task)
        logEval(final, split: "test", step: step, epoch: Double(step) / Double(stepsPerEpoch), checkpoint: "final")
        if let bestParameters {
            model.parameters.pointer.update(from: bestParameters.pointer, count: model.layout.count)
            model.restoreQuantizers(bestThresholds)
        }
        let result = try evaluator.evaluate(model, on: test, task: task)
        logEval(result, split: "test", step: best?.step ?? step, epoch: nil, checkpoint: "best")
        if let scores = result.scores {
            say("test (best dev checkpoint, step \(best?.step ?? step)): " + Self.describe(scores))
        } else if communicator.isRoot {
            try writePredictions(result, to: output.appendingPathComponent("test_predictions.tsv"))
            say("test set unlabeled: predictions written to \(output.path)/test_predictions.tsv")
        }
        return (MetricValues(final.scores?.values ?? [:]), MetricValues(result.scores?.values ?? [:]))
    }

    /// Rank 0 writes; every rank waits until the write is done.
    func save(to dir: URL) throws {
        if communicator.isRoot {
            try ModelFolderWriter.write(model, to: dir, labels: task.labels, baseConfig: baseConfig, vocabulary: vocabulary,
                                        task: task.definition)
        }
        try communicator.barrier()
    }

    func writePredictions(_ r: Evaluator.Result, to url: URL) throws {
        var text = "index\tprediction\n"
        for (i, p) in r.predictions.enumerated() {
            text += "\(i)\t" + (task.regression ? String(format: "%.4f", p) : task.labels[Int(p)]) + "\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static func describe(_ s: Scores) -> String {
        s.values.keys.sorted().map { String(format: "%@ %.4f", $0, s.values[$0]!) }.joined(separator: ", ")
    }
}
