/// Metric values by name, e.g. {"accuracy": 0.91, "f1": 0.89}: an eval record's "metrics", a
/// summary's "test". A NaN or an infinity is written as null. Reading keeps the numbers and
/// skips members of other kinds (null, or the arrays a newer q8train may add).
public struct MetricValues: Codable, Sendable, Equatable {
    public var values: [String: Double]

    public init(_ values: [String: Double] = [:]) { self.values = values }

    /// The metrics sorted by name (the order the writer gives them).
    public var sorted: [(name: String, value: Double)] {
        values.keys.sorted().map { ($0, values[$0]!) }
    }

    public subscript(name: String) -> Double? { values[name] }

    public var isEmpty: Bool { values.isEmpty }

    struct Name: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Name.self)
        values = [:]
        for key in container.allKeys {
            if let value = try? container.decode(Double.self, forKey: key) { values[key.stringValue] = value }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Name.self)
        for (name, value) in values {
            if value.isFinite { try container.encode(value, forKey: Name(stringValue: name)) }
            else { try container.encodeNil(forKey: Name(stringValue: name)) }
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.values.mapValues(\.bitPattern) == b.values.mapValues(\.bitPattern)
    }
}
