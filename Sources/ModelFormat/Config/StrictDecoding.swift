/// Strict decoding of configuration objects: a key the format does not know is an error that
/// names it, where it is, and the closest known key, never a setting silently dropped.

/// A coding key holding any string: reads every key an object has.
public struct AnyCodingKey: CodingKey, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}

/// Throws `DecodingError.dataCorrupted` at the first key of the object `decoder` reads that
/// is not in `known` (sorted, so the error does not depend on the file's order):
/// `unknown key "defualts"; did you mean "default"?`.
public func rejectUnknownKeys(_ decoder: Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !known.contains(key.stringValue) {
        let hint = closestKey(to: key.stringValue, in: known).map { "; did you mean \"\($0)\"?" } ?? ""
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath + [key],
            debugDescription: "unknown key \"\(key.stringValue)\"\(hint) (known: \(known.sorted().joined(separator: ", ")))"))
    }
}

/// The known key nearest to `key` by edit distance, if it is near enough to be a misspelling
/// (at most a third of the longer word's characters differ).
public func closestKey(to key: String, in known: [String]) -> String? {
    let best = known.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(2, max(key.count, best.0.count) / 3) else { return nil }
    return best.0
}

/// Levenshtein distance between two strings, in characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let substitution = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
            previous = row[j]
            row[j] = min(substitution, row[j] + 1, row[j - 1] + 1)
        }
    }
    return row[b.count]
}

/// "field a.b: message" for a decoding error (the path where it happened), or its description.
public func describeDecodingError(_ error: Error) -> String {
    func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map(\.stringValue).joined(separator: ".")
        return p.isEmpty ? "" : "field \(p): "
    }
    switch error as? DecodingError {
    case .dataCorrupted(let c)?: return path(c) + c.debugDescription
    case .keyNotFound(let key, let c)?: return path(c) + "missing \"\(key.stringValue)\""
    case .typeMismatch(let type, let c)?: return path(c) + "expected \(jsonKind(type))"
    case .valueNotFound(let type, let c)?: return path(c) + "expected \(jsonKind(type)), found null"
    default: return "\(error)"
    }
}

/// What a JSON value of Swift type `type` looks like, for messages: "an object", "a list",
/// "a string", "a number", "true/false"; the type's name otherwise.
func jsonKind(_ type: Any.Type) -> String {
    let name = String(describing: type)
    if name.hasPrefix("Dictionary") { return "an object" }
    if name.hasPrefix("Array") { return "a list" }
    switch name {
    case "String": return "a string"
    case "Bool": return "true/false"
    case "Int", "Int32", "Int64", "UInt64", "Double", "Float": return "a number"
    default: return name
    }
}
