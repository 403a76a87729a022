import Foundation
import RunLog

extension Trainer {
    /// The end of the run: a dev evaluation unless the last step had one, OUTPUT/final, the
    /// test evaluations, and the summary record (returned).
    func finish(_ session: Session) throws -> SummaryRecord {
        let step = position.step
        if position.lastEvalStep != step {
            try evaluateDev(step: step, epoch: Double(step) / Double(stepsPerEpoch), evaluator: session.evaluator,
                            progress: session.progress)
        }
        let trainSeconds = session.trainSeconds
        let sequences = position.sequences
        try save(to: output.appendingPathComponent("final"))
        var summary = SummaryRecord(steps: step, skippedSteps: badSteps.total, trainSeconds: trainSeconds,
                                    trainSeqPerSecond: Double(sequences) / trainSeconds)
        if let test = task.test {
            (summary.testFinal, summary.test) = try evaluateTest(test, evaluator: session.evaluator)
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
}
