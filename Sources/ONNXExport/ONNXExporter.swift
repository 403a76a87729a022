import Foundation
import ModelFormat
import ONNXProto
import SwiftProtobuf

/// What an ONNX export wrote.
public struct ONNXExportSummary: Sendable {
    public var file: URL
    public var bytes: Int
    /// "int8" (QDQ) or "fp32".
    public var precision: String
    public var nodes: Int
    public var initializers: Int
    /// Nodes by operator type ("QuantizeLinear": 38, ...).
    public var opCounts: [String: Int]
    public var quantizedLinears: Int, floatLinears: Int, quantizedEmbeddings: Int
    /// Things worth knowing (a quantized Linear whose output is identically 0, ...).
    public var warnings: [String]
}

/// Writes a q8train model as an ONNX file (opset 17, dynamic batch and sequence axes):
/// an int8 folder as a QDQ model that keeps the learned thresholds, or an FP32 model folder
/// as a float model. The tokenizer's vocabulary, lowercasing, the labels and the task go
/// into metadata_props, so the file alone is enough to serve the model.
///
/// metadata_props: `q8train_precision` (int8/fp32), `labels` (JSON array, by id),
/// `vocab` (vocab.txt, one token per line), `do_lower_case` (true/false), `max_seq_length`,
/// `task` (task.json, when the folder has one), `quantization` (the preset, int8 only).
public enum ONNXExporter {
    public static let opsetVersion: Int64 = 17
    /// The IR version that goes with opset 17.
    public static let irVersion: Int64 = 8
    public static let int8FileName = "model.int8.onnx"
    public static let fp32FileName = "model.fp32.onnx"

    /// Exports the int8 model folder `folder` (`Int8Format`, from `q8train export`) to `file`.
    /// `defaultMaxSeqLength`: the metadata's max_seq_length when the folder records no task.
    /// Refused, before anything is written: a layer in dynamic mode (no frozen thresholds), a
    /// Linear with other than 8-bit activations, a damaged folder.
    public static func exportInt8(folder: URL, to file: URL, defaultMaxSeqLength: Int) throws -> ONNXExportSummary {
        let source = try Int8FolderSource(folder: folder)
        let config = try BertConfig.load(from: folder.appendingPathComponent(Int8Format.configFile))
        let labels = try readLabels(folder.appendingPathComponent(Int8Format.labelsFile))
        let weights = try BertWeights(config: config, numLabels: labels.count, source: source)
        let manifest = try Int8Manifest.parse(try Data(contentsOf: folder.appendingPathComponent(Int8Format.quantizationFile)),
                                              path: folder.appendingPathComponent(Int8Format.quantizationFile).path)
        var metadata = try commonMetadata(folder: folder, labels: labels, defaultMaxSeqLength: defaultMaxSeqLength)
        metadata["q8train_precision"] = "int8"
        metadata["quantization"] = manifest.preset
        return try write(weights, metadata: metadata, precision: "int8", to: file)
    }

    /// Exports the FP32 model of a model folder (config.json, model.safetensors, vocab.txt: a
    /// run's checkpoint) to `file`. A QAT checkpoint exports its float weights, thresholds unused.
    public static func exportFloat(checkpoint folder: URL, to file: URL, defaultMaxSeqLength: Int) throws -> ONNXExportSummary {
        let config = try BertConfig.load(from: folder.appendingPathComponent("config.json"))
        let source = try CheckpointSource(folder: folder)
        guard let classifier = source.file["classifier.weight"], classifier.shape.count == 2 else {
            throw ONNXExportError.invalidSource(path: source.path, reason: "no classifier.weight [labels, hidden]: "
                                                + "export a fine-tuned checkpoint")
        }
        let numLabels = classifier.shape[0]
        let labels = config.labelNames.flatMap { $0.count == numLabels ? $0 : nil } ?? (0..<numLabels).map { "LABEL_\($0)" }
        let weights = try BertWeights(config: config, numLabels: numLabels, source: source)
        var metadata = try commonMetadata(folder: folder, labels: labels, defaultMaxSeqLength: defaultMaxSeqLength)
        metadata["q8train_precision"] = "fp32"
        return try write(weights, metadata: metadata, precision: "fp32", to: file)
    }

    // MARK: -

    private static func write(_ weights: BertWeights, metadata: [String: String], precision: String,
                              to file: URL) throws -> ONNXExportSummary {
        let built = BertGraph.build(weights, name: "q8train_bert_\(precision)")
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        model.producerName = "q8train"
        model.graph = built.graph
        model.docString = "BertForSequenceClassification exported by q8train (\(precision)"
            + (precision == "int8" ? ", Q8BERT QDQ: symmetric int8, zero point 0, thresholds from quantization-aware training)" : ")")
        model.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        let data: Data = try model.serializedBytes()
        try AtomicFile.write(data, to: file)
        let linears = weights.allLinears
        return ONNXExportSummary(
            file: file, bytes: data.count, precision: precision, nodes: built.graph.node.count,
            initializers: built.graph.initializer.count, opCounts: built.opCounts,
            quantizedLinears: linears.filter(\.isQuantized).count, floatLinears: linears.filter { !$0.isQuantized }.count,
            quantizedEmbeddings: [weights.word, weights.position, weights.tokenType].filter(\.isQuantized).count,
            warnings: built.degenerateLinears.map {
                "\($0): a zero input threshold or an all-zero weight: its output is 0, exported as a float Linear of zeros"
            })
    }

    /// labels.txt: one label per line, by id.
    private static func readLabels(_ url: URL) throws -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ONNXExportError.invalidSource(path: url.path, reason: "file not found or not UTF-8")
        }
        let labels = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let trimmed = labels.last == "" ? Array(labels.dropLast()) : labels
        guard !trimmed.isEmpty else { throw ONNXExportError.invalidSource(path: url.path, reason: "no labels") }
        return trimmed
    }

    /// The tokenizer, labels and task: what a server needs beside the graph. max_seq_length:
    /// the task's, else `defaultMaxSeqLength` (q8train predict's default).
    private static func commonMetadata(folder: URL, labels: [String], defaultMaxSeqLength: Int) throws -> [String: String] {
        let vocabURL = folder.appendingPathComponent(Int8Format.vocabularyFile)
        guard let vocab = try? String(contentsOf: vocabURL, encoding: .utf8) else {
            throw ONNXExportError.invalidSource(path: vocabURL.path, reason: "file not found or not UTF-8")
        }
        let task = try TaskDefinition.load(folder: folder)
        var metadata = [
            "labels": String(decoding: try ModelFormatJSON.encode(labels, pretty: false), as: UTF8.self),
            "vocab": vocab,
            "do_lower_case": TokenizerConfig.lowercase(folder: folder) ? "true" : "false",
            "max_seq_length": String(task?.maxSeqLength ?? defaultMaxSeqLength),
        ]
        if let task { metadata["task"] = String(decoding: try task.json(), as: UTF8.self) }
        return metadata
    }
}
