import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// Strict loading of model folders: config.json errors and tensor set/shape errors name the
/// file and the tensor.
final class CheckpointLoadingTests: XCTestCase {
    let tinyConfig = BertConfig(vocabSize: 50, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                intermediateSize: 12, maxPositionEmbeddings: 16)

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Writes config.json and a model.safetensors with the tiny model's tensors, edited by `edit`
    /// (name -> shape, nil drops it), keys prefixed with `prefix`.
    func writeFolder(prefix: String = "", includeClassifier: Bool = false,
                     edit: (inout [(String, [Int])]) -> Void = { _ in }) throws -> URL {
        let dir = try temporaryDirectory()
        try JSONEncoder().encode(tinyConfig).write(to: dir.appendingPathComponent("config.json"))
        let layout = ParameterLayout.bertForSequenceClassification(tinyConfig, numLabels: 2)
        var tensors = layout.entries
            .filter { includeClassifier || !$0.name.hasPrefix("classifier.") }
            .map { e -> (String, [Int]) in
                let bare = e.name.hasPrefix("bert.") ? String(e.name.dropFirst(5)) : e.name
                return (e.name.hasPrefix("bert.") ? prefix + bare : e.name, e.shape)
            }
        edit(&tensors)
        var writer = SafeTensorsWriter()
        for (i, (name, shape)) in tensors.enumerated() {
            let n = shape.reduce(1, *)
            try writer.add(name, floats: (0..<n).map { Float(i) + Float($0) * 1e-3 }, shape: shape)
        }
        try writer.write(to: dir.appendingPathComponent("model.safetensors"))
        return dir
    }

    func assertThrows(_ expected: ModelFolderError, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? ModelFolderError, expected, "\(error)", file: file, line: line)
        }
    }

    func testBothKeyLayoutsLoadAndGetTheSameWeights() throws {
        let bare = try PretrainedLoader.load(directory: try writeFolder(prefix: ""))
        let prefixed = try PretrainedLoader.load(directory: try writeFolder(prefix: "bert."))
        XCTAssertTrue(bare.report.initializedClassifier)
        XCTAssertEqual(Array(bare.model.tensor("bert.encoder.layer.0.output.dense.weight")!),
                       Array(prefixed.model.tensor("bert.encoder.layer.0.output.dense.weight")!))
        XCTAssertEqual(bare.model.tensor("bert.embeddings.word_embeddings.weight")![1], 1e-3)
        // The classifier is initialized from the seed: N(0, 0.02) weights, zero bias.
        let w = Array(bare.model.tensor("classifier.weight")!)
        XCTAssertEqual(w, Array(prefixed.model.tensor("classifier.weight")!), "same seed, same classifier")
        XCTAssertTrue(w.contains { $0 != 0 } && w.allSatisfy { abs($0) < 0.2 })
        XCTAssertEqual(Array(bare.model.tensor("classifier.bias")!), [0, 0])
    }

    func testAClassifierInTheFileIsLoaded() throws {
        let dir = try writeFolder(prefix: "bert.", includeClassifier: true)
        let (model, report) = try PretrainedLoader.load(directory: dir)
        XCTAssertFalse(report.initializedClassifier)
        XCTAssertNotEqual(model.tensor("classifier.weight")![0], 0)
    }

    func testMissingTensorIsNamed() throws {
        let dir = try writeFolder { $0.removeAll { $0.0 == "encoder.layer.0.attention.self.key.bias" } }
        let path = dir.appendingPathComponent("model.safetensors").path
        assertThrows(.missingTensor(path: path, name: "bert.encoder.layer.0.attention.self.key.bias")) {
            _ = try PretrainedLoader.load(directory: dir)
        }
    }

    func testUnexpectedTensorIsNamed() throws {
        let dir = try writeFolder { $0.append(("encoder.layer.7.attention.self.key.bias", [8])) }
        let path = dir.appendingPathComponent("model.safetensors").path
        assertThrows(.unexpectedTensors(path: path, names: ["encoder.layer.7.attention.self.key.bias"])) {
            _ = try PretrainedLoader.load(directory: dir)
        }
    }

    func testMisShapedTensorIsNamedWithBothShapes() throws {
        let dir = try writeFolder {
            if let i = $0.firstIndex(where: { $0.0 == "pooler.dense.weight" }) { $0[i].1 = [8, 4] }
        }
        let path = dir.appendingPathComponent("model.safetensors").path
        assertThrows(.shapeMismatch(path: path, name: "pooler.dense.weight", expected: [8, 8], actual: [8, 4])) {
            _ = try PretrainedLoader.load(directory: dir)
        }
    }

    func testClassifierWithOtherLabelCountIsALabelError() throws {
        let dir = try writeFolder(prefix: "bert.", includeClassifier: true)
        let path = dir.appendingPathComponent("model.safetensors").path
        assertThrows(.labelCount(path: path, config: 2, requested: 3)) {
            _ = try PretrainedLoader.load(directory: dir, numLabels: 3)
        }
    }

    func testMissingFiles() throws {
        let dir = try temporaryDirectory()
        assertThrows(.missingFile(path: dir.appendingPathComponent("config.json").path)) {
            _ = try PretrainedLoader.load(directory: dir)
        }
    }

    func testTruncatedWeightsFileIsASafeTensorsError() throws {
        let dir = try writeFolder()
        let url = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 100).write(to: url)
        XCTAssertThrowsError(try PretrainedLoader.load(directory: dir)) { error in
            XCTAssertTrue(error is SafeTensorsError, "\(error)")
            XCTAssertTrue("\(error)".contains(url.path), "the message names the file: \(error)")
        }
    }

    func testConfigMissingFieldIsNamed() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("config.json")
        try Data(#"{"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1, "intermediate_size": 4, "max_position_embeddings": 8, "type_vocab_size": 2}"#.utf8).write(to: url)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { error in
            XCTAssertEqual(error as? BertConfigError, .missingField(path: url.path, field: "num_attention_heads"))
            XCTAssertEqual("\(error)", "\(url.path): missing field \"num_attention_heads\"")
        }
    }

    func testConfigInvalidValues() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("config.json")
        try Data(#"{"vocab_size": 10, "hidden_size": 10, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 4, "max_position_embeddings": 8, "type_vocab_size": 2}"#.utf8).write(to: url)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { error in
            XCTAssertEqual(error as? BertConfigError, .invalidField(path: url.path, field: "hidden_size",
                reason: "10 is not a multiple of num_attention_heads 4"))
        }
        try Data(#"{"vocab_size": "many"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("vocab_size"), "\(error)")
        }
        try Data("not json".utf8).write(to: url)
        XCTAssertThrowsError(try BertConfig.load(from: url)) { error in
            XCTAssertTrue("\(error)".hasPrefix(url.path), "\(error)")
        }
    }
}
