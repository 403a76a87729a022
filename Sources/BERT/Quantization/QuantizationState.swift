import Foundation
import ModelFormat

/// Saving and restoring the Q8BERT training state next to the weights, under nlp-architect's
/// names: for each quantized Linear `<layer>._step`, `<layer>.input_thresh`,
/// `<layer>.output_thresh` (when it requantizes its output), for each quantized Embedding
/// `<layer>._step`, plus the per-layer settings in quantization.json beside model.safetensors.
extension BertForSequenceClassification {
    static let stateSuffixes = ["._step", ".input_thresh", ".output_thresh"]

    /// Whether `name` is a quantization state tensor of one of our layers.
    func isQuantizationState(_ name: String) -> Bool {
        guard let suffix = Self.stateSuffixes.first(where: { name.hasSuffix($0) }) else { return false }
        let layer = String(name.dropLast(suffix.count))
        return quantizableLayerNames.contains(layer) || quantizableLayerNames.contains("bert." + layer)
    }

    /// Adds the state tensors of every quantized Linear.
    public func addQuantizationState(to writer: inout SafeTensorsWriter) throws {
        for q in linearQuantizers where q.settings.mode == .ema {
            try writer.add(q.name + "._step", floats: [Float(q.step)], shape: [1])
            try writer.add(q.name + ".input_thresh", floats: [q.input.value], shape: [1])
            if q.settings.requantizeOutput {
                try writer.add(q.name + ".output_thresh", floats: [q.output.value], shape: [1])
            }
        }
        for q in embeddingQuantizers where q.quantizes {
            try writer.add(q.name + "._step", floats: [Float(q.step)], shape: [1])
        }
    }

    /// The quantization.json of a model folder for the current quantization (nil when off).
    public func quantizationFile() throws -> ModelQuantizationFile {
        guard let quantization else { throw Int8ExportError.notQuantized }
        var layers = [String: QuantizedLayerRecord]()
        for q in linearQuantizers {
            let s = q.settings
            layers[q.name] = QuantizedLayerRecord(
                mode: s.mode, bits: s.bits, requantizeOutput: s.requantizeOutput, startStep: s.startStep,
                emaDecay: s.emaDecay, step: q.step, weightThresh: Double(q.weightThreshold),
                inputThresh: Double(q.input.value), outputThresh: s.requantizeOutput ? Double(q.output.value) : nil)
        }
        for q in embeddingQuantizers {
            let s = q.settings
            layers[q.name] = QuantizedLayerRecord(mode: s.mode, bits: s.bits, startStep: s.startStep, step: q.step,
                                                  weightThresh: Double(q.weightThreshold))
        }
        return ModelQuantizationFile(config: quantization, layers: layers)
    }

    /// Reads a model folder's quantization.json (nil when absent) and enables it, restoring
    /// each Linear's step and thresholds from the state tensors of `file`.
    public func restoreQuantization(folder: URL, file: SafeTensorsFile) throws -> Bool {
        let url = folder.appendingPathComponent("quantization.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return false }
        let config = try ModelQuantizationFile.load(url).config
        try enableQuantization(config, source: url.path)
        func value(_ layer: String, _ suffix: String) throws -> Float? {
            for name in [layer + suffix, String(layer.dropFirst("bert.".count)) + suffix] where file[name] != nil {
                return try file.floats(name).first
            }
            return nil
        }
        for q in linearQuantizers where q.settings.mode == .ema {
            guard let step = try value(q.name, "._step"), let input = try value(q.name, ".input_thresh") else {
                throw ModelFolderError.missingTensor(path: folder.appendingPathComponent("model.safetensors").path,
                                                    name: q.name + ".input_thresh")
            }
            q.restore(step: Int(step), inputThreshold: input, outputThreshold: try value(q.name, ".output_thresh") ?? 0)
        }
        // An Embedding's step: its own `_step` (written since embeddings honour start_step),
        // else the Linears' (the same count of training forwards).
        let linearStep = linearQuantizers.first { $0.settings.mode == .ema }?.step
        for q in embeddingQuantizers where q.quantizes {
            if let step = try value(q.name, "._step") { q.restore(step: Int(step)) }
            else if let linearStep { q.restore(step: linearStep) }
        }
        return true
    }
}
