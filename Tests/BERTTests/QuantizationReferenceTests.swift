import CKernels
import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// Q8BERT QAT against an independent PyTorch implementation (scripts/make_qat_fixtures.py,
/// float32): 4 SGD steps of a tiny BERT
/// with per-layer settings (a delayed layer, a delayed position embedding, an unrequantized
/// classifier, an FP32 embedding, a dynamic pooler), then an evaluation-mode forward computed
/// the integer way. The fixture itself is checked against nlp-architect's own code by
/// scripts/check-nlp-architect.sh.
final class QuantizationReferenceTests: XCTestCase {
    /// Named tolerances: normwise relative error of logits and gradients, relative error of
    /// each threshold. Both sides run in float32 with the same rounding decisions; what
    /// remains is summation order.
    static let logitsTolerance = 1e-5
    static let gradientTolerance = 1e-5
    static let thresholdTolerance: Float = 1e-5

    override func setUp() { Parallel.configure(threads: 2) }

    func batch(_ f: SafeTensorsFile, step k: Int) throws -> Batch {
        let ids = try f.int64s("input.\(k).input_ids").map { Int32($0) }
        let types = try f.int64s("input.\(k).token_type_ids").map { Int32($0) }
        let mask = try f.int64s("input.\(k).attention_mask").map { Float($0) }
        let shape = try f.require("input.\(k).input_ids").shape
        return Batch(size: shape[0], seqLen: shape[1], inputIds: ids, tokenTypeIds: types, attentionMask: mask,
                     labels: try f.int64s("input.\(k).labels").map { Int32($0) })
    }

