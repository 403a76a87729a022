import ArgumentParser
import BERT
import CommandOptions
import Foundation
import ModelFormat
import Tensor

/// `q8train export`: writes the int8 model folder (model.q8.safetensors, quantization.json,
/// config.json, labels.txt, vocab.txt) of a QAT checkpoint, for `q8train predict` and the
/// Runtime library.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a quantization-aware trained checkpoint as an int8 model folder.",
        discussion: """
        Weights become int8 with their scales, each Linear's bias int32 at its frozen input scale; \
        embeddings int8; LayerNorms FP32. The runtime (q8train predict) reproduces the checkpoint's \
        evaluation-mode logits bit for bit. An FP32 checkpoint can be exported with --quantize dynamic \
        (post-training dynamic quantization: activation ranges from each batch).
        """)

    @Option(name: .customLong("run"), help: "Run folder (the --output-dir of train).")
    var runFolder: String?

    @Option(help: "Which checkpoint of the run.")
    var checkpoint: RunCheckpoint = .best

    @Option(help: "A model folder to export instead of a run's checkpoint.")
    var model: String?

    @Option(help: "Output folder. (default: RUN/int8, or MODEL-int8)")
    var output: String?

    @Option(help: "none (the checkpoint must be quantization-aware trained), or dynamic (post-training, for FP32 checkpoints).")
    var quantize: PostTrainingQuantization = .none

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if (runFolder == nil) == (model == nil) { throw ValidationError("give exactly one of --run DIR or --model DIR") }
    }

    func run() throws {
        threadOptions.configure()
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
