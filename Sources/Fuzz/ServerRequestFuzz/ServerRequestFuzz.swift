import Foundation
import FuzzSupport
import Server

/// libFuzzer target: the server's decoding of a `POST /v1/classify` body
/// (`ClassifyRequest.decode(body:)`, exactly what the route calls).
///
/// Input: the body. What is accepted holds at least one input, all texts or all pairs; what
/// is rejected is an APIError with status 400 and a message: never another error type, a
/// crash or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func serverRequestFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let body = Data(bytes: start, count: count)
    do {
        let request = try ClassifyRequest.decode(body: body)
        fuzzCheck(!request.inputs.isEmpty, "accepted a request without inputs")
        fuzzCheck(request.inputs.allSatisfy { ($0.pair != nil) == request.isPairs }, "texts and pairs mixed")
    } catch let error as APIError {
        fuzzCheck(error.status == .badRequest, "status \(error.status.code) for a malformed body")
        fuzzCheck(!error.message.isEmpty, "an error without a message")
    } catch {
        fuzzCheck(false, "an error that is not an APIError: \(error)")
    }
    return 0
}
