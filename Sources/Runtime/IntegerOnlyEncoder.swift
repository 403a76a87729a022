import ModelFormat
import CKernels
import Foundation
import Tensor

/// The integer-only mode (in the spirit of I-BERT, Kim et al. 2021): the embeddings and the
/// encoder run on integers only, from the int8 folder's parameters and frozen thresholds.
/// - The residual stream is int32 at step 2^-16; every change of step is a dyadic multiply
///   (int64 product, rounding shift) with multipliers made once, at load.
/// - Each Linear's int8 input comes from the stream with its frozen threshold; the GEMMs are
///   the exact int8 ones with the int32 bias.
/// - LayerNorm: integer mean, variance and square root (Newton), `q8_int_layernorm`.
/// - GELU: i-GELU (I-BERT's second-order erf polynomial), `q8_int_gelu_s8`.
/// - Attention: query, key and value quantized to int8 per (example, head) with a power-of-two
///   step from the block's integer max (the q8bert recipe freezes no range for them); Q K^T
///   int8 x int8 -> int32; softmax by i-exp into 8 bits (step 1/256); P V as u8 x int8 -> int32;
///   the context to the next Linear's int8 input.
/// The classification head (pooler tanh and classifier, one row per example) runs as in the
/// default mode, on the last LayerNorm's [CLS] rows converted to FP32.
///
/// Supports models whose embeddings and encoder Linears are all int8 with frozen (EMA) input
/// ranges and no output requantization (the q8bert recipe); others get
/// `Int8ModelError.integerOnlyUnsupported` at load.
final class IntegerOnlyEncoder {
    /// Fraction bits of the residual stream.
    static let residualBits = 16

    /// An int8 Linear unit on the integer path.
    struct IntLinear {
        let unit: Int8Linear
        /// From the residual stream's step to the unit's int8 input: S_x 2^-16.
        let input: q8_dyadic
        let maxQ: Int32
        /// S_x, and each part's accumulator step 1 / (S_x S_w).
        let inputScale: Double
        let accStep: [Double]
        var packed: UnsafePointer<q8_packed_s8> { UnsafePointer(unit.packed) }
        var bias: UnsafePointer<Int32> { UnsafePointer(unit.frozenBias!) }
    }

    /// A LayerNorm's integer parameters: per channel, weight sqrt(dim) 2^-30 / step as a dyadic
    /// multiplier and round(bias / step).
    final class IntNorm {
        let gamma: UnsafeMutablePointer<q8_dyadic>, beta: UnsafeMutablePointer<Int32>
        init(_ norm: Norm, make: (Double, String) throws -> q8_dyadic, name: String) throws {
            let dim = norm.dim, step = pow(2, -Double(IntegerOnlyEncoder.residualBits))
            gamma = .allocate(capacity: dim)
            beta = .allocate(capacity: dim)
            for c in 0..<dim {
                gamma[c] = try make(Double(norm.weight[c]) * Double(dim).squareRoot() * pow(2, -30) / step, "\(name).weight[\(c)]")
                let b = (Double(norm.bias[c]) / step).rounded()
                beta[c] = Int32(max(Double(Int32.min), min(Double(Int32.max), b)))
            }
        }
        deinit { gamma.deallocate(); beta.deallocate() }
    }

    struct Layer {
        let qkv: [IntLinear]
        let attentionOutput: IntLinear, intermediate: IntLinear, output: IntLinear
        /// Q K^T accumulators (steps before the per-head shifts) to the softmax input's 2^-12.
        let scores: q8_dyadic
        /// P V accumulators (P at 1/256, V before its shift) to the attention output's int8 input.
        let context: q8_dyadic
        /// Accumulators to the residual stream's step.
        let attentionResidual: q8_dyadic, outputResidual: q8_dyadic
        /// The intermediate accumulators to 2^-12, and i-GELU's result to the output Linear's input.
        let geluIn: q8_dyadic, geluOut: q8_dyadic
        let norm1: IntNorm, norm2: IntNorm
        /// The input dyadic of the query/key/value units after the first, when it differs from
        /// the first's (they then read their own int8 copy of the stream).
        var separateQKVInputs: Bool
    }

    let config: BertConfig
    let word: EmbeddingTable, position: EmbeddingTable, tokenType: EmbeddingTable
    let embedWord: q8_dyadic, embedPosition: q8_dyadic, embedTokenType: q8_dyadic
    let embedNorm: IntNorm
    let layers: [Layer]
    private var workspace: IntegerWorkspace?

