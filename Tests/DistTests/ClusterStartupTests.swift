import Foundation
import XCTest
@testable import Tensor

/// What a job spanning machines needs at start-up and while it runs, through `q8train`
/// itself: threads from the CPU affinity, one instruction-set level for ranks of different
/// CPUs, the same data files on every rank, the collective watchdog, bare `q8train`, `env`.
final class ClusterStartupTests: XCTestCase {
    func trainArguments(_ dir: URL, output: String, _ extra: [String] = []) -> [String] {
        ["--model", dir.appendingPathComponent("model").path, "--task", "movie",
         "--data-dir", dir.appendingPathComponent("data").path, "--output-dir", dir.appendingPathComponent(output).path,
         "--max-seq-length", "16", "--batch-size", "16", "--eval-batch-size", "8", "--learning-rate", "1e-3",
         "--eval-every", "5", "--quantize", "q8bert"] + extra
    }

    func q8train() throws -> String { try HarnessRunner.executable(named: "q8train").path }

    /// The per-rank placement lines of a run's stderr, by rank.
    func placements(_ errors: String) -> [String] {
        errors.split(separator: "\n").filter { $0.contains("] rank ") && $0.contains(" thread") }.map(String.init)
    }

    // MARK: Threads from the affinity

    func testThreadsFollowTheAffinityMask() throws {
        let dir = try makeWorkspace()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // One process, the whole machine: every CPU.
        var r = try HarnessRunner.run(ranks: nil, ["train"] + trainArguments(dir, output: "a", ["--max-steps", "2"]),
                                   executable: "q8train", timeout: 120)
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(placements(r.errors).first?.contains("\(cores) thread") == true, r.errors)
        // taskset -c 0: one CPU, one thread.
        r = try HarnessRunner.run(ranks: nil, ["-c", "0", try q8train(), "train"] + trainArguments(dir, output: "b", ["--max-steps", "2"]),
                               executable: "taskset-wrapper", timeout: 120, resolve: "/usr/bin/taskset")
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(placements(r.errors).first?.contains("CPUs 0 (1, shared by 1 rank), 1 thread (from the affinity)") == true, r.errors)
        // mpirun --bind-to none: 2 ranks share the machine's CPUs.
        r = try HarnessRunner.run(ranks: 2, ["train"] + trainArguments(dir, output: "c", ["--max-steps", "2"]),
                               executable: "q8train", timeout: 120)
        XCTAssertEqual(r.status, 0, r.transcript)
        let shared = placements(r.errors)
        XCTAssertEqual(shared.count, 2, r.errors)
        for line in shared { XCTAssertTrue(line.contains("shared by 2 ranks), \(max(1, cores / 2)) thread"), line) }
        // mpirun --bind-to core: each rank its own core.
        if cores >= 2 {
            r = try HarnessRunner.run(ranks: 2, ["train"] + trainArguments(dir, output: "d", ["--max-steps", "2"]),
                                   executable: "q8train", mpiArguments: ["--bind-to", "core"], timeout: 120)
            XCTAssertEqual(r.status, 0, r.transcript)
            let bound = placements(r.errors)
            XCTAssertEqual(bound.count, 2, r.errors)
            for line in bound { XCTAssertTrue(line.contains("(1, shared by 1 rank), 1 thread (from the affinity)"), line) }
        }
    }

    // MARK: Mixed CPUs

