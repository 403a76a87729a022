import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// `q8train train` itself on 1 rank and under `mpirun -n 2`: a tiny BERT on a tiny task
/// reaches the same parameters and the same Q8BERT thresholds, whatever the number of ranks
/// (the global batch, the dropout masks and the EMA ranges are rank-independent; only the
/// summation order of the gradient allreduce differs).
final class DataParallelTrainingTests: XCTestCase {
    /// Named tolerance: max |difference| of any parameter after 50 AdamW steps, relative to
    /// the parameter's magnitude (summation order only; AdamW steps are about lr = 1e-3).
    static let parameterTolerance: Float = 2e-4
    static let thresholdTolerance: Double = 1e-4

    /// 400 examples at a global batch of 16: 25 steps per epoch.
    func train(_ dir: URL, ranks: Int?, quantize: String, output: String, epochs: Int = 2,
               mpiArguments: [String] = [], threads: Int = 1, padToMax: Bool = true, extra: [String] = []) throws -> URL {
        let out = dir.appendingPathComponent(output)
        let result = try HarnessRunner.run(ranks: ranks, [
            "train", "--model", dir.appendingPathComponent("model").path, "--task", "movie",
            "--data-dir", dir.appendingPathComponent("data").path, "--output-dir", out.path,
            "--max-seq-length", "16", "--batch-size", "16", "--eval-batch-size", "8",
            "--learning-rate", "1e-3", "--epochs", "\(epochs)", "--eval-every", "0", "--threads", "\(threads)",
            "--quantize", quantize, "--check-sync", "1"] + (padToMax ? ["--pad-to-max-length"] : []) + extra,
            executable: "q8train", mpiArguments: mpiArguments, timeout: 180)
        XCTAssertEqual(result.status, 0, result.transcript)
        return out
    }

