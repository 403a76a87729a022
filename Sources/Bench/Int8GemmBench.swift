import CKernels
import Foundation
import Tensor

/// Single-threaded throughput of the int8 GEMM (q8int8.h): C[M, N] = A[M, K] B[N, K]^T + bias
/// on packed weights, activations uniform in [-127, 127], weights as `Int8Weights` says.
/// GOPS = 2 M N K / time.
struct Int8GemmTiming {
    var m: Int, n: Int, k: Int
    var calls: Int
    var best: Double, median: Double, mean: Double  // seconds per call
    var ops: Double { 2.0 * Double(m) * Double(n) * Double(k) }
    var bestGOPS: Double { ops / best / 1e9 }
    var medianGOPS: Double { ops / median / 1e9 }
    var meanGOPS: Double { ops / mean / 1e9 }
}

/// The int8 weights a GEMM bench multiplies by. The AVX2 path's speed depends on them: it splits
/// the groups holding a pair with |b0 + b1| > 128 (q8int8.h), and runs those at half speed.
enum Int8Weights {
    /// N(0, 1) values quantized as Q8BERT quantizes a weight (scale 127 / max |w|): like BERT's
    /// randomly initialized Linears, which split about 1-5% of groups (trained ones about 1%).
    case gaussian
    /// Uniform in [-127, 127]: about half the pairs exceed 128, almost every group is split
    /// (the AVX2 path's worst case).
    case uniform
}

/// `count` int8 weights of the given kind, from a fixed seed.
func int8Weights(_ kind: Int8Weights, count: Int, seed: UInt64) -> [Int8] {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    switch kind {
    case .uniform:
        return (0..<count).map { _ in Int8(Int(next() % 255) - 127) }
    case .gaussian:  // Box-Muller
        let z = (0..<count).map { _ -> Double in
            let u1 = (Double(next() % (1 << 30)) + 1) / Double(1 << 30), u2 = Double(next() % (1 << 30)) / Double(1 << 30)
            return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
        let scale = 127 / max(z.map { abs($0) }.max() ?? 1, 1e-9)
        return z.map { Int8(($0 * scale).rounded(.toNearestOrEven)) }
    }
}

/// Times `q8_gemm_s8s8s32_packed_path` on `path` for M x N x K on the calling thread: one
/// warm-up call, then calls until `seconds` have passed (at least `minCalls`, at most 100000).
/// nil when this CPU lacks the path.
func timeInt8Gemm(m: Int, n: Int, k: Int, path: Int32, seconds: Double, minCalls: Int = 3,
                  weights: Int8Weights = .gaussian) -> Int8GemmTiming? {
    guard q8_int8_path_supported(path) != 0 else { return nil }
    var state: UInt64 = 12345 &+ UInt64(m * 31 + n * 7 + k)
    func nextInt8() -> Int8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int8(Int((state >> 33) % 255) - 127)
    }
    let a = (0..<(m * k)).map { _ in nextInt8() }
    let b = int8Weights(weights, count: n * k, seed: 99 &+ UInt64(n * 13 + k))
    let bias = (0..<n).map { Int32($0) - 100 }
    let packed = q8_packed_s8_alloc(Int32(n), Int32(k))!
    defer { q8_packed_s8_free(packed) }
    q8_pack_weights_s8(packed, b, Int32(k))
    var c = [Int32](repeating: 0, count: m * n)
    _ = q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), Int32(m), packed, bias, path)  // warm-up
    var times = [Double]()
    var total = 0.0
    while times.count < minCalls || (total < seconds && times.count < 100_000) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), Int32(m), packed, bias, path)
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        times.append(dt)
        total += dt
    }
    times.sort()
    return Int8GemmTiming(m: m, n: n, k: k, calls: times.count, best: times[0], median: times[times.count / 2],
                          mean: total / Double(times.count))
}

/// `q8bench gemm [MxNxK ...]`: single-threaded int8 GEMM on every path this CPU has: best and
/// mean GOPS (about half a second per shape and path). Without shapes, the BERT-base Linear
/// shapes with M = 2048 rows (e.g. 32 x 64 tokens). The scalar path runs on 64 rows only (it is
/// slow). Release builds only: debug builds compile the C kernels at -O0.
func runInt8GemmBench(shapes given: [String] = []) throws {
    var shapes = [(2048, 384, 384), (2048, 1536, 384), (2048, 384, 1536)]  // (M, N, K)
    if !given.isEmpty { shapes = try given.map(parseGemmShape) }
    print("int8 GEMM, single thread, \(cpuModelName()), best path here: \(InstructionSet.int8Path);"
          + " weights N(0, 1) quantized to max 127 unless marked 'uniform' (every AVX2 group split)")
    let runs: [(Int32, String, Int8Weights)] = [
        (Q8_INT8_PATH_VNNI, "VNNI", .gaussian), (Q8_INT8_PATH_AVX2, "AVX2", .gaussian),
        (Q8_INT8_PATH_AVX2, "AVX2 uniform", .uniform), (Q8_INT8_PATH_AVX2_W16, "AVX2 Winograd", .gaussian),
        (Q8_INT8_PATH_SCALAR, "scalar", .gaussian),
    ]
    for (rows, n, k) in shapes {
        for (path, name, weights) in runs {
            let m = path == Q8_INT8_PATH_SCALAR ? min(64, rows) : rows
            guard let t = timeInt8Gemm(m: m, n: n, k: k, path: path, seconds: 0.5, weights: weights) else {
                print(String(format: "  %@ M=%d N=%d K=%d  (not on this CPU)", pad(name, 13), m, n, k))
                continue
            }
            print(String(format: "  %@ M=%d N=%d K=%d  best %.1f GOPS, mean %.1f GOPS  (%d calls, best %.3f ms)",
                         pad(name, 13), m, n, k, t.bestGOPS, t.meanGOPS, t.calls, t.best * 1e3))
        }
        // The FP32 GEMM the int8 one replaces, same shape, one thread: OpenBLAS's core as this
        // process runs it (OPENBLAS_CORETYPE=Haswell for its AVX2 kernels on an AVX-512 CPU).
        let s = timeSgemm(m: rows, n: n, k: k, seconds: 0.5)
        print(String(format: "  %@ M=%d N=%d K=%d  best %.1f GFLOP/s, mean %.1f GFLOP/s  (OpenBLAS %@ sgemm, C = A B^T)",
                     pad("FP32", 13), rows, n, k, s.bestGOPS, s.meanGOPS, InstructionSet.openBLASCore))
    }
}