    func testQATStepsThresholdsAndIntegerEvaluationMatchPyTorch() throws {
        let f = try SafeTensorsFile(contentsOf: Fixtures.url("reference/tiny_qat.safetensors"))
        let config = try JSONDecoder().decode(BertConfig.self, from: Data(try XCTUnwrap(f.metadata["model_config"]).utf8))
        let quant = try JSONDecoder().decode(QuantizationConfig.self, from: Data(try XCTUnwrap(f.metadata["quant_config"]).utf8))
        let model = BertForSequenceClassification(config: config, numLabels: 3)
        for e in model.layout.entries { try f.readFloats("param." + e.name, into: model.tensor(e.name)!) }
        try model.enableQuantization(quant)
        XCTAssertEqual(model.linearQuantizer("bert.encoder.layer.1.intermediate.dense")?.settings.startStep, 2)
        XCTAssertEqual(model.linearQuantizer("bert.pooler.dense")?.settings.mode, .dynamic)
        let position = try XCTUnwrap(model.embeddingQuantizers.first { $0.name == "bert.embeddings.position_embeddings" })
        XCTAssertEqual(position.settings.startStep, 1, "the fixture delays the position embeddings")
        let lr = Float(try XCTUnwrap(Double(f.metadata["sgd_lr"] ?? "")))

        for k in 0..<4 {
            let b = try batch(f, step: k)
            let logits = model.forward(b, mode: .train(seed: 0, step: k))
            let e = relativeError(logits, try f.floats("step.\(k).logits"))
            XCTAssertLessThanOrEqual(e, Self.logitsTolerance, "step \(k): logits relative error \(e)")
            let loss = model.loss(b)
            XCTAssertEqual(loss, try f.floats("step.\(k).loss")[0], accuracy: 1e-5 * abs(loss), "step \(k): loss")
            model.zeroGradients()
            model.backward()
            for entry in model.layout.entries {
                let got = model.tensor(entry.name, gradient: true)!
                let ref = try f.floats("step.\(k).grad.\(entry.name)")
                if ReferenceTests.zeroGradientInExactArithmetic(entry.name) {
                    XCTAssertLessThanOrEqual(maxAbsDifference(got, ref), 1e-5, "step \(k): \(entry.name) is noise around 0")
                    continue
                }
                let err = relativeError(got, ref)
                XCTAssertLessThanOrEqual(err, Self.gradientTolerance, "step \(k): gradient of \(entry.name): \(err)")
            }
            // Every threshold the fixture holds for this step is compared, and every one the
            // settings imply must be there: a renamed or missing layer fails.
            var compared = Set<String>()
            func check(_ got: Float, _ key: String, exact: Bool = false) throws {
                guard f[key] != nil else { return XCTFail("step \(k): the fixture has no \(key)") }
                let ref = try f.floats(key)[0]
                let tolerance = exact ? 0 : Self.thresholdTolerance * max(abs(ref), 1e-6)
                XCTAssertEqual(got, ref, accuracy: tolerance, "step \(k): \(key)")
                compared.insert(key)
            }
            for q in model.linearQuantizers where q.settings.mode != .none {
                try check(q.weightThreshold, "step.\(k).\(q.name).weight_thresh")
                guard q.settings.mode == .ema else { continue }
                try check(q.input.value, "step.\(k).\(q.name).input_thresh")
                if q.settings.requantizeOutput { try check(q.output.value, "step.\(k).\(q.name).output_thresh") }
            }
            // Embeddings: max|W| from their start step on, 0 before (a plain lookup).
            for q in model.embeddingQuantizers where q.quantizes {
                try check(q.weightThreshold, "step.\(k).\(q.name).weight_thresh", exact: true)
            }
            let inFixture = Set(f.tensors.map(\.name).filter { $0.hasPrefix("step.\(k).") && $0.hasSuffix("_thresh") })
            XCTAssertEqual(inFixture, compared, "step \(k): thresholds in the fixture and compared differ")
            XCTAssertGreaterThan(compared.count, 30, "step \(k): thresholds compared")
            // The next step starts from the fixture's state: plain SGD with the fixture's gradient,
            // p <- p - lr g rounded as float32 twice (no FMA), which gives PyTorch's parameters bit
            // for bit, and the fixture's thresholds. Values within a few ulps of a rounding tie
            // (seed 77 has one at x S = -44.500008, relative distance 1.7e-7; every seed tried
            // has one within 1e-7) round either way depending on summation order (OpenBLAS's
            // AVX-512 kernel flips this one, its Haswell kernel does not), and a flip would
            // otherwise carry into every later step; here it can only move the step it occurs in.
            for entry in model.layout.entries {
                let p = model.tensor(entry.name)!, g = try f.floats("step.\(k).grad.\(entry.name)")
                for i in p.indices { p[i] = p[i] - lr * g[i] }
            }
            for q in model.linearQuantizers where q.settings.mode == .ema {
                let input = try f.floats("step.\(k).\(q.name).input_thresh")[0]
                let output = q.settings.requantizeOutput ? try f.floats("step.\(k).\(q.name).output_thresh")[0] : 0
                q.restore(step: q.step, inputThreshold: input, outputThreshold: output)
            }
        }
        XCTAssertEqual(model.linearQuantizer("bert.encoder.layer.1.intermediate.dense")?.step, 4)
        XCTAssertEqual(position.step, 4)

        // Evaluation: frozen thresholds, integer products, int32 bias, one rescale.
        let b = try batch(f, step: 0)
        let logits = model.forward(b, mode: .eval)
        let e = relativeError(logits, try f.floats("eval.logits"))
        XCTAssertLessThanOrEqual(e, Self.logitsTolerance, "eval logits relative error \(e)")
        XCTAssertEqual(model.loss(b), try f.floats("eval.loss")[0], accuracy: 1e-5)
        print("QAT reference: eval logits error \(e)")
    }

    func testRoundingTiesClampAndZeroThreshold() throws {
        let f = try SafeTensorsFile(contentsOf: Fixtures.url("reference/tiny_qat.safetensors"))
        for (x, t, ref) in [("unit.x", "unit.threshold", "unit.fq"), ("unit.x2", "unit.threshold2", "unit.fq2")] {
            let xs = try f.floats(x), threshold = try f.floats(t)[0]
            var out = [Float](repeating: .nan, count: xs.count)
            fakeQuantize(out: &out, input: xs, count: xs.count, scale: quantizationScale(threshold: threshold, maxQ: 127), maxQ: 127)
            XCTAssertEqual(out, try f.floats(ref), "\(x) at threshold \(threshold)")
        }
        // Ties go to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2), never away from zero; the
        // clamp stops at -127, never -128.
        var out = [Float](repeating: 0, count: 6)
        quantizeValues(out: &out, input: [0.5, 1.5, 2.5, -2.5, -128.6, 126.5], count: 6, scale: 1, maxQ: 127)
        XCTAssertEqual(out, [0, 2, 2, -2, -127, 126])
        var q8 = [Int8](repeating: 0, count: 3)
        q8_quantize_int8(&q8, [-1000, 1000, -127.5], 3, 1)
        XCTAssertEqual(q8, [-127, 127, -127])
        // A zero threshold quantizes to zeros, with no infinity or NaN.
        XCTAssertEqual(quantizationScale(threshold: 0, maxQ: 127), 0)
        var zero = [Float](repeating: .nan, count: 3)
        fakeQuantize(out: &zero, input: [1, -2, 0], count: 3, scale: 0, maxQ: 127)
        XCTAssertEqual(zero, try f.floats("unit.zero"))
        XCTAssertEqual(zero, [0, 0, 0])
    }

