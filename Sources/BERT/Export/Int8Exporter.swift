import Foundation
import ModelFormat
import Tensor

/// What an export wrote.
public struct Int8ExportSummary: Sendable {
    public var directory: URL
    /// Bytes of model.q8.safetensors.
    public var bytes: Int
    /// SHA-256 of model.q8.safetensors (64 lowercase hexadecimal digits), as quantization.json records it.
    public var sha256: String
    /// Bytes the same parameters take in FP32 (4 per parameter).
    public var fp32Bytes: Int
    public var tensorCount: Int
    /// Linears with int8 weights (frozen or dynamic activation ranges), Linears left in FP32,
    /// embeddings with int8 tables.
    public var int8Linears: Int, fp32Linears: Int, int8Embeddings: Int
    /// Things worth knowing (a layer that never ran quantized, a zero threshold, ...).
    public var warnings: [String]
    /// bytes / fp32Bytes.
    public var ratio: Double { Double(bytes) / Double(max(fp32Bytes, 1)) }
}

public enum Int8ExportError: Error, CustomStringConvertible, Equatable {
    case notQuantized
    case unsupportedBits(layer: String, bits: Int)
    case invalidValue(layer: String, what: String, value: Float)
    case missingFile(path: String)

    public var description: String {
        switch self {
        case .notQuantized:
            return "the model is not quantized: export a QAT checkpoint (a folder with quantization.json), "
                + "or enable quantization first (e.g. post-training dynamic)"
        case .unsupportedBits(let layer, let bits):
            return "\(layer): \(bits)-bit quantization does not fit the int8 format (at most 8 bits)"
        case .invalidValue(let layer, let what, let value):
            return "\(layer): \(what) is \(value); the int8 export needs finite values"
        case .missingFile(let path):
            return "\(path): file not found"
        }
    }
}

/// Writes the int8 model folder of `Int8Format` from a model with Q8BERT quantization
/// enabled (e.g. `PretrainedLoader.load(directory: RUN/best)` of a QAT run, which restores the
/// thresholds). The quantized values are computed exactly as evaluation mode computes them
/// (same kernels, same float operations), so the runtime reproduces `forward(_, mode: .eval)`.
public enum Int8Exporter {
    /// Exports `model` to `directory` (replaced atomically: built under a temporary name, then
    /// renamed into place).
    /// - Parameters:
    ///   - vocabulary: the vocab.txt to copy.
    ///   - labels: class names by id; default: the config's id2label, else LABEL_i.
    ///   - baseConfig: a config.json whose other fields are kept (e.g. the checkpoint's).
    ///   - task: the task the model was fine-tuned on, written as task.json (and listed in
    ///     quantization.json's "files").
    public static func export(_ model: BertForSequenceClassification, to directory: URL, vocabulary: URL,
                              labels: [String]? = nil, baseConfig: URL? = nil,
                              lowercase: Bool = true, task: TaskDefinition? = nil) throws -> Int8ExportSummary {
        guard model.quantization != nil else { throw Int8ExportError.notQuantized }
        let fm = FileManager.default
        guard fm.fileExists(atPath: vocabulary.path) else { throw Int8ExportError.missingFile(path: vocabulary.path) }
        let labelNames = labels ?? model.config.labelNames.flatMap { $0.count == model.numLabels ? $0 : nil }
            ?? (0..<model.numLabels).map { "LABEL_\($0)" }
        let built = try tensors(of: model)

        var weightsDigest = (sha256: "", bytes: 0)
        try AtomicFolder.write(directory) { folder in
            let weightsURL = folder.appendingPathComponent(Int8Format.weightsFile)
            try built.writer.write(to: weightsURL)
            let vocabularyData = try Data(contentsOf: vocabulary)
            // The integrity records the runtime verifies: the weights as they landed on disk.
            weightsDigest = try SHA256.hex(ofFile: weightsURL)
            var files = [
                Int8Format.weightsFile: Int8FileRecord(sha256: weightsDigest.sha256, bytes: weightsDigest.bytes),
                Int8Format.vocabularyFile: Int8FileRecord(sha256: SHA256.hex(of: vocabularyData), bytes: vocabularyData.count),
            ]
            if let task {
                let data = try task.json()
                try AtomicFolder.writeSynced(data, to: folder.appendingPathComponent(TaskDefinition.fileName))
                files[TaskDefinition.fileName] = Int8FileRecord(sha256: SHA256.hex(of: data), bytes: data.count)
            }
            let manifest = Int8Manifest(preset: built.config.method, bits: built.config.defaults.bits, config: built.config,
                                        layers: built.layers, files: files)
            try AtomicFolder.writeSynced(try ClassifierConfigFile.json(model.config, numLabels: model.numLabels, labels: labelNames,
                                                                       baseConfig: baseConfig,
                                                                       extra: ["q8train_format": .string(Int8Format.formatName)]),
                                         to: folder.appendingPathComponent(Int8Format.configFile))
            try AtomicFolder.writeSynced(try manifest.json(), to: folder.appendingPathComponent(Int8Format.quantizationFile))
            try AtomicFolder.writeSynced(Data((labelNames.joined(separator: "\n") + "\n").utf8),
                                         to: folder.appendingPathComponent(Int8Format.labelsFile))
            try ClassifierConfigFile.writeTokenizerFiles(to: folder, vocabulary: vocabularyData, lowercase: lowercase,
                                                      maxLength: model.config.maxPositionEmbeddings)
        }

        return Int8ExportSummary(directory: directory, bytes: weightsDigest.bytes, sha256: weightsDigest.sha256,
                                 fp32Bytes: model.layout.parameterCount * 4,
                                 tensorCount: built.writer.tensorNames.count, int8Linears: built.int8Linears,
                                 fp32Linears: built.fp32Linears, int8Embeddings: built.int8Embeddings,
                                 warnings: built.warnings)
    }