    init(_ model: Int8Model) throws {
        let path = model.directory.path
        func fail(_ reason: String) -> Int8ModelError { .integerOnlyUnsupported(path: path, reason: reason) }
        func dyadic(_ m: Double, _ what: String) throws -> q8_dyadic {
            var d = q8_dyadic()
            guard m.isFinite, q8_dyadic_make(m, &d) == 0 else {
                throw fail("\(what): the factor \(m) has no dyadic form (|m| must be below 2^31)")
            }
            return d
        }
        func linear(_ unit: LinearUnit, _ name: String) throws -> IntLinear {
            guard let u = unit as? Int8Linear else { throw fail("\(name) is left in FP32") }
            let names = u.parts.map(\.name).joined(separator: ", ")
            guard case .frozen(let sx) = u.input else {
                throw fail("\(names) quantizes its input with each batch's range (dynamic mode)")
            }
            guard u.parts.allSatisfy({ $0.output == .none }) else {
                throw fail("\(names) requantizes its output (supported: the q8bert recipe, outputs not requantized)")
            }
            let input = try dyadic(Double(sx) * pow(2, -Double(Self.residualBits)), "\(names) input")
            return IntLinear(unit: u, input: input, maxQ: Int32(u.maxQ), inputScale: Double(sx),
                             accStep: u.parts.map { 1 / (Double(sx) * Double($0.weightScale)) })
        }
        config = model.config
        let C = config.hiddenSize, heads = config.numAttentionHeads, D = C / heads
        let stream = pow(2, Double(Self.residualBits))
        for (table, name) in [(model.word, "word"), (model.position, "position"), (model.tokenType, "token type")]
        where table.int8 == nil {
            throw fail("the \(name) embeddings are left in FP32")
        }
        word = model.word; position = model.position; tokenType = model.tokenType
        func embed(_ t: EmbeddingTable, _ name: String) throws -> q8_dyadic {
            t.scale == 0 ? q8_dyadic(mult: 0, shift: 0) : try dyadic(stream / Double(t.scale), "\(name) embeddings")
        }
        embedWord = try embed(word, "word")
        embedPosition = try embed(position, "position")
        embedTokenType = try embed(tokenType, "token type")
        embedNorm = try IntNorm(model.embeddingNorm, make: dyadic, name: "bert.embeddings.LayerNorm")

        var layers = [Layer]()
        for (l, block) in model.blocks.enumerated() {
            let p = "bert.encoder.layer.\(l)."
            let qkv = try block.qkv.map { try linear($0, p + "attention.self") }
            let steps = qkv.flatMap(\.accStep)  // query, key, value
            let o = try linear(block.attentionOutput, p + "attention.output.dense")
            let i = try linear(block.intermediate, p + "intermediate.dense")
            let d = try linear(block.output, p + "output.dense")
            let sqrtD = Double(D).squareRoot(), fix = pow(2, Double(Q8_INT_FRAC_BITS))
            layers.append(Layer(
                qkv: qkv, attentionOutput: o, intermediate: i, output: d,
                scores: try dyadic(steps[0] * steps[1] / sqrtD * fix, p + "attention scores"),
                context: try dyadic(steps[2] / 256 * o.inputScale, p + "attention context"),
                attentionResidual: try dyadic(o.accStep[0] * stream, p + "attention.output.dense output"),
                outputResidual: try dyadic(d.accStep[0] * stream, p + "output.dense output"),
                geluIn: try dyadic(i.accStep[0] * fix, p + "intermediate.dense output"),
                geluOut: try dyadic(q8_int_gelu_step() * 65536 * d.inputScale, p + "output.dense input"),
                norm1: try IntNorm(block.attentionNorm, make: dyadic, name: p + "attention.output.LayerNorm"),
                norm2: try IntNorm(block.outputNorm, make: dyadic, name: p + "output.LayerNorm"),
                separateQKVInputs: qkv.contains { $0.input.mult != qkv[0].input.mult || $0.input.shift != qkv[0].input.shift
                                                  || $0.maxQ != qkv[0].maxQ }))
        }
        self.layers = layers
    }

