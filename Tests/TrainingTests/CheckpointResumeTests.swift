import FaultInjection
import Foundation
import ModelFormat
import RunLog
import XCTest
@testable import BERT
@testable import Tensor
@testable import Training

/// Training-state checkpoints in process: resuming is bitwise exact, damaged checkpoints are
/// refused with a message naming the file and the problem (and skipped by --resume auto),
/// settings that must not change are checked, non-finite steps are skipped and stop the run
/// when they persist, and a state holding a NaN is never written.
final class CheckpointResumeTests: XCTestCase {
    var run: TinyRun!

    override func setUpWithError() throws {
        Parallel.configure(threads: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("q8-ckpt-\(UUID().uuidString)")
        run = try TinyRun(folder: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    }

    func bytes(_ output: String, _ file: String) throws -> Data {
        try Data(contentsOf: run.folder.appendingPathComponent(output).appendingPathComponent(file))
    }

    /// 12 steps in one go; 6 steps with checkpoints every 3, then --resume auto to 12.
    func wholeAndFirstPart(checkpointEvery: Int = 3) throws {
        try run.trainer(run.settings(output: "whole")).run()
        var first = run.settings(output: "parts")
        first.maxSteps = 6
        first.checkpointEvery = checkpointEvery
        try run.trainer(first).run()
    }

    func resume(_ output: String = "parts", from target: String = "auto", warnings: WarningLog? = nil,
                change: (inout TrainingSettings) -> Void = { _ in }) throws {
        var s = run.settings(output: output)
        s.resume = target
        change(&s)
        try run.trainer(s, warnings: warnings).run()
    }

    func assertSameAsWhole(_ what: String, output: String = "parts") throws {
        for file in ["final/model.safetensors", "final/quantization.json", "best/model.safetensors"] {
            XCTAssertTrue(try bytes("whole", file) == bytes(output, file), "\(what): \(file) differs")
        }
    }

    func testResumedRunEndsWithTheUninterruptedRunsBytes() throws {
        try wholeAndFirstPart()
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts"))
        XCTAssertEqual(store.checkpoints().map(\.step), [3, 6])
        let files = try TrainingCheckpoint.load(store.url(step: 6))
        XCTAssertEqual(files.state.step, 6)
        XCTAssertEqual(files.state.epoch, 1)
        XCTAssertEqual(files.state.stepInEpoch, 2)
        XCTAssertEqual(files.state.optimizerStep, 6)
        XCTAssertEqual(files.state.lastEvalStep, 6)
        XCTAssertNotNil(files.state.best, "dev evaluated at steps 3, 4 and 6")
        // What a process killed while writing step 9 would leave: ignored, then removed.
        let leftover = store.folder.appendingPathComponent(".step-9.tmp-12345")
        try FileManager.default.createDirectory(at: leftover, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: leftover.appendingPathComponent("model.safetensors"))
        try resume()
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path), "the temporary folder is removed")
        try assertSameAsWhole("6 + resume + 6 steps vs 12")
        // One history in the log: the steps after the checkpoint are not repeated.
        let records = try run.records("parts")
        XCTAssertEqual(records.filter { $0["type"] as? String == "step" }.compactMap { $0["step"] as? Int }, Array(1...12))
        XCTAssertEqual(records.filter { $0["type"] as? String == "config" }.count, 1)
        XCTAssertEqual(records.filter { $0["type"] as? String == "resume" }.first?["step"] as? Int, 6)
    }

    // MARK: Damaged checkpoints

