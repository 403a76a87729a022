import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Turns every error a route throws into a JSON error response (`APIError.response`), so that
/// clients always get `{"error": {...}}` and the outer middleware sees the final status:
/// - `APIError`: its status and message;
/// - Hummingbird's `HTTPError` (404 for an unknown route, ...): its status, with a message;
/// - a body over the limit (`NIOTooManyBytesError`): 413;
/// - the batcher refusing work (`BatcherError`): 503 with `Retry-After: 1`;
/// - anything else: 500, logged as an error (the message does not leak internals);
/// except malformed HTTP (`HTTPParserError`, e.g. a body that ends before its Content-Length
/// when the client goes away or the idle timeout closes the connection): rethrown for
/// Hummingbird, which answers 400 if it still can and closes the connection.
struct ErrorResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            if error.status == .notFound {
                return APIError(.notFound, "no route \(request.method) \(request.uri.path); routes: \(Routes.summary)").response()
            }
            return APIError(error.status, error.body ?? error.status.reasonPhrase).response(headers: error.headers)
        } catch is NIOTooManyBytesError {
            return APIError.bodyTooLarge(limit: maxBodyBytes).response()
        } catch let error as HTTPParserError {
            context.logger.info("malformed HTTP request", metadata: ["error": "\(error)"])
            throw error
        } catch let error as BatcherError {
            return APIError(.serviceUnavailable, error.description).response(headers: [.retryAfter: "1"])
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal error").response()
        }
    }
}

extension APIError {
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "request body larger than \(limit) bytes (the server's --max-body-bytes)")
    }
}

/// The status a request that ended in `error` is counted and logged with (in the metrics and
/// access log middleware, outside `ErrorResponseMiddleware`, only errors it rethrows arrive).
func responseStatus(of error: any Error) -> Int {
    if error is HTTPParserError { return 400 }
    return (error as? any HTTPResponseError)?.status.code ?? 500
}
