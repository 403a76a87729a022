import ArgumentParser
import CommandOptions
import XCTest
@testable import Launcher

/// The option groups every command shares (CommandOptions): one declaration, so the same
/// flags, defaults and validation in `eval`, `predict`, `export`, `embed`, `env` and `train`.
final class SharedOptionsTests: XCTestCase {
    /// The message a command's parse error shows (ArgumentParser's validation text).
    func message<C: ParsableCommand>(_ command: C.Type, _ arguments: [String]) -> String {
        do {
            _ = try C.parseAsRoot(arguments)
            return ""
        } catch {
            return C.message(for: error)
        }
    }

    func testRuntimeOptionsHaveOneSetOfDefaults() throws {
        let eval = try Eval.parse(["--model", "m"])
        let predict = try Predict.parse(["--model", "m", "--input", "i"])
        for runtime in [eval.runtime, predict.runtime] {
            XCTAssertEqual(runtime.batchSize, 32)
            XCTAssertNil(runtime.threads)
            XCTAssertEqual(runtime.maxSeqLength(recorded: nil), RuntimeOptions.fallbackMaxSeqLength)
            XCTAssertEqual(runtime.maxSeqLength(recorded: 48), 48, "the model folder's task.json wins over the fallback")
        }
        let given = try Predict.parse(["--model", "m", "--input", "i", "--max-seq-length", "32"])
        XCTAssertEqual(given.runtime.maxSeqLength(recorded: 48), 32, "the command line wins over task.json")
    }

    func testRuntimeOptionsAreValidatedAlikeEverywhere() {
        for (arguments, expected) in [(["--batch-size", "0"], "--batch-size must be at least 1, found 0"),
                                      (["--max-seq-length", "2"], "--max-seq-length must be at least 3"),
                                      (["--threads", "0"], "--threads must be at least 1, found 0")] {
            let eval = message(Eval.self, ["--model", "m"] + arguments)
            let predict = message(Predict.self, ["--model", "m", "--input", "i"] + arguments)
            XCTAssertTrue(eval.contains(expected), eval)
            XCTAssertTrue(predict.contains(expected), predict)
        }
        // --threads is the same option on every command that computes.
        for text in [message(Export.self, ["--run", "r", "--threads", "0"]), message(Embed.self, ["--threads", "0"]),
                     message(Train.self, ["--threads", "0"]), message(Env.self, ["--threads", "0"])] {
            XCTAssertTrue(text.contains("--threads must be at least 1, found 0"), text)
        }
    }

    func testChoicesAreEnumTyped() {
        XCTAssertTrue(message(Eval.self, ["--model", "m", "--split", "train"]).contains("'dev' and 'test'"))
        XCTAssertTrue(message(Export.self, ["--run", "r", "--checkpoint", "last"]).contains("'best' and 'final'"))
        XCTAssertTrue(message(Eval.self, ["--model", "m", "--quantize", "static"]).contains("'none' and 'dynamic'"))
        XCTAssertTrue(message(Train.self, ["--max-isa", "sse9"]).contains("'baseline', 'avx2' or 'avx512'"))
    }
}
