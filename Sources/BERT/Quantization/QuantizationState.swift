import Foundation

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

    /// The quantization.json content for the current quantization.
    public func quantizationJSON() throws -> Data {
        guard let quantization else { return Data() }
        var object: [String: Any] = ["format_version": 1, "method": "q8bert-symmetric-linear"]
        object["config"] = try JSONSerialization.jsonObject(with: JSONEncoder().encode(quantization))
        var layers = [String: Any]()
        for q in linearQuantizers {
            var entry: [String: Any] = ["mode": q.settings.mode.rawValue, "bits": q.settings.bits,
                                        "start_step": q.settings.startStep, "ema_decay": q.settings.emaDecay,
                                        "requantize_output": q.settings.requantizeOutput, "step": q.step,
                                        "input_thresh": Double(q.input.value), "weight_thresh": Double(q.weightThreshold)]
            if q.settings.requantizeOutput { entry["output_thresh"] = Double(q.output.value) }
            layers[q.name] = entry
        }
        for q in embeddingQuantizers {
            layers[q.name] = ["mode": q.settings.mode.rawValue, "bits": q.settings.bits,
                              "start_step": q.settings.startStep, "step": q.step,
                              "weight_thresh": Double(q.weightThreshold)]
        }
        object["layers"] = layers
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Reads a model folder's quantization.json (nil when absent) and enables it, restoring
    /// each Linear's step and thresholds from the state tensors of `file`.
    public func restoreQuantization(folder: URL, file: SafeTensorsFile) throws -> Bool {
        let url = folder.appendingPathComponent("quantization.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return false }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let configObject = object["config"] else {
            throw QuantizationError.invalid(source: url.path, field: "config", message: "missing or not an object")
        }
        let config = try JSONDecoder().decode(QuantizationConfig.self,
                                              from: JSONSerialization.data(withJSONObject: configObject))
        try enableQuantization(config, source: url.path)
        func value(_ layer: String, _ suffix: String) throws -> Float? {
            for name in [layer + suffix, String(layer.dropFirst("bert.".count)) + suffix] where file[name] != nil {
                return try file.floats(name).first
            }
            return nil
        }
        for q in linearQuantizers where q.settings.mode == .ema {
            guard let step = try value(q.name, "._step"), let input = try value(q.name, ".input_thresh") else {
                throw CheckpointError.missingTensor(path: folder.appendingPathComponent("model.safetensors").path,
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