    /// Two ranks, one capped at the baseline (as on an older CPU), train to the same bytes as
    /// two ranks both capped: the job agrees on the lowest level. Control: uncapped ranks on
    /// this CPU compute other bits, so the agreement is what makes them equal.
    func testRanksOfDifferentInstructionSetsAgreeOnTheLowest() throws {
        let dir = try makeWorkspace()
        let exe = try q8train()
        let common = ["--max-steps", "12", "--threads", "1"]
        // MPMD: rank 0 capped, rank 1 not.
        var r = try HarnessRunner.run(ranks: 1, ["train", "--max-isa", "baseline"] + trainArguments(dir, output: "mixed", common)
                                   + [":", "-n", "1", exe, "train"] + trainArguments(dir, output: "mixed", common),
                                   executable: "q8train", timeout: 180)
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.errors.contains("instruction set common to all 2 ranks: baseline"), r.errors)
        r = try HarnessRunner.run(ranks: 2, ["train"] + trainArguments(dir, output: "capped", common),
                               executable: "q8train", environment: ["Q8_MAX_ISA": "baseline"], timeout: 180)
        XCTAssertEqual(r.status, 0, r.transcript)
        for file in ResumeTests.comparedFiles {
            let a = try Data(contentsOf: dir.appendingPathComponent("mixed/\(file)"))
            let b = try Data(contentsOf: dir.appendingPathComponent("capped/\(file)"))
            XCTAssertTrue(a == b, "\(file): one capped rank vs both capped")
        }
        guard InstructionSet.detected > .baseline else { return }
        r = try HarnessRunner.run(ranks: 2, ["train"] + trainArguments(dir, output: "native", common),
                               executable: "q8train", timeout: 180)
        XCTAssertEqual(r.status, 0, r.transcript)
        let native = try Data(contentsOf: dir.appendingPathComponent("native/final/model.safetensors"))
        let capped = try Data(contentsOf: dir.appendingPathComponent("capped/final/model.safetensors"))
        XCTAssertNotEqual(native, capped, "control: \(InstructionSet.detected) and baseline kernels should train to other bits")
    }

    func testBadInstructionSetNamesAreRefused() throws {
        let dir = try makeWorkspace()
        var r = try HarnessRunner.run(ranks: nil, ["train", "--max-isa", "sse9"] + trainArguments(dir, output: "x"),
                                   executable: "q8train", timeout: 60)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.errors.contains("--max-isa") && r.errors.contains("baseline, avx2 or avx512"), r.transcript)
        r = try HarnessRunner.run(ranks: nil, ["train"] + trainArguments(dir, output: "y"), executable: "q8train",
                               environment: ["Q8_MAX_ISA": "avx9"], timeout: 60)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.errors.contains("Q8_MAX_ISA"), r.transcript)
    }

    // MARK: Data files

    /// Rank 1 sees a data folder without test.tsv: start-up stops, naming the rank and file,
    /// instead of the ranks running different collectives at the end.
    func testRanksThatSeeDifferentDataFilesStopAtStartUp() throws {
        let dir = try makeWorkspace()
        let other = dir.appendingPathComponent("data-without-test")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("data"), to: other)
        try FileManager.default.removeItem(at: other.appendingPathComponent("test.tsv"))
        let exe = try q8train()
        var rank1 = trainArguments(dir, output: "run", ["--max-steps", "3", "--threads", "1"])
        rank1[rank1.firstIndex(of: "--data-dir")! + 1] = other.path
        let r = try HarnessRunner.run(ranks: 1, ["train"] + trainArguments(dir, output: "run", ["--max-steps", "3", "--threads", "1"])
                                   + [":", "-n", "1", exe, "train"] + rank1, executable: "q8train", timeout: 120)
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertFalse(r.timedOut, r.transcript)
        XCTAssertTrue(r.errors.contains("rank 1 (host ") && r.errors.contains("test.tsv differently from rank 0: missing there"),
                      r.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/final").path), "no training happened")
    }

    // MARK: Watchdog

    /// A rank stopped with SIGSTOP (alive, never arriving): the others' watchdog ends the job
    /// within the timeout plus 30 s, naming the collective and the rank that never arrived.
    func testStoppedRankEndsTheJobThroughTheWatchdog() throws {
        let dir = try makeWorkspace(trainExamples: 4000)
        let timeout = 5.0
        let job = try BackgroundJob(arguments: ["-n", "2", "--oversubscribe", "--bind-to", "none", try q8train(), "train"]
                                    + trainArguments(dir, output: "run", ["--threads", "1", "--epochs", "50",
                                                                          "--collective-timeout", "\(Int(timeout))"]))
        addTeardownBlock { job.kill() }
        // Wait until training runs, then stop rank 1.
        let log = dir.appendingPathComponent("run/log.jsonl")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("\"step\"") == false {
            usleep(100_000)
        }
        let ranks = try rankProcesses(of: job.process.processIdentifier, named: "q8train")
        XCTAssertEqual(ranks.count, 2, "rank processes")
        guard ranks.count == 2 else { return }
        let stoppedAt = Date()
        kill(ranks[1], SIGSTOP)
        let ended = job.done.wait(timeout: .now() + timeout + 30) == .success
        let seconds = Date().timeIntervalSince(stoppedAt)
        XCTAssertTrue(ended, "the job still ran \(Int(seconds)) s after SIGSTOP")
        let errors = job.errors()
        print("watchdog: job ended \(String(format: "%.1f", seconds)) s after SIGSTOP (timeout \(timeout) s)")
        XCTAssertNotEqual(job.process.terminationStatus, 0)
        XCTAssertTrue(errors.contains("collective timeout (--collective-timeout 5 s)"), errors)
        XCTAssertTrue(errors.contains("never arrived: rank 1 (host "), errors)
        XCTAssertTrue(errors.contains("during training step") || errors.contains("evaluation"), errors)
    }

    // MARK: The command line

    /// `mpirun -n 2 q8train --max-steps 5`: no subcommand trains.
    func testBareQ8TrainTrains() throws {
        let dir = try makeWorkspace()
        let r = try HarnessRunner.run(ranks: 2, trainArguments(dir, output: "run", ["--max-steps", "5", "--threads", "1"]),
                                   executable: "q8train", timeout: 120)
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("run/final/model.safetensors").path))
        let help = try HarnessRunner.run(ranks: nil, ["--help"], executable: "q8train", timeout: 30)
        for sub in ["train", "eval", "export", "predict", "report", "embed", "env"] {
            XCTAssertTrue(help.output.contains("  \(sub)"), "q8train --help lists \(sub)")
        }
    }

    func testEnvShowsEveryRank() throws {
        let r = try HarnessRunner.run(ranks: 2, ["env"], executable: "q8train", timeout: 60)
        XCTAssertEqual(r.status, 0, r.transcript)
        let rows = r.output.split(separator: "\n").filter { $0.contains("Open MPI") && !$0.hasPrefix("kernels:") }
        XCTAssertEqual(rows.count, 2, r.output)
        XCTAssertTrue(rows.allSatisfy { $0.contains("vader->") }, "ranks on one host talk through shared memory: \(r.output)")
        XCTAssertTrue(r.output.contains(InstructionSet.openBLASCore), r.output)
        XCTAssertFalse(r.errors.contains("mca: bml"), "Open MPI's verbose report is not passed on: \(r.errors)")
    }
}

/// mpirun in the background, its stderr in a file.
final class BackgroundJob {
    let process = Process()
    let done = DispatchSemaphore(value: 0)
    private let errorFile: URL

    init(arguments: [String]) throws {
        process.executableURL = try HarnessRunner.mpirun()
        process.arguments = arguments
        process.environment = HarnessRunner.cleanEnvironment()
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("q8-job-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [done] _ in done.signal() }
        try process.run()
    }

    func errors() -> String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: errorFile)
    }
}
