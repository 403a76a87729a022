import CKernels
import Foundation
import Tensor

/// `q8bench attention [TxD ...]`: one (example, head) of attention on the calling thread,
/// T queries and T keys of head size D (default: MiniLM's 128x32 and 64x32, BERT-base's
/// 128x64), q, k, v read with the row stride of a fused [T, 3C] buffer (C = 12 D): our fused
/// kernel q8_attention_head against the route it replaced, OpenBLAS sgemm + our softmax +
/// sgemm (what attentionHeadForward ran before), on every instruction-set level this CPU has.
/// GFLOP/s count the two products' 4 T^2 D flops. Median and best of calls for SECONDS (0.5).
/// Each level's fused output is also compared with the top level's, in this optimized build: the
/// AVX-512 and AVX2 builds must agree bit for bit (AttentionKernelTests checks the debug build).
func runAttentionBench(shapes: [String]) throws {
    let pairs = try (shapes.isEmpty ? ["128x32", "64x32", "128x64"] : shapes).map { s -> (Int, Int) in
        let p = s.split(separator: "x").compactMap { Int($0) }
        guard p.count == 2, p[0] > 0, p[1] > 0 else { throw BenchError.usage }
        return (p[0], p[1])
    }
    let seconds = Double(ProcessInfo.processInfo.environment["SECONDS_PER_SHAPE"] ?? "") ?? 0.5
    print("attention, one (example, head), one thread: \(cpuModelName()); OpenBLAS \(InstructionSet.openBLASCore)")
    for (T, D) in pairs {
        let ld = 3 * 12 * D
        var rng = SplitMix64(seed: UInt64(T * 1000 + D))
        let qkv = (0..<(T * ld)).map { _ in Float(rng.nextNormal()) }
        var ctx = [Float](repeating: 0, count: T * D), probs = [Float](repeating: 0, count: T * T)
        var scratch = [Float](repeating: 0, count: q8_attention_scratch_floats(Int32(T), Int32(D)))
        let scale = 1 / Float(D).squareRoot(), flops = 4.0 * Double(T * T * D)
        func time(_ body: () -> Void) -> (median: Double, best: Double) {
            body()
            var times = [Double](), total = 0.0
            while times.count < 5 || total < seconds {
                let t0 = now(); body(); let dt = now() - t0
                times.append(dt); total += dt
            }
            return (median(times), times.min()!)
        }
        var top: (InstructionSet, [Float])?
        for level in InstructionSet.allCases.reversed() where level <= InstructionSet.detected {
            InstructionSet.cap(level)
            qkv.withUnsafeBufferPointer { x in
                let q = x.baseAddress!, k = q + 12 * D, v = k + 12 * D
                let fused = time {
                    q8_attention_head(&ctx, Int32(D), q, Int32(ld), k, Int32(ld), v, Int32(ld), nil, Int32(T), Int32(T),
                                      Int32(D), scale, &scratch)
                }
                let blas = time {
                    BLAS.sgemm(transB: true, m: T, n: T, k: D, alpha: scale, a: q, lda: ld, b: k, ldb: ld, c: &probs, ldc: T)
                    q8_softmax_masked_forward(&probs, probs, nil, T, T)
                    BLAS.sgemm(m: T, n: D, k: T, a: probs, lda: T, b: v, ldb: ld, c: &ctx, ldc: D)
                }
                q8_attention_head(&ctx, Int32(D), q, Int32(ld), k, Int32(ld), v, Int32(ld), nil, Int32(T), Int32(T),
                                  Int32(D), scale, &scratch)
                var bits = ""
                if let (topLevel, reference) = top {
                    let diff = zip(ctx, reference).map { abs($0 - $1) }.max() ?? 0
                    bits = zip(ctx, reference).allSatisfy({ $0.bitPattern == $1.bitPattern })
                        ? " | bits equal to \(topLevel)'s" : String(format: " | differs from %@'s by up to %.2g", "\(topLevel)", diff)
                } else {
                    top = (level, ctx)
                }
                print(String(format: "attention %dx%d %@: fused kernel %.1f us (%.1f GFLOP/s, best %.1f us) | sgemm + softmax + sgemm %.1f us (%.1f GFLOP/s, best %.1f us) | fused/sgemm speed %.2fx%@",
                             T, D, "\(level)", fused.median * 1e6, flops / fused.median / 1e9, fused.best * 1e6,
                             blas.median * 1e6, flops / blas.median / 1e9, blas.best * 1e6, blas.median / fused.median, bits))
            }
        }
        InstructionSet.cap(nil)
    }
}
