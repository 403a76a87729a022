import CKernels
import ModelFormat
import Tensor

/// Q8BERT state and scratch of one quantized Linear: its step counter and thresholds (saved
/// under the Q8BERT names `_step`, `input_thresh`, `output_thresh`), its fake-quantized
/// weight [outF, inF] and quantized input [rows, inF], which backward uses in place of the
/// FP32 ones (straight-through estimator: the gradient passes the rounding unchanged).
public final class LinearQuantizer {
    public let name: String
    public let settings: LayerQuantization
    /// Training forwards seen (`_step`).
    public internal(set) var step = 0
    public internal(set) var input = ActivationThreshold()
    public internal(set) var output = ActivationThreshold()
    /// max|W| of the last forward.
    public internal(set) var weightThreshold: Float = 0
    let weightQ: FloatBuffer
    var inputQ: FloatBuffer
    /// The forward product's kernels (`QuantizedGemm`; bits are 2...8, so int8 holds every q).
    public var gemm = QuantizedGemm.int8
    /// q(W) packed for the int8 GEMM, made on the first int8 forward.
    private var packedWeights: PackedInt8Weights?
    var biasQ = FloatBuffer(count: 0)
    public let reducer: RangeReducer
    /// Whether the last forward quantized (backward must then use weightQ and `usedInput`).
    var lastForwardQuantized = false
    /// The last forward's input: where it came from, its batch max|x| (globally reduced),
    /// the scale it was quantized with and the buffer holding the quantized values, which
    /// may be another Linear's (query, key and value share one quantization of x when their
    /// scales agree).
    var lastSource: UnsafePointer<Float>?, lastCount = 0, lastBatchMax: Float = 0, lastScale: Float = 0
    var usedInput: UnsafePointer<Float>?

    init(name: String, settings: LayerQuantization, inFeatures: Int, outFeatures: Int, reducer: RangeReducer) {
        self.name = name
        self.settings = settings
        self.reducer = reducer
        weightQ = FloatBuffer(count: inFeatures * outFeatures)
        inputQ = FloatBuffer(count: 0)
    }

    /// Whether a forward now (training or not) runs quantized.
    func quantizes(training: Bool) -> Bool {
        settings.mode != .none && (!training || step >= settings.startStep)
    }

    /// Restores saved state (resuming, or loading a QAT checkpoint for evaluation).
    public func restore(step: Int, inputThreshold: Float, outputThreshold: Float) {
        self.step = step
        input.value = inputThreshold
        output.value = outputThreshold
    }

    /// The packed int8 weight when the forward runs on the int8 kernels, else nil.
    func int8Weights(outFeatures: Int, inFeatures: Int) -> PackedInt8Weights? {
        guard gemm == .int8 else { return nil }
        if packedWeights == nil { packedWeights = PackedInt8Weights(outFeatures: outFeatures, inFeatures: inFeatures) }
        return packedWeights
    }

    func inputBuffer(count: Int) -> FloatBuffer {
        if inputQ.count < count { inputQ = FloatBuffer(count: count) }
        return inputQ
    }

    /// Whether a quantized forward needs this batch's max|x| (dynamic mode; EMA in training).
    func needsBatchMax(training: Bool) -> Bool {
        settings.mode == .dynamic || (settings.mode == .ema && training)
    }

    /// This batch's max|x| over all ranks.
    func batchMax(_ x: UnsafePointer<Float>, count: Int) -> Float {
        reducer.globalMax(maxAbs(x, count: count))
    }

    /// The threshold to quantize with: the batch max (dynamic), the EMA after folding the
    /// batch max in (training), or the frozen EMA (evaluation).
    func threshold(_ t: inout ActivationThreshold, batchMax: Float, training: Bool) -> Float {
        switch settings.mode {
        case .none: return 0
        case .dynamic: t.value = batchMax
        case .ema:
            if training {
                t.update(batchMax: batchMax, coefficient: settings.emaCoefficient, first: step == settings.startStep)
            }
        }
        return t.value
    }
}

/// Q8BERT state of one quantized Embedding: only its table is quantized (threshold max|W|),
/// from its `start_step` on in training (as nlp-architect's `QuantizedLayer`: a plain lookup
/// before, `_step` counts training forwards) and always in evaluation.
public final class EmbeddingQuantizer {
    public let name: String
    public let settings: LayerQuantization
    /// Training forwards seen (`_step`).
    public internal(set) var step = 0
    /// max|W| of the last quantized lookup (0 before `start_step`).
    public internal(set) var weightThreshold: Float = 0

    init(name: String, settings: LayerQuantization) { self.name = name; self.settings = settings }

    /// Whether the table is quantized at all (mode other than none).
    public var quantizes: Bool { settings.mode != .none }

    /// Whether a lookup now (training or not) reads the quantized table.
    func quantizes(training: Bool) -> Bool { quantizes && (!training || step >= settings.startStep) }

    /// Restores the step counter (resuming, skipped steps, loading a QAT checkpoint).
    public func restore(step: Int) { self.step = step }
}

extension LinearQuantizer {
    /// The bias quantized to int32 at `scale` = S_x S_w (clamped to +-(2^31 - 1)), as floats.
    func quantizedBias(_ bias: UnsafePointer<Float>, count: Int, scale: Float) -> UnsafePointer<Float> {
        if biasQ.count < count { biasQ = FloatBuffer(count: count) }
        let limit = Float(Int32.max)
        for i in 0..<count {
            let v = (bias[i] * scale).rounded(.toNearestOrEven)
            biasQ[i] = min(max(v, -limit), limit)
        }
        return UnsafePointer(biasQ.pointer)
    }
}
