import Foundation

/// Any JSON value, decoded and encoded through Foundation's JSONDecoder/JSONEncoder: for the
/// parts of a file the project keeps without knowing them (the other fields of a Hugging Face
/// config.json, the settings a run log's config record holds, whatever version wrote them)
/// and for checking a request field by field. Integers stay integers; objects are unordered.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integral number that decodes as an Int (written back without a fraction).
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        // Try each JSON type in turn: a type mismatch at this level means "not this type";
        // any other error (bad UTF-8, a number out of range, a nested value's error) is the answer.
        let depth = decoder.codingPath.count
        func isMismatchHere(_ error: DecodingError) -> Bool {
            if case .typeMismatch(_, let context) = error { return context.codingPath.count == depth }
            return false
        }
        do { self = .string(try container.decode(String.self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        do { self = .bool(try container.decode(Bool.self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        do {
            let number = try container.decode(Double.self)
            // Integral values that were written as integers stay integers (the Int decode
            // refuses a fraction or an exponent).
            if number == number.rounded(), abs(number) < 0x1p53, let integer = try? container.decode(Int.self) {
                self = .integer(integer)
            } else {
                self = .number(number)
            }
            return
        } catch let e as DecodingError where isMismatchHere(e) {}
        do { self = .array(try container.decode([JSONValue].self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        self = .object(try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .integer(let v): try container.encode(v)
        case .number(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// The value of any Encodable, as JSONEncoder writes it.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: ModelFormatJSON.encode(value, pretty: false))
    }

    /// The members, if this is an object.
    public var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// "a string", "a number", "a list", ... as in an error message.
    public var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "true/false"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
