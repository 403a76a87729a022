import BERT
import Dist
import Foundation
import ModelFormat
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
/// `run()` is the loop; each of its steps lives with its concept: Trainer+Resume (start,
/// checkpoints), +Step (the training step), +Logging, +Evaluation, +Stop, +Finish.
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
    /// Called on every rank once per training step with its gradients after backward and
    /// before they are reduced: to watch them, or change them (tests inject NaNs this way).
    /// With an inspector the reduction starts after backward instead of overlapping it:
    /// the same sums, later. nil: none.
    public var gradientInspector: ((StepGradients) throws -> Void)?
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
        if communicator.isRoot { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) }
        log = try RunLogWriter(url: output.appendingPathComponent("log.jsonl"), enabled: communicator.isRoot)
        optimizer = AdamW(layout: model.layout, weightDecay: settings.weightDecay)
        sampler = try DistributedSampler(count: task.train.count, communicator: communicator,
                                         globalBatchSize: settings.batchSize, seed: settings.seed,
                                         reductionGroups: settings.reductionGroups)
        reducer = try GradientReducer(communicator: communicator,
                                      plan: try BucketPlan(layout: model.layout, sparseWordEmbeddings: settings.sparseEmbeddings > 0),
                                      gradients: model.gradients, deterministic: settings.reductionGroups > 1,
                                      sparseFraction: settings.sparseEmbeddings)
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
        try startOrResume()
        var session = beginSession()
        let firstEpoch = stepsPerEpoch > 0 ? position.step / stepsPerEpoch : 0
        epochs: for epoch in firstEpoch... {
            let order = sampler.paddedOrder(epoch: epoch)
            for s in (epoch == firstEpoch ? position.step - epoch * stepsPerEpoch : 0)..<sampler.stepsPerEpoch {
                if position.step >= totalSteps { break epochs }
                let step = try trainStep(epoch: epoch, stepInEpoch: s, order: order)
                try logStep(step, session: &session)
                try evaluateIfDue(step, session: session)
                let checkpointed = try checkpointIfDue(session: &session)
                try stopIfSignalled(checkpointed: checkpointed, session: session)
            }
        }
        return try finish(session)
    }

    /// What this process keeps from step to step (a resumed run starts a new session).
    struct Session {
        let evaluator: Evaluator
        var progress: Progress
        /// When this process began training, the training seconds of the run's earlier
        /// processes, and the sequences they trained on.
        let start: Date
        let earlierSeconds: Double
        let startSequences: Int
        var checkpointSchedule: CheckpointSchedule

        /// Training seconds of the whole run so far.
        var trainSeconds: Double { earlierSeconds + Date().timeIntervalSince(start) }
    }

    /// This process's start of training: the evaluator, workspaces for the largest batch,
    /// the quantizers' snapshot, progress and the checkpoint clock.
    func beginSession() -> Session {
        let evaluator = Evaluator(batchSize: settings.evalBatchSize, padToMax: settings.padToMaxLength,
                                  communicator: communicator)
        model.reserve(batch: max(sampler.localBatchSize, settings.evalBatchSize), seqLen: settings.maxSeqLength)
        quantizerSnapshot = model.linearQuantizers.map { ($0.step, $0.input.value, $0.output.value) }
        let progress = Progress(total: totalSteps, startStep: position.step, enabled: communicator.isRoot)
        let start = Date()
        return Session(evaluator: evaluator, progress: progress, start: start, earlierSeconds: position.earlierSeconds,
                       startSequences: position.sequences,
                       checkpointSchedule: CheckpointSchedule(everySteps: settings.checkpointEvery,
                                                              minutes: settings.checkpointMinutes, start: start))
    }
}