    /// The EMA against values worked out by hand.
    func testEMAUpdateRule() {
        // Decay 0.75: every step is exact in binary. 4 (first step: the batch max itself), then
        // 4 - 0.25 (4 - 2) = 3.5, then 3.5 - 0.25 (3.5 - 10) = 5.125, then 5.125 - 0.25 (5.125 - 5.125) = 5.125.
        var t = ActivationThreshold()
        let quarter = LayerQuantization(emaDecay: 0.75).emaCoefficient
        XCTAssertEqual(quarter, 0.25)
        for (batchMax, first, expected) in [(Float(4), true, Float(4)), (2, false, 3.5), (10, false, 5.125), (5.125, false, 5.125)] {
            t.update(batchMax: batchMax, coefficient: quarter, first: first)
            XCTAssertEqual(t.value, expected, "after max|x| = \(batchMax)")
        }
        // A first step forgets what was there before.
        t.update(batchMax: 1, coefficient: quarter, first: true)
        XCTAssertEqual(t.value, 1)
        // Decay 0.9: 1 - 0.9 = 0.09999999999999998 in double, rounded once to float: 0x1.99999ap-4
        // (0.100000001490116...); 1 - Float(0.9) would be 0x1.9999a0p-4.
        let c = LayerQuantization(emaDecay: 0.9).emaCoefficient
        XCTAssertEqual(c.bitPattern, 0x3DCC_CCCD, "0x1.99999ap-4")
        // 4, then with max 2: c * 2 = 0x1.99999ap-3 = 0.20000000298..., 4 - that = 3.79999999702...,
        // which rounds to the float 0x1.e66666p+1 = 3.79999995231628...
        t.update(batchMax: 4, coefficient: c, first: true)
        t.update(batchMax: 2, coefficient: c, first: false)
        XCTAssertEqual(t.value.bitPattern, 0x4073_3333, "0x1.e66666p+1")
    }

    func testConfigPatternsAndValidation() throws {
        let json = #"{"default": {"mode": "ema", "requantize_output": true}, "layers": {"*.attention.self.*": {"requantize_output": false}, "bert.encoder.layer.0.attention.self.query": {"requantize_output": true, "start_step": 5}, "classifier": {"mode": "none"}}}"#
        let config = try JSONDecoder().decode(QuantizationConfig.self, from: Data(json.utf8))
        XCTAssertEqual(config.settings(for: "bert.encoder.layer.1.attention.self.key").requantizeOutput, false)
        XCTAssertEqual(config.settings(for: "bert.encoder.layer.0.attention.self.query").requantizeOutput, true)
        XCTAssertEqual(config.settings(for: "bert.encoder.layer.0.attention.self.query").startStep, 5)
        XCTAssertEqual(config.settings(for: "bert.encoder.layer.0.output.dense").requantizeOutput, true)
        XCTAssertEqual(config.settings(for: "classifier").mode, QuantizationMode.none)
        XCTAssertEqual(config.settings(for: "bert.pooler.dense").emaDecay, 0.9999)
        let bad = QuantizationConfig(method: "x", defaults: LayerQuantization(), layers: ["bert.encoder.layer.9.output.dense": .init(bits: 8)])
        let model = BertForSequenceClassification(config: BertConfig(vocabSize: 10, hiddenSize: 8, numHiddenLayers: 1,
                                                                     numAttentionHeads: 2, intermediateSize: 8), numLabels: 2)
        XCTAssertThrowsError(try model.enableQuantization(bad, source: "q.json")) { error in
            XCTAssertEqual(error as? QuantizationError, .unknownLayer(source: "q.json", name: "bert.encoder.layer.9.output.dense"))
        }
    }
}
