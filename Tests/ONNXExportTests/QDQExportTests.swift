import BERT
import Foundation
import ModelFormat
import ONNXExport
import ONNXProto
import TestModels
import XCTest

/// The int8 folder -> ONNX QDQ export, read back with the generated protobuf types and
/// compared with the folder's tensors. (ONNX Runtime's predictions on these graphs are
/// checked by scripts/check-onnx.sh, which scripts/test.sh runs.)
final class QDQExportTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Tiny.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testGraphInterfaceAndOpset() throws {
        let (_, folder) = try exportTiny(.q8bert, in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        let summary = try ONNXExporter.exportInt8(folder: folder, to: file, defaultMaxSeqLength: 128)
        let m = try ParsedONNX(file)
        XCTAssertEqual(m.model.irVersion, 8)
        XCTAssertEqual(m.model.opsetImport.map(\.version), [17])
        XCTAssertEqual(m.model.graph.input.map(\.name), ["input_ids", "attention_mask", "token_type_ids"])
        for input in m.model.graph.input {
            XCTAssertEqual(input.type.tensorType.elemType, 7, "int64")
            XCTAssertEqual(input.type.tensorType.shape.dim.map(\.dimParam), ["batch", "sequence"])
        }
        let output = try XCTUnwrap(m.model.graph.output.first)
        XCTAssertEqual(output.name, "logits")
        XCTAssertEqual(output.type.tensorType.shape.dim.map(\.dimParam), ["batch", ""])
        XCTAssertEqual(output.type.tensorType.shape.dim.last?.dimValue, 3)
        XCTAssertEqual(summary.bytes, try Data(contentsOf: file).count)
        XCTAssertEqual(summary.quantizedLinears, 14)
        XCTAssertEqual(summary.quantizedEmbeddings, 3)
        // Tiny: 2 layers x (x shared by q/k/v, attention output, intermediate, output) + pooler +
        // classifier inputs quantized; 14 Linears x (input, weight, bias) + 3 tables dequantized.
        XCTAssertEqual(m.count("QuantizeLinear"), 10)
        XCTAssertEqual(m.count("DequantizeLinear"), 14 * 3 + 3)
        XCTAssertEqual(m.count("LayerNormalization"), 5)
        XCTAssertEqual(m.count("Erf"), 2)
        // Every DequantizeLinear feeds exactly one node (what ONNX Runtime's QDQ fusion matches).
        for dq in m.nodes where dq.opType == "DequantizeLinear" {
            XCTAssertEqual(m.nodes.filter { $0.input.contains(dq.output[0]) }.count, 1, dq.name)
        }
    }

    /// Weights, scales, thresholds and int32 biases are the folder's, as the runtime uses them.
    func testInitializersAreTheInt8FoldersTensors() throws {
        let (_, folder) = try exportTiny(.q8bert, in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        _ = try ONNXExporter.exportInt8(folder: folder, to: file, defaultMaxSeqLength: 128)
        let m = try ParsedONNX(file)
        let st = try SafeTensorsFile(contentsOf: folder.appendingPathComponent(Int8Format.weightsFile))
        for layer in ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.1.intermediate.dense", "classifier"] {
            let info = try st.require(layer + ".quantized_weight")
            let (out, k) = (info.shape[0], info.shape[1])
            XCTAssertEqual(m.values(layer + ".quantized_weight_t", as: Int8.self),
                           transposed(try st.int8s(layer + ".quantized_weight"), rows: out, cols: k), layer)
            XCTAssertEqual(m.initializer(layer + ".quantized_weight_t")?.dims, [Int64(k), Int64(out)])
            XCTAssertEqual(m.values(layer + ".quantized_bias", as: Int32.self), try st.int32s(layer + ".quantized_bias"), layer)
            let sw = try st.floats(layer + ".weight_scale")[0], threshold = try st.floats(layer + ".input_thresh")[0]
            let sx = 127 / threshold
            XCTAssertEqual(m.scalar(layer + ".weight_scale"), 1 / sw, layer)
            XCTAssertEqual(m.scalar(layer + ".bias_scale"), 1 / (sx * sw), layer)
            XCTAssertEqual(try XCTUnwrap(m.scalar(layer + ".input_scale")), threshold / 127, accuracy: threshold * 1e-7, layer)
            // The Linear: MatMul(DQ(x), DQ(W^T)) + DQ(b).
            let matmul = try XCTUnwrap(m.node(layer + ".matmul"))
            XCTAssertEqual(matmul.input, [layer + ".input_dequantized", layer + ".weight"])
            XCTAssertEqual(m.node(layer + ".bias")?.input, [layer + ".quantized_bias", layer + ".bias_scale", "zero_point_i32"])
        }
        let word = "bert.embeddings.word_embeddings"
        XCTAssertEqual(m.values(word + ".quantized_weight", as: Int8.self), try st.int8s(word + ".quantized_weight"))
        XCTAssertEqual(m.scalar(word + ".scale"), 1 / (try st.floats(word + ".weight_scale")[0]))
        XCTAssertEqual(m.node(word + ".rows")?.opType, "Gather", "int8 rows are gathered, then dequantized")
        XCTAssertEqual(m.values("zero_point_i8", as: Int8.self), [0])
    }

    func testMetadataCarriesTokenizerAndLabels() throws {
        let (_, folder) = try exportTiny(.q8bert, in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        _ = try ONNXExporter.exportInt8(folder: folder, to: file, defaultMaxSeqLength: 96)
        let meta = try ParsedONNX(file).metadata
        XCTAssertEqual(meta["labels"], #"["neg","neutral","pos"]"#)
        XCTAssertEqual(meta["vocab"], try String(contentsOf: folder.appendingPathComponent("vocab.txt"), encoding: .utf8))
        XCTAssertEqual(meta["do_lower_case"], "true")
        XCTAssertEqual(meta["max_seq_length"], "96", "no task.json: the given default")
        XCTAssertEqual(meta["q8train_precision"], "int8")
        XCTAssertEqual(meta["quantization"], "q8bert")
    }

    /// q8bert-paper requantizes query and key outputs (a Q/DQ pair each), keeps token-type
    /// embeddings FP32, and starts the classifier at step 200: calibrated for 4 steps, its
    /// threshold is 0 and its output 0, which the export says.
    func testPaperRecipe() throws {
        let (_, folder) = try exportTiny(.q8bertPaper, in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        let summary = try ONNXExporter.exportInt8(folder: folder, to: file, defaultMaxSeqLength: 128)
        let m = try ParsedONNX(file)
        XCTAssertNotNil(m.node("bert.encoder.layer.0.attention.self.query.output_quantized"))
        XCTAssertNotNil(m.node("bert.encoder.layer.1.attention.self.key.output_dequantized"))
        XCTAssertNil(m.node("bert.encoder.layer.0.attention.self.value.output_quantized"))
        XCTAssertEqual(m.node("bert.embeddings.token_type_embeddings")?.opType, "Gather")
        XCTAssertNotNil(m.initializer("bert.embeddings.token_type_embeddings.weight"), "FP32 table")
        XCTAssertEqual(summary.quantizedEmbeddings, 2)
        XCTAssertEqual(summary.warnings.count, 1)
        XCTAssertTrue(summary.warnings[0].hasPrefix("classifier:"), summary.warnings[0])
        XCTAssertEqual(m.values("classifier.weight_t", as: Float.self), [Float](repeating: 0, count: 32 * 3))
        // 9 shared inputs (the classifier's is not quantized) + 2 layers x 2 requantized outputs.
        XCTAssertEqual(m.count("QuantizeLinear"), 9 + 4)
    }
}
