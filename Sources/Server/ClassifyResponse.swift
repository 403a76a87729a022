import Runtime

/// The body answering `POST /v1/classify`: `{"model": ..., "predictions": [...]}`, one
/// prediction per input, in input order.
public struct ClassifyResponse: Encodable, Sendable {
    /// One input's prediction: `{"label": ..., "score": ..., "scores": {label: probability}}`
    /// for classification, `{"value": ...}` for regression (absent fields are left out).
    public struct Output: Encodable, Sendable, Equatable {
        /// The predicted class.
        public var label: String?
        /// Its softmax probability.
        public var score: Float?
        /// Every class's probability.
        public var scores: [String: Float]?
        /// Regression: the predicted value.
        public var value: Float?

        public init(_ prediction: Prediction, labels: [String], regression: Bool) {
            if regression {
                value = prediction.score
            } else {
                label = labels[prediction.label]
                score = prediction.score
                scores = Dictionary(zip(labels, prediction.scores), uniquingKeysWith: { first, _ in first })
            }
        }
    }

    public var model: String
    public var predictions: [Output]
}
