import ModelFormat
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

/// Buffers shared by the Linears of one forward: a per-column factor [out] and int32 bias [out]
/// (dynamic mode: made per batch), and an FP32 output [rows, hidden] for a query, key or value
/// left in FP32 (its output is strided).
struct LinearScratch {
    let factor: UnsafeMutablePointer<Float>
    let bias: UnsafeMutablePointer<Int32>
    let fp32: UnsafeMutablePointer<Float>
}

/// A row-range callback run right after a Linear has produced (and requantized) those rows of
/// its output, on the same worker: LayerNorm, GELU, tanh while the rows are in cache.
typealias Epilogue = (Range<Int>) -> Void

/// Rows per step inside a worker's share: quantize, GEMM, rescale, epilogue, then the next block.
/// A multiple of the GEMM's row blocking (64) and micro-kernels (8, 4).
let linearBlockRows = 64

/// One GEMM over a shared input: a single Linear, or several Linears of the same input and
/// the same input scale fused into one packed weight (query, key and value: their outputs are
/// column ranges of one product, each part rescaled with its own factor).
protocol LinearUnit: AnyObject {
    var inFeatures: Int { get }
    /// Output columns of the unit (the sum over its parts).
    var totalOut: Int { get }
    /// Runs on input [rows, inFeatures], writing output [rows, totalOut] with row stride `ldy`
    /// (part j in columns offset_j ..< offset_j + out_j), plus `residual` [rows, totalOut]
    /// (contiguous) when given (after any output requantization, as training adds it), then
    /// `epilogue` over every row range (on the worker that made it when it can).
    func forward(_ input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>, ldy: Int,
                 residual: UnsafePointer<Float>?, scratch: LinearScratch, epilogue: Epilogue?)
    /// Whether each row's output depends on that row alone, so that `forwardRows` may run any
    /// row range by itself (an int8 unit with a frozen input range and no output range taken
    /// over the whole batch).
    var isRowLocal: Bool { get }
    /// Rows `rows` of `forward` (same arguments, pointers to row 0), on the calling thread, no
    /// epilogue. Row-local units only.
    func forwardRows(_ input: UnsafePointer<Float>, rows: Range<Int>, output: UnsafeMutablePointer<Float>, ldy: Int,
                     residual: UnsafePointer<Float>?)
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

    func forward(_ input: UnsafePointer<Float>, rows: Int, output: UnsafeMutablePointer<Float>, ldy: Int,
                 residual: UnsafePointer<Float>?, scratch: LinearScratch, epilogue: Epilogue?) {
        let n = totalOut
        let out = ldy == n ? output : scratch.fp32
        linearForward(out: out, input: input, weight: weight.pointer, bias: bias.pointer, rows: rows,
                      inFeatures: inFeatures, outFeatures: n)
        Parallel.forEachChunk(rows, minChunk: 16) { r in
            for i in r {
                if ldy != n { (output + i * ldy).update(from: out + i * n, count: n) }
                if let residual { q8_add(output + i * ldy, output + i * ldy, residual + i * n, n) }
            }
            epilogue?(r)
        }
    }

    /// The FP32 GEMM splits its rows by thread count (its bits depend on the split): not row-local.
    var isRowLocal: Bool { false }

    func forwardRows(_ input: UnsafePointer<Float>, rows: Range<Int>, output: UnsafeMutablePointer<Float>, ldy: Int,
                     residual: UnsafePointer<Float>?) {
        preconditionFailure("FP32Linear is not row-local")
    }
}

/// int8 Linear(s): y_j = float(q(x) q(W_j)^T + q32(b_j)) * (1 / (S_x S_w_j)), optionally
/// requantized, on the fused kernel (`q8_linear_s8`: x quantized while packed, the int32 bias
/// in the accumulator, the rescale, the requantization and the residual add in the store).
/// Bit-identical to training's evaluation-mode forward (see Linear.forward in BERT).
final class Int8Linear: LinearUnit {
    struct Part {
        let name: String
        let outFeatures: Int, offset: Int
        let weightScale: Float
        let fp32Bias: [Float]?
        let output: OutputRequantization
    }