    func parameters(_ run: URL) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: run.appendingPathComponent("final/model.safetensors"))
        var out = [String: [Float]]()
        for t in file.tensors where t.dtype == .f32 { out[t.name] = try file.floats(t.name) }
        return out
    }

    func thresholds(_ run: URL) throws -> [String: Double] {
        let data = try Data(contentsOf: run.appendingPathComponent("final/quantization.json"))
        let layers = try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["layers"] as? [String: [String: Any]])
        var out = [String: Double]()
        for (name, entry) in layers {
            for key in ["input_thresh", "output_thresh"] { if let v = entry[key] as? Double { out["\(name).\(key)"] = v } }
        }
        return out
    }

    /// Each step's loss from a run's log.
    func stepLosses(_ run: URL) throws -> [Double] {
        try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n").compactMap {
            let r = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return r?["type"] as? String == "step" ? r?["loss"] as? Double : nil
        }
    }

    /// Named tolerance for per-step losses of runs on different rank counts (summation order).
    static let lossTolerance = 1e-5

    func assertSameLosses(_ a: URL, _ b: URL, _ what: String) throws {
        let la = try stepLosses(a), lb = try stepLosses(b)
        XCTAssertEqual(la.count, lb.count, "\(what): step count")
        let worst = zip(la, lb).map { abs($0 - $1) / abs($0) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, Self.lossTolerance, "\(what): largest relative loss difference")
        print("\(what): \(la.count) steps, largest relative loss difference \(worst)")
    }

    /// Deterministic data parallelism (--reduction-groups 4): one process with 2 threads,
    /// 2 ranks and 4 ranks with one thread each train bit for bit the same model: the final
    /// parameters and thresholds (the checkpoint files' bytes) and the
    /// test metrics are equal. QAT with EMA ranges, dynamic padding (every rank pads to the
    /// step's longest example) and a last step of 3 examples padded to the 4 groups.
    func testReductionGroupsMakeTrainingBitIdenticalOnAnyRankCount() throws {
        let dir = try makeWorkspace(trainExamples: 403)
        let groups = ["--reduction-groups", "4"]
        let single = try train(dir, ranks: nil, quantize: "q8bert", output: "g1", epochs: 1, threads: 2,
                               padToMax: false, extra: groups)
        for ranks in [2, 4] {
            let run = try train(dir, ranks: ranks, quantize: "q8bert", output: "g\(ranks)", epochs: 1,
                                padToMax: false, extra: groups)
            // The logged loss is the mean of the ranks' means: equal up to its own rounding.
            try assertSameLosses(single, run, "1 vs \(ranks) ranks, reduction groups")
            for file in ["final/model.safetensors", "final/quantization.json", "best/model.safetensors"] {
                let a = try Data(contentsOf: single.appendingPathComponent(file))
                let b = try Data(contentsOf: run.appendingPathComponent(file))
                XCTAssertTrue(a == b, "1 vs \(ranks) ranks: \(file) differs")
            }
            XCTAssertEqual(try testEvaluations(single), try testEvaluations(run), "1 vs \(ranks) ranks: test metrics")
        }
        XCTAssertEqual(try stepLosses(single).count, 26)
    }

    /// The word-embedding gradient exchanged by rows (--sparse-embeddings 1: every step's
    /// union of the tiny vocabulary's rows goes packed; the default 0.5 falls back to dense
    /// on this 17-word vocabulary): with --reduction-groups 4, 2 and 4 ranks write the same
    /// checkpoint bytes as one process; without, 8 plain ranks match one within the
    /// tolerances of the dense exchange.
    func testSparseWordEmbeddingsTrainLikeOneProcess() throws {
        let dir = try makeWorkspace(trainExamples: 403)
        let groups = ["--reduction-groups", "4"], sparse = ["--sparse-embeddings", "1"]
        let single = try train(dir, ranks: nil, quantize: "q8bert", output: "g1", epochs: 1, threads: 2,
                               padToMax: false, extra: groups)
        for ranks in [2, 4] {
            let run = try train(dir, ranks: ranks, quantize: "q8bert", output: "g\(ranks)", epochs: 1,
                                padToMax: false, extra: groups + sparse)
            try assertSameLosses(single, run, "1 vs \(ranks) ranks, reduction groups, sparse word embeddings")
            for file in ["final/model.safetensors", "final/quantization.json", "best/model.safetensors"] {
                let a = try Data(contentsOf: single.appendingPathComponent(file))
                let b = try Data(contentsOf: run.appendingPathComponent(file))
                XCTAssertTrue(a == b, "1 vs \(ranks) ranks, sparse word embeddings: \(file) differs")
            }
        }
        let plainDir = try makeWorkspace()
        let one = try train(plainDir, ranks: nil, quantize: "q8bert", output: "one", epochs: 1)
        let eight = try train(plainDir, ranks: 8, quantize: "q8bert", output: "n8", epochs: 1, extra: sparse)
        try assertSameLosses(one, eight, "1 vs 8 ranks, sparse word embeddings")
        try assertSameThresholdsAndPredictions(one, eight, "1 vs 8 ranks, sparse word embeddings")
    }

    func testFourAndEightRanksOversubscribedMatchOneRank() throws {
        let dir = try makeWorkspace()
        let single = try train(dir, ranks: nil, quantize: "q8bert", output: "one", epochs: 1)
        for ranks in [4, 8] {
            let run = try train(dir, ranks: ranks, quantize: "q8bert", output: "n\(ranks)", epochs: 1)
            try assertSameLosses(single, run, "1 vs \(ranks) ranks")
            try assertSameThresholdsAndPredictions(single, run, "1 vs \(ranks) ranks")
        }
    }

    /// The shared-memory transport off (`--mca btl self,tcp`): the path a run across
    /// machines takes.
    func testTwoRanksOverTCPMatchOneRank() throws {
        let dir = try makeWorkspace()
        let single = try train(dir, ranks: nil, quantize: "q8bert", output: "one", epochs: 1)
        let tcp = try train(dir, ranks: 2, quantize: "q8bert", output: "tcp", epochs: 1, mpiArguments: ["--mca", "btl", "self,tcp"])
        try assertSameLosses(single, tcp, "1 vs 2 ranks over TCP")
        try assertSameThresholdsAndPredictions(single, tcp, "1 vs 2 ranks over TCP")
    }

    /// Thresholds within tolerance, and the same test-set metrics (the predictions of both
    /// final models agree).
    func assertSameThresholdsAndPredictions(_ a: URL, _ b: URL, _ what: String) throws {
        let ta = try thresholds(a), tb = try thresholds(b)
        XCTAssertFalse(ta.isEmpty)
        for (key, v) in ta { XCTAssertEqual(v, try XCTUnwrap(tb[key]), accuracy: Self.thresholdTolerance * max(abs(v), 1), "\(what): \(key)") }
        XCTAssertEqual(try testEvaluations(a), try testEvaluations(b), "\(what): test metrics of the final and best models")
    }

    /// The test evaluations' metrics, rounded to 6 decimals.
    func testEvaluations(_ run: URL) throws -> [String] {
        try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n").compactMap {
            guard let r = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any],
                  r["type"] as? String == "eval", r["split"] as? String == "test",
                  let m = r["metrics"] as? [String: Double] else { return nil }
            return m.keys.sorted().map { String(format: "%@=%.6f", $0, m[$0]!) }.joined(separator: ",")
        }
    }

    func testKillingOneRankEndsTheJobQuickly() throws {
        let dir = try makeWorkspace()
        let (process, done) = try start(["train", "--model", dir.appendingPathComponent("model").path, "--task", "movie",
                                         "--data-dir", dir.appendingPathComponent("data").path,
                                         "--output-dir", dir.appendingPathComponent("killed").path, "--max-seq-length", "16",
                                         "--batch-size", "16", "--epochs", "500", "--eval-every", "0", "--threads", "1"],
                                        ranks: 2)
        // Wait until training runs (the log has step records), then SIGKILL one rank.
        let log = dir.appendingPathComponent("killed/log.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: log, encoding: .utf8))?.contains("\"type\":\"step\"") != true) {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let ranks = try rankProcesses(of: process.processIdentifier, named: "q8train")
        XCTAssertEqual(ranks.count, 2, "two rank processes")
        let victim = try XCTUnwrap(ranks.last)
        let killed = Date()
        kill(victim, SIGKILL)
        let finished = done.wait(timeout: .now() + 30) == .success
        XCTAssertTrue(finished, "the job did not exit within 30 s of a rank's death")
        if finished {
            XCTAssertNotEqual(process.terminationStatus, 0, "a job that lost a rank must fail")
            print("job exited \(process.terminationStatus) \(String(format: "%.1f", Date().timeIntervalSince(killed))) s after SIGKILL of rank pid \(victim)")
        }
    }

    /// The recommended recipe (logits not requantized). Under q8bert-paper every output,
    /// the logits too, is rounded to 255 levels: the last-bit differences of plain mode (the
    /// GEMM shapes of one process and of two ranks differ) flip a logit's level now and then,
    /// and the loss jumps by multiples of 1.2e-5 from step 1 (measured on Zen 3 with the AVX2
    /// kernels; the baseline kernels happened to land no flip). Such runs are compared bit
    /// for bit with --reduction-groups instead (testReductionGroupsMakeTraining...).
    func testOneRankAndTwoRanksTrainTheSameModel() throws {
        let dir = try makeWorkspace()
        let single = try train(dir, ranks: nil, quantize: "q8bert", output: "one")
        let double = try train(dir, ranks: 2, quantize: "q8bert", output: "two")
        let a = try parameters(single), b = try parameters(double)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        var worst: (String, Float) = ("", 0)
        for (name, x) in a {
            let y = try XCTUnwrap(b[name])
            if name.hasSuffix("attention.self.key.bias") {
                // Its exact gradient is 0 (softmax ignores a per-row shift): AdamW turns the
                // rounding noise into steps of about lr, so only a bound of 2 lr per step holds.
                XCTAssertLessThanOrEqual(maxAbsDifference(x, y), 2 * 1e-3 * 50, name)
                continue
            }
            let scale = max(x.map(abs).max() ?? 0, 1e-3)
            let d = maxAbsDifference(x, y) / scale
            if d > worst.1 { worst = (name, d) }
        }
        XCTAssertLessThanOrEqual(worst.1, Self.parameterTolerance, "largest relative parameter difference: \(worst.0)")
        let ta = try thresholds(single), tb = try thresholds(double)
        XCTAssertFalse(ta.isEmpty)
        for (key, v) in ta {
            XCTAssertEqual(v, try XCTUnwrap(tb[key]), accuracy: Self.thresholdTolerance * max(abs(v), 1), key)
        }
        try assertSameLosses(single, double, "1 vs 2 ranks")
        XCTAssertEqual(try stepLosses(double).count, 50, "50 steps")
        XCTAssertEqual(try testEvaluations(single), try testEvaluations(double), "same test metrics")
        // The runs took the same number of steps, and the 2-rank log says so.
        let log = try String(contentsOf: double.appendingPathComponent("log.jsonl"), encoding: .utf8)
        XCTAssertTrue(log.contains("\"world_size\":2"))
        print("1 vs 2 ranks: largest relative parameter difference \(worst.1) (\(worst.0))")
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
