import ArgumentParser
import BERT
import Dist
import Foundation
import Logging
import ModelFormat
import ONNXExport
import Tensor
import Training

/// `q8train train`: fine-tunes a BERT on a task (FP32, or Q8BERT quantization-aware with
/// --quantize), keeping the best dev checkpoint, then evaluates on test and writes the report.
/// Under mpirun every rank runs this; they share the global batch (data parallel).
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune BERT on a GLUE-style task (Q8BERT quantization-aware with --quantize).",
        discussion: """
        With no options it fine-tunes the bundled MiniLM on the bundled movie task. Results go to \
        --output-dir: best/ and final/ (Hugging Face model folders), log.jsonl, report.html, and \
        after a quantization-aware run int8/, the best checkpoint exported for the integer runtime. \
        Data parallel: mpirun -n 4 --bind-to none q8train train (--batch-size is the global batch). \
        Checkpoints of the whole training state (--checkpoint-every, --checkpoint-minutes) let an \
        interrupted run continue bit for bit: q8train train ... --resume auto (docs/checkpoints.md).
        """)

    @OptionGroup var options: TrainingOptions

    @Option(help: "Quantization-aware training: none, q8bert (recommended), q8bert-paper (the authors' recipe), all-outputs, or a per-layer JSON/YAML file (ours or nlp-architect's).")
    var quantize: String?

    @Option(help: ArgumentHelp("Quantization-aware training: compute the quantized Linears' forward products on the int8 kernels (exact int32 sums; VNNI, AVX2 or scalar, the same bits on every CPU) or as an FP32 GEMM of the fake-quantized values (the reference). (default: \(TrainingSettings().qatGemm))", valueName: "int8|fp32"))
    var qatGemm: String?

    @Flag(inversion: .prefixedNo,
          help: ArgumentHelp("After a quantization-aware run, export the best checkpoint as the int8 model folder OUTPUT/int8.",
                             discussion: "The same folder as q8train export --run OUTPUT (written by rank 0)."))
    var export = true

    @Flag(help: ArgumentHelp("At the end, also export the best checkpoint as ONNX: OUTPUT/model.int8.onnx (QDQ) after a quantization-aware run, OUTPUT/model.fp32.onnx otherwise.",
                             discussion: "The same file as q8train export --run OUTPUT --format onnx (written by rank 0)."))
    var exportOnnx = false

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        do { _ = try resolvedSettings() } catch let error as SettingsError { throw ValidationError(error.description) }
    }

    func resolvedSettings() throws -> TrainingSettings {
        var s = try options.resolve()
        if let quantize { s.quantize = quantize }
        if let qatGemm { s.qatGemm = qatGemm }
        return s
    }

    func run() throws {
        let communicator = try cluster.communicator()
        do {
            try train(communicator)
            try communicator.finalize()
        } catch let stopped as StoppedBySignal {
            // Every rank stops after the same step, once rank 0's checkpoint is complete.
            if communicator.isRoot { FileHandle.standardError.write(Data("\(stopped)\n".utf8)) }
            try? communicator.finalize()
            throw ExitCode(stopped.exitStatus)
        } catch {
            // A failing rank must take the job down, or the others wait in a collective forever.
            if communicator.size > 1 { communicator.abortJob("error: \(error)") }
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    func train(_ communicator: Communicator) throws {
        let settings = try resolvedSettings()
        var logger = Log.bootstrap(file: communicator.isRoot ? settings.logFile : nil)
        let placement = try cluster.place(communicator, threads: settings.threads,
                                          deterministicGEMMs: settings.reductionGroups > 1)
        // One line per rank (every rank's stderr), then rank 0 alone logs.
        logger.info("\(placement.description)")
        if !communicator.isRoot { logger.logLevel = .warning }
        if communicator.isRoot && communicator.size > 1 { logger.info("\(placement.agreement)") }
        let modelDir = URL(fileURLWithPath: settings.model)
        let vocabulary = modelDir.appendingPathComponent("vocab.txt")
        // Every rank must read the same files, or they would run different collectives.
        try communicator.verifySameFiles([vocabulary] + (try TaskData.dataFiles(settings))) { url in
            (try? SHA256.hex(ofFile: url)).map { ($0.bytes, $0.sha256) }
        }
        let tokenizer = try BertTokenizer(vocabularyFile: vocabulary)
        let task = try TaskData.load(settings, tokenizer: tokenizer)
        let (model, report) = try PretrainedLoader.load(directory: modelDir, numLabels: task.labels.count,
                                                        seed: settings.seed)
        logger.info("model \(settings.model): \(model.config.numHiddenLayers) layers, hidden \(model.config.hiddenSize), \(model.layout.parameterCount) parameters\(report.initializedClassifier ? ", new classifier" : "")")
        if communicator.size > 1 {
            logger.info("data parallel: \(communicator.size) ranks (\(communicator.localSize) on this machine), \(Parallel.threads) thread\(Parallel.threads == 1 ? "" : "s") each, local batch \(settings.batchSize / communicator.size)")
        }
        if let quantization = try ConfigFiles.quantization(settings.quantize) {
            let ranges: RangeReducer = communicator.size > 1 ? MPIRangeReducer(communicator: communicator) : LocalRangeReducer()
            try model.enableQuantization(quantization, reducer: ranges, source: settings.quantize,
                                         gemm: settings.resolvedQATGemm)
            logger.info("Q8BERT quantization-aware training: \(quantization.method), \(settings.qatGemm) forward GEMMs")
        }
        let trainer = try Trainer(settings: settings, model: model, task: task, vocabulary: vocabulary,
                                  baseConfig: modelDir.appendingPathComponent("config.json"),
                                  communicator: communicator, say: { logger.info("\($0)") },
                                  warn: { logger.warning("\($0)") })
        // SIGTERM, SIGINT, SIGUSR1: checkpoint after the current step, then stop.
        let isRoot = communicator.isRoot
        trainer.stopRequest = StopRequest { [logger] signal in
            if isRoot {
                let what = "stopping after the current training step with a checkpoint (send it again to stop at once)"
                logger.warning("received \(StopRequest.name(signal)): \(what)")
            }
        }
        try trainer.run()
        guard communicator.isRoot else { return }
        let run = URL(fileURLWithPath: settings.resolvedOutputDir)
        try ReportCommand.write(run: run, logger: logger)
        var exportedInt8 = false
        if export && model.quantization != nil {
            // The checkpoints are complete: an export failure is reported, not a failed run.
            do {
                for line in try Export.export(run.appendingPathComponent("best"), to: run.appendingPathComponent("int8"),
                                              dynamic: false) {
                    logger.info("\(line.trimmingCharacters(in: .whitespaces))")
                }
                exportedInt8 = true
            } catch {
                logger.error("int8 export failed: \(error); the checkpoints are intact, retry with: q8train export --run \(run.path)")
            }
        }
        if exportOnnx {
            let int8 = model.quantization != nil
            // From the int8 folder this run just wrote (never an older one), else from best/.
            let fromFolder = exportedInt8
            let source = fromFolder ? run.appendingPathComponent("int8") : run.appendingPathComponent("best")
            do {
                let summary = try Export.exportONNX(source, isInt8Folder: fromFolder, int8: int8, to: run.appendingPathComponent(
                    int8 ? ONNXExporter.int8FileName : ONNXExporter.fp32FileName))
                for line in Export.describe(summary, source: source) { logger.info("\(line.trimmingCharacters(in: .whitespaces))") }
            } catch {
                logger.error("ONNX export failed: \(error); the checkpoints are intact, retry with: q8train export --run \(run.path) --format onnx")
            }
        }
    }
}
