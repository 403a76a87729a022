import BERT
import Foundation
import Yams

/// Resolves `--quantize`: a preset name or a per-layer config file (JSON or YAML).
enum Quantize {
    static func config(_ value: String) throws -> QuantizationConfig? {
        if value == "none" { return nil }
        if value.hasSuffix(".json") || value.hasSuffix(".yaml") || value.hasSuffix(".yml") {
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
        return try QuantizationConfig.preset(value)
    }
}
