import BERT
import Foundation
import ModelFormat
import ONNXExport
import TestModels
import XCTest

/// An FP32 model folder (a run's checkpoint) -> a float ONNX model.
final class FloatExportTests: XCTestCase {
    func testFloatExportHasTheCheckpointsWeights() throws {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model(labels: 2)
        let checkpoint = dir.appendingPathComponent("best")
        try ModelFolderWriter.write(model, to: checkpoint, labels: ["no", "yes"], baseConfig: nil,
                                    vocabulary: try Tiny.vocabulary(in: dir))
        let file = dir.appendingPathComponent("m.fp32.onnx")
        let summary = try ONNXExporter.exportFloat(checkpoint: checkpoint, to: file, defaultMaxSeqLength: 128)
        XCTAssertEqual(summary.precision, "fp32")
        XCTAssertEqual(summary.quantizedLinears, 0)
        XCTAssertEqual(summary.floatLinears, 14)
        let m = try ParsedONNX(file)
        XCTAssertEqual(m.count("QuantizeLinear") + m.count("DequantizeLinear"), 0)
        XCTAssertEqual(m.values("classifier.weight_t", as: Float.self),
                       transposed(Array(model.tensor("classifier.weight")!), rows: 2, cols: 32))
        XCTAssertEqual(m.values("bert.embeddings.word_embeddings.weight", as: Float.self),
                       Array(model.tensor("bert.embeddings.word_embeddings.weight")!))
        XCTAssertEqual(m.metadata["labels"], #"["no","yes"]"#)
        XCTAssertEqual(m.metadata["q8train_precision"], "fp32")
        XCTAssertEqual(m.model.graph.output.first?.type.tensorType.shape.dim.last?.dimValue, 2)
    }
}
