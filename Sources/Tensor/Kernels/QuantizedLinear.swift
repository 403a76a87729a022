import CKernels

/// A Linear's weight W [outF, inF] quantized to int8 and packed for the int8 GEMM
/// (`q8_packed_s8`), for quantization-aware training and its evaluation: repacked whenever W
/// changes (each training step), with its per-column rescale factors and int32 bias. One
/// allocation per Linear, made once; not thread-safe.
public final class PackedInt8Weights {
    public let outFeatures: Int, inFeatures: Int
    let packed: UnsafeMutablePointer<q8_packed_s8>
    /// q(W) [outF, inF], row-major, before packing.
    let values: UnsafeMutablePointer<Int8>
    /// The epilogue's per-column factor 1 / (S_x S_w) [outF].
    let factor: UnsafeMutablePointer<Float>
    /// Room for the caller's int32 bias [outF] (evaluation's, quantized at S_x S_w).
    public let int32Bias: UnsafeMutablePointer<Int32>

    public init(outFeatures: Int, inFeatures: Int) {
        precondition(outFeatures >= 1 && inFeatures >= 1, "PackedInt8Weights: empty weight \(outFeatures) x \(inFeatures)")
        guard let p = q8_packed_s8_alloc(Int32(outFeatures), Int32(inFeatures)) else {
            fatalError("PackedInt8Weights: out of memory packing a \(outFeatures) x \(inFeatures) weight")
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        packed = p
        values = .allocate(capacity: outFeatures * inFeatures)
        factor = .allocate(capacity: outFeatures)
        int32Bias = .allocate(capacity: outFeatures)
    }

    deinit {
        q8_packed_s8_free(packed)
        values.deallocate(); factor.deallocate(); int32Bias.deallocate()
    }

    /// Quantizes `weight` [outF, inF] at `scale` S_w = M / max|W| (maxQ = M <= 127): writes the
    /// fake-quantized weight q(W) / S_w [outF, inF] to `fakeQuantized` (backward's W under the
    /// straight-through estimator) and packs q(W) for `quantizedLinearForward`.
    public func pack(fakeQuantized: UnsafeMutablePointer<Float>, from weight: UnsafePointer<Float>,
                     scale: Float, maxQ: Float) {
        precondition(maxQ >= 1 && maxQ <= 127, "PackedInt8Weights: maxQ \(maxQ) does not fit int8")
        Parallel.forEachChunk(outFeatures, minChunk: max(1, 32768 / inFeatures)) { r in
            let o = r.lowerBound * inFeatures
            q8_fake_quantize_int8(fakeQuantized + o, values + o, weight + o, r.count * inFeatures, scale, maxQ)
        }
        q8_pack_weights_s8(packed, values, Int32(inFeatures))
    }
}

/// y [rows, outF] = (q(x) q(W)^T + b32) / (S_x S_w) + bFP32, with q(x) = clamp(round_half_even(x
/// S_x), -M, M) as int8 and the sums exact in int32 (the int8 kernels: VNNI, AVX2 or scalar, the
/// same bits on every path). Training passes the FP32 bias (`floatBias`: y = fq(x) fq(W)^T + b up
/// to the order of rounding); evaluation the int32 bias at S_x S_w (`int32Bias`: as the integer
/// runtime). `weights` packed by `pack` at `weightScale`. A zero S_x S_w gives y = bFP32.
/// `active`: the GEMM runs over those rows only; the other rows of `out` are 0.
public func quantizedLinearForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int,
                                   weights w: PackedInt8Weights, inputScale: Float, weightScale: Float, maxQ: Float,
                                   floatBias: UnsafePointer<Float>?, int32Bias: UnsafePointer<Int32>? = nil,
                                   active: ActiveRows? = nil) {
    let n = w.outFeatures, k = w.inFeatures
    let scale = inputScale * weightScale
    w.factor.update(repeating: scale > 0 && scale.isFinite ? 1 / scale : 0, count: n)
    let factor = UnsafePointer(w.factor), packed = UnsafePointer(w.packed)
    // Rows are independent (exact sums, then one rescale per element): any split gives the
    // same bits, so reduction groups need no fixed blocks here.
    func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ m: Int) {
        Parallel.forEachChunk(m, minChunk: 64) { r in
            var args = q8_linear_args(
                y: y + r.lowerBound * n, ldy: Int32(n), x: x + r.lowerBound * k, ldx: Int32(k), m: Int32(r.count),
                xscale: inputScale, maxq: maxQ, w: packed, bias: int32Bias, factor: factor, requant: nil, requant_maxq: 0,
                residual: floatBias, ldr: 0)
            let status = q8_linear_s8(&args)
            precondition(status == 0, "quantizedLinearForward: the int8 kernel's scratch buffer could not be allocated")
        }
    }
    if let active, !active.isAll {
        active.runPacked(input, rows: rows, inCols: k, into: out, outCols: n, caller: "quantizedLinearForward", run)
    } else {
        run(input, out, rows)
    }
}
