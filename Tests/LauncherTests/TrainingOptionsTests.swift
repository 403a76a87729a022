import ArgumentParser
import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Launcher
@testable import Training

/// The train command's settings: defaults, then the run config file, then the command line.
final class TrainingOptionsTests: XCTestCase {
    func write(_ text: String, ext: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("q8-\(UUID().uuidString).\(ext)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testDefaultsAreTheBundledRun() throws {
        let s = try TrainingOptions.parse([]).resolve()
        XCTAssertEqual(s.model, "assets/models/minilm-l6-h384")
        XCTAssertEqual(s.task, "movie")
        XCTAssertEqual(s.resolvedDataDir, "assets/data/movie")
        XCTAssertEqual(s.batchSize, 32)
        XCTAssertEqual(s.maxSeqLength, 64)
        XCTAssertEqual(s.learningRate, 5e-5)
        XCTAssertEqual(s.epochs, 2)
        XCTAssertEqual(s.warmupRatio, 0.1)
        XCTAssertEqual(s.seed, 42)
    }

    func testYAMLConfigThenCommandLineWins() throws {
        let path = try write("learning_rate: 3.0e-5\nbatch_size: 16\nepochs: 3\ntask: sst2\n", ext: "yaml")
        let s = try TrainingOptions.parse(["--config", path, "--batch-size", "8"]).resolve()
        XCTAssertEqual(s.learningRate, 3e-5, "from the file")
        XCTAssertEqual(s.epochs, 3)
        XCTAssertEqual(s.task, "sst2")
        XCTAssertEqual(s.batchSize, 8, "the command line wins")
    }

    func testJSONConfigAndBadField() throws {
        let good = try write(#"{"max_seq_length": 128, "seed": 7}"#, ext: "json")
        let s = try TrainingOptions.parse(["--config", good]).resolve()
        XCTAssertEqual(s.maxSeqLength, 128)
        XCTAssertEqual(s.seed, 7)
        let bad = try write(#"{"batch_size": "many"}"#, ext: "json")
        XCTAssertThrowsError(try TrainingOptions.parse(["--config", bad]).resolve()) { error in
            XCTAssertTrue("\(error)".contains(bad) && "\(error)".contains("batch_size"), "\(error)")
        }
    }

    func testInvalidValuesNameTheField() throws {
        XCTAssertThrowsError(try TrainingOptions.parse(["--warmup-ratio", "1.5"]).resolve()) { error in
            XCTAssertEqual(error as? SettingsError, .invalid(field: "warmup_ratio", message: "must be in [0, 1], found 1.5"))
        }
        XCTAssertThrowsError(try TrainingOptions.parse(["--batch-size", "0"]).resolve()) { error in
            XCTAssertEqual(error as? SettingsError, .invalid(field: "batch_size", message: "must be at least 1, found 0"))
        }
    }

    func testQuantizeResolvesPresetsAndFiles() throws {
        XCTAssertNil(try ConfigFiles.quantization("none"))
        XCTAssertEqual(try ConfigFiles.quantization("q8bert-paper"), .q8bertPaper)
        XCTAssertEqual(try ConfigFiles.quantization("q8bert-paper")?.settings(for: "classifier").startStep, 200)
        XCTAssertEqual(try ConfigFiles.quantization("all-outputs"), .allOutputs)
        XCTAssertEqual(try ConfigFiles.quantization("q8bert")?.defaults.requantizeOutput, false)
        let yaml = try write("default:\n  ema_decay: 0.99\nlayers:\n  classifier:\n    start_step: 200\n", ext: "yaml")
        let config = try XCTUnwrap(ConfigFiles.quantization(yaml))
        XCTAssertEqual(config.settings(for: "classifier").startStep, 200)
        XCTAssertEqual(config.settings(for: "classifier").emaDecay, 0.99)
        XCTAssertThrowsError(try ConfigFiles.quantization("q9bert")) { error in
            XCTAssertEqual(error as? QuantizationError, .unknownPreset("q9bert"))
        }
    }

    // MARK: No setting silently dropped

    /// A misspelled run-config key is an error naming the file, the key and the closest key.
    func testRunConfigWithAMisspelledKeyIsRefused() throws {
        let yaml = try write("learning_rat: 3e-5\nseed: 3\n", ext: "yaml")
        XCTAssertThrowsError(try TrainingOptions.parse(["--config", yaml]).resolve()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(yaml) && text.contains("unknown key \"learning_rat\"")
                          && text.contains("did you mean \"learning_rate\""), text)
        }
    }

    /// A misspelled top-level "default", and a per-layer key of another format (nlp-architect's
    /// weight_bits), are errors instead of falling back to other settings.
    func testQuantizationConfigWithUnknownKeysIsRefused() throws {
        let misspelled = try write(#"{"defualt": {"requantize_output": false}}"#, ext: "json")
        XCTAssertThrowsError(try ConfigFiles.quantization(misspelled)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(misspelled) && text.contains("unknown key \"defualt\"")
                          && text.contains("did you mean \"default\""), text)
        }
        let foreign = try write("layers:\n  classifier:\n    weight_bits: 4\n", ext: "yaml")
        XCTAssertThrowsError(try ConfigFiles.quantization(foreign)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("field layers.classifier.weight_bits: unknown key \"weight_bits\""), text)
        }
    }

    /// Bits the int8 export cannot hold are refused when the config is checked against the
    /// model, before training, not at export after it.
    func testBitsOverEightAreRefusedBeforeTraining() throws {
        let config = QuantizationConfig(method: "wide", defaults: LayerQuantization(), layers: ["classifier": .init(bits: 12)])
        XCTAssertThrowsError(try config.validate(layerNames: ["classifier", "bert.pooler.dense"], source: "wide.json")) { error in
            XCTAssertEqual(error as? QuantizationError,
                           .invalid(source: "wide.json", field: "layers.classifier.bits", message: "must be in 2...8 (the int8 export and runtime), found 12"))
        }
        XCTAssertNoThrow(try QuantizationConfig(method: "narrow", defaults: LayerQuantization(bits: 4))
            .validate(layerNames: ["classifier"], source: "narrow.json"))
    }

    /// --label-names takes space- and comma-separated lists alike.
    func testLabelNamesCommaOrSpaceSeparated() throws {
        for given in [["0", "1", "2"], ["0,1,2"], ["0,", "1,2"], ["0, 1, 2"]] {
            let s = try TrainingOptions.parse(["--task", "tsv", "--text-columns", "text", "--label-column", "label",
                                               "--label-names"] + given).resolve()
            XCTAssertEqual(s.labelNames, ["0", "1", "2"], "\(given)")
        }
    }
}
