/// One layer's entry in a quantization.json "layers" object: its settings and the values
/// training ended with. A model folder's quantization.json (`ModelQuantizationFile`) records
/// settings, step and thresholds; an int8 folder's (`Int8Manifest`) adds the kind and the
/// scales it exported. Thresholds and scales are informational copies: the tensors are
/// authoritative. Read strictly: an unknown key is an error.
public struct QuantizedLayerRecord: Codable, Sendable, Equatable {
    /// "linear" or "embedding" (int8 folders only).
    public var kind: String?
    public var mode: QuantizationMode
    public var bits: Int?
    public var requantizeOutput: Bool?
    public var startStep: Int?
    public var emaDecay: Double?
    /// Training forwards counted by the layer's quantizer.
    public var step: Int?
    /// max|W| and S_w = M / max|W|.
    public var weightThresh: Double?
    public var weightScale: Double?
    /// The frozen activation threshold of the input and S_x; the int32 bias scale S_x S_w.
    public var inputThresh: Double?
    public var inputScale: Double?
    public var biasScale: Double?
    /// The threshold of the requantized output.
    public var outputThresh: Double?

    public init(kind: String? = nil, mode: QuantizationMode, bits: Int? = nil, requantizeOutput: Bool? = nil,
                startStep: Int? = nil, emaDecay: Double? = nil, step: Int? = nil, weightThresh: Double? = nil,
                weightScale: Double? = nil, inputThresh: Double? = nil, inputScale: Double? = nil,
                biasScale: Double? = nil, outputThresh: Double? = nil) {
        self.kind = kind; self.mode = mode; self.bits = bits; self.requantizeOutput = requantizeOutput
        self.startStep = startStep; self.emaDecay = emaDecay; self.step = step; self.weightThresh = weightThresh
        self.weightScale = weightScale; self.inputThresh = inputThresh; self.inputScale = inputScale
        self.biasScale = biasScale; self.outputThresh = outputThresh
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, mode, bits, requantizeOutput = "requantize_output", startStep = "start_step",
             emaDecay = "ema_decay", step, weightThresh = "weight_thresh", weightScale = "weight_scale",
             inputThresh = "input_thresh", inputScale = "input_scale", biasScale = "bias_scale",
             outputThresh = "output_thresh"
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        mode = try c.decode(QuantizationMode.self, forKey: .mode)
        bits = try c.decodeIfPresent(Int.self, forKey: .bits)
        requantizeOutput = try c.decodeIfPresent(Bool.self, forKey: .requantizeOutput)
        startStep = try c.decodeIfPresent(Int.self, forKey: .startStep)
        emaDecay = try c.decodeIfPresent(Double.self, forKey: .emaDecay)
        step = try c.decodeIfPresent(Int.self, forKey: .step)
        weightThresh = try c.decodeIfPresent(Double.self, forKey: .weightThresh)
        weightScale = try c.decodeIfPresent(Double.self, forKey: .weightScale)
        inputThresh = try c.decodeIfPresent(Double.self, forKey: .inputThresh)
        inputScale = try c.decodeIfPresent(Double.self, forKey: .inputScale)
        biasScale = try c.decodeIfPresent(Double.self, forKey: .biasScale)
        outputThresh = try c.decodeIfPresent(Double.self, forKey: .outputThresh)
    }
}