    /// Runs the embeddings and the encoder on a validated batch; writes each example's [CLS] row
    /// of the last LayerNorm, converted to FP32, into cls [B, C]. As the default mode, whole
    /// examples are the tasks when they split evenly over the threads
    /// (`Int8Model.runsExampleMajor`); otherwise one parallel loop per step. Same bits.
    func forward(_ batch: Batch, cls: UnsafeMutablePointer<Float>) {
        let B = batch.size, T = batch.seqLen, N = B * T
        let C = config.hiddenSize, H = config.numAttentionHeads
        let ws = workspace(tokens: N, batch: B, seqLen: T)
        batch.attentionMask.withUnsafeBufferPointer { ws.keyMask.update(from: $0.baseAddress!, count: N) }
        // The workspace holds min(threads, B H) attention scratches: every thread's when the
        // examples split over the threads.
        let workers = min(Parallel.threads, ws.attention.count)
        let exampleMajor = Int8Model.runsExampleMajor(examples: B, threads: Parallel.threads)
        batch.inputIds.withUnsafeBufferPointer { idsBuffer in
            batch.tokenTypeIds.withUnsafeBufferPointer { typesBuffer in
                let ids = idsBuffer.baseAddress!, types = typesBuffer.baseAddress!
                if exampleMajor {
                    Parallel.forEachChunk(B, chunks: workers) { c, examples in
                        for b in examples {
                            let r = b * T ..< (b + 1) * T
                            embed(rows: r, ids: ids, types: types, ws: ws, seqLen: T)
                            for (l, layer) in layers.enumerated() {
                                project(layer, rows: r, ws: ws)
                                for h in 0..<H { attend(layer, example: b, head: h, ws: ws, seqLen: T, scratch: ws.attention[c]) }
                                finish(layer, next: l + 1 < layers.count ? layers[l + 1].qkv[0] : nil, rows: r, ws: ws)
                            }
                        }
                    }
                } else {
                    Parallel.forEachChunk(N, minChunk: 64) { r in embed(rows: r, ids: ids, types: types, ws: ws, seqLen: T) }
                    for (l, layer) in layers.enumerated() {
                        Parallel.forEachChunk(N, minChunk: 16) { r in project(layer, rows: r, ws: ws) }
                        // Attention per (example, head), each worker with its own scratch.
                        Parallel.forEachChunk(B * H, chunks: min(workers, B * H)) { c, range in
                            for bh in range { attend(layer, example: bh / H, head: bh % H, ws: ws, seqLen: T, scratch: ws.attention[c]) }
                        }
                        let next = l + 1 < layers.count ? layers[l + 1].qkv[0] : nil
                        Parallel.forEachChunk(N, minChunk: 16) { r in finish(layer, next: next, rows: r, ws: ws) }
                    }
                }
            }
        }
        let step = Float(pow(2, -Double(Self.residualBits)))
        for b in 0..<B {
            let row = ws.stream + b * T * C
            for c in 0..<C { cls[b * C + c] = Float(row[c]) * step }
        }
    }

    /// Embeddings of rows r: the three int8 rows summed in the stream's step, then LayerNorm;
    /// its int8 copy is the first layer's query/key/value input.
    private func embed(rows r: Range<Int>, ids: UnsafePointer<Int32>, types: UnsafePointer<Int32>, ws: IntegerWorkspace,
                       seqLen T: Int) {
        let C = config.hiddenSize, first = layers[0].qkv[0]
        for n in r {
            q8_int_embedding_sum(ws.tmp + n * C, word.int8! + Int(ids[n]) * C, embedWord,
                                 position.int8! + (n % T) * C, embedPosition, tokenType.int8! + Int(types[n]) * C,
                                 embedTokenType, C)
        }
        let o = r.lowerBound * C
        q8_int_layernorm(ws.stream + o, ws.in8 + o, ws.tmp + o, Int32(r.count), Int32(C), embedNorm.gamma, embedNorm.beta,
                         first.input, first.maxQ)
    }

    /// Query, key and value of rows r: int32 accumulators side by side in ws.acc (row stride
    /// accWidth, so that an example's rows of acc are its own in every step).
    private func project(_ layer: Layer, rows r: Range<Int>, ws: IntegerWorkspace) {
        let C = config.hiddenSize, W = ws.accWidth
        for (j, unit) in layer.qkv.enumerated() {
            var input = UnsafePointer(ws.in8)
            if j > 0 && layer.separateQKVInputs {
                q8_int_requant_s8(ws.in8b + r.lowerBound * C, ws.stream + r.lowerBound * C, r.count * C, unit.input, unit.maxQ)
                input = UnsafePointer(ws.in8b)
            }
            let column = layer.qkv.count == 1 ? 0 : j * C
            q8_gemm_s8s8s32_packed(ws.acc + r.lowerBound * W + column, Int32(W), input + r.lowerBound * C, Int32(C),
                                   Int32(r.count), unit.packed, unit.bias)
        }
    }

