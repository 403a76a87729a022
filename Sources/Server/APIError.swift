import Foundation
import Hummingbird

/// An error answered to the client: an HTTP status and a message saying what was wrong and
/// what was expected, sent as `{"error": {"status": 400, "message": "..."}}`.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(status.reasonPhrase): \(message)" }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }

    /// A 400 naming the field at `path` (e.g. `texts[2]`).
    public static func badField(_ path: [any CodingKey], _ problem: String) -> APIError {
        APIError(.badRequest, "\(fieldName(path)): \(problem)")
    }

    /// `texts[2]`, `pairs[1][0]`; `body` for the top level.
    public static func fieldName(_ path: [any CodingKey]) -> String {
        var name = ""
        for key in path {
            if let index = key.intValue { name += "[\(index)]" } else { name += name.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        return name.isEmpty ? "body" : name
    }

    /// The message of a JSON decoding failure of `body`: malformed JSON (with the parser's
    /// reason and position), or the field whose value is wrong.
    public static func decoding(_ error: DecodingError, body: Data) -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return badRequest("body is not valid JSON" + (syntaxError(body).map { ": \($0)" } ?? ""))
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let detail = context.debugDescription == "The given data was not valid JSON." ? syntaxError(body) : nil
            return badField(context.codingPath, detail ?? context.debugDescription)
        case .keyNotFound(let key, let context):
            return badField(context.codingPath + [key], "missing")
        @unknown default:
            return badRequest("invalid request body: \(error)")
        }
    }

    /// Foundation's JSONDecoder here does not say where JSON is malformed; JSONSerialization
    /// does ("Invalid value around character 16."). Used on the error path only.
    static func syntaxError(_ body: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
            return nil
        } catch {
            return (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
        }
    }
}
