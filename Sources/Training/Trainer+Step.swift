import BERT
import Dist
import Foundation
import ModelFormat
import Tensor

/// One training step: this rank's share of the global batch, forward, backward, the
/// gradient reduction, and the update (or the skip of a non-finite step).
extension Trainer {
    /// A finished training step, as the rest of the loop sees it.
    struct StepDone {
        /// The step, 1-based (as logged).
        var step: Int
        /// Epochs done at its end (fractional), and whether it ended an epoch.
        var epoch: Double
        var endsEpoch: Bool
        var outcome: StepOutcome
        /// Sequences in the global batch, the tokens each was padded to, and the step's seconds.
        var sequences: Int
        var seqLen: Int
        var seconds: Double
    }

    /// Trains step `stepInEpoch` of `epoch` (whose sample order is `order`) and moves the
    /// run's position past it; with --check-sync due, compares the ranks after it.
    func trainStep(epoch: Int, stepInEpoch s: Int, order: [Int]) throws -> StepDone {
        communicator.phase = "training step \(position.step + 1)"
        let t0 = Date()
        let local = sampler.batch(step: s, paddedOrder: order)
        // Every rank pads to the longest example of the whole step: the same shapes as
        // one process (padded positions enter Q8BERT's max|x|).
        var batch = task.train.batch(local.indices[...], padToMax: settings.padToMaxLength,
                                     padTo: local.stepIndices.lazy.map(task.train.length).max(),
                                     regression: task.regression)
        if settings.reductionGroups > 1 { batch.reductionGroups = local.groups }
        let outcome = try optimizerStep(batch, weights: local.exampleWeights, step: position.step)
        position.step += 1
        position.sequences += local.globalCount
        let step = position.step
        if settings.checkSync > 0 && step % settings.checkSync == 0 { try verifyRanksInSync(step: step) }
        return StepDone(step: step, epoch: Double(epoch) + Double(s + 1) / Double(sampler.stepsPerEpoch),
                        endsEpoch: s == sampler.stepsPerEpoch - 1, outcome: outcome, sequences: local.globalCount,
                        seqLen: batch.seqLen, seconds: Date().timeIntervalSince(t0))
    }

    /// What became of a step: an optimizer update, or skipped for a non-finite loss or
    /// gradient (`tensor`: the first non-finite gradient in backward order, if any).
    enum StepOutcome {
        case updated(loss: Float, norm: Float, lr: Float)
        case skipped(loss: Float, norm: Float, tensor: String?)
    }

    /// One optimizer step on this rank's share `batch` of the global batch (`weights`: 0 for
    /// padding examples; `step` 0-based): global mean loss, gradient norm before clipping,
    /// lr; or skipped, with the quantizers' state as before it, when the loss or the reduced
    /// gradient is not finite (the same decision on every rank: both are the reduced values).
    func optimizerStep(_ batch: Batch, weights: [Float], step: Int) throws -> StepOutcome {
        for (k, q) in model.linearQuantizers.enumerated() {
            quantizerSnapshot[k] = (q.step, q.input.value, q.output.value)
        }
        if communicator.size > 1 {
            // The word-embedding rows this step touches, for its row-sparse exchange.
            try batch.inputIds.withUnsafeBufferPointer {
                try reducer.prepareRows(of: BucketPlan.wordEmbeddings, ids: $0, skipping: Int32(model.config.padTokenId))
            }
        }
        model.forward(batch, mode: .train(seed: settings.seed, step: step))
        var loss = model.loss(batch)
        if weights.contains(where: { $0 != 1 }) { model.weightLossGradient(weights) }
        model.zeroGradients()
        if let inspect = gradientInspector {
            model.backward()
            try inspect(StepGradients(step: step + 1, rank: communicator.rank, model: model))
        } else {
            // Reduce as layers finish; push the reductions on between a layer's GEMMs.
            model.backward(layerDone: communicator.size > 1 ? reducer.layerDone : nil,
                           progress: communicator.size > 1 ? reducer.poll : nil)
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
}
