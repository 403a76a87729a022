import BERT
import Dist
import Foundation
import RunLog
import Tensor

/// Fine-tunes a BertForSequenceClassification on a task, data parallel over the ranks of
/// `communicator` (one rank without mpirun), top to bottom:
///   for each step: this rank's share of the global batch -> forward (dropout) -> loss ->
///     backward, each gradient bucket allreduced as soon as backward has finished it ->
///     average -> clip (global norm) -> AdamW(lr(step)), identical on every rank
///   every `eval_every` steps and at each epoch end: sharded dev evaluation, best checkpoint
///   every `checkpoint_every` steps / `checkpoint_minutes`: a training-state checkpoint
///   at the end: OUTPUT/final, test evaluation of the best and the final model, summary.
/// A step whose loss or reduced gradient is not finite is skipped (`BadStepGuard`). With
/// `resume` it starts from a checkpoint's state (Trainer+Resume.swift) and continues bit for
/// bit as the uninterrupted run would have.
/// Rank 0 alone logs (OUTPUT/log.jsonl), shows progress and writes checkpoints; the others
/// wait at a barrier after each model-folder write.
public final class Trainer {
    public let settings: TrainingSettings
    public let model: BertForSequenceClassification
    public let task: TaskData
    let optimizer: AdamW
    let schedule: LinearWarmupSchedule
    let log: RunLogWriter
    let output: URL
    let vocabulary: URL
    let baseConfig: URL?
    let say: (String) -> Void
    let warn: (String) -> Void
    let communicator: Communicator
    let sampler: DistributedSampler
    let reducer: GradientReducer
    public let stepsPerEpoch: Int
    public let totalSteps: Int

    /// The best dev result so far and a copy of the parameters that reached it.
    public internal(set) var best: (step: Int, scores: Scores)?
    var bestParameters: FloatBuffer?
    /// The quantizers' (step, input, output threshold) at the best checkpoint.
    var bestThresholds: [(Int, Float, Float)] = []
    /// Where the run stands: what a checkpoint saves besides the tensors.
    var position = Position()
    var badSteps: BadStepGuard
    var checkpoints: CheckpointStore
    var checkpointHashes = FileHashCache()
    /// The quantizers' state before the current step's forward (restored when it is skipped).
    var quantizerSnapshot: [(Int, Float, Float)] = []
    /// The training set's fingerprint (checkpoints record it; resuming compares it).
    lazy var trainingFingerprint = TrainerState.DataFingerprint(task.train)
    /// TEST HOOK: poisons a gradient (`Q8TRAIN_TEST_POISON_GRADIENT`); nil in real runs.
    public var gradientPoison: GradientPoisonTestHook?
    /// Signals that end the run early with a checkpoint (set by `q8train train`; nil: none).
    public var stopRequest: StopRequest?

    struct Position {
        var step = 0
        var smoothedLoss = 0.0
        var sequences = 0
        var lastEvalStep = -1
        /// Training seconds of the earlier processes of a resumed run.
        var earlierSeconds = 0.0
    }

