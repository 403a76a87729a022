import CKernels
import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor
import TestModels

/// The int8 folder: files, tensor names, dtypes, shapes, scales and the int32 bias, checked
/// against independent recomputation from the FP32 model (no Python needed).
final class ExportFormatTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    func testTensorsDtypesShapesAndScales() throws {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model(labels: 3)
        try Tiny.calibrate(model, .allOutputs)
        let (folder, summary) = try Tiny.export(model, in: dir)
        for name in ["model.q8.safetensors", "quantization.json", "config.json", "labels.txt", "vocab.txt",
                     "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers, [], "no temporary folder left behind")
        let f = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.q8.safetensors"))
        XCTAssertEqual(f.metadata["format"], "q8train-int8")
        XCTAssertEqual(f.metadata["format_version"], "1")
        XCTAssertEqual(Set(f.tensors.map(\.dtype)), [.i8, .i32, .f32], "standard dtypes only")

        // Every Linear: I8 weight, F32 scale and thresholds, I32 bias; no FP32 weight left.
        let C = 32
        let linears = (0..<2).flatMap { l in
            ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
             "intermediate.dense", "output.dense"].map { "bert.encoder.layer.\(l).\($0)" }
        } + ["bert.pooler.dense", "classifier"]
        for name in linears {
            let q = try XCTUnwrap(model.linearQuantizer(name))
            let w = try XCTUnwrap(model.tensor(name + ".weight")), b = try XCTUnwrap(model.tensor(name + ".bias"))
            let out = b.count, inF = w.count / out
            XCTAssertEqual(try f.require(name + ".quantized_weight", dtype: .i8).shape, [out, inF])
            XCTAssertEqual(try f.require(name + ".quantized_bias", dtype: .i32).shape, [out])
            XCTAssertEqual(try f.require(name + ".weight_scale", dtype: .f32).shape, [1])
            XCTAssertNil(f[name + ".weight"])
            XCTAssertNil(f[name + ".bias"])
            // S_w = 127 / max|W|; q = round(W S_w); every q in [-127, 127], the extreme reached.
            let maxW = w.map(abs).max()!
            let sw = try f.floats(name + ".weight_scale")[0]
            XCTAssertEqual(sw, 127 / maxW, name)
            let qw = try f.int8s(name + ".quantized_weight")
            XCTAssertEqual(qw.map { abs(Int($0)) }.max(), 127, name)
            for i in stride(from: 0, to: qw.count, by: 7) {
                XCTAssertEqual(Float(qw[i]), (w[i] * sw).rounded(.toNearestOrEven), "\(name) weight \(i)")
            }
            // Thresholds as trained; int32 bias = round(b * S_x * S_w).
            XCTAssertEqual(try f.floats(name + ".input_thresh"), [q.input.value])
            XCTAssertEqual(try f.floats(name + ".output_thresh"), [q.output.value])
            XCTAssertGreaterThan(q.input.value, 0, "\(name) calibrated")
            let biasScale = (127 / q.input.value) * sw
            let qb = try f.int32s(name + ".quantized_bias")
            for i in 0..<out { XCTAssertEqual(qb[i], Int32((b[i] * biasScale).rounded(.toNearestOrEven)), "\(name) bias \(i)") }
        }
        // Embeddings: I8 tables with their scales; dequantized rows equal training's fake-quantized ones.
        for (name, rows) in [("word_embeddings", Tiny.vocabSize), ("position_embeddings", 64), ("token_type_embeddings", 2)] {
            let full = "bert.embeddings." + name
            XCTAssertEqual(try f.require(full + ".quantized_weight", dtype: .i8).shape, [rows, C])
            let table = try XCTUnwrap(model.tensor(full + ".weight"))
            let s = try f.floats(full + ".weight_scale")[0]
            XCTAssertEqual(s, 127 / table.map(abs).max()!)
            var fq = [Float](repeating: 0, count: table.count)
            q8_fake_quantize(&fq, table.baseAddress!, table.count, s, 127)
            let q = try f.int8s(full + ".quantized_weight")
            XCTAssertEqual(q.map { Float($0) / s }.map(\.bitPattern), fq.map(\.bitPattern), full)
        }
        for name in ["bert.embeddings.LayerNorm", "bert.encoder.layer.0.attention.output.LayerNorm",
                     "bert.encoder.layer.1.output.LayerNorm"] {
            XCTAssertEqual(try f.require(name + ".weight", dtype: .f32, shape: [C]).shape, [C])
            XCTAssertEqual(try f.floats(name + ".bias"), Array(model.tensor(name + ".bias")!))
        }
        XCTAssertEqual(f.tensors.count, 14 * 5 + 3 * 2 + 5 * 2, "5 per Linear, 2 per embedding, 2 per LayerNorm")