    /// Attention of one (example, head) from ws.acc into ws.ctx8, on `scratch`.
    private func attend(_ layer: Layer, example b: Int, head h: Int, ws: IntegerWorkspace, seqLen T: Int,
                        scratch s: IntegerWorkspace.HeadScratch) {
        let C = config.hiddenSize, D = C / config.numAttentionHeads, ld = ws.accWidth
        let keys = attendedKeys(ws.keyMask, example: b, seqLen: T)
        let n = keys.count, mask = keys.mask
        let base = UnsafePointer(ws.acc + b * T * ld + h * D)
        // Ranges from the example's real tokens only (right padding), so that results do not
        // depend on how far the batch is padded.
        let sq = q8_int_head_quantize(s.q, base, Int32(ld), Int32(T), Int32(D), Int32(mask == nil ? n : T), 0)
        let sk = q8_int_head_quantize(s.k, base + C, Int32(ld), Int32(n), Int32(D), Int32(n), 0)
        let sv = q8_int_head_quantize(s.vt, base + 2 * C, Int32(ld), Int32(n), Int32(D), Int32(n), 1)
        _ = q8_pack_weights_s8_nk(s.keys, Int32(n), Int32(D), s.k, Int32(D))
        q8_gemm_s8s8s32_packed(s.scores, Int32(n), s.q, Int32(D), Int32(T), s.keys, nil)
        q8_int_softmax_u8(s.probs, s.scores, Int32(n), Int32(T), Int32(n), mask, shifted(layer.scores, sq + sk))
        _ = q8_pack_weights_s8_nk(s.values, Int32(D), Int32(n), s.vt, Int32(n))
        q8_gemm_u8s8s32_packed(s.context, Int32(D), s.probs, Int32(n), Int32(T), s.values, nil)
        let toInput = shifted(layer.context, sv), maxQ = layer.attentionOutput.maxQ
        for t in 0..<T {
            q8_int_requant_s8(ws.ctx8 + (b * T + t) * C + h * D, s.context + t * D, D, toInput, maxQ)
        }
    }

    /// The row-local rest of the layer for rows r: attention output + residual, LayerNorm,
    /// intermediate, i-GELU, output + residual, LayerNorm, in blocks of 64 rows.
    private func finish(_ layer: Layer, next: IntLinear?, rows r: Range<Int>, ws: IntegerWorkspace) {
        let C = config.hiddenSize, I = config.intermediateSize, W = ws.accWidth
        let o = layer.attentionOutput, inter = layer.intermediate, out = layer.output
        let nextInput = next?.input ?? q8_dyadic(mult: 0, shift: 0), nextMaxQ = next?.maxQ ?? 127
        var lo = r.lowerBound
        while lo < r.upperBound {
            let m = min(64, r.upperBound - lo), m32 = Int32(m)
            let acc = ws.acc + lo * W, rc = lo * C
            q8_gemm_s8s8s32_packed(acc, Int32(C), ws.ctx8 + rc, Int32(C), m32, o.packed, o.bias)
            q8_int_residual_add(ws.tmp + rc, acc, ws.stream + rc, m * C, layer.attentionResidual)
            q8_int_layernorm(ws.stream1 + rc, ws.in8 + rc, ws.tmp + rc, m32, Int32(C), layer.norm1.gamma,
                             layer.norm1.beta, inter.input, inter.maxQ)
            q8_gemm_s8s8s32_packed(acc, Int32(I), ws.in8 + rc, Int32(C), m32, inter.packed, inter.bias)
            q8_int_gelu_s8(ws.gelu8 + lo * I, acc, m * I, layer.geluIn, layer.geluOut, out.maxQ)
            q8_gemm_s8s8s32_packed(acc, Int32(C), ws.gelu8 + lo * I, Int32(I), m32, out.packed, out.bias)
            q8_int_residual_add(ws.tmp + rc, acc, ws.stream1 + rc, m * C, layer.outputResidual)
            q8_int_layernorm(ws.stream + rc, next == nil ? nil : ws.in8 + rc, ws.tmp + rc, m32, Int32(C),
                             layer.norm2.gamma, layer.norm2.beta, nextInput, nextMaxQ)
            lo += m
        }
    }