    /// The tensors and the quantization.json manifest of `model`.
    static func tensors(of model: BertForSequenceClassification) throws
        -> (writer: SafeTensorsWriter, config: QuantizationConfig, layers: [String: QuantizedLayerRecord], int8Linears: Int, fp32Linears: Int,
            int8Embeddings: Int, warnings: [String]) {
        guard let config = model.quantization else { throw Int8ExportError.notQuantized }
        var writer = SafeTensorsWriter(metadata: ["format": Int8Format.formatName,
                                                  "format_version": String(Int8Format.formatVersion)])
        var layers = [String: QuantizedLayerRecord]()
        var warnings = [String]()
        var int8Linears = 0, fp32Linears = 0, int8Embeddings = 0
        let linears = Dictionary(uniqueKeysWithValues: model.linearQuantizers.map { ($0.name, $0) })
        let embeddings = Dictionary(uniqueKeysWithValues: model.embeddingQuantizers.map { ($0.name, $0) })

        func finite(_ p: UnsafeMutableBufferPointer<Float>, _ layer: String, _ what: String) throws {
            if let bad = p.first(where: { !$0.isFinite }) {
                throw Int8ExportError.invalidValue(layer: layer, what: what, value: bad)
            }
        }
        /// The table/weight quantized as evaluation mode does: S = M / max|W|, q = clamp(round(W S)).
        func quantized(_ w: UnsafeMutableBufferPointer<Float>, maxQ: Float) -> (values: [Int8], scale: Float, threshold: Float) {
            let threshold = maxAbs(w.baseAddress!, count: w.count)
            let scale = quantizationScale(threshold: threshold, maxQ: maxQ)
            let tmp = FloatBuffer(count: w.count)
            quantizeValues(out: tmp.pointer, input: w.baseAddress!, count: w.count, scale: scale, maxQ: maxQ)
            let values = [Int8](unsafeUninitializedCapacity: w.count) { out, n in
                for i in 0..<w.count { out[i] = Int8(tmp.pointer[i]) }
                n = w.count
            }
            return (values, scale, threshold)
        }

        for entry in model.layout.entries {
            let isWeight = entry.name.hasSuffix(Int8Format.weight)
            let module = String(entry.name.dropLast(isWeight ? Int8Format.weight.count : Int8Format.bias.count))
            let values = model.tensor(entry.name)!
            try finite(values, module, "a parameter of \(entry.name)")
            if let q = embeddings[module], q.settings.mode != .none {
                guard q.settings.bits <= 8 else { throw Int8ExportError.unsupportedBits(layer: module, bits: q.settings.bits) }
                let (ints, scale, threshold) = quantized(values, maxQ: q.settings.maxQ)
                try writer.add(module + Int8Format.quantizedWeight, int8s: ints, shape: entry.shape)
                try writer.add(module + Int8Format.weightScale, floats: [scale], shape: [1])
                layers[module] = QuantizedLayerRecord(kind: "embedding", mode: q.settings.mode, bits: q.settings.bits,
                                                      weightThresh: Double(threshold), weightScale: Double(scale))
                int8Embeddings += 1
                continue
            }
            guard let q = linears[module], q.settings.mode != .none else {
                if let q = linears[module], isWeight {
                    layers[module] = QuantizedLayerRecord(kind: "linear", mode: q.settings.mode)
                    fp32Linears += 1
                } else if let q = embeddings[module] {
                    layers[module] = QuantizedLayerRecord(kind: "embedding", mode: q.settings.mode)
                }
                try writer.add(entry.name, floats: UnsafeBufferPointer(values), shape: entry.shape)
                continue
            }
            let s = q.settings, maxQ = s.maxQ
            guard s.bits <= 8 else { throw Int8ExportError.unsupportedBits(layer: module, bits: s.bits) }
            guard isWeight else { continue }  // the bias is written with its weight
            let bias = model.tensor(module + Int8Format.bias)!
            let (ints, sw, threshold) = quantized(values, maxQ: maxQ)
            try writer.add(module + Int8Format.quantizedWeight, int8s: ints, shape: entry.shape)
            try writer.add(module + Int8Format.weightScale, floats: [sw], shape: [1])
            var info = QuantizedLayerRecord(kind: "linear", mode: s.mode, bits: s.bits, requantizeOutput: s.requantizeOutput,
                                            startStep: s.startStep, emaDecay: s.emaDecay, step: q.step,
                                            weightThresh: Double(threshold), weightScale: Double(sw))
            if s.mode == .ema {
                let inputThreshold = q.input.value
                guard inputThreshold.isFinite, inputThreshold >= 0 else {
                    throw Int8ExportError.invalidValue(layer: module, what: "input_thresh", value: inputThreshold)
                }
                if inputThreshold == 0 {
                    warnings.append("\(module): input_thresh is 0 (the layer never ran quantized in training?): "
                                    + "its inputs quantize to 0, in evaluation mode and in the runtime alike")
                } else if q.step <= s.startStep {
                    warnings.append("\(module): step \(q.step) <= start_step \(s.startStep): its thresholds saw at most one batch")
                }
                let sx = quantizationScale(threshold: inputThreshold, maxQ: maxQ)
                let biasScale = sx * sw
                let qb = (0..<bias.count).map { Int8Format.quantizeBias(bias[$0], scale: biasScale) }
                try writer.add(module + Int8Format.quantizedBias, int32s: qb, shape: [bias.count])
                try writer.add(module + Int8Format.inputThreshold, floats: [inputThreshold], shape: [1])
                info.inputThresh = Double(inputThreshold)
                info.inputScale = Double(sx)
                info.biasScale = Double(biasScale)
                if s.requantizeOutput {
                    let outputThreshold = q.output.value
                    guard outputThreshold.isFinite, outputThreshold >= 0 else {
                        throw Int8ExportError.invalidValue(layer: module, what: "output_thresh", value: outputThreshold)
                    }
                    if outputThreshold == 0 { warnings.append("\(module): output_thresh is 0: its outputs requantize to 0") }
                    try writer.add(module + Int8Format.outputThreshold, floats: [outputThreshold], shape: [1])
                    info.outputThresh = Double(outputThreshold)
                }
            } else {
                // Dynamic: S_x comes from each batch, so the int32 bias is made per batch.
                try writer.add(module + Int8Format.bias, floats: UnsafeBufferPointer(bias), shape: [bias.count])
            }
            layers[module] = info
            int8Linears += 1
        }

        return (writer, config, layers, int8Linears, fp32Linears, int8Embeddings, warnings)
    }

}
