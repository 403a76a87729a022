import Foundation
import ModelFormat
import XCTest
import TestModels
@testable import BERT
@testable import Runtime
import Tensor

/// The integer-only mode (IntegerOnlyEncoder) on tiny calibrated QAT models: close to the
/// default mode (which equals evaluation mode bit for bit), independent of padding, and
/// refused with a clear error for models it does not support.
final class IntegerOnlyTests: XCTestCase {
    override func setUp() { Parallel.configure(threads: 2) }

    func load(_ quantization: QuantizationConfig, labels: Int = 3) throws -> (default: Int8Model, integer: Int8Model, dir: URL) {
        let dir = try Tiny.temporaryDirectory()
        let model = Tiny.model(labels: labels)
        try Tiny.calibrate(model, quantization)
        let (folder, _) = try Tiny.export(model, in: dir)
        return (try Int8Model(directory: folder), try Int8Model(directory: folder, integerOnly: true), dir)
    }

    /// Logits within 10% of their spread from the default mode's (the approximations: i-GELU
    /// 0.018, i-exp 0.4%, 8-bit probabilities, int8 Q, K, V per head; measured: 0.009 for a
    /// spread of 0.40, 2%), and the same predicted class for at least 90% of the examples.
    func testCloseToDefaultMode() throws {
        let (reference, integer, dir) = try load(.q8bert)
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertTrue(integer.isIntegerOnly)
        XCTAssertFalse(reference.isIntegerOnly)
        var worst: Float = 0, spread: Float = 0, agree = 0, total = 0
        for (k, (B, T)) in ParityTests.shapes.enumerated() {
            let batch = Tiny.batch(size: B, seqLen: T, seed: 2000 + UInt64(k))
            let want = try reference.predict(batch), got = try integer.predict(batch)
            XCTAssertEqual(got.count, want.count)
            worst = max(worst, zip(got, want).map { abs($0 - $1) }.max()!)
            spread = max(spread, want.max()! - want.min()!)
            for b in 0..<B {
                let g = Array(got[(b * 3)..<(b * 3 + 3)]), w = Array(want[(b * 3)..<(b * 3 + 3)])
                if g.firstIndex(of: g.max()!) == w.firstIndex(of: w.max()!) { agree += 1 }
                total += 1
            }
            XCTAssertNotEqual(got.map(\.bitPattern), want.map(\.bitPattern), "\(B)x\(T): the integer path ran")
            XCTAssertEqual(try integer.predict(batch).map(\.bitPattern), got.map(\.bitPattern), "deterministic")
        }
        print(String(format: "integer-only vs default on the tiny model: largest logit difference %.4f (logit spread %.2f), "
                     + "%d of %d predictions equal", worst, spread, agree, total))
        XCTAssertLessThan(worst, 0.1 * spread)
        XCTAssertGreaterThan(spread, 0.1, "degenerate logits")
        XCTAssertGreaterThanOrEqual(Double(agree), 0.9 * Double(total))
    }

    /// Every range comes from an example's own real tokens: an example's logits are the same
    /// bits alone and in a padded batch with others.
    func testIndependentOfPadding() throws {
        let (_, integer, dir) = try load(.q8bert)
        defer { try? FileManager.default.removeItem(at: dir) }
        let batch = Tiny.batch(size: 5, seqLen: 23, seed: 31)
        let all = try integer.predict(batch)
        for b in 0..<batch.size {
            let row = b * 23
            let n = Int(batch.attentionMask[row..<(row + 23)].reduce(0, +))
            let alone = Batch(size: 1, seqLen: n, inputIds: Array(batch.inputIds[row..<(row + n)]),
                              tokenTypeIds: Array(batch.tokenTypeIds[row..<(row + n)]),
                              attentionMask: [Float](repeating: 1, count: n))
            XCTAssertEqual(try integer.predict(alone).map(\.bitPattern), Array(all[(b * 3)..<(b * 3 + 3)]).map(\.bitPattern),
                           "example \(b) (\(n) tokens)")
        }
    }

    /// Whole examples as tasks (4 examples on 2 threads) give the bits of the loop-per-step
    /// schedule (the same batch on 3 threads), padded rows included.
    func testExampleMajorScheduleGivesTheRowScheduleBits() throws {
        let (_, integer, dir) = try load(.q8bert)
        defer { try? FileManager.default.removeItem(at: dir); Parallel.configure(threads: 2) }
        for (k, T) in [9, 40].enumerated() {
            let batch = Tiny.batch(size: 4, seqLen: T, seed: 3000 + UInt64(k))
            Parallel.configure(threads: 2)
            XCTAssertTrue(Int8Model.runsExampleMajor(examples: 4, threads: Parallel.threads))
            let exampleMajor = try integer.predict(batch)
            Parallel.configure(threads: 3)
            XCTAssertFalse(Int8Model.runsExampleMajor(examples: 4, threads: Parallel.threads))
            XCTAssertEqual(exampleMajor.map(\.bitPattern), try integer.predict(batch).map(\.bitPattern), "4x\(T)")
        }
    }

    /// Models outside the mode's scope are refused at load, naming the reason.
    func testUnsupportedModelsAreRefused() throws {
        let cases: [(QuantizationConfig, String)] = [
            (.dynamic, "dynamic"),
            (.allOutputs, "requantizes its output"),
            (QuantizationConfig(method: "mixed", defaults: LayerQuantization(requantizeOutput: false), layers: [
                "bert.encoder.layer.1.intermediate.dense": .init(mode: QuantizationMode.none)]), "intermediate.dense is left in FP32"),
            (QuantizationConfig(method: "fp32-embeddings", defaults: LayerQuantization(requantizeOutput: false), layers: [
                "bert.embeddings.position_embeddings": .init(mode: QuantizationMode.none)]), "position embeddings are left in FP32"),
        ]
        for (quantization, reason) in cases {
            let dir = try Tiny.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let model = Tiny.model()
            try Tiny.calibrate(model, quantization)
            let (folder, _) = try Tiny.export(model, in: dir)
            XCTAssertNoThrow(try Int8Model(directory: folder), "\(quantization.method): the default mode runs it")
            XCTAssertThrowsError(try Int8Model(directory: folder, integerOnly: true), quantization.method) { error in
                guard case Int8ModelError.integerOnlyUnsupported(let path, _) = error else {
                    return XCTFail("\(quantization.method): \(error)")
                }
                XCTAssertEqual(path, folder.path)
                XCTAssertTrue("\(error)".contains(reason), "\(quantization.method): \(error)")
            }
        }
    }
}
