import Foundation

/// The settings of one quantized layer. Names in files are snake_case.
public struct LayerQuantization: Codable, Sendable, Equatable {
    public var mode: QuantizationMode = .ema
    public var bits = 8
    /// Training forwards before this one run in FP32 and collect nothing.
    public var startStep = 0
    public var emaDecay: Double = 0.9999
    /// Fake-quantize the Linear's output too, with its own threshold.
    public var requantizeOutput = true

    public init(mode: QuantizationMode = .ema, bits: Int = 8, startStep: Int = 0, emaDecay: Double = 0.9999,
                requantizeOutput: Bool = true) {
        self.mode = mode; self.bits = bits; self.startStep = startStep; self.emaDecay = emaDecay
        self.requantizeOutput = requantizeOutput
    }

    enum CodingKeys: String, CodingKey {
        case mode, bits, startStep = "start_step", emaDecay = "ema_decay", requantizeOutput = "requantize_output"
    }

    /// The EMA's step 1 - decay, computed in double and rounded once to float (as nlp-architect,
    /// where PyTorch rounds the Python float): 1 - Float(0.9) would differ in the last bit.
    public var emaCoefficient: Float { Float(1 - emaDecay) }

    /// M = 2^(bits-1) - 1: the largest quantized magnitude (127 for 8 bits; -128 is never used).
    public var maxQ: Float { maxQuantized(bits: bits) }
}

/// Partial settings: the fields a layer entry overrides.
public struct LayerQuantizationOverride: Codable, Sendable, Equatable {
    public var mode: QuantizationMode?
    public var bits: Int?
    public var startStep: Int?
    public var emaDecay: Double?
    public var requantizeOutput: Bool?

    public init(mode: QuantizationMode? = nil, bits: Int? = nil, startStep: Int? = nil, emaDecay: Double? = nil,
                requantizeOutput: Bool? = nil) {
        self.mode = mode; self.bits = bits; self.startStep = startStep; self.emaDecay = emaDecay
        self.requantizeOutput = requantizeOutput
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, bits, startStep = "start_step", emaDecay = "ema_decay", requantizeOutput = "requantize_output"
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(QuantizationMode.self, forKey: .mode)
        bits = try c.decodeIfPresent(Int.self, forKey: .bits)
        startStep = try c.decodeIfPresent(Int.self, forKey: .startStep)
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay)
        requantizeOutput = try c.decodeIfPresent(Bool.self, forKey: .requantizeOutput)
    }

    func apply(to s: inout LayerQuantization) {
        if let mode { s.mode = mode }
        if let bits { s.bits = bits }
        if let startStep { s.startStep = startStep }
        if let emaDecay { s.emaDecay = emaDecay }
        if let requantizeOutput { s.requantizeOutput = requantizeOutput }
    }
}

/// Per-layer quantization of a BERT, nlp-architect style: a default and overrides by layer
/// name (nlp-architect's own file format is read too: NLPArchitectConfig). Layer names are module paths ("bert.encoder.layer.3.attention.self.query",
/// "bert.embeddings.word_embeddings", "classifier"); a `*` in a name matches any run of
/// characters. Overrides apply from the most general pattern (fewest literal characters) to
/// the most specific, an exact name last.
/// ```json
/// {"default": {"mode": "ema", "bits": 8, "start_step": 0, "ema_decay": 0.9999, "requantize_output": true},
///  "layers": {"classifier": {"requantize_output": false}, "*.attention.self.value": {"requantize_output": false}}}
/// ```
public struct QuantizationConfig: Codable, Sendable, Equatable {
    /// A name for reports: a preset's ("q8bert", "q8bert-paper", "all-outputs", "dynamic") or the file's.
    public var method: String
    public var defaults: LayerQuantization
    public var layers: [String: LayerQuantizationOverride]

    enum CodingKeys: String, CodingKey, CaseIterable { case method, defaults = "default", layers }

    public init(method: String, defaults: LayerQuantization, layers: [String: LayerQuantizationOverride] = [:]) {
        self.method = method; self.defaults = defaults; self.layers = layers
    }

    /// Reads this format, or nlp-architect's quantized-BERT config file (NLPArchitectConfig)
    /// when the object names one of its layer kinds.
    public init(from decoder: Decoder) throws {
        if NLPArchitectConfig.matches(decoder) {
            self = try NLPArchitectConfig.decode(decoder)
            return
        }
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method) ?? "custom"
        defaults = LayerQuantization()
        if let d = try c.decodeIfPresent(LayerQuantizationOverride.self, forKey: .defaults) { d.apply(to: &defaults) }
        layers = try c.decodeIfPresent([String: LayerQuantizationOverride].self, forKey: .layers) ?? [:]
    }

    /// The settings of `layer`.
    public func settings(for layer: String) -> LayerQuantization {
        var s = defaults
        let matching = layers.keys.filter { Self.matches(pattern: $0, layer) }
            .sorted { ($0.filter { $0 != "*" }.count, $0) < ($1.filter { $0 != "*" }.count, $1) }
        for key in matching { layers[key]!.apply(to: &s) }
        return s
    }

    /// Glob match with `*` as the only wildcard.
    static func matches(pattern: String, _ name: String) -> Bool {
        if !pattern.contains("*") { return pattern == name }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        var rest = Substring(name)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for (i, part) in parts.enumerated().dropFirst() {
            if i == parts.count - 1 { return part.isEmpty || rest.hasSuffix(part) }
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }

    /// Checks every setting and every override name against the model's layers.
    public func validate(layerNames: [String], source: String) throws {
        func check(_ s: LayerQuantization, _ where_: String) throws {
            // The int8 export and runtime hold every quantized value in 8 bits: wider settings
            // are refused here, before training, not after it at export.
            if !(2...8).contains(s.bits) { throw QuantizationError.invalid(source: source, field: "\(where_).bits", message: "must be in 2...8 (the int8 export and runtime), found \(s.bits)") }
            if s.startStep < 0 { throw QuantizationError.invalid(source: source, field: "\(where_).start_step", message: "must be non-negative, found \(s.startStep)") }
            if !(s.emaDecay >= 0 && s.emaDecay < 1) { throw QuantizationError.invalid(source: source, field: "\(where_).ema_decay", message: "must be in [0, 1), found \(s.emaDecay)") }
        }
        try check(defaults, "default")
        for key in layers.keys.sorted() {
            guard layerNames.contains(where: { Self.matches(pattern: key, $0) }) else {
                throw QuantizationError.unknownLayer(source: source, name: key)
            }
        }
        for name in layerNames { try check(settings(for: name), "layers.\(name)") }
    }
}

public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case invalid(source: String, field: String, message: String)
    case unknownLayer(source: String, name: String)
    case unknownPreset(String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "\(path): cannot read the quantization config"
        case .invalid(let source, let field, let message):
            return "\(source): \(field.isEmpty ? "" : "field \(field): ")\(message)"
        case .unknownLayer(let source, let name):
            return "\(source): \"\(name)\" matches no quantizable layer (names look like bert.encoder.layer.0.attention.self.query, bert.embeddings.word_embeddings, classifier)"
        case .unknownPreset(let name):
            return "unknown quantization \"\(name)\": expected none, "
                + QuantizationConfig.presetNames.joined(separator: ", ") + ", or a .json/.yaml file"
        }
    }
}
