/// A JSON value as read from the log: object keys stay in file order and numbers keep their
/// literal text (so the settings table shows `2e-05` as written).
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double, literal: String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The number, if this is one.
    var number: Double? {
        if case .number(let value, _) = self { return value }
        return nil
    }

    /// The string, if this is one.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The object, if this is one.
    var object: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Compact text for tables: strings bare, numbers as written, containers as JSON.
    var displayText: String {
        switch self {
        case .string(let s): return s
        default: return jsonText
        }
    }

    /// The value written back as compact JSON.
    var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(_, let literal): return literal
        case .string(let s): return JSONValue.quoted(s)
        case .array(let items): return "[" + items.map(\.jsonText).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.members.map { JSONValue.quoted($0.key) + ": " + $0.value.jsonText }
                .joined(separator: ", ") + "}"
        }
    }

    private static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A JSON object with its members in file order; lookups return the last duplicate.
struct JSONObject: Equatable {
    struct Member: Equatable {
        var key: String
        var value: JSONValue
    }

    var members: [Member] = []

    subscript(key: String) -> JSONValue? {
        members.last(where: { $0.key == key })?.value
    }
}
