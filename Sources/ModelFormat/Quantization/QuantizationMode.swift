/// How one layer is quantized (nlp-architect's per-layer settings).
public enum QuantizationMode: String, Codable, Sendable {
    /// FP32.
    case none
    /// Activation thresholds from the current batch's max|x| (post-training "DQ" style).
    case dynamic
    /// Activation thresholds as an exponential moving average of batch max|x| (Q8BERT QAT).
    case ema
}