    let inFeatures: Int, totalOut: Int
    let maxQ: Float
    let input: InputRange
    let parts: [Part]
    let packed: UnsafeMutablePointer<q8_packed_s8>
    /// With a frozen input range: the concatenated int32 bias and 1 / (S_x S_w) by column.
    let frozenBias: UnsafeMutablePointer<Int32>?
    let frozenFactor: UnsafeMutablePointer<Float>?
    /// When every part requantizes its output with a frozen scale: S_y by column (the kernel
    /// applies it in the store). Otherwise the parts with frozen scales are requantized after.
    let requantScale: UnsafeMutablePointer<Float>?
    /// Parts requantized with a frozen scale after the kernel, and with the whole batch's range.
    let frozenAfter: [Part], dynamicAfter: [Part]

    /// Fuses `ps` (same input size, quantization and input scale) into one packed weight.
    init(_ ps: [LinearParameters]) {
        precondition(!ps.isEmpty)
        inFeatures = ps[0].inFeatures
        maxQ = ps[0].maxQ
        input = ps[0].input!
        totalOut = ps.reduce(0) { $0 + $1.outFeatures }
        var weights = [Int8](), bias = [Int32](), factors = [Float](), parts = [Part]()
        weights.reserveCapacity(totalOut * inFeatures)
        for p in ps {
            guard case .int8(let w, let sw, let inputRange, let qb, let fb, let output) = p.kind else {
                preconditionFailure("Int8Linear of an FP32 layer")
            }
            precondition(p.inFeatures == inFeatures && p.maxQ == maxQ && inputRange == input, "unfusable Linears")
            weights += w
            if case .frozen(let sx) = inputRange {
                bias += qb!
                let biasScale = sx * sw
                factors += [Float](repeating: biasScale > 0 ? 1 / biasScale : 0, count: p.outFeatures)
            }
            parts.append(Part(name: p.name, outFeatures: p.outFeatures, offset: parts.last.map { $0.offset + $0.outFeatures } ?? 0,
                              weightScale: sw, fp32Bias: fb, output: output))
        }
        self.parts = parts
        packed = q8_packed_s8_alloc(Int32(totalOut), Int32(inFeatures))!
        q8_pack_weights_s8(packed, weights, Int32(inFeatures))
        func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: values.count)
            p.initialize(from: values, count: values.count)
            return p
        }
        if case .frozen = input {
            frozenBias = copy(bias)
            frozenFactor = copy(factors)
        } else {
            frozenBias = nil
            frozenFactor = nil
        }
        let frozenScales = parts.map { p -> Float? in if case .frozen(let sy) = p.output { return sy } else { return nil } }
        if frozenScales.allSatisfy({ $0 != nil }) {
            requantScale = copy(zip(parts, frozenScales).flatMap { [Float](repeating: $1!, count: $0.outFeatures) })
            frozenAfter = []
        } else {
            requantScale = nil
            frozenAfter = zip(parts, frozenScales).filter { $1 != nil }.map(\.0)
        }
        dynamicAfter = parts.filter { $0.output == .dynamic }
    }

    deinit {
        q8_packed_s8_free(packed)
        frozenBias?.deallocate()
        frozenFactor?.deallocate()
        requantScale?.deallocate()
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

    func forward(_ x: UnsafePointer<Float>, rows: Int, output y: UnsafeMutablePointer<Float>, ldy: Int,
                 residual: UnsafePointer<Float>?, scratch: LinearScratch, epilogue: Epilogue?) {
        let K = inFeatures, NT = totalOut, maxQ = maxQ
        // S_x, the factors 1 / (S_x S_w) and the int32 bias (made for this batch in dynamic mode).
        let sx: Float
        let factor: UnsafePointer<Float>, bias: UnsafePointer<Int32>
        switch input {
        case .frozen(let scale):
            sx = scale
            factor = UnsafePointer(frozenFactor!)
            bias = UnsafePointer(frozenBias!)
        case .dynamic:
            sx = quantizationScale(threshold: maxAbs(x, count: rows * K), maxQ: maxQ)
            for p in parts {
                let biasScale = sx * p.weightScale
                let f: Float = biasScale > 0 ? 1 / biasScale : 0
                let b = p.fp32Bias!
                for i in 0..<p.outFeatures {
                    scratch.factor[p.offset + i] = f
                    scratch.bias[p.offset + i] = Int8Format.quantizeBias(b[i], scale: biasScale)
                }
            }
            factor = UnsafePointer(scratch.factor)
            bias = UnsafePointer(scratch.bias)
        }
        let deferred = !dynamicAfter.isEmpty
        Parallel.forEachChunk(rows, minChunk: 16) { chunk in
            var lo = chunk.lowerBound
            while lo < chunk.upperBound {
                let m = min(linearBlockRows, chunk.upperBound - lo)
                runBlock(x, rows: lo..<(lo + m), output: y, ldy: ldy, residual: deferred ? nil : residual, sx: sx,
                         factor: factor, bias: bias)
                if !deferred { epilogue?(lo..<(lo + m)) }
                lo += m
            }
        }
        guard deferred else { return }
        // Dynamic output ranges need the whole output's max first (a max is exact in any order,
        // and the fake quantization is elementwise: row by row gives training's bits).
        for p in dynamicAfter {
            var m: Float = 0
            for r in 0..<rows {
                let v = q8_max_abs(y + r * ldy + p.offset, p.outFeatures)
                m = v.isNaN || m.isNaN ? .nan : Swift.max(m, v)
            }
            let sy = quantizationScale(threshold: m, maxQ: maxQ)
            Parallel.forEachChunk(rows, minChunk: 16) { rs in
                for r in rs { q8_fake_quantize(y + r * ldy + p.offset, y + r * ldy + p.offset, p.outFeatures, sy, maxQ) }
            }
        }
        Parallel.forEachChunk(rows, minChunk: 16) { rs in
            if let residual { for r in rs { q8_add(y + r * ldy, y + r * ldy, residual + r * NT, NT) } }
            epilogue?(rs)
        }
    }

    var isRowLocal: Bool {
        if case .frozen = input { return dynamicAfter.isEmpty }
        return false
    }

    func forwardRows(_ x: UnsafePointer<Float>, rows: Range<Int>, output y: UnsafeMutablePointer<Float>, ldy: Int,
                     residual: UnsafePointer<Float>?) {
        guard case .frozen(let sx) = input, dynamicAfter.isEmpty else { preconditionFailure("\(parts[0].name) is not row-local") }
        var lo = rows.lowerBound
        while lo < rows.upperBound {
            let m = min(linearBlockRows, rows.upperBound - lo)
            runBlock(x, rows: lo..<(lo + m), output: y, ldy: ldy, residual: residual, sx: sx,
                     factor: UnsafePointer(frozenFactor!), bias: UnsafePointer(frozenBias!))
            lo += m
        }
    }

    /// Output rows `rows` (at most linearBlockRows): the fused kernel, then the frozen output
    /// requantizations it could not apply, then the residual when it comes after those.
    @inline(__always)
    private func runBlock(_ x: UnsafePointer<Float>, rows: Range<Int>, output y: UnsafeMutablePointer<Float>, ldy: Int,
                          residual: UnsafePointer<Float>?, sx: Float, factor: UnsafePointer<Float>, bias: UnsafePointer<Int32>) {
        let K = inFeatures, NT = totalOut, lo = rows.lowerBound
        // The residual joins in the kernel's store unless a requantization comes after the kernel.
        let fuseResidual = frozenAfter.isEmpty
        var args = q8_linear_args(
            y: y + lo * ldy, ldy: Int32(ldy), x: x + lo * K, ldx: Int32(K), m: Int32(rows.count), xscale: sx, maxq: maxQ,
            w: packed, bias: bias, factor: factor, requant: requantScale, requant_maxq: maxQ,
            residual: fuseResidual ? residual.map { $0 + lo * NT } : nil, ldr: Int32(NT))
        let status = q8_linear_s8(&args)
        precondition(status == 0, "int8 Linear: the kernel's scratch buffer could not be allocated")
        for p in frozenAfter {
            guard case .frozen(let sy) = p.output else { continue }
            for r in rows {
                let row = y + r * ldy + p.offset
                q8_fake_quantize(row, row, p.outFeatures, sy, maxQ)
            }
        }
        if let residual, !fuseResidual {
            for r in rows { q8_add(y + r * ldy, y + r * ldy, residual + r * NT, NT) }
        }
    }
}
