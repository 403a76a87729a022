import Foundation
import ModelFormat
import RunLog

/// Settings values as the report shows them.
extension JSONValue {
    /// Compact text for tables: strings bare, everything else as JSON.
    var displayText: String {
        if case .string(let s) = self { return s }
        return jsonText
    }

    /// The value as compact JSON with a space after each comma and colon; object keys sorted.
    var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .string(let s): return Self.quoted(s)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.keys.sorted().map { Self.quoted($0) + ": " + members[$0]!.jsonText }
                .joined(separator: ", ") + "}"
        }
    }

    /// A JSON string literal, as JSONEncoder writes it (slashes left alone).
    static func quoted(_ s: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
