import Foundation
import RunLog

extension Trainer {
    /// Ends the run after this step (`stop`) when any rank received a stop signal; never
    /// after the last step, which ends the run anyway.
    func stopIfSignalled(checkpointed: Bool, session: Session) throws {
        guard position.step < totalSteps, let signal = try agreedStopSignal() else { return }
        try stop(signal: signal, checkpointed: checkpointed, trainSeconds: session.trainSeconds, progress: session.progress)
    }

    /// The stop signal every rank agrees on after a step: the largest signal number any rank
    /// received (one small allreduce per step), or nil. Nil at once without a `stopRequest`.
    func agreedStopSignal() throws -> Int32? {
        guard let stopRequest else { return nil }
        let mine = Float(stopRequest.received ?? 0)
        let agreed = communicator.size > 1 ? try communicator.allreduceMax(mine) : mine
        return agreed > 0 ? Int32(agreed) : nil
    }

    /// Ends the run after the current step: rank 0 writes a training-state checkpoint (unless
    /// the schedule just wrote one) and logs why; every rank waits for it, then throws
    /// `StoppedBySignal`.
    func stop(signal: Int32, checkpointed: Bool, trainSeconds: Double, progress: Progress) throws -> Never {
        let step = position.step
        let folder = checkpoints.url(step: step).path
        if communicator.isRoot {
            if !checkpointed { try writeCheckpoint(trainSeconds: trainSeconds, progress: progress) }
            log.write(StoppedRecord(step: step, reason: "signal \(StopRequest.name(signal))", checkpoint: folder))
        }
        try communicator.barrier()  // the other ranks leave only once the checkpoint is complete
        throw StoppedBySignal(signal: signal, step: step, totalSteps: totalSteps, checkpoint: folder)
    }
}
