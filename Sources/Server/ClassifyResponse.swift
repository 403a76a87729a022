import Runtime

/// The body answering `POST /v1/classify`: `{"model": ..., "predictions": [...]}`, one
/// prediction per input, in input order.
public struct ClassifyResponse: Encodable, Sendable {
    /// One input's prediction: `{"label": ..., "score": ..., "scores": {label: probability}}`
    /// for classification, `{"value": ...}` for regression.
    public enum Output: Encodable, Sendable, Equatable {
        case label(String, score: Float, scores: [(label: String, probability: Float)])
        case value(Float)

        public static func == (a: Output, b: Output) -> Bool {
            switch (a, b) {
            case let (.label(l1, s1, p1), .label(l2, s2, p2)):
                return l1 == l2 && s1 == s2 && p1.elementsEqual(p2) { $0.label == $1.label && $0.probability == $1.probability }
            case let (.value(v1), .value(v2)):
                return v1 == v2
            default:
                return false
            }
        }

        public init(_ prediction: Prediction, labels: [String], regression: Bool) {
            if regression {
                self = .value(prediction.score)
            } else {
                self = .label(labels[prediction.label], score: prediction.score,
                              scores: zip(labels, prediction.scores).map { ($0, $1) })
            }
        }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case let .label(label, score, scores):
                try container.encode(label, forKey: Key("label"))
                try container.encode(score, forKey: Key("score"))
                // Labels in class-id order.
                var nested = container.nestedContainer(keyedBy: Key.self, forKey: Key("scores"))
                for (name, probability) in scores { try nested.encode(probability, forKey: Key(name)) }
            case let .value(value):
                try container.encode(value, forKey: Key("value"))
            }
        }
    }

    public var model: String
    public var predictions: [Output]
}
