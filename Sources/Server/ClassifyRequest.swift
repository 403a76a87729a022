import Foundation
import ModelFormat

/// The body of `POST /v1/classify`: `{"texts": ["...", ...]}` or `{"pairs": [["...", "..."], ...]}`.
///
/// Decoding is strict and every error names its field: the body must be a JSON object with
/// exactly one of "texts" (a non-empty list of strings) and "pairs" (a non-empty list of
/// two-string lists), and nothing else.
public struct ClassifyRequest: Decodable, Equatable, Sendable {
    /// One sequence to classify: a text, or a pair of texts (two segments, as in training).
    public struct Input: Equatable, Sendable {
        public var text: String
        public var pair: String?

        public init(_ text: String, _ pair: String? = nil) {
            self.text = text
            self.pair = pair
        }
    }

    public var inputs: [Input]
    /// True for `pairs`.
    public var isPairs: Bool

    public init(texts: [String]) {
        inputs = texts.map { Input($0) }
        isPairs = false
    }

    public init(pairs: [(String, String)]) {
        inputs = pairs.map { Input($0.0, $0.1) }
        isPairs = true
    }

    /// The server's decoding of a request body: the request, or an APIError (400) naming the
    /// field at fault (JSON syntax errors with the parser's reason and position).
    public static func decode(body: Data) throws -> ClassifyRequest {
        do {
            return try JSONDecoder().decode(ClassifyRequest.self, from: body)
        } catch let error as DecodingError {
            throw APIError.decoding(error, body: body)
        }
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// Checks the decoded body; throws `APIError` (400) naming the field at fault.
    init(json: JSONValue) throws {
        guard case .object(let fields) = json else {
            throw APIError.badRequest("body: expected a JSON object like {\"texts\": [\"...\"]}, found \(json.kind)")
        }
        let known = ["texts", "pairs"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown field \"\(unknown)\": expected \"texts\" or \"pairs\"")
        }
        switch (fields["texts"], fields["pairs"]) {
        case (let texts?, nil):
            inputs = try Self.list(texts, field: "texts").enumerated().map { i, value in
                Input(try Self.string(value, field: "texts[\(i)]"))
            }
            isPairs = false
        case (nil, let pairs?):
            inputs = try Self.list(pairs, field: "pairs").enumerated().map { i, value in
                let pair = try Self.list(value, field: "pairs[\(i)]", allowEmpty: true)
                guard pair.count == 2 else {
                    throw APIError.badRequest("pairs[\(i)]: expected 2 texts [first, second], found \(pair.count)")
                }
                return Input(try Self.string(pair[0], field: "pairs[\(i)][0]"),
                             try Self.string(pair[1], field: "pairs[\(i)][1]"))
            }
            isPairs = true
        case (_?, _?):
            throw APIError.badRequest("body: give either \"texts\" or \"pairs\", not both")
        case (nil, nil):
            throw APIError.badRequest("body: missing field \"texts\" (a list of strings) or \"pairs\" (a list of [text, text])")
        }
    }

    private static func list(_ value: JSONValue, field: String, allowEmpty: Bool = false) throws -> [JSONValue] {
        guard case .array(let items) = value else {
            throw APIError.badRequest("\(field): expected a list, found \(value.kind)")
        }
        guard allowEmpty || !items.isEmpty else { throw APIError.badRequest("\(field): empty list (send at least one)") }
        return items
    }

    private static func string(_ value: JSONValue, field: String) throws -> String {
        guard case .string(let text) = value else {
            throw APIError.badRequest("\(field): expected a string, found \(value.kind)")
        }
        return text
    }
}