    /// A copy of the newest checkpoint of "parts" in a folder of its own, with `damage` done.
    func damagedCopy(_ name: String, _ damage: (URL) throws -> Void) throws -> URL {
        let source = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts")).url(step: 6)
        let copy = run.folder.appendingPathComponent("damaged/\(name)")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: copy)
        try damage(copy)
        return copy
    }

    func editManifest(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("manifest.json")
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func assertLoadFails(_ folder: URL, _ expected: TrainingCheckpointError, message: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TrainingCheckpoint.load(folder), file: file, line: line) { error in
            XCTAssertEqual(error as? TrainingCheckpointError, expected, file: file, line: line)
            XCTAssertEqual("\(error)", message, file: file, line: line)
        }
    }

    func testDamagedCheckpointsAreRefusedNamingTheFileAndTheProblem() throws {
        try wholeAndFirstPart()
        let valid = try damagedCopy("valid") { _ in }
        XCTAssertNoThrow(try TrainingCheckpoint.load(valid))
        let manifest = try CheckpointManifest.read(folder: valid)
        let modelSize = try XCTUnwrap(manifest.files["model.safetensors"]).bytes
        let optimizerHash = try XCTUnwrap(manifest.files["optimizer.safetensors"]).sha256

        // Truncated: a write cut short.
        let truncated = try damagedCopy("truncated") { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            try Data(contentsOf: url).prefix(modelSize - 100).write(to: url)
        }
        let truncatedPath = truncated.appendingPathComponent("model.safetensors").path
        assertLoadFails(truncated, .sizeMismatch(path: truncatedPath, bytes: modelSize - 100, expected: modelSize),
                        message: "\(truncatedPath): \(modelSize - 100) bytes, the manifest says \(modelSize) (truncated or damaged)")

        // Flipped bytes: same size, different content.
        var flippedHash = ""
        let flipped = try damagedCopy("flipped") { folder in
            let url = folder.appendingPathComponent("optimizer.safetensors")
            var data = try Data(contentsOf: url)
            data[data.count / 2] ^= 0x40
            data[data.count / 2 + 1] ^= 0x01
            try data.write(to: url)
            flippedHash = SHA256.hex(of: data)
        }
        let flippedPath = flipped.appendingPathComponent("optimizer.safetensors").path
        assertLoadFails(flipped, .hashMismatch(path: flippedPath, sha256: flippedHash, expected: optimizerHash),
                        message: "\(flippedPath): sha256 \(flippedHash), the manifest says \(optimizerHash) (damaged)")

        // Manifest mismatches: a required file not listed; a listed file missing; another step.
        let unlisted = try damagedCopy("unlisted") { folder in
            try editManifest(folder) { m in
                var files = m["files"] as! [String: Any]
                files["optimizer.safetensors"] = nil
                m["files"] = files
            }
        }
        let unlistedManifest = unlisted.appendingPathComponent("manifest.json").path
        assertLoadFails(unlisted, .manifestMismatch(path: unlistedManifest, reason: "optimizer.safetensors is not listed"),
                        message: "\(unlistedManifest): optimizer.safetensors is not listed")
        let missing = try damagedCopy("missing") { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("best/model.safetensors"))
        }
        let missingPath = missing.appendingPathComponent("best/model.safetensors").path
        assertLoadFails(missing, .missingFile(path: missingPath), message: "\(missingPath): file not found")
        let otherStep = try damagedCopy("other-step") { folder in try editManifest(folder) { $0["step"] = 9 } }
        let otherStepManifest = otherStep.appendingPathComponent("manifest.json").path
        assertLoadFails(otherStep, .manifestMismatch(path: otherStepManifest, reason: "step 9, but trainer_state.json says step 6"),
                        message: "\(otherStepManifest): step 9, but trainer_state.json says step 6")

        // A format version this q8train does not read.
        let newer = try damagedCopy("newer") { folder in try editManifest(folder) { $0["format_version"] = 2 } }
        let newerManifest = newer.appendingPathComponent("manifest.json").path
        assertLoadFails(newer, .formatVersion(path: newerManifest, found: 2, expected: 1),
                        message: "\(newerManifest): format_version 2, this q8train reads version 1")
        // No manifest at all (a folder copied in by hand).
        let bare = try damagedCopy("bare") { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("manifest.json"))
        }
        assertLoadFails(bare, .missingFile(path: bare.appendingPathComponent("manifest.json").path),
                        message: "\(bare.appendingPathComponent("manifest.json").path): file not found")
    }

    /// --resume auto passes over a damaged newest checkpoint with a warning naming it, resumes
    /// from the one before (still bitwise exact), and removes the damaged later one.
    func testResumeAutoSkipsADamagedNewestCheckpoint() throws {
        try wholeAndFirstPart()
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts"))
        let damagedFile = store.url(step: 6).appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: damagedFile)
        data[100] ^= 0xFF
        try data.write(to: damagedFile)
        let warnings = WarningLog()
        try resume(warnings: warnings)
        XCTAssertTrue(warnings.lines.contains { $0.hasPrefix("skipping damaged checkpoint step-6: \(damagedFile.path): sha256 ") },
                      "\(warnings.lines)")
        XCTAssertTrue(warnings.lines.contains { $0.contains("removed the checkpoints after step 3") && $0.contains("step-6") },
                      "\(warnings.lines)")
        let records = try run.records("parts")
        XCTAssertEqual(records.first { $0["type"] as? String == "resume" }?["step"] as? Int, 3)
        // The log was cut back to step 3: steps 4-6 of the first part are not in it twice.
        XCTAssertEqual(records.filter { $0["type"] as? String == "step" }.compactMap { $0["step"] as? Int }, Array(1...12))
        XCTAssertEqual(records.filter { $0["type"] as? String == "config" }.count, 1)
        XCTAssertEqual(store.checkpoints().map(\.step), [3])
        try assertSameAsWhole("resumed from step 3 after skipping step 6")
    }

    func testResumeAutoWithOnlyDamagedCheckpointsIsAnError() throws {
        try wholeAndFirstPart(checkpointEvery: 6)
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts"))
        try FileManager.default.removeItem(at: store.url(step: 6).appendingPathComponent("trainer_state.json"))
        XCTAssertThrowsError(try resume()) { error in
            guard case .noValidCheckpoint(let folder, let problems)? = error as? TrainingCheckpointError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(folder, store.folder.path)
            XCTAssertEqual(problems, ["step-6: \(store.url(step: 6).appendingPathComponent("trainer_state.json").path): file not found"])
        }
    }

    /// A run without --resume does not mix its checkpoints with an earlier run's.
    func testFreshRunRefusesAFolderWithAnEarlierRunsCheckpoints() throws {
        try wholeAndFirstPart()
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts"))
        XCTAssertThrowsError(try run.trainer(run.settings(output: "parts")).run()) { error in
            XCTAssertEqual("\(error)", "\(store.folder.path) holds checkpoints of an earlier run (step-3, step-6): continue it with "
                           + "--resume auto, or remove them (or choose another --output-dir) to start from scratch")
        }
        XCTAssertEqual(store.checkpoints().map(\.step), [3, 6], "untouched")
    }

    func testResumeAutoWithoutCheckpointsStartsFromScratch() throws {
        try resume("fresh")
        let records = try run.records("fresh")
        XCTAssertEqual(records.filter { $0["type"] as? String == "resume" }.count, 0)
        XCTAssertEqual(records.filter { $0["type"] as? String == "step" }.count, 12)
    }

    // MARK: Settings

    func testSettingsThatMustNotChangeAreCheckedByName() throws {
        try wholeAndFirstPart(checkpointEvery: 6)
        func assertMismatch(_ field: String, _ change: @escaping (inout TrainingSettings) -> Void) {
            XCTAssertThrowsError(try resume(change: change), field) { error in
                guard case .settingMismatch(let f, _, _)? = error as? TrainingCheckpointError else { return XCTFail("\(error)") }
                XCTAssertEqual(f, field)
                XCTAssertTrue("\(error)".hasPrefix("\(field): the checkpoint was trained with "), "\(error)")
            }
        }
        assertMismatch("seed") { $0.seed = 7 }
        assertMismatch("batch_size") { $0.batchSize = 8 }
        assertMismatch("learning_rate") { $0.learningRate = 2e-3 }
        assertMismatch("epochs") { $0.epochs = 4 }
        assertMismatch("reduction_groups") { $0.reductionGroups = 2 }
        assertMismatch("qat_gemm") { $0.qatGemm = "fp32" }
        XCTAssertThrowsError(try resume(change: { $0.quantize = "q8bert" })) { error in
            XCTAssertEqual("\(error)", "quantize: the checkpoint was trained with all-outputs (bert.embeddings.word_embeddings: ema, 8 bits, start_step 0, ema_decay 0.9999, requantize_output true), this run has q8bert (bert.embeddings.word_embeddings: ema, 8 bits, start_step 0, ema_decay 0.9999, requantize_output false) (it must not change on resume)")
        }
        // Other training data (the same number of examples, other sentences).
        var s = run.settings(output: "parts")
        s.resume = "auto"
        let trainer = try Trainer(settings: s, model: try run.model(), task: run.task(trainSeed: 9),
                                  vocabulary: run.vocabulary, baseConfig: nil)
        XCTAssertThrowsError(try trainer.run()) { error in
            guard case .settingMismatch("data_dir", _, _)? = error as? TrainingCheckpointError else { return XCTFail("\(error)") }
        }
        // The same settings, but a model folder whose content changed: the tensors do not fit.
        let other = BertForSequenceClassification(
            config: BertConfig(vocabSize: run.tokenizer.vocabulary.count, hiddenSize: 8, numHiddenLayers: 2,
                               numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32), numLabels: 2)
        try other.enableQuantization(.allOutputs)
        let mismatched = try Trainer(settings: s, model: other, task: run.task(), vocabulary: run.vocabulary, baseConfig: nil)
        let modelFile = CheckpointStore(runFolder: run.folder.appendingPathComponent("parts")).url(step: 6)
            .appendingPathComponent("model.safetensors").path
        XCTAssertThrowsError(try mismatched.run()) { error in
            XCTAssertEqual("\(error)", "\(modelFile): tensor \"bert.embeddings.word_embeddings.weight\": shape [16, 16], expected [16, 8]")
        }
        // What may change does: threads, evaluation cadence, the end.
        try resume { $0.threads = 2; $0.evalEvery = 4; $0.maxSteps = 9 }
        XCTAssertEqual(try run.records("parts").last { $0["type"] as? String == "summary" }?["steps"] as? Int, 9)
    }

    /// Every setting is either fixed on resume, checked by content, or free to change: a
    /// new setting must be placed in one of the lists.
    func testEverySettingIsClassifiedForResume() throws {
        var s = TrainingSettings()
        s.dataDir = "d"; s.outputDir = "o"; s.threads = 1; s.maxSteps = 1; s.logFile = "l"
        s.textColumns = ["a"]; s.labelColumn = "b"; s.labelNames = ["c"]; s.resume = "auto"
        let keys = Set(try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(s)) as? [String: Any]).keys)
        let fixed = ResumeCompatibility.fixed.map(\.field)
        let lists = fixed + ResumeCompatibility.checkedByContent + ResumeCompatibility.free
        XCTAssertEqual(lists.count, Set(lists).count, "a setting is in two lists")
        XCTAssertEqual(Set(lists), keys)
    }

    // MARK: Non-finite steps

    func testNonFiniteGradientStepsAreSkippedAndCounted() throws {
        let trainer = try run.trainer(run.settings(output: "skipped"))
        try GradientPoison(steps: 4...5, tensor: "bert.encoder.layer.1.attention.self.key.weight").install(on: trainer)
        let summary = try trainer.run()
        XCTAssertEqual(summary.skippedSteps, 2)
        XCTAssertEqual(trainer.optimizer.step, 10, "12 steps, 2 without an update")
        // The skipped steps' forwards are undone in the Q8BERT state too: 10 training forwards.
        let quantization = try JSONSerialization.jsonObject(
            with: Data(contentsOf: run.folder.appendingPathComponent("skipped/final/quantization.json"))) as? [String: Any]
        let layers = try XCTUnwrap(quantization?["layers"] as? [String: [String: Any]])
        XCTAssertEqual(layers.count, trainer.model.linearQuantizers.count + 3)
        for q in trainer.model.linearQuantizers { XCTAssertEqual(layers[q.name]?["step"] as? Int, 10, q.name) }
        let bad = try run.records("skipped").filter { $0["type"] as? String == "bad_step" }
        XCTAssertEqual(bad.compactMap { $0["step"] as? Int }, [4, 5])
        XCTAssertEqual(bad.compactMap { $0["tensor"] as? String }, Array(repeating: "bert.encoder.layer.1.attention.self.key.weight", count: 2))
        XCTAssertEqual(bad.compactMap { $0["consecutive"] as? Int }, [1, 2])
    }

    func testPersistentNonFiniteGradientsStopTheRunNamingTheTensor() throws {
        var s = run.settings(output: "stopped")
        s.maxBadSteps = 3
        s.checkpointEvery = 1
        s.quantize = "none"
        let trainer = try run.trainer(s)
        try GradientPoison(steps: 5...12, tensor: "classifier.weight", value: .infinity).install(on: trainer)
        XCTAssertThrowsError(try trainer.run()) { error in
            guard case .tooManyBadSteps(let count, let first)? = error as? TrainingStopped else { return XCTFail("\(error)") }
            XCTAssertEqual(count, 3)
            XCTAssertTrue(first.hasPrefix("step 5, gradient of classifier.weight (loss "), first)
            XCTAssertTrue("\(error)".hasPrefix("stopping: 3 steps in a row had a NaN or infinite loss or gradient (--max-bad-steps); the first: step 5, gradient of classifier.weight"), "\(error)")
        }
        // Checkpoints were written through the skipped steps (parameters stay finite) and hold the streak.
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("stopped"))
        let newest = try TrainingCheckpoint.load(try XCTUnwrap(store.checkpoints().last).url)
        XCTAssertEqual(newest.state.step, 6)
        XCTAssertEqual(newest.state.consecutiveBadSteps, 2)
        XCTAssertEqual(newest.state.badStreakStart?.hasPrefix("step 5, gradient of classifier.weight"), true)
    }

    func testACheckpointHoldingANaNIsNeverWritten() throws {
        var s = run.settings(output: "nan")
        s.maxSteps = 2
        let trainer = try run.trainer(s)
        try trainer.run()
        trainer.model.tensor("bert.encoder.layer.1.output.dense.weight")![7] = .nan
        XCTAssertThrowsError(try trainer.writeCheckpoint(trainSeconds: 0, progress: Progress(total: 1, enabled: false))) { error in
            XCTAssertEqual(error as? TrainingCheckpointError, .nonFinite(what: "parameter bert.encoder.layer.1.output.dense.weight"))
        }
        trainer.model.tensor("bert.encoder.layer.1.output.dense.weight")![7] = 0
        trainer.optimizer.v.pointer[trainer.model.layout.require("classifier.bias").offset] = .infinity
        XCTAssertThrowsError(try trainer.writeCheckpoint(trainSeconds: 0, progress: Progress(total: 1, enabled: false))) { error in
            XCTAssertEqual("\(error)", "not writing a checkpoint: AdamW exp_avg_sq of classifier.bias holds a NaN or an infinity")
        }
        let store = CheckpointStore(runFolder: run.folder.appendingPathComponent("nan"))
        XCTAssertEqual(store.checkpoints().count, 0, "nothing written")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: store.folder.path)) ?? []
        XCTAssertEqual(leftovers, [], "no temporary folder left")
    }

    // MARK: Pieces

    func testTrainerStateRoundTripsExactly() throws {
        let state = TrainerState(step: 7, epoch: 1, stepInEpoch: 3, stepsPerEpoch: 4, optimizerStep: 6,
                                 settings: run.settings(output: "x"), quantization: .allOutputs,
                                 trainingData: .init(examples: 3, sha256: "ab"),
                                 best: .init(step: 4, scores: ["accuracy": 0.1 + 0.2, "mcc": .nan, "f1": 1.0 / 3], main: "accuracy"),
                                 lastEvalStep: 4, consecutiveBadSteps: 1, skippedSteps: 1, badStreakStart: "step 7",
                                 smoothedLoss: 0.6931471805599453, trainSeconds: 12.25, sequences: 112, logBytes: 999,
                                 worldSize: 2, threads: 1)
        let decoded = try TrainerState.decoder().decode(TrainerState.self, from: TrainerState.encoder().encode(state))
        XCTAssertEqual(decoded.best?.scores["accuracy"]?.bitPattern, (0.1 + 0.2).bitPattern)
        XCTAssertEqual(decoded.best?.scores["f1"]?.bitPattern, (1.0 / 3).bitPattern)
        XCTAssertTrue(decoded.best?.scores["mcc"]?.isNaN == true)
        XCTAssertEqual(decoded.smoothedLoss.bitPattern, state.smoothedLoss.bitPattern)
        XCTAssertEqual(decoded.settings, state.settings)
        XCTAssertEqual(decoded.quantization, state.quantization)
    }

    func testGradientPoisonParsing() throws {
        let poison = GradientPoison(steps: 3...4, tensor: "classifier.bias", rank: 1, value: .infinity)
        XCTAssertEqual(try GradientPoison.parse("steps=3-4,tensor=classifier.bias,rank=1,value=inf"), poison)
        XCTAssertEqual(try GradientPoison.parse(poison.description), poison)
        XCTAssertEqual(try GradientPoison.parse("steps=5"), GradientPoison(steps: 5...5))
        XCTAssertEqual(try GradientPoison.parse(GradientPoison(steps: 5...5).description), GradientPoison(steps: 5...5))
        for bad in ["tensor=x", "steps=0", "steps=4-2", "steps=1,value=zero", "steps=1,colour=red", "steps"] {
            XCTAssertThrowsError(try GradientPoison.parse(bad), bad)
        }
        XCTAssertThrowsError(try GradientPoison(steps: 1...1, tensor: "no.such.weight").install(on: run.trainer(run.settings(output: "x"))))
    }

    /// The inspector sees every step once, 1-based, on this rank, before the reduction; the
    /// gradients it reads are the ones the step then applies (an inspector that only looks
    /// changes nothing: the run ends with the bytes of a run without one).
    func testGradientInspectorSeesEveryStepAndChangesNothingByLooking() throws {
        try run.trainer(run.settings(output: "plain")).run()
        let trainer = try run.trainer(run.settings(output: "inspected"))
        var seen: [Int] = []
        trainer.gradientInspector = { gradients in
            XCTAssertEqual(gradients.rank, 0)
            XCTAssertNotNil(gradients.gradient("classifier.weight"))
            XCTAssertNil(gradients.gradient("no.such.weight"))
            seen.append(gradients.step)
        }
        try trainer.run()
        XCTAssertEqual(seen, Array(1...trainer.totalSteps))
        for file in ["final/model.safetensors", "final/quantization.json", "best/model.safetensors"] {
            XCTAssertTrue(try bytes("plain", file) == bytes("inspected", file), "\(file) differs")
        }
    }
}
