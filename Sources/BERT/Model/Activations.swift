import ModelFormat
import Tensor

/// Every buffer a forward pass saves for backward, and backward's scratch, allocated once
/// for a capacity of B examples x T tokens and reused by every step.
/// Legend: N = B T tokens, C hidden, I intermediate, H heads, L labels.
final class Activations {
    let batchCapacity: Int, seqCapacity: Int, threadCapacity: Int
    var tokens: Int { batchCapacity * seqCapacity }

    // Inputs, copied in: ids/types/positions [N], keyMask [N].
    let inputIds, tokenTypeIds, positionIds: Int32Buffer
    let keyMask: FloatBuffer

    // Embeddings: sum of the three lookups [N, C]; LayerNorm output, dropped in place [N, C].
    let embSum, embOut: FloatBuffer
    let embMean, embRstd: FloatBuffer
    let embMask: ByteBuffer

    final class Layer {
        let q, k, v, context: FloatBuffer            // [N, C]
        let probs, dropped: FloatBuffer              // [B, H, T, T]
        let probsMask: ByteBuffer                    // [B, H, T, T]
        let attnResidual: FloatBuffer                // dropout(dense(context)) + x  [N, C]
        let attnMask: ByteBuffer                     // [N, C]
        let ln1Out, ln1Mean, ln1Rstd: FloatBuffer    // [N, C], [N], [N]
        let interPre, interAct: FloatBuffer          // [N, I]
        let ffnResidual: FloatBuffer                 // dropout(dense(interAct)) + ln1Out [N, C]
        let ffnMask: ByteBuffer                      // [N, C]
        let out, ln2Mean, ln2Rstd: FloatBuffer       // layer output [N, C], [N], [N]

        init(N: Int, C: Int, I: Int, probs P: Int) {
            q = FloatBuffer(count: N * C); k = FloatBuffer(count: N * C)
            v = FloatBuffer(count: N * C); context = FloatBuffer(count: N * C)
            probs = FloatBuffer(count: P); dropped = FloatBuffer(count: P); probsMask = ByteBuffer(count: P)
            attnResidual = FloatBuffer(count: N * C); attnMask = ByteBuffer(count: N * C)
            ln1Out = FloatBuffer(count: N * C); ln1Mean = FloatBuffer(count: N); ln1Rstd = FloatBuffer(count: N)
            interPre = FloatBuffer(count: N * I); interAct = FloatBuffer(count: N * I)
            ffnResidual = FloatBuffer(count: N * C); ffnMask = ByteBuffer(count: N * C)
            out = FloatBuffer(count: N * C); ln2Mean = FloatBuffer(count: N); ln2Rstd = FloatBuffer(count: N)
        }
    }
    let layers: [Layer]

    // Head: [CLS] rows [B, C], pooler pre-activation and tanh output [B, C], dropped [B, C],
    // logits and their gradient [B, L].
    let cls, pooledPre, pooled, pooledDropped: FloatBuffer
    let pooledMask: ByteBuffer
    let logits, dLogits: FloatBuffer

    // Backward scratch: gradients flowing through the encoder.
    let g0, g1, g2, g3, dQ, dK, dV: FloatBuffer   // [N, C]
    let gInter: FloatBuffer                  // [N, I]
    let gHeadA, gHeadB: FloatBuffer          // [B, C]
    let attentionScratch: FloatBuffer        // threads x 2 x T x T
    let normScratch: FloatBuffer             // chunks of 32 rows x 2 x max(C, I)
    /// The row groups of the current batch (Batch.reductionGroups) and their scratch.
    let groups = RowGroups()
    /// The token rows of the current batch (evaluation packs its GEMMs to them).
    let activeRows = ActiveRows()

    init(config c: BertConfig, numLabels L: Int, batch B: Int, seqLen T: Int, threads: Int) {
        batchCapacity = B; seqCapacity = T; threadCapacity = max(threads, 1)
        let N = B * T, C = c.hiddenSize, I = c.intermediateSize, P = B * c.numAttentionHeads * T * T
        inputIds = Int32Buffer(count: N); tokenTypeIds = Int32Buffer(count: N)
        positionIds = Int32Buffer(count: N); keyMask = FloatBuffer(count: N)
        embSum = FloatBuffer(count: N * C); embOut = FloatBuffer(count: N * C)
        embMean = FloatBuffer(count: N); embRstd = FloatBuffer(count: N); embMask = ByteBuffer(count: N * C)
        layers = (0..<c.numHiddenLayers).map { _ in Layer(N: N, C: C, I: I, probs: P) }
        cls = FloatBuffer(count: B * C); pooledPre = FloatBuffer(count: B * C)
        pooled = FloatBuffer(count: B * C); pooledDropped = FloatBuffer(count: B * C)
        pooledMask = ByteBuffer(count: B * C)
        logits = FloatBuffer(count: B * L); dLogits = FloatBuffer(count: B * L)
        g0 = FloatBuffer(count: N * C); g1 = FloatBuffer(count: N * C)
        g2 = FloatBuffer(count: N * C); g3 = FloatBuffer(count: N * C)
        dQ = FloatBuffer(count: N * C); dK = FloatBuffer(count: N * C); dV = FloatBuffer(count: N * C)
        gInter = FloatBuffer(count: N * I)
        gHeadA = FloatBuffer(count: B * C); gHeadB = FloatBuffer(count: B * C)
        attentionScratch = FloatBuffer(count: max(threads, 1) * 2 * T * T)
        normScratch = FloatBuffer(count: layerNormBackwardScratchCount(rows: N, dim: max(C, I), groups: Activations.maxGroups))
    }

    /// The most row groups a batch may ask for (sizes normScratch).
    static let maxGroups = 64

    func fits(batch: Int, seqLen: Int, threads: Int) -> Bool {
        batch <= batchCapacity && seqLen <= seqCapacity && threads <= threadCapacity
    }
}
