import BERT
import CKernels
import Tensor

/// How a Linear's input is quantized: with a frozen scale S_x = M / input_thresh (EMA mode), or
/// with the scale of each batch's max|x| (dynamic mode).
enum InputRange: Equatable {
    case frozen(scale: Float)
    case dynamic
}

/// Whether a Linear's output is requantized (fake-quantized back to floats), and with what scale.
enum OutputRequantization: Equatable {
    case none
    case frozen(scale: Float)
    case dynamic
}

/// One Linear as stored in the int8 folder, before packing.
struct LinearParameters {
    enum Kind {
        /// int8 weight [out, in] with scale S_w; the int32 bias (frozen input range) or the FP32
        /// bias (dynamic: quantized per batch).
        case int8(weight: [Int8], weightScale: Float, input: InputRange, int32Bias: [Int32]?, fp32Bias: [Float]?,
                  output: OutputRequantization)
        case fp32(weight: [Float], bias: [Float])
    }
    let name: String
    let inFeatures: Int, outFeatures: Int
    let maxQ: Float
    let kind: Kind

    var isInt8: Bool { if case .int8 = kind { return true } else { return false } }
    var input: InputRange? { if case .int8(_, _, let input, _, _, _) = kind { return input } else { return nil } }
}

/// Buffers shared by the Linears of one forward: int8 inputs [rows, in], int32 accumulators
/// [rows, out], an int32 bias [out] (dynamic mode). Rows are disjoint between workers.
struct LinearScratch {
    let int8: UnsafeMutablePointer<Int8>
    let acc: UnsafeMutablePointer<Int32>
    let bias: UnsafeMutablePointer<Int32>
}

/// A row-range callback run right after a Linear has produced (and requantized) those rows of
/// its output, on the same worker: residual adds, LayerNorm, GELU, tanh while the rows are in cache.
typealias Epilogue = (Range<Int>) -> Void

/// Rows per step inside a worker's share: quantize, GEMM, rescale, epilogue, then the next block.
/// A multiple of the GEMM's row blocking (48) and micro-kernels (8, 4).
let linearBlockRows = 96

/// One GEMM over a shared input: a single Linear, or several Linears of the same input and
/// the same input scale fused into one packed weight (query, key and value: their outputs are
/// column ranges of one int32 product, each rescaled with its own factor into its own buffer).
protocol LinearUnit: AnyObject {
    var inFeatures: Int { get }
    /// Output columns of the unit (the sum over its parts).
    var totalOut: Int { get }
    /// Runs on input [rows, inFeatures], writing outputs[j] [rows, out_j] for each part j, then
    /// `epilogue` over every row range (on the worker that made it when it can).
    func forward(_ input: UnsafePointer<Float>, rows: Int, outputs: [UnsafeMutablePointer<Float>],
                 scratch: LinearScratch, epilogue: Epilogue?)
}

/// A Linear left in FP32 (mode none): exactly training's `linearForward`.
final class FP32Linear: LinearUnit {
    let inFeatures: Int, totalOut: Int
    let weight: FloatBuffer, bias: FloatBuffer

    init(_ p: LinearParameters) {
        guard case .fp32(let w, let b) = p.kind else { preconditionFailure("FP32Linear of an int8 layer") }
        inFeatures = p.inFeatures; totalOut = p.outFeatures
        weight = FloatBuffer(w); bias = FloatBuffer(b)
    }

    func forward(_ input: UnsafePointer<Float>, rows: Int, outputs: [UnsafeMutablePointer<Float>],
                 scratch: LinearScratch, epilogue: Epilogue?) {
        linearForward(out: outputs[0], input: input, weight: weight.pointer, bias: bias.pointer, rows: rows,
                      inFeatures: inFeatures, outFeatures: totalOut)
        if let epilogue { Parallel.forEachChunk(rows, minChunk: 16, epilogue) }
    }
}

/// int8 Linear(s): y_j = float(q(x) q(W_j)^T + q32(b_j)) * (1 / (S_x S_w_j)), optionally
/// requantized, with the int32 bias in the GEMM's accumulator and one rescale per element.
/// Bit-identical to training's evaluation-mode forward (see Linear.forward in BERT).
final class Int8Linear: LinearUnit {
    struct Part {
        let name: String
        let outFeatures: Int, offset: Int
        let weightScale: Float
        let fp32Bias: [Float]?
        let output: OutputRequantization
        /// 1 / (S_x S_w) with a frozen S_x.
        let frozenFactor: Float
    }

    let inFeatures: Int, totalOut: Int
    let maxQ: Float
    let input: InputRange
    let parts: [Part]
    let packed: UnsafeMutablePointer<q8_packed_s8>
    /// The concatenated int32 bias when the input range is frozen.
    let frozenBias: UnsafeMutablePointer<Int32>?

