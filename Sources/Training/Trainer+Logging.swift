import BERT
import Foundation
import RunLog
import Tensor

/// What the trainer writes to OUTPUT/log.jsonl (rank 0; the other ranks' writers write
/// nothing) and says as it goes.
extension Trainer {
    /// The start of the run: the config record (unless the log continues the resumed run's),
    /// the resume record, and a line saying what begins.
    func logStart(_ resumed: Resumed?) {
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
    }

    /// Logs a finished step ("step", or "bad_step") and keeps the books: the smoothed loss,
    /// the bad-step streak (a streak at --max-bad-steps is logged as "stopped" and thrown),
    /// the progress display.
    func logStep(_ done: StepDone, session: inout Session) throws {
        let step = done.step
        switch done.outcome {
        case .updated(let loss, let norm, let lr):
            badSteps.recordGood()
            position.smoothedLoss = step == 1 ? Double(loss) : 0.95 * position.smoothedLoss + 0.05 * Double(loss)
            log.write(StepRecord(step: step, epoch: done.epoch, loss: Double(loss), lr: Double(lr), gradNorm: Double(norm),
                                 seqPerSecond: Double(done.sequences) / done.seconds, seqLen: done.seqLen,
                                 elapsedSeconds: session.trainSeconds,
                                 allreduceWaitSeconds: reducer.statistics.lastWaitSeconds))
        case .skipped(let loss, let norm, let tensor):
            log.write(BadStepRecord(step: step, epoch: done.epoch, loss: Double(loss), gradNorm: Double(norm),
                                    tensor: tensor, consecutive: badSteps.consecutive + 1,
                                    skippedSteps: badSteps.total + 1))
            session.progress.message("step \(step) skipped: " + BadStepGuard.describe(step: step, loss: loss, tensor: tensor))
            do {
                try badSteps.recordBad(step: step, loss: loss, tensor: tensor)
            } catch {
                log.write(StoppedRecord(step: step, reason: "\(error)"))
                throw error
            }
        }
        let sessionSequences = Double(position.sequences - session.startSequences)
        session.progress.update(step: step, epoch: done.epoch, loss: position.smoothedLoss,
                                sequencesPerSecond: sessionSequences / Date().timeIntervalSince(session.start))
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

    /// An "eval" record: `checkpoint` says which weights a test evaluation used ("final", "best").
    func logEval(_ r: Evaluator.Result, split: String, step: Int, epoch: Double?, checkpoint: String?) {
        log.write(EvalRecord(split: split, step: step, epoch: epoch, loss: r.loss, metrics: r.scores.map { MetricValues($0.values) },
                             mainMetric: r.scores?.main, seconds: r.seconds, examples: r.predictions.count,
                             checkpoint: checkpoint))
    }
}