/// OpenBLAS sgemm C[M, N] = A[M, K] B[N, K]^T on one thread, random values.
func timeSgemm(m: Int, n: Int, k: Int, seconds: Double) -> Int8GemmTiming {
    var rng = SplitMix64(seed: UInt64(m * 7 + n * 3 + k))
    let a = (0..<(m * k)).map { _ in Float(rng.nextNormal()) }, b = (0..<(n * k)).map { _ in Float(rng.nextNormal()) }
    var c = [Float](repeating: 0, count: m * n)
    Parallel.configure(threads: 1)
    let times = timeCalls(seconds: seconds) {
        BLAS.sgemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
    }
    return Int8GemmTiming(m: m, n: n, k: k, calls: times.count, best: times[0], median: times[times.count / 2],
                          mean: times.reduce(0, +) / Double(times.count))
}

/// "MxNxK" with positive sizes.
func parseGemmShape(_ s: String) throws -> (Int, Int, Int) {
    let parts = s.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else { throw BenchError.usage }
    return (parts[0], parts[1], parts[2])
}

/// Times one call of `body` repeatedly on the calling thread: one warm-up call, then calls until
/// `seconds` have passed (at least `minCalls`, at most 100000). Seconds per call, sorted.
func timeCalls(seconds: Double, minCalls: Int = 3, _ body: () -> Void) -> [Double] {
    body()
    var times = [Double]()
    var total = 0.0
    while times.count < minCalls || (total < seconds && times.count < 100_000) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        times.append(dt)
        total += dt
    }
    return times.sorted()
}

/// The fused int8 Linear (`q8_linear_s8_path`: FP32 X quantized while packed, int8 GEMM with the
/// int32 bias, rescale to FP32 in the store) against the same work as three passes
/// (`q8_quantize_int8`, `q8_gemm_s8s8s32_packed_path` into int32, `q8_dequantize_s32`), on the
/// calling thread for M x N x K, random FP32 inputs. Seconds per call (fused, three passes);
/// nil when this CPU lacks the path.
func timeInt8Linear(m: Int, n: Int, k: Int, path: Int32, seconds: Double) -> (fused: Int8GemmTiming, passes: Int8GemmTiming)? {
    guard q8_int8_path_supported(path) != 0 else { return nil }
    var state: UInt64 = 777 &+ UInt64(m * 31 + n * 7 + k)
    func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
    let x = (0..<(m * k)).map { _ in Float(Int(next() % 2001) - 1000) / 100 }
    let w = int8Weights(.gaussian, count: n * k, seed: 99 &+ UInt64(n * 13 + k))
    let bias = (0..<n).map { Int32($0) - 100 }
    let factor = [Float](repeating: 1e-4, count: n)
    let packed = q8_packed_s8_alloc(Int32(n), Int32(k))!
    defer { q8_packed_s8_free(packed) }
    q8_pack_weights_s8(packed, w, Int32(k))
    var y = [Float](repeating: 0, count: m * n)
    var xq = [Int8](repeating: 0, count: m * k)
    var acc = [Int32](repeating: 0, count: m * n)
    let fused = y.withUnsafeMutableBufferPointer { yb in
        x.withUnsafeBufferPointer { xb in
            bias.withUnsafeBufferPointer { bb in
                factor.withUnsafeBufferPointer { fb in
                    var args = q8_linear_args(y: yb.baseAddress, ldy: Int32(n), x: xb.baseAddress, ldx: Int32(k), m: Int32(m),
                                              xscale: 12.7, maxq: 127, w: packed, bias: bb.baseAddress, factor: fb.baseAddress,
                                              requant: nil, requant_maxq: 0, residual: nil, ldr: 0)
                    return timeCalls(seconds: seconds) { precondition(q8_linear_s8_path(&args, path) == 0) }
                }
            }
        }
    }
    let passes = timeCalls(seconds: seconds) {
        q8_quantize_int8(&xq, x, m * k, 12.7)
        _ = q8_gemm_s8s8s32_packed_path(&acc, Int32(n), xq, Int32(k), Int32(m), packed, bias, path)
        q8_dequantize_s32(&y, acc, m * n, 1e-4)
    }
    func timing(_ t: [Double]) -> Int8GemmTiming {
        Int8GemmTiming(m: m, n: n, k: k, calls: t.count, best: t[0], median: t[t.count / 2],
                       mean: t.reduce(0, +) / Double(t.count))
    }
    return (timing(fused), timing(passes))
}