    /// Allocates the buffers for batches of up to `batchSize` x `seqLen` now.
    func reserve(batchSize: Int, seqLen: Int) {
        _ = workspace(tokens: batchSize * seqLen, batch: batchSize, seqLen: seqLen)
    }

    private func workspace(tokens: Int, batch: Int, seqLen: Int) -> IntegerWorkspace {
        if let ws = workspace, ws.tokens >= tokens, ws.seqLen >= seqLen, ws.attention.count >= min(Parallel.threads, batch * config.numAttentionHeads) {
            return ws
        }
        let old = workspace
        workspace = nil
        let ws = IntegerWorkspace(config: config, tokens: max(tokens, old?.tokens ?? 0), seqLen: max(seqLen, old?.seqLen ?? 0),
                                  workers: max(Parallel.threads, old?.attention.count ?? 0))
        workspace = ws
        return ws
    }
}

/// d times 2^e (a per-head power-of-two step); a shift that would leave 0...62 is clamped
/// (only reachable with accumulators beyond any int8 GEMM's range).
private func shifted(_ d: q8_dyadic, _ e: Int32) -> q8_dyadic {
    var out = q8_dyadic()
    if q8_dyadic_scale_pow2(d, e, &out) == 0 { return out }
    return q8_dyadic(mult: d.mult, shift: max(0, min(62, d.shift - e)))
}

/// The integer path's buffers for up to `tokens` rows of sequences of up to `seqLen`.
final class IntegerWorkspace {
    let tokens: Int, seqLen: Int, accWidth: Int
    /// The residual stream (int32, step 2^-16) at the layer input and after the first
    /// LayerNorm; LayerNorm inputs.
    let stream, stream1, tmp: UnsafeMutablePointer<Int32>
    /// Accumulators [tokens, accWidth].
    let acc: UnsafeMutablePointer<Int32>
    /// int8 Linear inputs: in8 (query/key/value, then intermediate), in8b (a query, key or value
    /// with its own scale), ctx8 (attention output), gelu8 [tokens, I] (output).
    let in8, in8b, ctx8, gelu8: UnsafeMutablePointer<Int8>
    let keyMask: UnsafeMutablePointer<Float>
    let attention: [HeadScratch]

    /// One worker's buffers for one attention head.
    final class HeadScratch {
        let q, k, vt: UnsafeMutablePointer<Int8>
        let keys, values: UnsafeMutablePointer<q8_packed_s8>
        let scores, context: UnsafeMutablePointer<Int32>
        let probs: UnsafeMutablePointer<UInt8>
        init(seqLen T: Int, headDim D: Int) {
            q = .allocate(capacity: T * D); k = .allocate(capacity: T * D); vt = .allocate(capacity: T * D)
            keys = q8_packed_s8_alloc(Int32(T), Int32(D))!
            values = q8_packed_s8_alloc(Int32(D), Int32(T))!
            scores = .allocate(capacity: T * T); context = .allocate(capacity: T * D)
            probs = .allocate(capacity: T * T)
        }
        deinit {
            q.deallocate(); k.deallocate(); vt.deallocate()
            q8_packed_s8_free(keys); q8_packed_s8_free(values)
            scores.deallocate(); context.deallocate(); probs.deallocate()
        }
    }

    init(config c: BertConfig, tokens N: Int, seqLen T: Int, workers: Int) {
        tokens = N; seqLen = T
        let C = c.hiddenSize, I = c.intermediateSize
        accWidth = max(3 * C, I)
        func ints(_ n: Int) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        func bytes(_ n: Int) -> UnsafeMutablePointer<Int8> {
            let p = UnsafeMutablePointer<Int8>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        stream = ints(N * C); stream1 = ints(N * C); tmp = ints(N * C); acc = ints(N * accWidth)
        in8 = bytes(N * C); in8b = bytes(N * C); ctx8 = bytes(N * C); gelu8 = bytes(N * I)
        keyMask = .allocate(capacity: N)
        keyMask.initialize(repeating: 0, count: N)
        attention = (0..<max(1, workers)).map { _ in HeadScratch(seqLen: T, headDim: C / c.numAttentionHeads) }
    }

    deinit {
        for p in [stream, stream1, tmp, acc] { p.deallocate() }
        for p in [in8, in8b, ctx8, gelu8] { p.deallocate() }
        keyMask.deallocate()
    }
}
