/// Any JSON value, decoded as is, so that a request can be checked field by field with
/// messages that say what each field holds ("found a number") rather than the decoder's.
enum JSONValue: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
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
        do { self = .number(try container.decode(Double.self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        do { self = .bool(try container.decode(Bool.self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        do { self = .array(try container.decode([JSONValue].self)); return } catch let e as DecodingError where isMismatchHere(e) {}
        self = .object(try container.decode([String: JSONValue].self))
    }

    /// "a string", "a number", "a list", ... as in an error message.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "true/false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }
}
