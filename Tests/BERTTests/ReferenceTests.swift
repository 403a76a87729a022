import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import BERT
@testable import Tensor

/// BERT against PyTorch + transformers (float64 references written by scripts/make_fixtures.py).
final class ReferenceTests: XCTestCase {
    /// Named tolerances (normwise relative error, see `relativeError`).
    static let logitsTolerance = 1e-5
    static let gradientTolerance = 1e-5
    static let adamTolerance = 1e-5
    /// The real MiniLM against PyTorch: max absolute difference of pooled outputs.
    static let minilmPooledTolerance: Float = 1e-4

    override func setUp() { Parallel.configure(threads: 2) }

    /// The key projection's bias shifts every score of a query row by the same q.b, to which
    /// softmax is invariant: its exact gradient is 0 and both implementations return rounding
    /// noise, so a relative comparison is meaningless there.
    static func zeroGradientInExactArithmetic(_ name: String) -> Bool {
        name.hasSuffix("attention.self.key.bias")
    }

    /// Builds the fixture's tiny model with its "param.*" weights.
    func tinyModel(_ f: SafeTensorsFile) throws -> BertForSequenceClassification {
        let configJSON = try XCTUnwrap(f.metadata["config"])
        let config = try JSONDecoder().decode(BertConfig.self, from: Data(configJSON.utf8))
        let labels = try XCTUnwrap(Int(f.metadata["num_labels"] ?? ""))
        let model = BertForSequenceClassification(config: config, numLabels: labels)
        for e in model.layout.entries {
            try f.readFloats("param." + e.name, into: model.tensor(e.name)!)
        }
        return model
    }

    func checkForwardBackward(_ fixture: String, regression: Bool) throws {
        let f = try SafeTensorsFile(contentsOf: Fixtures.url("reference/\(fixture)"))
        let model = try tinyModel(f)
        let batch = try Fixtures.batch(f, regression: regression)
        let logits = model.forward(batch, mode: .train(seed: 1, step: 0))  // dropout p = 0 in this config
        let refLogits = try f.floats("ref.logits")
        let e = relativeError(logits, refLogits)
        XCTAssertLessThanOrEqual(e, Self.logitsTolerance, "\(fixture): logits relative error \(e)")
        let loss = model.loss(batch)
        let refLoss = try f.floats("ref.loss")[0]
        XCTAssertEqual(Double(loss), Double(refLoss), accuracy: Self.logitsTolerance * Double(abs(refLoss)),
                       "\(fixture): loss")
        model.zeroGradients()
        model.backward()
        var worst = (name: "", error: 0.0)
        let totalNorm = Double(GradientClipping.norm(model.gradients.pointer, count: model.layout.count))
        for entry in model.layout.entries {
            let ref = try f.floats("grad." + entry.name)
            let got = model.tensor(entry.name, gradient: true)!
            if Self.zeroGradientInExactArithmetic(entry.name) {
                // Both sides are rounding noise (1e-17 in float64, 1e-9 in float32): check it is noise.
                let norm = got.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                XCTAssertLessThanOrEqual(norm, Self.gradientTolerance * totalNorm, "\(fixture): \(entry.name) should be ~0, norm \(norm)")
                continue
            }
            let err = relativeError(got, ref)
            if err > worst.error { worst = (entry.name, err) }
            XCTAssertLessThanOrEqual(err, Self.gradientTolerance, "\(fixture): gradient of \(entry.name): relative error \(err)")
        }
        print("\(fixture): logits error \(e), loss \(loss) vs \(refLoss), worst gradient \(worst.name) \(worst.error)")
    }

    func testTinyClassifierLogitsLossAndEveryGradient() throws {
        try checkForwardBackward("tiny_classifier.safetensors", regression: false)
    }

    func testTinyRegressionMSE() throws {
        try checkForwardBackward("tiny_regression.safetensors", regression: true)
    }

    func testAdamWStepsWithWarmupAndClipping() throws {
        let f = try SafeTensorsFile(contentsOf: Fixtures.url("reference/tiny_classifier.safetensors"))
        let model = try tinyModel(f)
        let batch = try Fixtures.batch(f)
        let opt = AdamW(layout: model.layout, weightDecay: 0.01)
        let schedule = LinearWarmupSchedule(peak: 1e-3, warmupSteps: 1, totalSteps: 4)
        for step in 0..<3 {
            model.forward(batch, mode: .eval)
            _ = model.loss(batch)
            model.zeroGradients()
            model.backward()
            GradientClipping.clip(model.gradients.pointer, count: model.layout.count, maxNorm: 1.0)
            opt.update(parameters: model.parameters, gradients: model.gradients, lr: schedule.rate(at: step))
            for e in model.layout.entries {
                let ref = try f.floats("adamw.\(step + 1).\(e.name)")
                if Self.zeroGradientInExactArithmetic(e.name) {
                    // Adam normalizes noise to steps of about lr: the parameter moves at most
                    // sum of the rates so far (plus decay, none for biases) in either implementation.
                    let bound = (0...step).reduce(Float(0)) { $0 + schedule.rate(at: $1) } * 1.01
                    XCTAssertLessThanOrEqual(maxAbsDifference(model.tensor(e.name)!, ref), 2 * bound, e.name)
                    continue
                }
                let err = relativeError(model.tensor(e.name)!, ref)
                XCTAssertLessThanOrEqual(err, Self.adamTolerance, "after AdamW step \(step + 1): \(e.name) relative error \(err)")
            }
        }
    }

    func testMiniLMPooledOutputMatchesPyTorch() throws {
        let dir = try PackageAssets.minilm()
        let (model, report) = try PretrainedLoader.load(directory: dir)
        XCTAssertTrue(report.initializedClassifier, "a base model gets a fresh classifier")
        XCTAssertEqual(report.skipped, ["embeddings.position_ids"])
        XCTAssertEqual(model.layout.parameterCount - model.config.hiddenSize * 2 - 2, 22_713_216,
                       "MiniLM-L6-H384 has 22.7M parameters")
        let f = try SafeTensorsFile(contentsOf: Fixtures.url("reference/minilm_pooled.safetensors"))
        let batch = try Fixtures.batch(f)
        model.forward(batch, mode: .eval)
        let pooledRef = try f.floats("ref.pooler_output")
        let pooledDiff = maxAbsDifference(model.pooledOutput, pooledRef)
        XCTAssertLessThanOrEqual(pooledDiff, Self.minilmPooledTolerance, "pooled max |diff| \(pooledDiff)")
        // The hidden states of real tokens (padding rows are not defined to match).
        let hiddenRef = try f.floats("ref.last_hidden_state")
        let C = model.config.hiddenSize
        var worst: Float = 0
        for (i, m) in batch.attentionMask.enumerated() where m != 0 {
            worst = max(worst, maxAbsDifference(model.lastHiddenState[(i * C)..<((i + 1) * C)], hiddenRef[(i * C)..<((i + 1) * C)]))
        }
        XCTAssertLessThanOrEqual(worst, Self.minilmPooledTolerance, "last hidden state max |diff| \(worst)")
        print("MiniLM: pooled max |diff| \(pooledDiff), hidden max |diff| \(worst)")
    }
}
