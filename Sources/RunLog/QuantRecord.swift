/// "quant": the Q8BERT thresholds of every quantized layer at `step` (quantization-aware runs,
/// before each dev evaluation).
public struct QuantRecord: RunLogRecord, Equatable {
    public static let type = "quant"

    public var step: Int
    /// By layer name (e.g. "bert.encoder.layer.0.attention.self.query").
    public var layers: [String: LayerThresholds]

    /// One layer's thresholds (the max |x| its 8-bit range covers): activations in and out
    /// (Linear layers; out only when requantized) and weights; and its quantizer's step.
    public struct LayerThresholds: Codable, Sendable, Equatable {
        @NonFiniteAsNull public var inputThresh: Double?
        @NonFiniteAsNull public var outputThresh: Double?
        @NonFiniteAsNull public var weightThresh: Double?
        public var step: Int?

        public init(inputThresh: Double? = nil, outputThresh: Double? = nil, weightThresh: Double?, step: Int? = nil) {
            self.inputThresh = inputThresh; self.outputThresh = outputThresh; self.weightThresh = weightThresh
            self.step = step
        }

        enum CodingKeys: String, CodingKey {
            case step
            case inputThresh = "input_thresh", outputThresh = "output_thresh", weightThresh = "weight_thresh"
        }
    }

    public init(step: Int, layers: [String: LayerThresholds]) {
        self.step = step; self.layers = layers
    }

    /// The layers sorted by name (the order the writer gives them).
    public var sortedLayers: [(name: String, thresholds: LayerThresholds)] {
        layers.keys.sorted().map { ($0, layers[$0]!) }
    }
}
