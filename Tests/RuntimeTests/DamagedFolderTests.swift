import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor
import TestModels

/// Damaged int8 folders fail to load with errors naming the file and the tensor or field.
final class DamagedFolderTests: XCTestCase {
    static let layer = "bert.encoder.layer.1.attention.self.key"
    var dir: URL!
    var folder: URL!
    var weights: URL { folder.appendingPathComponent("model.q8.safetensors") }

    override func setUpWithError() throws {
        Parallel.configure(threads: 2)
        dir = try Tiny.temporaryDirectory()
        let model = Tiny.model()
        try Tiny.calibrate(model, .q8bert, steps: 2)
        folder = try Tiny.export(model, in: dir).0
        XCTAssertNoThrow(try Int8Model(directory: folder))
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func loadError() -> String {
        do {
            _ = try Int8Model(directory: folder)
            XCTFail("loaded a damaged folder")
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// Rewrites the weights (see `rewrite`) and records their new digest, so that the damage
    /// reaches the structural checks (the integrity check alone is IntegrityTests').
    func rewriteResealed(_ transform: ([(String, SafeTensorsDType, [Int], Data)]) -> [(String, SafeTensorsDType, [Int], Data)]) throws {
        try rewrite(weights, transform)
        try reseal(folder)
    }

    func testMissingTensor() throws {
        let name = Self.layer + ".quantized_bias"
        try rewriteResealed { $0.filter { $0.0 != name } }
        let message = loadError()
        XCTAssertTrue(message.contains(weights.path) && message.contains(name), message)
    }

    func testWrongDType() throws {
        let name = Self.layer + ".quantized_weight"
        try rewriteResealed { tensors in
            tensors.map { t in
                guard t.0 == name else { return t }
                let floats = t.3.map { Float(Int8(bitPattern: $0)) }
                return (t.0, .f32, t.2, floats.withUnsafeBytes { Data($0) })
            }
        }
        let message = loadError()
        XCTAssertTrue(message.contains(weights.path) && message.contains(name) && message.contains("I8")
                      && message.contains("F32"), message)
    }

    func testWrongShape() throws {
        let name = "bert.embeddings.LayerNorm.weight"
        try rewriteResealed { $0.map { $0.0 == name ? ($0.0, $0.1, [2, 16], $0.3) : $0 } }
        let message = loadError()
        XCTAssertTrue(message.contains(name) && message.contains("32"), message)
    }

    func testInt8WeightOfMinus128() throws {
        let name = Self.layer + ".quantized_weight"
        try rewriteResealed { $0.map { t in
            guard t.0 == name else { return t }
            var bytes = t.3
            bytes[bytes.startIndex + 5] = 0x80
            return (t.0, t.1, t.2, bytes)
        } }
        let message = loadError()
        XCTAssertTrue(message.contains(name) && message.contains("-128") && message.contains("index 5"), message)
    }

    func testUnexpectedTensor() throws {
        try rewriteResealed { $0 + [("classifier.output_thresh", .f32, [1], Data(count: 4))] }
        let message = loadError()
        XCTAssertTrue(message.contains("unexpected") && message.contains("classifier.output_thresh"), message)
    }

    func testNegativeScale() throws {
        let name = "bert.embeddings.word_embeddings.weight_scale"
        try rewriteResealed { $0.map { $0.0 == name ? ($0.0, $0.1, $0.2, withUnsafeBytes(of: Float(-1)) { Data($0) }) : $0 } }
        let message = loadError()
        XCTAssertTrue(message.contains(name) && message.contains("-1"), message)
    }

    func testTruncatedFile() throws {
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 100).write(to: weights)
        // The recorded digest catches it first...
        var message = loadError()
        XCTAssertTrue(message.contains(weights.path) && message.contains("sha256 mismatch")
                      && message.contains("(\(data.count - 100) bytes; \(data.count) when exported)"), message)
        // ... and without it, the safetensors layout does.
        try reseal(folder)
        message = loadError()
        XCTAssertTrue(message.contains(weights.path) && !message.contains("modified or damaged"), message)
    }

    func testMissingAndInvalidQuantizationJSON() throws {
        let url = folder.appendingPathComponent("quantization.json")
        let original = try Data(contentsOf: url)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
        object["format_version"] = 2
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        var message = loadError()
        XCTAssertTrue(message.contains(url.path) && message.contains("field format_version: 2 is not supported"), message)

        var layers = try XCTUnwrap(object["layers"] as? [String: Any])
        layers.removeValue(forKey: "classifier")
        object["layers"] = layers
        object["format_version"] = 1
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        message = loadError()
        XCTAssertTrue(message.contains(url.path) && message.contains("\"classifier\""), message)

        try FileManager.default.removeItem(at: url)
        message = loadError()
        XCTAssertTrue(message.contains(url.path) && message.contains("not found"), message)
    }

    /// Every key of quantization.json and task.json must be one the format knows: a misspelled
    /// one is an error naming the file, the key and the closest known key.
    func testUnknownKeysInTheFolderJSONAreErrors() throws {
        let url = folder.appendingPathComponent("quantization.json")
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        func load(with object: [String: Any]) throws -> String {
            try JSONSerialization.data(withJSONObject: object).write(to: url)
            return loadError()
        }
        var object = original
        object["prest"] = "q8bert"
        var message = try load(with: object)
        XCTAssertTrue(message.contains(url.path) && message.contains("unknown key \"prest\"")
                      && message.contains("did you mean \"preset\""), message)

        object = original
        var layers = try XCTUnwrap(object["layers"] as? [String: Any])
        var entry = try XCTUnwrap(layers["classifier"] as? [String: Any])
        entry["requantise_output"] = true
        layers["classifier"] = entry
        object["layers"] = layers
        message = try load(with: object)
        XCTAssertTrue(message.contains("field layers.classifier.requantise_output: unknown key \"requantise_output\"")
                      && message.contains("did you mean \"requantize_output\""), message)

        object = original
        var config = try XCTUnwrap(object["config"] as? [String: Any])
        config["defaults"] = ["bits": 4]
        object["config"] = config
        message = try load(with: object)
        XCTAssertTrue(message.contains(url.path) && message.contains("\"defaults\"") && message.contains("\"default\""), message)

        // task.json: strict too (unlisted here, so no digest stands in the way).
        try JSONSerialization.data(withJSONObject: original).write(to: url)
        let task = folder.appendingPathComponent(TaskDefinition.fileName)
        try Data(#"{"name": "movie", "label_names": ["a", "b", "c"], "regression": false, "max_seq_length": 16, "text_column": ["sentence"]}"#.utf8)
            .write(to: task)
        message = loadError()
        XCTAssertTrue(message.contains(task.path) && message.contains("unknown key \"text_column\"")
                      && message.contains("did you mean \"text_columns\""), message)
        // Labels that disagree with the model's.
        try Data(#"{"name": "movie", "label_names": ["x", "y", "z"], "regression": false, "max_seq_length": 16}"#.utf8).write(to: task)
        message = loadError()
        XCTAssertTrue(message.contains(task.path) && message.contains("label_names"), message)
    }

    /// A QAT checkpoint folder is not an int8 folder: the error says so.
    func testMissingWeightsFile() throws {
        try FileManager.default.removeItem(at: weights)
        let message = loadError()
        XCTAssertTrue(message.contains("model.q8.safetensors") && message.contains("not found"), message)
    }
}
