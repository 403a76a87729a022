import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor
import TestModels

/// Int8 folders whose values are legal for the format but hostile: the runtime neither traps
/// nor runs undefined behaviour, and refuses what cannot be run with a clear error.
final class HostileValuesTests: XCTestCase {
    var dir: URL!
    var folder: URL!
    var weights: URL { folder.appendingPathComponent("model.q8.safetensors") }

    override func setUpWithError() throws {
        Parallel.configure(threads: 2)
        dir = try Tiny.temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Exports the tiny model with `config`, then replaces tensor `name` by `values` (F32).
    func export(_ config: QuantizationConfig, replacing name: String, with values: (Int) -> Float) throws {
        let model = Tiny.model()
        try Tiny.calibrate(model, config, steps: 2)
        folder = try Tiny.export(model, in: dir).0
        try rewrite(weights) { tensors in
            tensors.map { t in
                guard t.0 == name else { return t }
                let count = t.3.count / 4
                return (t.0, t.1, t.2, (0..<count).map(values).withUnsafeBytes { Data($0) })
            }
        }
        try reseal(folder)
    }

    /// A NaN LayerNorm weight makes every activation after it NaN. A 4-bit Linear quantized
    /// them with `Int8(Float)`, which traps on NaN: the whole process died. Now NaN
    /// quantizes to 0 on every path, as in `q8_quantize_int8`.
    func testNaNActivationsIntoAFourBitLayerDoNotTrap() throws {
        let config = QuantizationConfig(method: "custom", defaults: LayerQuantization(requantizeOutput: false),
                                        layers: ["bert.encoder.layer.0.attention.self.query": .init(bits: 4)])
        try export(config, replacing: "bert.embeddings.LayerNorm.weight") { _ in .nan }
        let model = try Int8Model(directory: folder)
        let batch = Tiny.batch(size: 2, seqLen: 5, seed: 3)
        let logits = try model.predict(batch)
        XCTAssertEqual(logits.count, 2 * model.numLabels)
    }

    /// An input threshold so small (a subnormal) that 127 / threshold overflows to infinity:
    /// every activation would quantize to +-127, or to NaN for 0 (0 * inf), so the folder is
    /// refused, naming the tensor.
    func testThresholdWhoseScaleOverflowsIsRefused() throws {
        let name = "bert.encoder.layer.1.intermediate.dense.input_thresh"
        let tiny = Float.leastNormalMagnitude / 16  // 7.3e-40, a subnormal: 127 / tiny > Float.greatestFiniteMagnitude
        try export(.q8bert, replacing: name) { _ in tiny }
        XCTAssertThrowsError(try Int8Model(directory: folder)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(weights.path) && message.contains(name)
                          && message.contains("quantization scale 127 / \(tiny) overflows"), message)
        }
    }
}
