/// `q8train eval --json`: the evaluation as one JSON object (keys sorted).
struct EvalResult: Encodable {
    /// The model folder, as given.
    var model: String
    var task: String
    /// "dev" or "test".
    var split: String
    /// How the model ran: "fp32", "int8 (METHOD)" for a QAT checkpoint, "int8 dynamic (DQ)".
    var mode: String
    var examples: Int
    var metrics: [String: Double]
    /// Mean loss over the split.
    var loss: Double
}
