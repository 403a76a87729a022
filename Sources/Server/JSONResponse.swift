import Foundation
import Hummingbird

/// A response with a JSON body (`Content-Type: application/json`), keys sorted (so "model"
/// comes before "predictions", and "scores" lists the labels alphabetically).
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
    let data = try makeJSONEncoder().encode(value)
    return jsonResponse(bytes: ByteBuffer(bytes: data), status: status, headers: headers)
}

/// A response with an already encoded JSON body.
func jsonResponse(bytes: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
}

extension APIError {
    /// `{"error": {"status": 400, "message": "..."}}` with this status.
    func response(headers: HTTPFields = [:]) -> Response {
        struct Body: Encodable {
            struct Detail: Encodable { var status: Int, message: String }
            var error: Detail
        }
        let body = Body(error: .init(status: status.code, message: message))
        let data = (try? makeJSONEncoder().encode(body)) ?? Data(#"{"error":{"status":500,"message":"error"}}"#.utf8)
        return jsonResponse(bytes: ByteBuffer(bytes: data), status: status, headers: headers)
    }
}

/// The encoder of every JSON body: sorted keys, "/" unescaped.
func makeJSONEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}