        // quantization.json and config.json.
        let manifest = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("quantization.json"))) as? [String: Any])
        XCTAssertEqual(manifest["format_version"] as? Int, 1)
        XCTAssertEqual(manifest["method"] as? String, "q8bert-symmetric-linear")
        XCTAssertEqual(manifest["preset"] as? String, "all-outputs")
        XCTAssertEqual(manifest["bits"] as? Int, 8)
        let layers = try XCTUnwrap(manifest["layers"] as? [String: [String: Any]])
        XCTAssertEqual(layers.count, 14 + 3)
        XCTAssertEqual(layers["classifier"]?["requantize_output"] as? Bool, true)
        let config = try BertConfig.load(from: folder.appendingPathComponent("config.json"))
        XCTAssertEqual(config.labelNames, ["LABEL_0", "LABEL_1", "LABEL_2"])
        XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("labels.txt"), encoding: .utf8),
                       "LABEL_0\nLABEL_1\nLABEL_2\n")

        // Size: int8 weights, int32 biases, FP32 LayerNorms and scalars; for this tiny model the
        // FP32 LayerNorms and 4-byte biases weigh more than in a real one.
        let weights = model.layout.entries.filter { !$0.name.hasSuffix(".bias") && !$0.name.contains("LayerNorm") }
            .reduce(0) { $0 + $1.count }
        let biases = model.layout.entries.filter { $0.name.hasSuffix(".bias") && !$0.name.contains("LayerNorm") }
            .reduce(0) { $0 + $1.count }
        let norms = model.layout.entries.filter { $0.name.contains("LayerNorm") }.reduce(0) { $0 + $1.count }
        let data = weights + 4 * biases + 4 * norms + 4 * (14 * 3 + 3)
        XCTAssertEqual(summary.bytes - 8 - f.headerLength, data, "data bytes")
        XCTAssertEqual(summary.fp32Bytes, model.layout.parameterCount * 4)
        XCTAssertLessThan(summary.ratio, 0.4)
        print(String(format: "tiny export: %d bytes, %.1f%% of FP32 (%d parameters)", summary.bytes, 100 * summary.ratio,
                     model.layout.parameterCount))
    }

    /// A dynamic layer stores its FP32 bias (its int32 bias depends on each batch's S_x) and no
    /// thresholds; an FP32 layer its FP32 weight.
    func testDynamicAndFP32Layers() throws {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model()
        try Tiny.calibrate(model, QuantizationConfig(method: "m", defaults: LayerQuantization(requantizeOutput: false), layers: [
            "bert.pooler.dense": .init(mode: .dynamic),
            "classifier": .init(mode: QuantizationMode.none),
            "bert.embeddings.position_embeddings": .init(mode: QuantizationMode.none),
        ]))
        let (folder, summary) = try Tiny.export(model, in: dir)
        let f = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("model.q8.safetensors"))
        _ = try f.require("bert.pooler.dense.quantized_weight", dtype: .i8, shape: [32, 32])
        XCTAssertEqual(try f.floats("bert.pooler.dense.bias"), Array(model.tensor("bert.pooler.dense.bias")!))
        XCTAssertNil(f["bert.pooler.dense.input_thresh"])
        XCTAssertNil(f["bert.pooler.dense.quantized_bias"])
        XCTAssertEqual(try f.floats("classifier.weight"), Array(model.tensor("classifier.weight")!))
        _ = try f.require("bert.embeddings.position_embeddings.weight", dtype: .f32, shape: [64, 32])
        XCTAssertNil(f["bert.encoder.layer.0.output.dense.output_thresh"], "no output requantization")
        XCTAssertEqual(summary.int8Linears, 13)
        XCTAssertEqual(summary.fp32Linears, 1)
        XCTAssertEqual(summary.int8Embeddings, 2)
    }

    func testExportNeedsQuantization() throws {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try Tiny.export(Tiny.model(), in: dir)) { error in
            XCTAssertEqual(error as? Int8ExportError, .notQuantized)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("int8").path))
    }

    /// The bundled MiniLM: int8 tensors at most 27% of its FP32 model.safetensors.
    func testMiniLMExportIsAtMost27PercentOfFP32() throws {
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { root.deleteLastPathComponent() }
        let dir = root.appendingPathComponent("assets/models/minilm-l6-h384")
        let fp32 = dir.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: fp32.path) else { throw XCTSkip("\(fp32.path) missing") }
        let (model, _) = try PretrainedLoader.load(directory: dir)
        try model.enableQuantization(.q8bert)
        let bytes = try Int8Exporter.tensors(of: model).writer.serialized().count
        let fp32Bytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: fp32.path)[.size] as? NSNumber).intValue
        let ratio = Double(bytes) / Double(fp32Bytes)
        print(String(format: "MiniLM int8 export: %d bytes = %.2f%% of %d", bytes, 100 * ratio, fp32Bytes))
        XCTAssertLessThanOrEqual(ratio, 0.27)
    }
}
