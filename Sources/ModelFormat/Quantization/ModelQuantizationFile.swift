import Foundation

/// quantization.json of a model folder (a QAT run's best/ or final/): the recipe and, per
/// quantized layer, its settings, step and thresholds. The training state itself is in
/// model.safetensors (`<layer>._step`, `.input_thresh`, `.output_thresh`).
public struct ModelQuantizationFile: Codable, Sendable, Equatable {
    public static let fileName = "quantization.json"
    public static let currentVersion = 1

    public var formatVersion: Int
    /// "q8bert-symmetric-linear".
    public var method: String
    public var config: QuantizationConfig
    public var layers: [String: QuantizedLayerRecord]

    public init(config: QuantizationConfig, layers: [String: QuantizedLayerRecord]) {
        formatVersion = Self.currentVersion
        method = "q8bert-symmetric-linear"
        self.config = config
        self.layers = layers
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case formatVersion = "format_version", method, config, layers
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        method = try c.decode(String.self, forKey: .method)
        config = try c.decode(QuantizationConfig.self, forKey: .config)
        layers = try c.decode([String: QuantizedLayerRecord].self, forKey: .layers)
    }

    /// Pretty-printed, keys sorted.
    public func json() throws -> Data { try ModelFormatJSON.encode(self, pretty: true) }

    /// Reads `url`; errors name the file and the field.
    public static func load(_ url: URL) throws -> ModelQuantizationFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw QuantizationError.unreadable(path: url.path)
        }
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw QuantizationError.invalid(source: url.path, field: "", message: describeDecodingError(error))
        }
    }
}
