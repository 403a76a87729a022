import Foundation
import ModelFormat
import TestModels
import XCTest
@testable import BERT
@testable import Tensor

/// Quantization-aware training with the quantized Linears' forward products on the int8
/// kernels (`QuantizedGemm.int8`, the default) against the FP32 reference (`.fp32`: an FP32
/// GEMM of the fake-quantized values), on two copies of one tiny model trained side by side.
final class QuantizedGemmTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    /// Named tolerances (normwise relative): the two paths differ only in the order of rounding
    /// (exact int32 sums rescaled once vs FP32 sums of scaled products), about K 2^-24 per dot
    /// product, grown a little by 3 steps of training.
    static let logitsTolerance = 2e-5
    static let gradientTolerance = 1e-4

    func testInt8ForwardTrainsAsTheFP32Reference() throws {
        let int8 = Tiny.model(), fp32 = Tiny.model()
        try int8.enableQuantization(.q8bert, gemm: .int8)
        try fp32.enableQuantization(.q8bert, gemm: .fp32)
        let query = try XCTUnwrap(int8.linearQuantizer("bert.encoder.layer.0.attention.self.query"))
        XCTAssertNotNil(query.int8Weights(outFeatures: 32, inFeatures: 32), "the int8 path is on")
        XCTAssertNil(fp32.linearQuantizer(query.name)?.int8Weights(outFeatures: 32, inFeatures: 32), "the FP32 path is on")
        for step in 0..<3 {
            var b = Tiny.batch(size: 6, seqLen: 14, seed: 40 + UInt64(step))
            b.labels = [0, 1, 2, 0, 1, 2]
            let a = Array(int8.forward(b, mode: .train(seed: 1, step: step)))
            let r = Array(fp32.forward(b, mode: .train(seed: 1, step: step)))
            XCTAssertLessThanOrEqual(relativeError(a, r), Self.logitsTolerance, "step \(step): training logits")
            _ = int8.loss(b); _ = fp32.loss(b)
            int8.zeroGradients(); fp32.zeroGradients()
            int8.backward(); fp32.backward()
            for e in int8.layout.entries {
                let got = int8.tensor(e.name, gradient: true)!, ref = fp32.tensor(e.name, gradient: true)!
                if ReferenceTests.zeroGradientInExactArithmetic(e.name) {
                    XCTAssertLessThanOrEqual(maxAbsDifference(got, ref), 1e-5, "step \(step): \(e.name) is noise around 0")
                    continue
                }
                let err = relativeError(got, ref)
                XCTAssertLessThanOrEqual(err, Self.gradientTolerance, "step \(step): gradient of \(e.name)")
            }
            // Thresholds read max|x| and max|W| of values that agree to rounding: so do they.
            for (p, q) in zip(int8.linearQuantizers, fp32.linearQuantizers) {
                XCTAssertEqual(p.weightThreshold, q.weightThreshold, accuracy: 1e-5 * q.weightThreshold, "\(p.name) max|W|")
                XCTAssertEqual(p.input.value, q.input.value, accuracy: 1e-5 * max(q.input.value, 1e-6), "\(p.name) input")
            }
            // SGD on the reference; the int8 copy continues from the reference's parameters and
            // thresholds, so that a rounding flipped at a near-tie (the two sum in different
            // orders) cannot carry into later steps.
            for i in 0..<fp32.layout.count { fp32.parameters[i] -= 0.5 * fp32.gradients[i] }
            int8.parameters.pointer.update(from: fp32.parameters.pointer, count: fp32.layout.count)
            for (p, q) in zip(int8.linearQuantizers, fp32.linearQuantizers) {
                p.restore(step: q.step, inputThreshold: q.input.value, outputThreshold: q.output.value)
            }
        }
        // Evaluation (integer form: int32 bias, one rescale): where the FP32 GEMM's sums are
        // exact (below 2^24, as in this tiny model), both paths give the same bits.
        for p in fp32.linearQuantizers { p.gemm = .int8 }
        let batch = Tiny.batch(size: 5, seqLen: 16, seed: 99)
        let sameWeights = Array(fp32.forward(batch, mode: .eval))
        for p in fp32.linearQuantizers { p.gemm = .fp32 }
        let reference = Array(fp32.forward(batch, mode: .eval))
        XCTAssertEqual(sameWeights.map(\.bitPattern), reference.map(\.bitPattern), "evaluation: int8 vs FP32 GEMM")
    }
}
