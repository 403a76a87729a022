import CKernels

/// Dropout with masks from a counter-based hash. Row r of `rows` (each `cols` elements)
/// uses key `rowKeys(r)`: the mask depends on (key, column) only, so it is reproducible
/// whatever thread or rank computes it. mask [rows, cols] saved for backward.
public func dropoutForward(out: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<UInt8>,
                           input: UnsafePointer<Float>, rows: Int, cols: Int, probability p: Float,
                           rowKey: (Int) -> UInt64) {
    Parallel.forEachChunk(rows, minChunk: 8) { range in
        for r in range {
            q8_dropout_forward_row(out + r * cols, mask + r * cols, input + r * cols, rowKey(r), p, cols)
        }
    }
}

/// dInput = mask ? dOut / (1 - p) : 0 (written).
public func dropoutBackward(dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
                            mask: UnsafePointer<UInt8>, probability p: Float, count n: Int) {
    Parallel.forEachChunk(n, minChunk: 16384) { r in
        q8_dropout_backward(dInput + r.lowerBound, dOut + r.lowerBound, mask + r.lowerBound, p, r.count)
    }
}

/// A 64-bit mixer (SplitMix64's finalizer), for building dropout keys from
/// (seed, step, site, example, position).
@inline(__always)
public func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Combines four values into one key, order-sensitive.
@inline(__always)
public func hashKey(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> UInt64 {
    mix64(mix64(mix64(mix64(0x51_7CC1_B727_220A ^ a) ^ b) ^ c) ^ d)
}
