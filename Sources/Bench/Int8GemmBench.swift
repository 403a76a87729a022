import CKernels
import Foundation

/// Single-threaded throughput of the int8 GEMM (q8int8.h): C[M, N] = A[M, K] B[N, K]^T + bias
/// on packed weights, on random int8 values in [-127, 127]. GOPS = 2 M N K / time.
struct Int8GemmTiming {
    var m: Int, n: Int, k: Int
    var calls: Int
    var best: Double, median: Double, mean: Double  // seconds per call
    var ops: Double { 2.0 * Double(m) * Double(n) * Double(k) }
    var bestGOPS: Double { ops / best / 1e9 }
    var medianGOPS: Double { ops / median / 1e9 }
    var meanGOPS: Double { ops / mean / 1e9 }
}

/// Times `q8_gemm_s8s8s32_packed_path` on `path` for M x N x K on the calling thread: one
/// warm-up call, then calls until `seconds` have passed (at least `minCalls`, at most 100000).
/// nil when this CPU lacks the path.
func timeInt8Gemm(m: Int, n: Int, k: Int, path: Int32, seconds: Double, minCalls: Int = 3) -> Int8GemmTiming? {
    guard q8_int8_path_supported(path) != 0 else { return nil }
    var state: UInt64 = 12345 &+ UInt64(m * 31 + n * 7 + k)
    func nextInt8() -> Int8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int8(Int((state >> 33) % 255) - 127)
    }
    let a = (0..<(m * k)).map { _ in nextInt8() }
    let b = (0..<(n * k)).map { _ in nextInt8() }
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

/// `q8bench gemm`: the BERT-base Linear shapes with M = 2048 rows (e.g. 32 x 64 tokens), on
/// every path this CPU has: best and mean GOPS (about half a second per shape and path). The
/// scalar path runs on 64 rows only (it is slow). Release builds only: debug builds compile
/// the C kernels at -O0.
func runInt8GemmBench() {
    let shapes = [(384, 384), (1536, 384), (384, 1536)]  // (N, K)
    print("int8 GEMM, single thread, best path here: \(["scalar", "AVX2", "VNNI"][Int(q8_int8_best_path())])")
    for (n, k) in shapes {
        for (path, name) in [(Q8_INT8_PATH_VNNI, "VNNI"), (Q8_INT8_PATH_AVX2, "AVX2"), (Q8_INT8_PATH_SCALAR, "scalar")] {
            let m = path == Q8_INT8_PATH_SCALAR ? 64 : 2048
            guard let t = timeInt8Gemm(m: m, n: n, k: k, path: path, seconds: 0.5) else {
                print(String(format: "  %@ M=%d N=%d K=%d  (not on this CPU)", pad(name, 6), m, n, k))
                continue
            }
            print(String(format: "  %@ M=%d N=%d K=%d  best %.1f GOPS, mean %.1f GOPS  (%d calls, best %.3f ms)",
                         pad(name, 6), m, n, k, t.bestGOPS, t.meanGOPS, t.calls, t.best * 1e3))
        }
    }
}
