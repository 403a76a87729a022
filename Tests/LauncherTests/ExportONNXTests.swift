import ArgumentParser
import BERT
import Foundation
import ModelFormat
import TestModels
import XCTest
@testable import Launcher

/// `q8train export --format onnx`: which precision a checkpoint gets, and what is refused
/// before anything is written.
final class ExportONNXTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Tiny.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A fine-tuned checkpoint folder of the tiny model: FP32, or quantization-aware (with
    /// quantization.json and thresholds) when `quantization` is given.
    func checkpoint(_ name: String, quantization: QuantizationConfig?) throws -> URL {
        let model = Tiny.model(labels: 2)
        if let quantization { try Tiny.calibrate(model, quantization) }
        let folder = dir.appendingPathComponent(name)
        try ModelFolderWriter.write(model, to: folder, labels: ["no", "yes"], baseConfig: nil,
                                    vocabulary: try Tiny.vocabulary(in: dir))
        return folder
    }

    func run(_ arguments: [String]) throws {
        var command = try Export.parseAsRoot(arguments)
        try command.run()
    }

    func testFP32CheckpointAsInt8IsRefusedBeforeWriting() throws {
        let fp32 = try checkpoint("fp32", quantization: nil)
        let file = dir.appendingPathComponent("out.onnx")
        XCTAssertThrowsError(try run(["--model", fp32.path, "--format", "onnx", "--precision", "int8", "--output", file.path])) {
            XCTAssertTrue("\($0)".contains("has no QAT thresholds"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))
        XCTAssertThrowsError(try Export.parseAsRoot(["--model", fp32.path, "--format", "onnx", "--quantize", "dynamic"])) {
            XCTAssertTrue(Export.message(for: $0).contains("no frozen thresholds"), Export.message(for: $0))
        }
        // auto: an FP32 checkpoint gives an FP32 model, beside the folder.
        try run(["--model", fp32.path, "--format", "onnx"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("fp32.fp32.onnx").path))
    }

    func testQATCheckpointGivesInt8AndInt8FolderToo() throws {
        let qat = try checkpoint("qat", quantization: .q8bert)
        let file = dir.appendingPathComponent("qat.onnx")
        try run(["--model", qat.path, "--format", "onnx", "--output", file.path])
        let fromCheckpoint = try Data(contentsOf: file)
        // The same model from the int8 folder the checkpoint exports to.
        try run(["--model", qat.path, "--output", dir.appendingPathComponent("int8").path])
        let fromFolder = dir.appendingPathComponent("folder.onnx")
        try run(["--model", dir.appendingPathComponent("int8").path, "--format", "onnx", "--output", fromFolder.path])
        XCTAssertEqual(try Data(contentsOf: fromFolder), fromCheckpoint)
        XCTAssertThrowsError(try run(["--model", dir.appendingPathComponent("int8").path, "--format", "onnx",
                                      "--precision", "fp32", "--output", fromFolder.path])) {
            XCTAssertTrue("\($0)".contains("has no FP32 weights"), "\($0)")
        }
    }
}
