import FaultInjection
import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor
@testable import Training

/// `q8train train --resume`: a run interrupted (stopped, or killed with SIGKILL) and resumed
/// from its checkpoint ends with the same bytes as the uninterrupted run, on 1 and 2 ranks;
/// a 2-rank checkpoint resumes on 1 rank; a killed rank leaves verified checkpoints; a
/// non-finite gradient on one rank (injected through q8dist-harness) is skipped by every rank.
///
/// The tiny task: 400 examples at a global batch of 16 (25 steps per epoch), Q8BERT QAT
/// with EMA ranges, dropout, dynamic padding, dev evaluation every 5 steps; 30 steps in all,
/// so a resume at step 15 crosses the epoch boundary at 25.
final class ResumeTests: XCTestCase {
    static let totalSteps = 30

    func arguments(_ dir: URL, output: String, _ extra: [String]) -> [String] {
        ["train", "--model", dir.appendingPathComponent("model").path, "--task", "movie",
         "--data-dir", dir.appendingPathComponent("data").path, "--output-dir", dir.appendingPathComponent(output).path,
         "--max-seq-length", "16", "--batch-size", "16", "--eval-batch-size", "8", "--learning-rate", "1e-3",
         "--epochs", "2", "--eval-every", "5", "--threads", "1", "--quantize", "q8bert"] + extra
    }

    /// Runs q8train to completion and checks it succeeded.
    @discardableResult
    func train(_ dir: URL, ranks: Int?, output: String, _ extra: [String], environment: [String: String] = [:],
               expectSuccess: Bool = true) throws -> HarnessRunner.Result {
        let result = try HarnessRunner.run(ranks: ranks, arguments(dir, output: output, extra), executable: "q8train",
                                        environment: environment, timeout: 300)
        if expectSuccess { XCTAssertEqual(result.status, 0, result.transcript) }
        return result
    }

    /// The files whose bytes must be equal between an interrupted and an uninterrupted run.
    static let comparedFiles = ["final/model.safetensors", "final/quantization.json", "best/model.safetensors",
                                "best/quantization.json"]

    func assertSameBytes(_ a: URL, _ b: URL, _ what: String, files: [String] = comparedFiles) throws {
        for file in files {
            let x = try Data(contentsOf: a.appendingPathComponent(file)), y = try Data(contentsOf: b.appendingPathComponent(file))
            XCTAssertTrue(x == y, "\(what): \(file) differs")
        }
    }

