import BERT
import Dist
import Foundation
import ModelFormat
import RunLog
import Tensor

/// Starting a run, from scratch or from a checkpoint (every rank); writing checkpoints (rank 0).
extension Trainer {
    /// What `resumeIfAsked` found.
    struct Resumed {
        var folder: String
        /// Whether log.jsonl was cut back to the checkpoint (else a new log starts).
        var logContinues: Bool
    }

    // MARK: Starting

    /// Every rank starts identical: the same settings and training data (checked), the
    /// checkpoint's state when resuming, rank 0's parameters; then the start is logged. A
    /// collective.
    func startOrResume() throws {
        // Sorted keys: the same bytes on every rank.
        let settingsText = String(decoding: try ModelFormatJSON.encode(settings, pretty: false), as: UTF8.self)
        try communicator.verifyIdentical(hash: contentHash(settingsText), what: "the run settings")
        try communicator.verifyIdentical(hash: UInt64(task.train.count) &* 1_000_003 &+ UInt64(task.train.ids.count),
                                         what: "the training data")
        let resumed = try resumeIfAsked()  // every rank restores the same bytes
        try communicator.broadcastParameters(model.parameters)
        logStart(resumed)
    }

    // MARK: Writing

    /// A training-state checkpoint when the schedule (every N steps, every M minutes) asks for
    /// one (rank 0); whether one was written.
    func checkpointIfDue(session: inout Session) throws -> Bool {
        guard communicator.isRoot && session.checkpointSchedule.isDue(step: position.step) else { return false }
        try writeCheckpoint(trainSeconds: session.trainSeconds, progress: session.progress)
        session.checkpointSchedule.written()
        return true
    }

    /// The state to save now (rank 0, at the end of a step).
    func currentState(trainSeconds: Double) -> TrainerState {
        TrainerState(step: position.step, epoch: position.step / max(stepsPerEpoch, 1),
                     stepInEpoch: position.step % max(stepsPerEpoch, 1), stepsPerEpoch: stepsPerEpoch,
                     optimizerStep: optimizer.step, settings: settings, quantization: model.quantization,
                     trainingData: trainingFingerprint,
                     best: best.map { .init(step: $0.step, scores: $0.scores.values, main: $0.scores.main) },
                     lastEvalStep: position.lastEvalStep, consecutiveBadSteps: badSteps.consecutive,
                     skippedSteps: badSteps.total, badStreakStart: badSteps.streakStart,
                     smoothedLoss: position.smoothedLoss, trainSeconds: trainSeconds, sequences: position.sequences,
                     logBytes: log.byteCount, worldSize: communicator.size, threads: Parallel.threads)
    }

    /// Writes OUTPUT/checkpoints/step-N and keeps the newest `keep_checkpoints` (rank 0).
    /// Refuses (throws) when any parameter, moment or threshold is not finite.
    func writeCheckpoint(trainSeconds: Double, progress: Progress) throws {
        let start = Date()
        if let name = CheckpointTensors.firstNonFinite(model.parameters, layout: model.layout) {
            throw TrainingCheckpointError.nonFinite(what: "parameter \(name)")
        }
        for (what, buffer) in [("exp_avg", optimizer.m), ("exp_avg_sq", optimizer.v)] {
            if let name = CheckpointTensors.firstNonFinite(buffer, layout: model.layout) {
                throw TrainingCheckpointError.nonFinite(what: "AdamW \(what) of \(name)")
            }
        }
        if let q = model.linearQuantizers.first(where: { !$0.input.value.isFinite || !$0.output.value.isFinite }) {
            throw TrainingCheckpointError.nonFinite(what: "the Q8BERT thresholds of \(q.name)")
        }
        let state = currentState(trainSeconds: trainSeconds)
        let bestQuantizers = best == nil ? nil
            : bestThresholds.map { CheckpointTensors.QuantizerState(step: $0.0, input: $0.1, output: $0.2) }
        let folder = checkpoints.url(step: state.step)
        let (model, optimizer) = (self.model, self.optimizer)
        let manifest = try TrainingCheckpoint.write(
            to: folder, state: state,
            tensorFiles: [(CheckpointTensors.modelFile, { try CheckpointTensors.modelWriter(model, best: bestQuantizers) }),
                          (CheckpointTensors.optimizerFile,
                           { try CheckpointTensors.optimizerWriter(optimizer, layout: model.layout) })],
            bestSource: best == nil ? nil : output.appendingPathComponent("best"), hashes: &checkpointHashes)
        checkpoints.prune(keep: settings.keepCheckpoints)
        let bytes = manifest.files.values.reduce(0) { $0 + $1.bytes }
        let seconds = Date().timeIntervalSince(start)
        log.write(CheckpointRecord(step: state.step, path: folder.path, bytes: bytes, seconds: seconds))
        progress.message(String(format: "checkpoint %@ (%.0f MB, %.1f s)", folder.path, Double(bytes) / 1e6, seconds))
    }

    // MARK: Resuming

