import CKernels
import Foundation

/// Single-threaded int8 GEMM throughput (q8int8.h): C[M, N] = A[M, K] B[N, K]^T + bias on
/// packed weights, for the BERT-base Linear shapes with M = 2048 rows (e.g. 32 x 64 tokens),
/// on every path this CPU has. Prints GOPS = 2 M N K / time (best of the timed calls, about
/// half a second per shape and path). The scalar path runs on 64 rows only (it is slow).
/// Release builds only: debug builds compile the C kernels at -O0.
func runInt8GemmBench() {
    let shapes = [(384, 384), (1536, 384), (384, 1536)]  // (N, K)
    var state: UInt64 = 12345
    func nextInt8() -> Int8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int8(Int((state >> 33) % 255) - 127)
    }
    print("int8 GEMM, single thread, best path here: \(["scalar", "AVX2", "VNNI"][Int(q8_int8_best_path())])")
    for (n, k) in shapes {
        let mFull = 2048
        let a = (0..<(mFull * k)).map { _ in nextInt8() }
        let b = (0..<(n * k)).map { _ in nextInt8() }
        let bias = (0..<n).map { Int32($0) - 100 }
        let packed = q8_packed_s8_alloc(Int32(n), Int32(k))!
        defer { q8_packed_s8_free(packed) }
        q8_pack_weights_s8(packed, b, Int32(k))
        var c = [Int32](repeating: 0, count: mFull * n)
        for (path, name) in [(Q8_INT8_PATH_VNNI, "VNNI"), (Q8_INT8_PATH_AVX2, "AVX2"), (Q8_INT8_PATH_SCALAR, "scalar")] {
            guard q8_int8_path_supported(path) != 0 else {
                print(String(format: "  %-6@ M=%d N=%d K=%d  (not on this CPU)", name, mFull, n, k))
                continue
            }
            let m = path == Q8_INT8_PATH_SCALAR ? 64 : mFull
            var best = Double.infinity, total = 0.0, calls = 0
            _ = q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), Int32(m), packed, bias, path)  // warm-up
            while calls < 3 || (total < 0.5 && calls < 1000) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = q8_gemm_s8s8s32_packed_path(&c, Int32(n), a, Int32(k), Int32(m), packed, bias, path)
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                best = min(best, dt); total += dt; calls += 1
            }
            let ops = 2.0 * Double(m) * Double(n) * Double(k)
            print(String(format: "  %-6@ M=%d N=%d K=%d  best %.1f GOPS, mean %.1f GOPS  (%d calls, best %.3f ms)",
                         name, m, n, k, ops / best / 1e9, ops * Double(calls) / total / 1e9, calls, best * 1e3))
        }
    }
}
