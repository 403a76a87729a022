import Foundation
import ModelFormat

/// What is wrong with a line that does not decode, before the reader adds file and line.
enum LineFailure: Error {
    case malformed
    case notARecord(String)
    case missingField(String)
    case invalidField(String, expected: String)

    func error(path: String, line: Int) -> RunLogError {
        switch self {
        case .malformed: return .malformedLine(path: path, line: line, reason: "not valid JSON")
        case .notARecord(let reason): return .notARecord(path: path, line: line, reason: reason)
        case .missingField(let field): return .missingField(path: path, line: line, field: field)
        case .invalidField(let field, let expected):
            return .invalidField(path: path, line: line, field: field, expected: expected)
        }
    }
}

/// Turns JSONDecoder's errors into messages that name the field, and tells a line cut short
/// from a damaged one.
enum LineDiagnosis {
    /// The failure a decoding error stands for. `decode` decodes the record type from bytes:
    /// JSONDecoder reports a number that does not fit its field (1.5 for an integer) as
    /// invalid JSON without a field, so the field is searched for (`misfitField`).
    static func failure(_ error: DecodingError, line: Data, decode: (Data) throws -> Void) -> LineFailure {
        switch error {
        case .typeMismatch(let type, let context):
            return .invalidField(dotted(context.codingPath), expected: kind(type))
        case .valueNotFound(_, let context):
            return .missingField(dotted(context.codingPath))
        case .keyNotFound(let key, let context):
            return .missingField(dotted(context.codingPath + [key]))
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return .invalidField(dotted(context.codingPath), expected: "valid (\(context.debugDescription))")
        case .dataCorrupted:
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: line) else { return .malformed }
            guard let field = misfitField(in: value, decode: decode) else {
                return .notARecord("a number does not fit its field")
            }
            return .invalidField(field.joined(separator: "."), expected: "an integer")
        @unknown default:
            return .notARecord("\(error)")
        }
    }

    /// The path of the member whose number does not fit the record's field: the first member,
    /// depth first in key order, without which the record no longer fails that way.
    static func misfitField(in root: JSONValue, decode: (Data) throws -> Void) -> [String]? {
        func stillMisfits(_ value: JSONValue) -> Bool {
            guard let data = try? JSONEncoder().encode(value) else { return false }
            do {
                try decode(data)
                return false
            } catch DecodingError.dataCorrupted(let context) {
                return context.codingPath.isEmpty
            } catch {
                return false
            }
        }
        func removing(_ path: ArraySlice<String>, from value: JSONValue) -> JSONValue {
            guard let key = path.first, var members = value.object else { return value }
            if path.count == 1 {
                members[key] = nil
            } else if let member = members[key] {
                members[key] = removing(path.dropFirst(), from: member)
            }
            return .object(members)
        }
        func search(_ value: JSONValue, at path: [String]) -> [String]? {
            guard let members = value.object else { return nil }
            for key in members.keys.sorted() where !stillMisfits(removing(ArraySlice(path + [key]), from: root)) {
                return search(members[key]!, at: path + [key]) ?? path + [key]
            }
            return nil
        }
        return search(root, at: [])
    }

    /// Whether a line that is not valid JSON ends before its text does, as a write cut
    /// short leaves it: inside a string, or with an object or array still open (and none
    /// closed that was not opened). Other damage (`{"a": 1}}`, `{"a" 1}`) is not.
    static func isCutShort(_ line: Data) -> Bool {
        var depth = 0, inString = false, escaped = false
        for byte in line {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { return false }
            default: break
            }
        }
        return inString || depth > 0
    }

    /// "layers.fc.input_thresh"
    static func dotted(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// What a field of `type` holds, for messages.
    static func kind(_ type: Any.Type) -> String {
        switch ObjectIdentifier(type) {
        case ObjectIdentifier(Double.self), ObjectIdentifier(Float.self): return "a number"
        case ObjectIdentifier(Int.self), ObjectIdentifier(Int64.self), ObjectIdentifier(UInt64.self): return "an integer"
        case ObjectIdentifier(String.self): return "a string"
        case ObjectIdentifier(Bool.self): return "true or false"
        case ObjectIdentifier([Any].self): return "an array"
        case ObjectIdentifier([String: Any].self): return "an object"
        default: return "a \(type)"
        }
    }
}
