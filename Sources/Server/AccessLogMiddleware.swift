import Foundation
import Hummingbird
import Logging

/// One structured access-log line per request through swift-log (level `info`): message
/// "request" with metadata method, path, route, status, duration_ms and the request id that
/// Hummingbird puts on the context's logger (hb.request.id).
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            context.logger.info("request", metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "route": .string(Routes.label(context.endpointPath)),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(format: "%.2f", elapsed.seconds * 1e3)),
            ])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch {
            status = responseStatus(of: error)
            throw error
        }
    }
}
