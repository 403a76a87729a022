import Foundation
import ModelFormat
import Tensor

/// Loads Hugging Face BERT weights into a `BertForSequenceClassification`, strictly: every
/// tensor of the model must be present with its shape and no unknown tensor may be left
/// over. Both key layouts load: `bert.`-prefixed (BertForSequenceClassification, BertForPreTraining)
/// and bare (BertModel: "embeddings.word_embeddings.weight"). A checkpoint without a
/// classifier (a pretrained base model) gets one initialized as Hugging Face does:
/// weight ~ N(0, initializer_range), bias 0, from `seed`.
public enum PretrainedLoader {
    /// What loading did beyond copying tensors.
    public struct Report: Sendable, Equatable {
        /// The classifier was absent and was initialized.
        public var initializedClassifier = false
        /// Known non-parameter buffers that were skipped (e.g. position_ids).
        public var skipped: [String] = []
        /// The folder held a quantized (QAT) model: quantization enabled, thresholds restored.
        public var quantized = false
    }

    /// Buffers some checkpoints carry that are not parameters.
    static let ignorableBuffers: Set<String> = ["bert.embeddings.position_ids"]

    /// Reads `directory`/config.json and `directory`/model.safetensors. `numLabels` nil means:
    /// from the config's id2label, or 2 for a base model without one.
    public static func load(directory: URL, numLabels: Int? = nil, seed: UInt64 = 42)
        throws -> (model: BertForSequenceClassification, report: Report) {
        let configURL = directory.appendingPathComponent("config.json")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        for url in [configURL, weightsURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw ModelFolderError.missingFile(path: url.path)
        }
        let config = try BertConfig.load(from: configURL)
        let file = try SafeTensorsFile(contentsOf: weightsURL)
        let configLabels = config.labelNames?.count
        let labels = numLabels ?? configLabels ?? 2
        let model = BertForSequenceClassification(config: config, numLabels: labels)
        var report = try loadWeights(into: model, from: file, path: weightsURL.path, seed: seed)
        report.quantized = try model.restoreQuantization(folder: directory, file: file)
        return (model, report)
    }

    /// Copies every tensor of `file` into `model` (see the type's rules).
    public static func loadWeights(into model: BertForSequenceClassification, from file: SafeTensorsFile,
                                   path: String, seed: UInt64 = 42) throws -> Report {
        var report = Report()
        // Canonical name ("bert." + bare name for encoder tensors) -> name in the file.
        var byCanonical = [String: String]()
        var unexpected = [String]()
        for info in file.tensors {
            let name = info.name
            let canonical = name.hasPrefix("bert.") || name.hasPrefix("classifier.") ? name : "bert." + name
            if ignorableBuffers.contains(canonical) { report.skipped.append(name); continue }
            if model.isQuantizationState(name) { continue }  // restored by restoreQuantization
            guard model.layout[canonical] != nil else { unexpected.append(name); continue }
            if let previous = byCanonical[canonical] {
                throw ModelFolderError.unexpectedTensors(path: path, names: [previous, name])
            }
            byCanonical[canonical] = name
        }
        if !unexpected.isEmpty { throw ModelFolderError.unexpectedTensors(path: path, names: unexpected) }
        let hasClassifier = byCanonical["classifier.weight"] != nil || byCanonical["classifier.bias"] != nil
        for entry in model.layout.entries {
            let isClassifier = entry.name.hasPrefix("classifier.")
            guard let fileName = byCanonical[entry.name] else {
                if isClassifier && !hasClassifier { continue }
                throw ModelFolderError.missingTensor(path: path, name: entry.name)
            }
            guard let info = file[fileName] else { throw ModelFolderError.missingTensor(path: path, name: fileName) }
            if info.shape != entry.shape {
                if entry.name == "classifier.weight", info.shape.count == 2, info.shape[1] == entry.shape[1] {
                    throw ModelFolderError.labelCount(path: path, config: info.shape[0], requested: entry.shape[0])
                }
                throw ModelFolderError.shapeMismatch(path: path, name: fileName, expected: entry.shape, actual: info.shape)
            }
            let dst = UnsafeMutableBufferPointer(start: model.parameters.pointer + entry.offset, count: entry.count)
            try file.readFloats(fileName, into: dst)
        }
        if !hasClassifier {
            initializeClassifier(model, seed: seed)
            report.initializedClassifier = true
        }
        return report
    }

    /// classifier.weight ~ N(0, initializer_range), classifier.bias = 0.
    public static func initializeClassifier(_ model: BertForSequenceClassification, seed: UInt64) {
        var rng = SplitMix64(seed: hashKey(seed, 0xC1A5_51F1, 0, 0))
        let std = Double(model.config.initializerRange)
        if let w = model.tensor("classifier.weight") {
            for i in w.indices { w[i] = Float(rng.nextNormal() * std) }
        }
        if let b = model.tensor("classifier.bias") { b.update(repeating: 0) }
    }
}
