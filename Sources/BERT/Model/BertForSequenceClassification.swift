import ModelFormat
import Tensor

/// BERT with a sequence-classification head (Hugging Face `BertForSequenceClassification`).
/// All parameters live in one flat buffer described by `layout`; gradients share the layout.
/// numLabels == 1 is regression (MSE), as Hugging Face.
public final class BertForSequenceClassification {
    public let config: BertConfig
    public let numLabels: Int
    public let layout: ParameterLayout
    /// Parameters and their gradients, [layout.count] each.
    public let parameters: FloatBuffer
    public let gradients: FloatBuffer

    var embeddings: Embeddings
    var layers: [EncoderLayer]
    var head: ClassifierHead
    /// Q8BERT quantization, when enabled (`enableQuantization`).
    public internal(set) var quantization: QuantizationConfig?
    public internal(set) var linearQuantizers: [LinearQuantizer] = []
    public internal(set) var embeddingQuantizers: [EmbeddingQuantizer] = []
    var activations: Activations?
    /// The batch shape and mode of the last forward, which backward uses.
    var last: (batch: Int, seqLen: Int, mode: ForwardMode)?

    public init(config: BertConfig, numLabels: Int) {
        precondition(numLabels >= 1, "numLabels must be at least 1")
        self.config = config
        self.numLabels = numLabels
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: numLabels)
        let params = FloatBuffer(count: layout.count), grads = FloatBuffer(count: layout.count)
        self.layout = layout
        parameters = params
        gradients = grads
        embeddings = Embeddings(config: config, params: params, grads: grads, layout: layout)
        layers = (0..<config.numHiddenLayers).map {
            EncoderLayer(index: $0, config: config, params: params, grads: grads, layout: layout)
        }
        head = ClassifierHead(config: config, params: params, grads: grads, layout: layout)
    }

    /// A view of one parameter (or, with `gradient`, its gradient).
    public func tensor(_ name: String, gradient: Bool = false) -> UnsafeMutableBufferPointer<Float>? {
        guard let e = layout[name] else { return nil }
        return .init(start: (gradient ? gradients : parameters).pointer + e.offset, count: e.count)
    }

    public func zeroGradients() { gradients.zero() }

    /// Runs the model; returns logits [B, numLabels], valid until the next forward.
    @discardableResult
    public func forward(_ batch: Batch, mode: ForwardMode) -> UnsafeBufferPointer<Float> {
        let B = batch.size, T = batch.seqLen
        precondition(T <= config.maxPositionEmbeddings, "sequence length \(T) exceeds max_position_embeddings")
        let ws = workspace(batch: B, seqLen: T)
        let N = B * T
        let m = batch.reductionGroups ?? 1
        precondition(m >= 1 && m & (m - 1) == 0 && m <= Activations.maxGroups && B % m == 0,
                     "reduction groups \(m): a power of two up to \(Activations.maxGroups) that divides the batch size \(B)")
        ws.groups.configure(deterministicGroups: batch.reductionGroups)
        for i in 0..<N {
            let id = batch.inputIds[i], type = batch.tokenTypeIds[i]
            precondition(id >= 0 && Int(id) < config.vocabSize, "token id \(id) outside the vocabulary")
            precondition(type >= 0 && Int(type) < config.typeVocabSize, "token type \(type) out of range")
            ws.inputIds.pointer[i] = id
            ws.tokenTypeIds.pointer[i] = type
            ws.positionIds.pointer[i] = Int32(i % T)
            ws.keyMask.pointer[i] = batch.attentionMask[i]
        }
        // FP32 evaluation runs over the token rows only (no result depends on the padding). A
        // quantized model evaluates as the int8 runtime computes, over every row.
        if !mode.training && quantization == nil { ws.activeRows.set(mask: ws.keyMask.pointer, rows: N) } else { ws.activeRows.clear() }
        embeddings.forward(ws: ws, batch: B, seqLen: T, exampleIndices: batch.exampleIndices, mode: mode)
        var x = UnsafePointer(ws.embOut.pointer)
        for (layer, a) in zip(layers, ws.layers) {
            layer.forward(x, a, ws: ws, batch: B, seqLen: T, exampleIndices: batch.exampleIndices, mode: mode)
            x = UnsafePointer(a.out.pointer)
        }
        head.forward(x, ws: ws, batch: B, seqLen: T, exampleIndices: batch.exampleIndices, mode: mode)
        last = (B, T, mode)
        return UnsafeBufferPointer(start: ws.logits.pointer, count: B * numLabels)
    }

    /// The pooled [CLS] output [B, C] of the last forward (BertModel's pooler_output).
    public var pooledOutput: UnsafeBufferPointer<Float> {
        guard let ws = activations, let last else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: ws.pooled.pointer, count: last.batch * config.hiddenSize)
    }

    /// The encoder output [B, T, C] of the last forward (BertModel's last_hidden_state).
    public var lastHiddenState: UnsafeBufferPointer<Float> {
        guard let ws = activations, let last else { return UnsafeBufferPointer(start: nil, count: 0) }
        let out = ws.layers.last?.out ?? ws.embOut
        return UnsafeBufferPointer(start: out.pointer, count: last.batch * last.seqLen * config.hiddenSize)
    }

    /// Loss of the last forward against the batch's labels (cross-entropy) or targets (MSE,
    /// numLabels == 1), averaged over the batch; leaves dLoss/dLogits ready for `backward`.
    public func loss(_ batch: Batch) -> Float {
        guard let ws = activations, let last, last.batch == batch.size else {
            preconditionFailure("loss: call forward with this batch first")
        }
        if numLabels == 1 {
            precondition(batch.targets.count == batch.size, "regression batch needs targets")
            return batch.targets.withUnsafeBufferPointer {
                mseForwardBackward(dPred: ws.dLogits.pointer, pred: ws.logits.pointer,
                                   targets: $0.baseAddress!, batch: batch.size)
            }
        }
        precondition(batch.labels.count == batch.size, "classification batch needs labels")
        return batch.labels.withUnsafeBufferPointer {
            crossEntropyForwardBackward(dLogits: ws.dLogits.pointer, logits: ws.logits.pointer,
                                        labels: $0.baseAddress!, batch: batch.size, classes: numLabels)
        }
    }

    /// Multiplies each example's row of dLoss/dLogits by its weight [B] (data parallelism:
    /// padding examples get 0, so the average over ranks is the mean over real examples).
    public func weightLossGradient(_ weights: [Float]) {
        guard let ws = activations, let last, weights.count == last.batch else {
            preconditionFailure("weightLossGradient: one weight per example of the last batch")
        }
        for (b, w) in weights.enumerated() where w != 1 {
            for j in 0..<numLabels { ws.dLogits[b * numLabels + j] *= w }
        }
    }

    /// Backward from the dLogits `loss` left; adds into `gradients`.
    /// `layerDone(l)` is called once the gradients of encoder layer l (and, for l == 0, the
    /// embeddings) are final, in the order L-1 ... 0, -1 (embeddings): the hook for overlapping
    /// gradient communication with the rest of backward. `progress` is called between the
    /// sub-steps of each layer's backward (after each of its GEMM groups, about 7 per layer):
    /// the hook for pushing non-blocking collectives on (MPI progresses them only inside MPI
    /// calls, and a ring allreduce needs 2(W - 1) rounds).
    public func backward(layerDone: ((Int) -> Void)? = nil, progress: (() -> Void)? = nil) {
        guard let ws = activations, let last else { preconditionFailure("backward: no forward to differentiate") }
        let B = last.batch, T = last.seqLen, mode = last.mode
        var dOut = ws.g0.pointer, dX = ws.g3.pointer
        head.backward(dH: dOut, ws: ws, batch: B, seqLen: T, mode: mode)
        layerDone?(layers.count)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let x = l == 0 ? ws.embOut.pointer : ws.layers[l - 1].out.pointer
            layers[l].backward(dX: dX, dOut: dOut, x: x, ws.layers[l], ws: ws, batch: B, seqLen: T, mode: mode,
                               progress: progress)
            swap(&dOut, &dX)
            layerDone?(l)
        }
        embeddings.backward(dOut: dOut, ws: ws, batch: B, seqLen: T, mode: mode, progress: progress)
        layerDone?(-1)
    }

    /// Allocates the activation buffers for batches up to `batch` x `seqLen` now, so that
    /// no step reallocates (a run mixes training and evaluation batch sizes and lengths).
    public func reserve(batch: Int, seqLen: Int) {
        _ = workspace(batch: batch, seqLen: seqLen)
    }

    private func workspace(batch: Int, seqLen: Int) -> Activations {
        if let ws = activations, ws.fits(batch: batch, seqLen: seqLen, threads: Parallel.threads) { return ws }
        activations = nil  // release before allocating the larger one
        let ws = Activations(config: config, numLabels: numLabels, batch: batch, seqLen: seqLen,
                             threads: Parallel.threads)
        activations = ws
        return ws
    }
}