    /// With `resume` set: rank 0 finds and verifies the checkpoint, every rank receives its
    /// files and restores the parameters, moments, Q8BERT state, best result and position
    /// from them; rank 0 then rewinds the output folder to the checkpoint (log, best/, later
    /// checkpoints). nil when not resuming (or `auto` found no checkpoint). A collective.
    /// Without `resume`, an output folder holding checkpoints is an error: they belong to an
    /// earlier run that this one would mix its checkpoints with.
    func resumeIfAsked() throws -> Resumed? {
        guard let target = settings.resume else {
            let earlier = communicator.isRoot ? checkpoints.checkpoints() : []
            if !earlier.isEmpty {
                throw TrainingCheckpointError.earlierRun(folder: checkpoints.folder.path,
                                                         checkpoints: earlier.map(\.url.lastPathComponent))
            }
            return nil
        }
        var files: TrainingCheckpoint.Files?
        if communicator.isRoot {
            checkpoints.removeLeftovers()
            files = try locateCheckpoint(target)
            if files == nil { say("--resume auto: no checkpoint in \(checkpoints.folder.path), starting from scratch") }
        }
        guard let files = try CheckpointBroadcast.share(files, communicator: communicator) else { return nil }
        try restore(files)
        guard communicator.isRoot else { return Resumed(folder: files.folder, logContinues: true) }
        let logContinues = log.truncate(to: files.state.logBytes)
        if !logContinues {
            warn("\(log.url.path) is shorter than when the checkpoint was written (or does not end a line there): "
                 + "continuing it as a new run's log")
        }
        try restoreBestFolder(from: files)
        let discarded = checkpoints.discard(after: files.state.step)
        if !discarded.isEmpty {
            warn("removed the checkpoints after step \(files.state.step) (a later point of the interrupted run): "
                 + discarded.joined(separator: ", "))
        }
        return Resumed(folder: files.folder, logContinues: logContinues)
    }

    /// The checkpoint `target` names: "auto" (the output folder's newest valid one, nil when
    /// it has none), a checkpoint folder, or a folder of them (a run folder or its
    /// checkpoints/): the newest valid one.
    func locateCheckpoint(_ target: String) throws -> TrainingCheckpoint.Files? {
        if target == "auto" { return try checkpoints.newestValid(warn: warn) }
        let url = URL(fileURLWithPath: target)
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TrainingCheckpointError.notFound(
                path: url.path, reason: "no such folder (--resume takes a checkpoint folder, a run folder or auto)")
        }
        if fm.fileExists(atPath: url.appendingPathComponent(CheckpointManifest.fileName).path) {
            return try TrainingCheckpoint.load(url)
        }
        for store in [CheckpointStore(runFolder: url), CheckpointStore(folder: url)] where !store.checkpoints().isEmpty {
            return try store.newestValid(warn: warn)
        }
        throw TrainingCheckpointError.notFound(
            path: url.path, reason: "neither a checkpoint (no \(CheckpointManifest.fileName)) nor a folder of checkpoints")
    }

    /// Restores the training state from a verified checkpoint's files (every rank).
    func restore(_ files: TrainingCheckpoint.Files) throws {
        let state = files.state
        try ResumeCompatibility.check(state, settings: settings, quantization: model.quantization,
                                      layers: model.quantizableLayerNames, trainingData: trainingFingerprint)
        guard state.stepsPerEpoch == stepsPerEpoch, state.step == state.epoch * stepsPerEpoch + state.stepInEpoch else {
            throw TrainingCheckpointError.unreadable(
                path: files.path(TrainingCheckpoint.stateFile),
                reason: "step \(state.step) = epoch \(state.epoch) x \(state.stepsPerEpoch) + \(state.stepInEpoch) does not fit "
                    + "this run's \(stepsPerEpoch) steps per epoch")
        }
        let tensors = try CheckpointTensors.readModel(files.model, path: files.path(CheckpointTensors.modelFile),
                                                      into: model, expectBest: state.best != nil)
        try CheckpointTensors.readOptimizer(files.optimizer, path: files.path(CheckpointTensors.optimizerFile),
                                            into: optimizer, layout: model.layout)
        optimizer.restore(step: state.optimizerStep)
        model.restoreQuantizers(tensors.quantizers.map { ($0.step, $0.input, $0.output) })
        if let b = state.best, let bestModel = files.bestModel, let bestQuantizers = tensors.bestQuantizers {
            let buffer = bestParameters ?? FloatBuffer(count: model.layout.count)
            try CheckpointTensors.readBestParameters(bestModel, path: files.path(CheckpointTensors.bestModelFile),
                                                     layout: model.layout, into: buffer)
            bestParameters = buffer
            bestThresholds = bestQuantizers.map { ($0.step, $0.input, $0.output) }
            best = (b.step, b.asScores)
        } else {
            best = nil
            bestParameters = nil
            bestThresholds = []
        }
        badSteps = BadStepGuard(limit: settings.maxBadSteps, consecutive: state.consecutiveBadSteps,
                                total: state.skippedSteps, streakStart: state.badStreakStart)
        position = Position(step: state.step, smoothedLoss: state.smoothedLoss, sequences: state.sequences,
                            lastEvalStep: state.lastEvalStep, earlierSeconds: state.trainSeconds)
    }

    /// Makes OUTPUT/best the checkpoint's best/ (hard links, or copies), or removes it when
    /// the checkpoint has no best result yet: the best/ of a later point of the interrupted
    /// run would not match the best result the run continues from (rank 0).
    func restoreBestFolder(from files: TrainingCheckpoint.Files) throws {
        let target = output.appendingPathComponent("best")
        guard files.state.best != nil else {
            if FileManager.default.fileExists(atPath: target.path) {
                warn("removing \(target.path): it was written after the checkpoint, which has no best dev result yet")
                try FileManager.default.removeItem(at: target)
            }
            return
        }
        let source = URL(fileURLWithPath: files.folder).appendingPathComponent(TrainingCheckpoint.bestFolder)
        if source.standardizedFileURL == target.standardizedFileURL { return }
        try AtomicFolder.write(target) { temporary in
            for name in files.bestFileNames {
                let from = source.appendingPathComponent(name), to = temporary.appendingPathComponent(name)
                if link(from.path, to.path) != 0 {
                    try AtomicFolder.writeSynced(try Data(contentsOf: from), to: to)
                }
            }
        }
    }
}
