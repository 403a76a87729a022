import Foundation
import XCTest

/// `q8train train` with a quantization recipe ends by exporting its best checkpoint as the
/// int8 model folder OUTPUT/int8 (rank 0 only under mpirun), byte for byte what
/// `q8train export --run OUTPUT` writes; `--no-export` and FP32 runs write none.
final class ExportAfterTrainingTests: XCTestCase {
    func train(_ dir: URL, ranks: Int?, output: String, _ extra: [String]) throws -> URL {
        let run = dir.appendingPathComponent(output)
        let result = try HarnessRunner.run(
            ranks: ranks,
            ["train", "--model", dir.appendingPathComponent("model").path, "--task", "movie",
             "--data-dir", dir.appendingPathComponent("data").path, "--output-dir", run.path,
             "--max-seq-length", "16", "--batch-size", "16", "--learning-rate", "1e-3", "--epochs", "1",
             "--max-steps", "6", "--eval-every", "3", "--threads", "1"] + extra,
            executable: "q8train", timeout: 300)
        XCTAssertEqual(result.status, 0, result.transcript)
        return run
    }

    func assertExportedLikeTheExportCommand(_ run: URL) throws {
        let int8 = run.appendingPathComponent("int8")
        let again = run.appendingPathComponent("int8-again")
        let result = try HarnessRunner.run(ranks: nil, ["export", "--run", run.path, "--output", again.path],
                                        executable: "q8train", timeout: 120)
        XCTAssertEqual(result.status, 0, result.transcript)
        for file in ["model.q8.safetensors", "quantization.json", "config.json", "vocab.txt"] {
            let a = try Data(contentsOf: int8.appendingPathComponent(file))
            let b = try Data(contentsOf: again.appendingPathComponent(file))
            XCTAssertTrue(a == b, "\(file) differs from q8train export's")
        }
    }

    func testQuantizedRunExportsItsBestCheckpoint() throws {
        let dir = try makeWorkspace()
        let run = try train(dir, ranks: nil, output: "q8bert", ["--quantize", "q8bert"])
        try assertExportedLikeTheExportCommand(run)
    }

    func testQuantizedRunOnTwoRanksExportsOnce() throws {
        let dir = try makeWorkspace()
        let run = try train(dir, ranks: 2, output: "q8bert", ["--quantize", "q8bert"])
        try assertExportedLikeTheExportCommand(run)
    }

    func testNoExportAndFP32RunsWriteNoInt8Folder() throws {
        let dir = try makeWorkspace()
        for (output, extra) in [("skip", ["--quantize", "q8bert", "--no-export"]), ("fp32", [])] {
            let run = try train(dir, ranks: nil, output: output, extra)
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("best/model.safetensors").path))
            XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("int8").path), output)
        }
    }
}