    /// Fuses `ps` (same input size, quantization and input scale) into one packed weight.
    init(_ ps: [LinearParameters]) {
        precondition(!ps.isEmpty)
        inFeatures = ps[0].inFeatures
        maxQ = ps[0].maxQ
        input = ps[0].input!
        totalOut = ps.reduce(0) { $0 + $1.outFeatures }
        var weights = [Int8](), bias = [Int32](), parts = [Part]()
        weights.reserveCapacity(totalOut * inFeatures)
        for p in ps {
            guard case .int8(let w, let sw, let inputRange, let qb, let fb, let output) = p.kind else {
                preconditionFailure("Int8Linear of an FP32 layer")
            }
            precondition(p.inFeatures == inFeatures && p.maxQ == maxQ && inputRange == input, "unfusable Linears")
            weights += w
            var factor: Float = 0
            if case .frozen(let sx) = inputRange {
                bias += qb!
                let biasScale = sx * sw
                factor = biasScale > 0 ? 1 / biasScale : 0
            }
            parts.append(Part(name: p.name, outFeatures: p.outFeatures, offset: parts.last.map { $0.offset + $0.outFeatures } ?? 0,
                              weightScale: sw, fp32Bias: fb, output: output, frozenFactor: factor))
        }
        self.parts = parts
        packed = q8_packed_s8_alloc(Int32(totalOut), Int32(inFeatures))!
        q8_pack_weights_s8(packed, weights, Int32(inFeatures))
        if case .frozen = input {
            let b = UnsafeMutablePointer<Int32>.allocate(capacity: totalOut)
            b.initialize(from: bias, count: totalOut)
            frozenBias = b
        } else {
            frozenBias = nil
        }
    }

    deinit {
        q8_packed_s8_free(packed)
        frozenBias?.deallocate()
    }

    /// Whether Linears `ps` can share one GEMM: all int8, same input size and bits, and the same
    /// input scale (frozen with equal bits, or all dynamic: one batch max).
    static func fusable(_ ps: [LinearParameters]) -> Bool {
        guard let first = ps.first, let input = first.input else { return false }
        return ps.allSatisfy { p in
            guard let i = p.input, p.inFeatures == first.inFeatures, p.maxQ == first.maxQ else { return false }
            switch (i, input) {
            case (.frozen(let a), .frozen(let b)): return a.bitPattern == b.bitPattern
            case (.dynamic, .dynamic): return true
            default: return false
            }
        }
    }

    func forward(_ x: UnsafePointer<Float>, rows: Int, outputs: [UnsafeMutablePointer<Float>],
                 scratch: LinearScratch, epilogue: Epilogue?) {
        let K = inFeatures, NT = totalOut, maxQ = maxQ
        // S_x, and for a dynamic range the int32 bias of this batch.
        let sx: Float
        var factors = parts.map(\.frozenFactor)
        let bias: UnsafePointer<Int32>
        switch input {
        case .frozen(let scale):
            sx = scale
            bias = UnsafePointer(frozenBias!)
        case .dynamic:
            sx = quantizationScale(threshold: maxAbs(x, count: rows * K), maxQ: maxQ)
            for (j, p) in parts.enumerated() {
                let biasScale = sx * p.weightScale
                factors[j] = biasScale > 0 ? 1 / biasScale : 0
                let b = p.fp32Bias!
                for i in 0..<p.outFeatures { scratch.bias[p.offset + i] = Int8Format.quantizeBias(b[i], scale: biasScale) }
            }
            bias = UnsafePointer(scratch.bias)
        }
        let deferred = parts.contains { $0.output == .dynamic }
        let packed = UnsafePointer(self.packed)
        let parts = self.parts
        Parallel.forEachChunk(rows, minChunk: 16) { chunk in
            var lo = chunk.lowerBound
            while lo < chunk.upperBound {
                let m = min(linearBlockRows, chunk.upperBound - lo)
                let xq = scratch.int8 + lo * K, acc = scratch.acc + lo * NT
                quantizeInt8(xq, x + lo * K, count: m * K, scale: sx, maxQ: maxQ)
                q8_gemm_s8s8s32_packed(acc, Int32(NT), xq, Int32(K), Int32(m), packed, bias)
                for (j, p) in parts.enumerated() {
                    let out = outputs[j] + lo * p.outFeatures
                    if parts.count == 1 {
                        q8_dequantize_s32(out, acc, m * p.outFeatures, factors[j])
                    } else {
                        for r in 0..<m {
                            q8_dequantize_s32(out + r * p.outFeatures, acc + r * NT + p.offset, p.outFeatures, factors[j])
                        }
                    }
                    if case .frozen(let sy) = p.output { q8_fake_quantize(out, out, m * p.outFeatures, sy, maxQ) }
                }
                if !deferred { epilogue?(lo..<(lo + m)) }
                lo += m
            }
        }
        guard deferred else { return }
        // Dynamic output ranges need the whole output's max first.
        for (j, p) in parts.enumerated() where p.output == .dynamic {
            let n = rows * p.outFeatures
            let sy = quantizationScale(threshold: maxAbs(outputs[j], count: n), maxQ: maxQ)
            fakeQuantize(out: outputs[j], input: outputs[j], count: n, scale: sy, maxQ: maxQ)
        }
        if let epilogue { Parallel.forEachChunk(rows, minChunk: 16, epilogue) }
    }
}

/// q = clamp(round_half_even(x S), -M, M) as int8: q8_quantize_int8 for 8 bits (the same
/// rounding as training's quantizeValues), the float kernel then a conversion for fewer bits.
/// A NaN (x poisoned upstream, or 0 times an infinite S) quantizes to 0 on both paths.
@inline(__always)
func quantizeInt8(_ out: UnsafeMutablePointer<Int8>, _ x: UnsafePointer<Float>, count: Int, scale: Float, maxQ: Float) {
    if maxQ == 127 {
        q8_quantize_int8(out, x, count, scale)
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { tmp in
        q8_quantize_values(tmp.baseAddress!, x, count, scale, maxQ)
        for i in 0..<count { out[i] = tmp[i].isNaN ? 0 : Int8(tmp[i]) }
    }
}