    public init(settings: TrainingSettings, model: BertForSequenceClassification, task: TaskData,
                vocabulary: URL, baseConfig: URL?, communicator: Communicator = .single(),
                say: @escaping (String) -> Void = { _ in }, warn: @escaping (String) -> Void = { _ in }) throws {
        self.settings = settings
        self.model = model
        self.task = task
        self.vocabulary = vocabulary
        self.baseConfig = baseConfig
        self.communicator = communicator
        self.say = communicator.isRoot ? say : { _ in }
        self.warn = communicator.isRoot ? warn : { _ in }
        output = URL(fileURLWithPath: settings.resolvedOutputDir)
        checkpoints = CheckpointStore(runFolder: output)
        badSteps = BadStepGuard(limit: settings.maxBadSteps)
        gradientPoison = try GradientPoisonTestHook.fromEnvironment()
        try gradientPoison?.validate(layout: model.layout)
        if communicator.isRoot { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) }
        log = try RunLogWriter(url: output.appendingPathComponent("log.jsonl"), enabled: communicator.isRoot)
        optimizer = AdamW(layout: model.layout, weightDecay: settings.weightDecay)
        sampler = try DistributedSampler(count: task.train.count, communicator: communicator,
                                         globalBatchSize: settings.batchSize, seed: settings.seed,
                                         reductionGroups: settings.reductionGroups)
        reducer = try GradientReducer(communicator: communicator, plan: try BucketPlan(layout: model.layout),
                                      gradients: model.gradients, deterministic: settings.reductionGroups > 1)
        stepsPerEpoch = sampler.stepsPerEpoch
        let epochSteps = Int((Double(stepsPerEpoch) * settings.epochs).rounded(.up))
        totalSteps = min(epochSteps, settings.maxSteps ?? .max)
        // Warm-up and decay follow the planned epochs, as run_glue: --max-steps only stops early.
        let planned = max(epochSteps, 1)
        schedule = LinearWarmupSchedule(peak: settings.learningRate,
                                        warmupSteps: Int((Float(planned) * settings.warmupRatio).rounded(.up)),
                                        totalSteps: planned)
    }

    /// Runs the whole fine-tuning; returns the summary record (as logged).
    @discardableResult
    public func run() throws -> SummaryRecord {
        // Every rank starts identical: same settings and data, rank 0's parameters.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same bytes on every rank
        let settingsData = try encoder.encode(settings)
        try communicator.verifyIdentical(hash: contentHash(String(decoding: settingsData, as: UTF8.self)), what: "the run settings")
        try communicator.verifyIdentical(hash: UInt64(task.train.count) &* 1_000_003 &+ UInt64(task.train.ids.count), what: "the training data")
        let resumed = try resumeIfAsked()  // every rank restores the same bytes
        try communicator.broadcastParameters(model.parameters)
        if resumed?.logContinues != true {
            log.write(ConfigRecord(settings: settings, trainExamples: task.train.count, devExamples: task.dev.count,
                                   testExamples: task.test?.count ?? 0, stepsPerEpoch: stepsPerEpoch,
                                   totalSteps: totalSteps, warmupSteps: schedule.warmupSteps,
                                   parameters: model.layout.parameterCount,
                                   quantization: model.quantization?.method ?? "none",
                                   threads: Parallel.threads, worldSize: communicator.size))
        }
        if let resumed {
            log.write(ResumeRecord(checkpoint: resumed.folder, step: position.step, settings: settings,
                                   totalSteps: totalSteps, threads: Parallel.threads, worldSize: communicator.size))
            say("resumed from \(resumed.folder) at step \(position.step) of \(totalSteps)")
        } else {
            say("training \(task.name): \(task.train.count) examples, \(totalSteps) steps "
                + "(\(stepsPerEpoch) per epoch, batch \(settings.batchSize)), warm-up \(schedule.warmupSteps) steps")
        }
        let evaluator = Evaluator(batchSize: settings.evalBatchSize, padToMax: settings.padToMaxLength,
                                  communicator: communicator)
        model.reserve(batch: max(sampler.localBatchSize, settings.evalBatchSize), seqLen: settings.maxSeqLength)
        quantizerSnapshot = model.linearQuantizers.map { ($0.step, $0.input.value, $0.output.value) }
        var progress = Progress(total: totalSteps, startStep: position.step, enabled: communicator.isRoot)
        let trainStart = Date()
        var checkpointSchedule = CheckpointSchedule(everySteps: settings.checkpointEvery,
                                                    minutes: settings.checkpointMinutes, start: trainStart)
        let startSequences = position.sequences
        let firstEpoch = stepsPerEpoch > 0 ? position.step / stepsPerEpoch : 0
        epochs: for epoch in firstEpoch... {
            let order = sampler.paddedOrder(epoch: epoch)
            for s in (epoch == firstEpoch ? position.step - epoch * stepsPerEpoch : 0)..<sampler.stepsPerEpoch {
                if position.step >= totalSteps { break epochs }
                communicator.phase = "training step \(position.step + 1)"
                let t0 = Date()
                let local = sampler.batch(step: s, paddedOrder: order)
                // Every rank pads to the longest example of the whole step: the same shapes as
                // one process (padded positions enter Q8BERT's max|x|).
                var batch = task.train.batch(local.indices[...], padToMax: settings.padToMaxLength,
                                             padTo: local.stepIndices.lazy.map(task.train.length).max(),
                                             regression: task.regression)
                if settings.reductionGroups > 1 { batch.reductionGroups = local.groups }
                let outcome = try trainStep(batch, weights: local.exampleWeights, step: position.step)
                position.step += 1
                position.sequences += local.globalCount
                let step = position.step
                if settings.checkSync > 0 && step % settings.checkSync == 0 { try verifyRanksInSync(step: step) }
                let dt = Date().timeIntervalSince(t0)
                let fractionalEpoch = Double(epoch) + Double(s + 1) / Double(sampler.stepsPerEpoch)
                switch outcome {
                case .updated(let loss, let norm, let lr):
                    badSteps.recordGood()
                    position.smoothedLoss = step == 1 ? Double(loss) : 0.95 * position.smoothedLoss + 0.05 * Double(loss)
                    log.write(StepRecord(step: step, epoch: fractionalEpoch, loss: Double(loss), lr: Double(lr),
                                         gradNorm: Double(norm), seqPerSecond: Double(local.globalCount) / dt,
                                         seqLen: batch.seqLen,
                                         elapsedSeconds: position.earlierSeconds + Date().timeIntervalSince(trainStart),
                                         allreduceWaitSeconds: reducer.statistics.lastWaitSeconds))
                case .skipped(let loss, let norm, let tensor):
                    log.write(BadStepRecord(step: step, epoch: fractionalEpoch, loss: Double(loss), gradNorm: Double(norm),
                                            tensor: tensor, consecutive: badSteps.consecutive + 1,
                                            skippedSteps: badSteps.total + 1))
                    progress.message("step \(step) skipped: " + BadStepGuard.describe(step: step, loss: loss, tensor: tensor))
                    do {
                        try badSteps.recordBad(step: step, loss: loss, tensor: tensor)
                    } catch {
                        log.write(StoppedRecord(step: step, reason: "\(error)"))
                        throw error
                    }
                }
                let sessionSequences = Double(position.sequences - startSequences)
                progress.update(step: step, epoch: fractionalEpoch, loss: position.smoothedLoss,
                                sequencesPerSecond: sessionSequences / Date().timeIntervalSince(trainStart))
                let epochEnd = s == sampler.stepsPerEpoch - 1
                if (settings.evalEvery > 0 && step % settings.evalEvery == 0) || epochEnd || step == totalSteps {
                    try evaluateDev(step: step, epoch: fractionalEpoch, evaluator: evaluator, progress: progress)
                    position.lastEvalStep = step
                }
                var checkpointed = false
                if communicator.isRoot && checkpointSchedule.isDue(step: step) {
                    try writeCheckpoint(trainSeconds: position.earlierSeconds + Date().timeIntervalSince(trainStart),
                                        progress: progress)
                    checkpointSchedule.written()
                    checkpointed = true
                }
                if step < totalSteps, let signal = try agreedStopSignal() {
                    try stop(signal: signal, checkpointed: checkpointed,
                             trainSeconds: position.earlierSeconds + Date().timeIntervalSince(trainStart), progress: progress)
                }
            }
        }
        let step = position.step
        if position.lastEvalStep != step {
            try evaluateDev(step: step, epoch: Double(step) / Double(stepsPerEpoch), evaluator: evaluator, progress: progress)
        }
        let trainSeconds = position.earlierSeconds + Date().timeIntervalSince(trainStart)
        let sequences = position.sequences
        try save(to: output.appendingPathComponent("final"))

        // Test: the final model, then the best dev checkpoint (the reported one).
        var summary = SummaryRecord(steps: step, skippedSteps: badSteps.total, trainSeconds: trainSeconds,
                                    trainSeqPerSecond: Double(sequences) / trainSeconds)
        if let test = task.test {
            communicator.phase = "test evaluation"
            let final = try evaluator.evaluate(model, on: test, task: task)
            logEval(final, split: "test", step: step, epoch: Double(step) / Double(stepsPerEpoch), checkpoint: "final")
            summary.testFinal = MetricValues(final.scores?.values ?? [:])
            if let bestParameters {
                model.parameters.pointer.update(from: bestParameters.pointer, count: model.layout.count)
                model.restoreQuantizers(bestThresholds)
            }
            let result = try evaluator.evaluate(model, on: test, task: task)
            logEval(result, split: "test", step: best?.step ?? step, epoch: nil, checkpoint: "best")
            summary.test = MetricValues(result.scores?.values ?? [:])
            if let scores = result.scores {
                say("test (best dev checkpoint, step \(best?.step ?? step)): " + Self.describe(scores))
            } else if communicator.isRoot {
                try writePredictions(result, to: output.appendingPathComponent("test_predictions.tsv"))
                say("test set unlabeled: predictions written to \(output.path)/test_predictions.tsv")
            }
        }
        if let best {
            summary.bestStep = best.step
            summary.bestMetric = best.scores.mainValue
            summary.mainMetric = best.scores.main
        }
        summary.peakRSSMegabytes = ResourceUsage.peakResidentMiB
        log.write(summary)
        say(String(format: "trained %d steps in %@ (%.1f sequences/s); peak memory %.0f MiB",
                   step, Progress.duration(trainSeconds), Double(sequences) / trainSeconds, ResourceUsage.peakResidentMiB))
        return summary
    }

    /// What became of a step: an optimizer update, or skipped for a non-finite loss or
    /// gradient (`tensor`: the first non-finite gradient in backward order, if any).
    enum StepOutcome {
        case updated(loss: Float, norm: Float, lr: Float)
        case skipped(loss: Float, norm: Float, tensor: String?)
    }

    /// One optimizer step on this rank's share `batch` of the global batch (`weights`: 0 for
    /// padding examples): global mean loss, gradient norm before clipping, lr; or skipped,
    /// with the quantizers' state as before it, when the loss or the reduced gradient is
    /// not finite (the same decision on every rank: both are the reduced values).
    func trainStep(_ batch: Batch, weights: [Float], step: Int) throws -> StepOutcome {
        for (k, q) in model.linearQuantizers.enumerated() {
            quantizerSnapshot[k] = (q.step, q.input.value, q.output.value)
        }
        model.forward(batch, mode: .train(seed: settings.seed, step: step))
        var loss = model.loss(batch)
        if weights.contains(where: { $0 != 1 }) { model.weightLossGradient(weights) }
        model.zeroGradients()
        let reduce: ((Int) -> Void)? = communicator.size > 1 ? reducer.layerDone : nil
        if let poison = gradientPoison, poison.applies(step: step + 1, rank: communicator.rank) {
            model.backward { [model] layer in poison.poison(model, afterLayerDone: layer); reduce?(layer) }
        } else {
            model.backward(layerDone: reduce)
        }
        try reducer.finish()
        if communicator.size > 1 { loss = Float(try communicator.allreduceSum(Double(loss)) / Double(communicator.size)) }
        let norm = GradientClipping.norm(model.gradients.pointer, count: model.layout.count)
        guard loss.isFinite && norm.isFinite else {
            model.restoreQuantizers(quantizerSnapshot)
            return .skipped(loss: loss, norm: norm,
                            tensor: BadStepGuard.firstNonFiniteGradient(model.gradients, layout: model.layout))
        }
        GradientClipping.clip(model.gradients.pointer, count: model.layout.count, maxNorm: settings.maxGradNorm, norm: norm)
        let lr = schedule.rate(at: step)
        optimizer.update(parameters: model.parameters, gradients: model.gradients, lr: lr)
        return .updated(loss: loss, norm: norm, lr: lr)
    }

    /// The per-layer thresholds now, as a "quant" log record (QAT runs).
    func logQuantization(step: Int) {
        guard model.quantization != nil else { return }
        var layers = [String: QuantRecord.LayerThresholds]()
        for q in model.linearQuantizers where q.settings.mode != .none {
            layers[q.name] = .init(inputThresh: Double(q.input.value),
                                   outputThresh: q.settings.requantizeOutput ? Double(q.output.value) : nil,
                                   weightThresh: Double(q.weightThreshold), step: q.step)
        }
        for q in model.embeddingQuantizers where q.quantizes { layers[q.name] = .init(weightThresh: Double(q.weightThreshold)) }
        log.write(QuantRecord(step: step, layers: layers))
    }

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

    func logEval(_ r: Evaluator.Result, split: String, step: Int, epoch: Double?, checkpoint: String?) {
        log.write(EvalRecord(split: split, step: step, epoch: epoch, loss: r.loss, metrics: r.scores.map { MetricValues($0.values) },
                             mainMetric: r.scores?.main, seconds: r.seconds, examples: r.predictions.count,
                             checkpoint: checkpoint))
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
