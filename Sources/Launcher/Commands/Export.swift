import ArgumentParser
import BERT
import CommandOptions
import Foundation
import ModelFormat
import ONNXExport
import Tensor

/// What `q8train export` writes: the int8 model folder, or an ONNX file.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case int8, onnx
}

/// The ONNX model's arithmetic: int8 (QDQ, needs QAT thresholds), fp32, or auto (int8 for a
/// quantization-aware trained checkpoint or an int8 folder, fp32 otherwise).
enum ONNXPrecision: String, CaseIterable, ExpressibleByArgument {
    case auto, int8, fp32
}

/// `q8train export`: writes the int8 model folder (model.q8.safetensors, quantization.json,
/// config.json, labels.txt, vocab.txt) of a QAT checkpoint, for `q8train predict` and the
/// Runtime library; or, with --format onnx, an ONNX model (docs/onnx.md).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a quantization-aware trained checkpoint as an int8 model folder, or as ONNX.",
        discussion: """
        Weights become int8 with their scales, each Linear's bias int32 at its frozen input scale; \
        embeddings int8; LayerNorms FP32. The runtime (q8train predict) reproduces the checkpoint's \
        evaluation-mode logits bit for bit. An FP32 checkpoint can be exported with --quantize dynamic \
        (post-training dynamic quantization: activation ranges from each batch).
        --format onnx writes an ONNX model (opset 17, QDQ int8 with the learned thresholds, or FP32) \
        for ONNX Runtime, Triton or OpenVINO: RUN/model.int8.onnx or RUN/model.fp32.onnx. --model may \
        then also name an int8 folder.
        """)

    @Option(name: .customLong("run"), help: "Run folder (the --output-dir of train).")
    var runFolder: String?

    @Option(help: "Which checkpoint of the run.")
    var checkpoint: RunCheckpoint = .best

    @Option(help: "A model folder to export instead of a run's checkpoint.")
    var model: String?

    @Option(help: ArgumentHelp("Output folder; with --format onnx the file. (default: RUN/int8, or MODEL-int8)",
                               discussion: "onnx: RUN/model.int8.onnx or RUN/model.fp32.onnx, or MODEL.int8.onnx beside MODEL."))
    var output: String?

    @Option(help: "int8 (the model folder q8train predict and q8serve load) or onnx.")
    var format: ExportFormat = .int8

    @Option(help: "With --format onnx: int8 (QDQ, needs a quantization-aware trained checkpoint), fp32, or auto (int8 when the checkpoint is quantization-aware trained).")
    var precision: ONNXPrecision = .auto

    @Option(help: "none (the checkpoint must be quantization-aware trained), or dynamic (post-training, for FP32 checkpoints).")
    var quantize: PostTrainingQuantization = .none

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if (runFolder == nil) == (model == nil) { throw ValidationError("give exactly one of --run DIR or --model DIR") }
        if format == .int8 && precision != .auto { throw ValidationError("--precision applies to --format onnx") }
        if format == .onnx && quantize != .none {
            throw ValidationError("--quantize dynamic has no frozen thresholds for an ONNX QDQ model; export FP32 "
                                  + "(--precision fp32) or a quantization-aware trained checkpoint")
        }
    }

    func run() throws {
        threadOptions.configure()
        if format == .onnx { return try exportONNX() }
        let source: URL, destination: URL
        if let run = runFolder {
            source = URL(fileURLWithPath: run).appendingPathComponent(checkpoint.rawValue)
            destination = URL(fileURLWithPath: output ?? URL(fileURLWithPath: run).appendingPathComponent("int8").path)
        } else {
            source = URL(fileURLWithPath: model!)
            destination = URL(fileURLWithPath: output ?? source.standardizedFileURL.path + "-int8")
        }
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent("model.safetensors").path) else {
            throw ValidationError("\(source.appendingPathComponent("model.safetensors").path): file not found"
                                  + (runFolder != nil ? " (has the run saved its \(checkpoint) checkpoint yet?)" : ""))
        }
        for line in try Self.export(source, to: destination, dynamic: quantize == .dynamic) { print(line) }
    }

    /// --format onnx: the ONNX model of a run's checkpoint, a model folder or an int8 folder.
    private func exportONNX() throws {
        let source = runFolder.map { URL(fileURLWithPath: $0).appendingPathComponent(checkpoint.rawValue) }
            ?? URL(fileURLWithPath: model!)
        let isInt8Folder = FileManager.default.fileExists(atPath: source.appendingPathComponent(Int8Format.weightsFile).path)
        let isQAT = isInt8Folder
            || FileManager.default.fileExists(atPath: source.appendingPathComponent(ModelQuantizationFile.fileName).path)
        if !isInt8Folder && !FileManager.default.fileExists(atPath: source.appendingPathComponent("model.safetensors").path) {
            throw ValidationError("\(source.path): neither a checkpoint (model.safetensors) nor an int8 folder (\(Int8Format.weightsFile))"
                                  + (runFolder != nil ? " (has the run saved its \(checkpoint) checkpoint yet?)" : ""))
        }
        let int8: Bool
        switch precision {
        case .auto: int8 = isQAT
        case .int8:
            guard isQAT else {
                throw ValidationError("\(source.path) has no QAT thresholds (no \(ModelQuantizationFile.fileName)): it is an FP32 "
                                      + "checkpoint. An int8 ONNX model needs a quantization-aware trained one "
                                      + "(train --quantize q8bert); or export it with --precision fp32")
            }
            int8 = true
        case .fp32:
            guard !isInt8Folder else {
                throw ValidationError("\(source.path) is an int8 folder: it has no FP32 weights; export the checkpoint it came from")
            }
            int8 = false
        }
        let name = int8 ? ONNXExporter.int8FileName : ONNXExporter.fp32FileName
        let destination: URL
        if let output {
            destination = URL(fileURLWithPath: output)
        } else if let runFolder {
            destination = URL(fileURLWithPath: runFolder).appendingPathComponent(name)
        } else {
            let folder = source.standardizedFileURL
            destination = folder.deletingLastPathComponent()
                .appendingPathComponent(folder.lastPathComponent + (int8 ? ".int8.onnx" : ".fp32.onnx"))
        }
        let summary = try Self.exportONNX(source, isInt8Folder: isInt8Folder, int8: int8, to: destination)
        for line in Self.describe(summary, source: source) { print(line) }
    }

    /// Writes the ONNX model of `source` to `file`: int8 (QDQ) from an int8 folder, or from a QAT
    /// checkpoint through a temporary int8 folder; FP32 from a checkpoint.
    static func exportONNX(_ source: URL, isInt8Folder: Bool, int8: Bool, to file: URL) throws -> ONNXExportSummary {
        guard int8 else { return try ONNXExporter.exportFloat(checkpoint: source, to: file, defaultMaxSeqLength: RuntimeOptions.fallbackMaxSeqLength) }
        if isInt8Folder { return try ONNXExporter.exportInt8(folder: source, to: file, defaultMaxSeqLength: RuntimeOptions.fallbackMaxSeqLength) }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("q8train-onnx-\(getpid())-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        _ = try export(source, to: temporary, dynamic: false)
        return try ONNXExporter.exportInt8(folder: temporary, to: file, defaultMaxSeqLength: RuntimeOptions.fallbackMaxSeqLength)
    }

    /// The report's lines for an ONNX export; warnings go to stderr.
    static func describe(_ s: ONNXExportSummary, source: URL) -> [String] {
        for warning in s.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        let q = s.opCounts["QuantizeLinear"] ?? 0, dq = s.opCounts["DequantizeLinear"] ?? 0
        return [
            "exported \(source.path) to \(s.file.path) (ONNX opset \(ONNXExporter.opsetVersion), \(s.precision))",
            String(format: "  %.1f MB; %d nodes (%d QuantizeLinear, %d DequantizeLinear), %d initializers",
                   Double(s.bytes) / 1e6, s.nodes, q, dq, s.initializers),
            "  \(s.quantizedLinears) int8 Linears, \(s.floatLinears) FP32 Linears, \(s.quantizedEmbeddings) int8 embeddings",
        ]
    }

    /// Writes the int8 model folder of the checkpoint folder `source` to `destination` (also
    /// what `q8train train` does at the end of a quantization-aware run); `dynamic`: an FP32
    /// checkpoint, quantized after training. Returns the report's lines; warnings go to stderr.
    static func export(_ source: URL, to destination: URL, dynamic: Bool) throws -> [String] {
        let (bert, report) = try PretrainedLoader.load(directory: source)
        if report.initializedClassifier {
            throw ValidationError("\(source.path) has no classifier: export a fine-tuned checkpoint")
        }
        if !report.quantized {
            guard dynamic else {
                throw ValidationError("\(source.path) has no quantization.json: it is an FP32 checkpoint. Export a "
                                      + "quantization-aware trained one (train --quantize q8bert), or pass --quantize dynamic "
                                      + "for post-training dynamic quantization")
            }
            try bert.enableQuantization(.dynamic)
        } else if dynamic {
            throw ValidationError("\(source.path) is already quantization-aware trained; --quantize dynamic applies to FP32 checkpoints")
        }
        let summary = try Int8Exporter.export(bert, to: destination, vocabulary: source.appendingPathComponent("vocab.txt"),
                                              baseConfig: source.appendingPathComponent("config.json"),
                                              lowercase: TokenizerConfig.lowercase(folder: source),
                                              task: try TaskDefinition.load(folder: source))
        let fp32File = (try? FileManager.default.attributesOfItem(atPath: source.appendingPathComponent("model.safetensors").path)[.size]
                        as? NSNumber)?.intValue ?? summary.fp32Bytes
        for warning in summary.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        return [
            "exported \(source.path) (\(bert.quantization?.method ?? "?")) to \(destination.path)",
            String(format: "  %@: %.1f MB, %.1f%% of the FP32 model.safetensors (%.1f MB); %d tensors",
                   Int8Format.weightsFile, Double(summary.bytes) / 1e6, 100 * Double(summary.bytes) / Double(fp32File),
                   Double(fp32File) / 1e6, summary.tensorCount),
            "  \(summary.int8Linears) int8 Linears, \(summary.fp32Linears) FP32 Linears, \(summary.int8Embeddings) int8 embeddings",
        ]
    }
}
