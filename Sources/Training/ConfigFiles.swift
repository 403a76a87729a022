import Foundation
import ModelFormat
import Yams

/// The config files a training run reads: a run config (`--config`) and a quantization
/// recipe (`--quantize FILE`), each JSON or YAML (YAML is a superset of JSON, so one decoder
/// reads both), decoded strictly into their Codable types: an unknown key is an error naming
/// the file, the field and the closest known key.
public enum ConfigFiles {
    /// The settings of a run config file.
    public static func trainingSettings(_ path: String) throws -> TrainingSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SettingsError.configFile(path: path, message: "cannot read the file as UTF-8 text")
        }
        do {
            return try YAMLDecoder().decode(TrainingSettings.self, from: text)
        } catch {
            throw SettingsError.configFile(path: path, message: describeDecodingError(error))
        }
    }

    /// `--quantize`: "none" (nil), a preset name, or a per-layer config file (.json, .yaml,
    /// .yml; ours or nlp-architect's), named after the file unless it names itself.
    public static func quantization(_ value: String) throws -> QuantizationConfig? {
        if value == "none" { return nil }
        guard value.hasSuffix(".json") || value.hasSuffix(".yaml") || value.hasSuffix(".yml") else {
            return try QuantizationConfig.preset(value)
        }
        guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
            throw QuantizationError.unreadable(path: value)
        }
        do {
            var config = try YAMLDecoder().decode(QuantizationConfig.self, from: text)
            if config.method == "custom" { config.method = URL(fileURLWithPath: value).deletingPathExtension().lastPathComponent }
            return config
        } catch {
            throw QuantizationError.invalid(source: value, field: "", message: describeDecodingError(error))
        }
    }
}
