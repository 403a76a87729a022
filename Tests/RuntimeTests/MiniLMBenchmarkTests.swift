import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor

/// The real MiniLM (opt-in, Q8_RUNTIME_BENCH=1; meant for release builds): export a QAT
/// checkpoint (Q8_QAT_CHECKPOINT, default runs/ablation/q8bert-s42/best; without one, the
/// bundled FP32 MiniLM with `.q8bert` calibrated by training-mode forwards on movie sentences),
/// check the runtime against evaluation mode on movie dev sentences, and time batches of
/// 32 x 64 on 2 threads: int8 runtime, FP32 forward, and the QAT model's simulated eval forward.
final class MiniLMBenchmarkTests: XCTestCase {
    static var root: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir.deleteLastPathComponent() }
        return dir
    }

    /// (sentence, label) rows of a movie TSV.
    static func movie(_ split: String) throws -> [(String, Int)] {
        let text = try String(contentsOf: root.appendingPathComponent("assets/data/movie/\(split).tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 2, let label = Int(f[1].trimmingCharacters(in: .whitespaces)) else { return nil }
            return (String(f[0]), label)
        }
    }

    static func batch(_ tokenizer: BertTokenizer, _ texts: [String], padTo: Int? = nil, maxLength: Int = 64) -> Batch {
        let enc = texts.map { tokenizer.encode($0, maxLength: maxLength, padding: false) }
        let T = padTo ?? enc.map(\.count).max()!
        var ids = [Int32](repeating: tokenizer.vocabulary.padId, count: texts.count * T)
        var types = [Int32](repeating: 0, count: texts.count * T), mask = [Float](repeating: 0, count: texts.count * T)
        for (b, e) in enc.enumerated() {
            for t in 0..<e.count { ids[b * T + t] = e.inputIds[t]; types[b * T + t] = e.tokenTypeIds[t]; mask[b * T + t] = 1 }
        }
        return Batch(size: texts.count, seqLen: T, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
    }

    func testMiniLMParityAndThroughput() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["Q8_RUNTIME_BENCH"] == "1" else { throw XCTSkip("set Q8_RUNTIME_BENCH=1 (release build) to run") }
        Parallel.configure(threads: 2)
        let minilm = Self.root.appendingPathComponent("assets/models/minilm-l6-h384")
        let checkpoint = URL(fileURLWithPath: env["Q8_QAT_CHECKPOINT"]
                             ?? Self.root.appendingPathComponent("runs/ablation/q8bert-s42/best").path)
        let source = FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("quantization.json").path)
            ? checkpoint : minilm
        let tokenizer = try BertTokenizer(vocabularyFile: source.appendingPathComponent("vocab.txt"))
        let (qat, report) = try PretrainedLoader.load(directory: source, numLabels: 2)
        if !report.quantized {
            try qat.enableQuantization(.q8bert)
            let train = try Self.movie("train")
            for s in 0..<8 {
                qat.forward(Self.batch(tokenizer, train[(s * 32)..<((s + 1) * 32)].map(\.0)), mode: .train(seed: 1, step: s))
            }
        }
        print("MiniLM source: \(source.path) (\(report.quantized ? "QAT checkpoint" : "FP32 + q8bert calibrated on 8 batches"))")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-minilm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var t0 = Date()
        let summary = try Int8Exporter.export(qat, to: dir, vocabulary: source.appendingPathComponent("vocab.txt"),
                                              baseConfig: source.appendingPathComponent("config.json"))
        let fp32File = try XCTUnwrap(FileManager.default.attributesOfItem(
            atPath: source.appendingPathComponent("model.safetensors").path)[.size] as? NSNumber).intValue
        print(String(format: "export: %.2f s, %d bytes = %.2f%% of the FP32 model.safetensors (%d bytes); warnings: %d",
                     Date().timeIntervalSince(t0), summary.bytes, 100 * Double(summary.bytes) / Double(fp32File), fp32File,
                     summary.warnings.count))
        XCTAssertLessThanOrEqual(Double(summary.bytes) / Double(fp32File), 0.27)
        t0 = Date()
        let runtime = try Int8Model(directory: dir)
        print(String(format: "runtime load (pack weights): %.2f s", Date().timeIntervalSince(t0)))

        // Parity and accuracy on the dev set, batches of 32 padded to their longest.
        let onlyInt8 = env["Q8_BENCH_ONLY_INT8"] == "1"  // for profiling the runtime alone
        let dev = try Self.movie("dev").prefix(onlyInt8 ? 0 : .max)
        var mismatches = 0, total = 0, worst: Float = 0, agree = 0, correctInt8 = 0, correctEval = 0
        for s in stride(from: 0, to: dev.count, by: 32) {
            let rows = Array(dev[(dev.startIndex + s)..<min(dev.startIndex + s + 32, dev.endIndex)])
            let b = Self.batch(tokenizer, rows.map(\.0))
            let expected = Array(qat.forward(b, mode: .eval))
            let got = try runtime.predict(b)
            let d = bitwiseDifference(got, expected)
            mismatches += d.mismatches; total += got.count; worst = max(worst, d.maxAbs)
            for (i, row) in rows.enumerated() {
                let pi = got[2 * i + 1] > got[2 * i] ? 1 : 0, pe = expected[2 * i + 1] > expected[2 * i] ? 1 : 0
                agree += pi == pe ? 1 : 0
                correctInt8 += pi == row.1 ? 1 : 0
                correctEval += pe == row.1 ? 1 : 0
            }
        }
        print(String(format: "dev parity: %d of %d logits differ (largest %.3g); predictions agree on %d/%d; "
                     + "accuracy int8 runtime %.4f, eval mode %.4f", mismatches, total, worst, agree, dev.count,
                     Double(correctInt8) / Double(dev.count), Double(correctEval) / Double(dev.count)))
        XCTAssertEqual(mismatches, 0)
        if onlyInt8 { print("(parity skipped: Q8_BENCH_ONLY_INT8)") }

        // Throughput at 32 x 64 (sentences truncated or padded to 64 tokens).
        let train = try Self.movie("train")
        let b = Self.batch(tokenizer, train.prefix(32).map(\.0), padTo: 64)
        let (fp32, _) = try PretrainedLoader.load(directory: minilm, numLabels: 2)
        let reps = Int(env["Q8_BENCH_REPS"] ?? "") ?? 6
        func time(_ name: String, _ body: () throws -> Void) rethrows {
            try body()  // warm-up
            var times = [Double]()
            for _ in 0..<reps {
                let t = Date()
                try body()
                times.append(Date().timeIntervalSince(t))
            }
            times.sort()
            print(String(format: "%@: best %.1f ms (%.0f seq/s), median %.1f ms (%.0f seq/s)", name, times[0] * 1e3,
                         32 / times[0], times[reps / 2] * 1e3, 32 / times[reps / 2]))
        }
        try time("int8 runtime 32x64") { _ = try runtime.predict(b) }
        if onlyInt8 { return }
        time("FP32 forward 32x64") { fp32.forward(b, mode: .eval) }
        time("QAT simulated eval forward 32x64") { qat.forward(b, mode: .eval) }
        try time("int8 runtime 32x64 (again)") { _ = try runtime.predict(b) }
        time("FP32 forward 32x64 (again)") { fp32.forward(b, mode: .eval) }
    }
}