    func records(_ run: URL) throws -> [[String: Any]] {
        try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The resumed run's log tells one history: steps 1...30 once each, one config record.
    func assertOneHistory(_ run: URL, resumes: Int) throws {
        let all = try records(run)
        let steps = all.filter { $0["type"] as? String == "step" }.compactMap { $0["step"] as? Int }
        XCTAssertEqual(steps, Array(1...Self.totalSteps), "step records")
        XCTAssertEqual(all.filter { $0["type"] as? String == "config" }.count, 1, "config records")
        XCTAssertEqual(all.filter { $0["type"] as? String == "resume" }.count, resumes, "resume records")
        XCTAssertEqual(all.filter { $0["type"] as? String == "summary" }.count, 1, "summary records")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("report.html").path))
    }

    // MARK: Bitwise resume

    /// Resumes the interrupted run OUTPUT with --resume auto to the full length and checks
    /// that it ends with the bytes of the uninterrupted run "whole" and tells one history.
    func resumeAndCompare(_ dir: URL, ranks: Int?, output: String, _ what: String,
                          environment: [String: String] = [:]) throws {
        let run = dir.appendingPathComponent(output)
        try train(dir, ranks: ranks, output: output, ["--max-steps", "\(Self.totalSteps)", "--resume", "auto"],
                  environment: environment)
        try assertSameBytes(dir.appendingPathComponent("whole"), run, "\(ranks ?? 1) rank(s), \(what)")
        try assertOneHistory(run, resumes: 1)
    }

    func checkStopAndResume(ranks: Int?, resumeEnvironment: [String: String] = [:]) throws {
        let dir = try makeWorkspace()
        let parts = dir.appendingPathComponent("parts")
        try train(dir, ranks: ranks, output: "whole", ["--max-steps", "\(Self.totalSteps)"])
        try train(dir, ranks: ranks, output: "parts", ["--max-steps", "15", "--checkpoint-every", "5"])
        XCTAssertEqual(CheckpointStore(runFolder: parts).checkpoints().map(\.step), [5, 10, 15], "the newest 3 kept")
        try resumeAndCompare(dir, ranks: ranks, output: "parts", "15 + resume + 15 steps vs 30", environment: resumeEnvironment)
    }

    /// The checkpoint reaches rank 1 in many small broadcasts (1000 bytes each instead of
    /// 16 MiB: the model file is 21 kB, the optimizer's 43 kB) and still resumes bit for bit.
    func testResumeSendsTheCheckpointInBoundedChunks() throws {
        try checkStopAndResume(ranks: 2, resumeEnvironment: ["Q8_RESUME_CHUNK_BYTES": "1000"])
    }

    func testStoppedAndResumedRunEqualsTheUninterruptedRunBitwise() throws {
        try checkStopAndResume(ranks: nil)
    }

    func testStoppedAndResumedRunEqualsTheUninterruptedRunBitwiseOnTwoRanks() throws {
        try checkStopAndResume(ranks: 2)
    }

    /// Waits (up to 120 s) until `path` exists (and holds `text`, when given).
    func waitFor(_ path: URL, containing text: String? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let text {
                if (try? String(contentsOf: path, encoding: .utf8))?.contains(text) == true { return true }
            } else if FileManager.default.fileExists(atPath: path.path) {
                return true
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }

    /// The whole job is killed with SIGKILL (every process at once) after its checkpoint of
    /// step 10, once the log has step 12 (so the resumed run must cut the log back), then
    /// resumed with --resume auto from whatever it left.
    func checkKillAndResume(ranks: Int?) throws {
        let dir = try makeWorkspace()
        let killed = dir.appendingPathComponent("killed")
        try train(dir, ranks: ranks, output: "whole", ["--max-steps", "\(Self.totalSteps)"])
        let (process, done) = try start(arguments(dir, output: "killed", ["--max-steps", "\(Self.totalSteps)",
                                                                          "--checkpoint-every", "5"]), ranks: ranks)
        XCTAssertTrue(waitFor(CheckpointStore(runFolder: killed).url(step: 10)), "no checkpoint of step 10 within 120 s")
        XCTAssertTrue(waitFor(killed.appendingPathComponent("log.jsonl"), containing: #""step":12,"type":"step""#))
        let victims = (ranks == nil ? [] : try rankProcesses(of: process.processIdentifier, named: "q8train"))
            + [process.processIdentifier]
        for pid in victims { kill(pid, SIGKILL) }
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertFalse(FileManager.default.fileExists(atPath: killed.appendingPathComponent("final").path),
                       "the run finished before it was killed: the test did not test a kill")
        let newest = try XCTUnwrap(CheckpointStore(runFolder: killed).checkpoints().last).step
        let logged = try records(killed).filter { $0["type"] as? String == "step" }.count
        print("\(ranks ?? 1) rank(s): killed with SIGKILL after step \(logged); newest checkpoint at step \(newest)")
        try resumeAndCompare(dir, ranks: ranks, output: "killed", "SIGKILL + resume vs uninterrupted")
    }

    func testJobKilledWithSIGKILLResumesBitwise() throws {
        try checkKillAndResume(ranks: nil)
    }

    func testJobKilledWithSIGKILLResumesBitwiseOnTwoRanks() throws {
        try checkKillAndResume(ranks: 2)
    }

    // MARK: Stopping on a signal

    /// `signal` is sent to the job once its log has step 5 (q8train alone: SIGTERM; mpirun:
    /// SIGUSR1, which it forwards to every rank): the run ends after the step it is in, with a
    /// checkpoint of that step (written even though no schedule asked for one) and exit status
    /// 128 + signal; --resume auto then ends with the uninterrupted run's bytes.
    func checkSignalStopAndResume(ranks: Int?, signal: Int32) throws {
        let dir = try makeWorkspace()
        let stopped = dir.appendingPathComponent("stopped")
        try train(dir, ranks: ranks, output: "whole", ["--max-steps", "\(Self.totalSteps)"])
        let (process, done) = try start(arguments(dir, output: "stopped", ["--max-steps", "\(Self.totalSteps)"]), ranks: ranks)
        XCTAssertTrue(waitFor(stopped.appendingPathComponent("log.jsonl"), containing: #""step":5,"type":"step""#))
        kill(process.processIdentifier, signal)
        XCTAssertEqual(done.wait(timeout: .now() + 60), .success, "the job did not end within 60 s of the signal")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stopped.appendingPathComponent("final").path),
                       "the run finished before the signal: the test did not test a stop")
        XCTAssertEqual(process.terminationStatus, 128 + signal, "exit status")
        let all = try records(stopped)
        let stop = try XCTUnwrap(all.last { $0["type"] as? String == "stopped" }, "no stopped record")
        let step = try XCTUnwrap(stop["step"] as? Int)
        XCTAssertEqual(stop["reason"] as? String, "signal \(StopRequest.name(signal))")
        XCTAssertEqual(all.filter { $0["type"] as? String == "step" }.compactMap { $0["step"] as? Int }.last, step,
                       "the stop comes after the last logged step")
        XCTAssertEqual(CheckpointStore(runFolder: stopped).checkpoints().map(\.step), [step], "one checkpoint, of that step")
        print("\(ranks ?? 1) rank(s): \(StopRequest.name(signal)) after step 5 was logged; stopped after step \(step)")
        try resumeAndCompare(dir, ranks: ranks, output: "stopped", "\(StopRequest.name(signal)) + resume vs uninterrupted")
    }

    func testSIGTERMStopsWithACheckpointAndResumesBitwise() throws {
        try checkSignalStopAndResume(ranks: nil, signal: SIGTERM)
    }

    func testSIGUSR1ToMpirunStopsEveryRankWithACheckpointAndResumesBitwise() throws {
        try checkSignalStopAndResume(ranks: 2, signal: SIGUSR1)
    }

    // MARK: Rank counts

    /// With --reduction-groups 2 the arithmetic does not depend on the rank count: a 2-rank
    /// checkpoint resumed by one process ends bit for bit as one process alone.
    func testTwoRankCheckpointResumesOnOneRankBitwiseWithReductionGroups() throws {
        let dir = try makeWorkspace()
        let groups = ["--reduction-groups", "2"]
        try train(dir, ranks: nil, output: "whole", ["--max-steps", "\(Self.totalSteps)"] + groups)
        try train(dir, ranks: 2, output: "mixed", ["--max-steps", "15", "--checkpoint-every", "15"] + groups)
        let checkpoint = CheckpointStore(runFolder: dir.appendingPathComponent("mixed")).url(step: 15)
        try train(dir, ranks: nil, output: "mixed", ["--max-steps", "\(Self.totalSteps)", "--resume", checkpoint.path] + groups)
        try assertSameBytes(dir.appendingPathComponent("whole"), dir.appendingPathComponent("mixed"), "2 ranks + resume on 1")
        try assertOneHistory(dir.appendingPathComponent("mixed"), resumes: 1)
    }

    /// Without reduction groups only the summation order differs: the resumed run finishes,
    /// close to the single-process run (the tolerance of DataParallelTrainingTests).
    func testTwoRankCheckpointResumesOnOneRank() throws {
        let dir = try makeWorkspace()
        try train(dir, ranks: nil, output: "whole", ["--max-steps", "\(Self.totalSteps)"])
        try train(dir, ranks: 2, output: "mixed", ["--max-steps", "15", "--checkpoint-every", "15"])
        try train(dir, ranks: nil, output: "mixed", ["--max-steps", "\(Self.totalSteps)", "--resume",
                                                     dir.appendingPathComponent("mixed").path])
        let mixed = dir.appendingPathComponent("mixed")
        try assertOneHistory(mixed, resumes: 1)
        let a = try SafeTensorsFile(contentsOf: dir.appendingPathComponent("whole/final/model.safetensors"))
        let b = try SafeTensorsFile(contentsOf: mixed.appendingPathComponent("final/model.safetensors"))
        var worst: (String, Float) = ("", 0)
        for t in a.tensors where t.dtype == .f32 && !t.name.hasSuffix("attention.self.key.bias") && t.shape != [1] {
            let x = try a.floats(t.name), y = try b.floats(t.name)
            let d = maxAbsDifference(x, y) / max(x.map(abs).max() ?? 0, 1e-3)
            if d > worst.1 { worst = (t.name, d) }
        }
        print("2 ranks + resume on 1 vs 1 rank: largest relative parameter difference \(worst.1) (\(worst.0))")
        XCTAssertLessThanOrEqual(worst.1, DataParallelTrainingTests.parameterTolerance, worst.0)
        let summary = try XCTUnwrap(try records(mixed).last { $0["type"] as? String == "summary" })
        XCTAssertEqual(summary["steps"] as? Int, Self.totalSteps)
        XCTAssertNotNil((summary["test"] as? [String: Double])?["accuracy"])
    }

    // MARK: Failures

    /// SIGKILL of one rank mid-run: the job ends non-zero within 30 s, every checkpoint it
    /// left verifies, and the run resumes from the newest and completes.
    func testKilledRankLeavesVerifiedCheckpointsAndTheRunResumes() throws {
        let dir = try makeWorkspace()
        let run = dir.appendingPathComponent("killed")
        let long = ["--epochs", "400", "--eval-every", "0", "--checkpoint-every", "3"]
        let (process, done) = try start(arguments(dir, output: "killed", long), ranks: 2)
        XCTAssertTrue(waitFor(CheckpointStore(runFolder: run).url(step: 6)), "no checkpoint of step 6 within 120 s")
        let ranks = try rankProcesses(of: process.processIdentifier, named: "q8train")
        XCTAssertEqual(ranks.count, 2, "two rank processes")
        let killedAt = Date()
        kill(try XCTUnwrap(ranks.last), SIGKILL)
        let exited = done.wait(timeout: .now() + 30) == .success
        XCTAssertTrue(exited, "the job did not exit within 30 s of a rank's death")
        guard exited else { return }
        XCTAssertNotEqual(process.terminationStatus, 0, "a job that lost a rank must fail")
        print(String(format: "job exited %d, %.1f s after SIGKILL of rank 1", process.terminationStatus,
                     Date().timeIntervalSince(killedAt)))
        let store = CheckpointStore(runFolder: run)
        let left = store.checkpoints()
        XCTAssertFalse(left.isEmpty)
        for (step, url) in left {
            XCTAssertNoThrow(try TrainingCheckpoint.load(url), "checkpoint of step \(step)")
        }
        let newest = try XCTUnwrap(left.last).step
        try train(dir, ranks: 2, output: "killed", long + ["--max-steps", "\(newest + 6)", "--resume", "auto"])
        let summary = try XCTUnwrap(try records(run).last { $0["type"] as? String == "summary" })
        XCTAssertEqual(summary["steps"] as? Int, newest + 6)
    }

    /// The settings `arguments` gives q8train, as a run config file for q8dist-harness.
    func settingsFile(_ dir: URL, output: String, _ change: (inout TrainingSettings) -> Void) throws -> URL {
        var s = TrainingSettings()
        s.model = dir.appendingPathComponent("model").path
        s.task = "movie"
        s.dataDir = dir.appendingPathComponent("data").path
        s.outputDir = dir.appendingPathComponent(output).path
        s.maxSeqLength = 16; s.batchSize = 16; s.evalBatchSize = 8; s.learningRate = 1e-3
        s.epochs = 2; s.evalEvery = 5; s.threads = 1; s.quantize = "q8bert"
        change(&s)
        let url = dir.appendingPathComponent("\(output).json")
        try JSONEncoder().encode(s).write(to: url)
        return url
    }

    /// Trains on `ranks` ranks through q8dist-harness, with `poison` injected into the gradients.
    @discardableResult
    func trainPoisoned(_ dir: URL, ranks: Int, output: String, _ poison: GradientPoison,
                       expectSuccess: Bool = true, _ change: (inout TrainingSettings) -> Void) throws -> HarnessRunner.Result {
        let settings = try settingsFile(dir, output: output, change)
        let result = try HarnessRunner.run(ranks: ranks, ["train", settings.path, poison.description], timeout: 300)
        if expectSuccess { XCTAssertEqual(result.status, 0, result.transcript) }
        return result
    }

    /// A NaN in one rank's gradient (before the reduction) reaches every rank's reduced
    /// gradient: both skip the step (--check-sync 1 compares the parameters after each
    /// step), and the run completes; in a longer streak it stops, naming the tensor.
    func testNonFiniteGradientOnOneRankIsSkippedByEveryRank() throws {
        let dir = try makeWorkspace()
        let tensor = "bert.encoder.layer.0.output.dense.weight"
        // (--resume auto in a fresh folder: rank 0 finds nothing and every rank starts from scratch.)
        try trainPoisoned(dir, ranks: 2, output: "skip", GradientPoison(steps: 3...4, tensor: tensor, rank: 1)) {
            $0.maxSteps = 10; $0.checkSync = 1; $0.resume = "auto"
        }
        let all = try records(dir.appendingPathComponent("skip"))
        let bad = all.filter { $0["type"] as? String == "bad_step" }
        XCTAssertEqual(bad.compactMap { $0["step"] as? Int }, [3, 4])
        XCTAssertEqual(bad.compactMap { $0["tensor"] as? String }, [tensor, tensor])
        XCTAssertEqual(all.filter { $0["type"] as? String == "step" }.count, 8, "8 updates")
        XCTAssertEqual(all.last { $0["type"] as? String == "summary" }?["skipped_steps"] as? Int, 2)

        let stopped = try trainPoisoned(dir, ranks: 2, output: "stop",
                                        GradientPoison(steps: 3...20, tensor: tensor, rank: 1, value: .infinity),
                                        expectSuccess: false) { $0.maxSteps = 20; $0.maxBadSteps = 3 }
        XCTAssertNotEqual(stopped.status, 0, stopped.transcript)
        XCTAssertFalse(stopped.timedOut)
        XCTAssertTrue(stopped.errors.contains("stopping: 3 steps in a row had a NaN or infinite loss or gradient"), stopped.transcript)
        XCTAssertTrue(stopped.errors.contains("the first: step 3, gradient of \(tensor)"), stopped.transcript)
    }
}
