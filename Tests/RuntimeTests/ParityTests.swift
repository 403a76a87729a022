import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor
import TestModels

/// The runtime against training's evaluation mode: export a calibrated tiny QAT model, load it
/// with Int8Model, and compare logits bit for bit on fixed batches.
final class ParityTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    /// Batch shapes: odd sizes, padding, a single example, a row count above one GEMM block.
    static let shapes: [(Int, Int)] = [(3, 9), (1, 5), (5, 17), (8, 33), (2, 64)]

    func checkParity(_ quantization: QuantizationConfig, labels: Int = 3, file: StaticString = #filePath,
                     line: UInt = #line) throws -> Int8Model {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model(labels: labels)
        try Tiny.calibrate(model, quantization)
        let (folder, _) = try Tiny.export(model, in: dir)
        let runtime = try Int8Model(directory: folder)
        XCTAssertEqual(runtime.numLabels, labels, file: file, line: line)
        let fp32 = Tiny.model(labels: labels)  // same weights, no quantization: the control
        var all = [Float]()
        for (k, (B, T)) in Self.shapes.enumerated() {
            let batch = Tiny.batch(size: B, seqLen: T, seed: 1000 + UInt64(k))
            let expected = Array(model.forward(batch, mode: .eval))
            let got = try runtime.predict(batch)
            let (mismatches, worst) = bitwiseDifference(got, expected)
            XCTAssertEqual(mismatches, 0, "\(quantization.method) \(B)x\(T): \(mismatches) of \(got.count) logits differ, "
                           + "largest difference \(worst)", file: file, line: line)
            // Not vacuous: quantization changes the logits, and they vary (checked below).
            all += got
            let unquantized = Array(fp32.forward(batch, mode: .eval))
            XCTAssertGreaterThan(bitwiseDifference(got, unquantized).mismatches, 0, "quantization had no effect",
                                 file: file, line: line)
            // A second call reuses the buffers and gives the same bits.
            XCTAssertEqual(try runtime.predict(batch).map(\.bitPattern), got.map(\.bitPattern), file: file, line: line)
        }
        XCTAssertGreaterThan((all.max() ?? 0) - (all.min() ?? 0), 1e-3, "degenerate logits", file: file, line: line)
        return runtime
    }

    /// The paper's recipe: every Linear's output requantized with its own frozen threshold.
    func testExactParityQ8BERTPaperRequantizedOutputs() throws {
        let runtime = try checkParity(.allOutputs)
        XCTAssertEqual(runtime.int8LinearCount, 14)
        XCTAssertFalse(runtime.usesDynamicRanges)
        XCTAssertEqual(runtime.blocks[0].qkv.count, 1, "query, key and value share one GEMM")
        XCTAssertTrue(runtime.rowLocalBlocks, "frozen ranges: the row-block schedule")
    }

    /// The recommended recipe: no output requantization.
    func testExactParityQ8BERT() throws {
        XCTAssertTrue(try checkParity(.q8bert).rowLocalBlocks, "frozen ranges: the row-block schedule")
    }

    /// Post-training dynamic quantization: ranges from each batch, int32 bias made per batch.
    func testExactParityDynamic() throws {
        let runtime = try checkParity(.dynamic)
        XCTAssertTrue(runtime.usesDynamicRanges)
        XCTAssertFalse(runtime.rowLocalBlocks, "batch ranges: one parallel loop per operation")
    }

    /// Per-layer settings: an FP32 embedding and Linear, a dynamic pooler with a requantized
    /// output, a dynamic key (query, key and value then run as three GEMMs), an unrequantized
    /// classifier, 6-bit value; and regression (one output).
    func testExactParityMixedPerLayerSettings() throws {
        let config = QuantizationConfig(method: "mixed", defaults: LayerQuantization(), layers: [
            "bert.embeddings.token_type_embeddings": .init(mode: QuantizationMode.none),
            "bert.encoder.layer.1.intermediate.dense": .init(mode: QuantizationMode.none),
            "bert.encoder.layer.0.attention.self.key": .init(mode: .dynamic),
            "bert.encoder.layer.1.attention.self.value": .init(bits: 6),
            "bert.pooler.dense": .init(mode: .dynamic, requantizeOutput: true),
            "classifier": .init(requantizeOutput: false),
        ])
        let runtime = try checkParity(config, labels: 1)
        XCTAssertEqual(runtime.fp32LinearCount, 1)
        XCTAssertEqual(runtime.blocks[0].qkv.count, 3)
        XCTAssertEqual(runtime.blocks[1].qkv.count, 3, "6-bit value: not fused")
        XCTAssertFalse(runtime.rowLocalBlocks, "an FP32 Linear: one parallel loop per operation")
        XCTAssertTrue(runtime.isRegression)
    }

    /// The example-major schedule (whole examples as tasks) gives the row schedule's bits: the
    /// same batch on 2 threads (4 examples: example-major) and on 3 (row blocks and heads).
    func testExampleMajorScheduleGivesTheRowScheduleBits() throws {
        XCTAssertTrue(Int8Model.runsExampleMajor(examples: 4, threads: 2))
        XCTAssertTrue(Int8Model.runsExampleMajor(examples: 2, threads: 2))
        XCTAssertTrue(Int8Model.runsExampleMajor(examples: 21, threads: 2), "11 of 10.5: within 5%")
        XCTAssertFalse(Int8Model.runsExampleMajor(examples: 4, threads: 3), "2 of 1.33 per thread")
        XCTAssertFalse(Int8Model.runsExampleMajor(examples: 3, threads: 2))
        XCTAssertFalse(Int8Model.runsExampleMajor(examples: 1, threads: 2))
        defer { Parallel.configure(threads: 2) }
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model(labels: 3)
        try Tiny.calibrate(model, .q8bert)
        let (folder, _) = try Tiny.export(model, in: dir)
        let runtime = try Int8Model(directory: folder)
        XCTAssertTrue(runtime.rowLocalBlocks)
        for (k, T) in [9, 40].enumerated() {
            let batch = Tiny.batch(size: 4, seqLen: T, seed: 2000 + UInt64(k))  // padded rows included
            Parallel.configure(threads: 2)
            let exampleMajor = try runtime.predict(batch)
            Parallel.configure(threads: 3)
            let rows = try runtime.predict(batch)
            XCTAssertEqual(exampleMajor.map(\.bitPattern), rows.map(\.bitPattern), "4x\(T)")
            XCTAssertEqual(exampleMajor.map(\.bitPattern), Array(model.forward(batch, mode: .eval)).map(\.bitPattern),
                           "4x\(T): evaluation mode")
        }
    }

    /// Batch prediction sorts by length and restores input order: each result matches the
    /// example predicted alone (up to FP32 rounding of different padding).
    func testBatchPredictorRestoresInputOrder() throws {
        let dir = try Tiny.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Tiny.model(labels: 2)
        try Tiny.calibrate(model, .q8bert)
        let (folder, _) = try Tiny.export(model, in: dir, labels: ["no", "yes"])
        let runtime = try Int8Model(directory: folder)
        XCTAssertEqual(runtime.labels, ["no", "yes"])
        let predictor = try BatchPredictor(model: runtime, batchSize: 3, maxSeqLength: 16)
        var rng = SplitMix64(seed: 5)
        let texts: [(String, String?)] = (0..<10).map { i in
            ((0..<(1 + Int(rng.next() % 20))).map { _ in "w\(5 + rng.next() % 200)" }.joined(separator: " "),
             i % 3 == 0 ? "w7 w8" : nil)
        }
        let all = try predictor.predict(texts)
        XCTAssertEqual(all.count, texts.count)
        for (i, t) in texts.enumerated() {
            let alone = try predictor.predict([t])[0]
            for (a, b) in zip(all[i].logits, alone.logits) { XCTAssertEqual(a, b, accuracy: 1e-4, "example \(i)") }
            XCTAssertEqual(all[i].scores.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(all[i].score, all[i].scores.max())
        }
        XCTAssertThrowsError(try runtime.predict(Batch(size: 1, seqLen: 2, inputIds: [2, 999], tokenTypeIds: [0, 0],
                                                       attentionMask: [1, 1]))) { error in
            XCTAssertTrue("\(error)".contains("999"), "\(error)")
        }
    }
}
