import Hummingbird

/// Records every request in `ServerMetrics`: in-flight gauge, count by route and status, latency.
/// The route is the matched route's path (`/v1/classify`), `unmatched` otherwise, so that
/// arbitrary client paths cannot grow the metric set.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = responseStatus(of: error)
            metrics.recordRequest(route: Routes.label(context.endpointPath), status: status, duration: ContinuousClock.now - start)
            throw error
        }
        metrics.recordRequest(route: Routes.label(context.endpointPath), status: response.status.code,
                              duration: ContinuousClock.now - start)
        return response
    }
}
