import Prometheus

/// The server's Prometheus metrics (one registry per server, exposed at `GET /metrics`):
/// - `q8serve_http_requests_total{route, status}`: requests answered, by matched route
///   (`unmatched` for unknown paths) and HTTP status;
/// - `q8serve_http_request_duration_seconds{route}`: latency histogram, request head to response;
/// - `q8serve_http_requests_in_flight`: requests being handled;
/// - `q8serve_batch_size`: histogram of sequences per int8 forward;
/// - `q8serve_forward_duration_seconds`: histogram of the time of one forward;
/// - `q8serve_queue_depth`: sequences waiting for the batcher;
/// - `q8serve_sequences_total`: sequences run through the model;
/// - `q8serve_tokens_total`, `q8serve_padded_tokens_total`: their tokens, without and with the
///   padding of each forward (their ratio is the padding overhead).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let batchSize: ValueHistogram
    let forwardDuration: DurationHistogram
    let queueDepth: Gauge
    let sequences: Counter
    let tokens: Counter, paddedTokens: Counter
    let inFlight: Gauge

    /// Bucket upper bounds: batch sizes 1, 2, 4, ..., 512.
    static let batchBuckets: [Double] = (0...9).map { Double(1 << $0) }
    /// Bucket upper bounds in seconds, 1 ms to 10 s.
    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000]
        .map { Duration.milliseconds($0) }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        batchSize = registry.makeValueHistogram(
            descriptor: .init(namespace: "q8serve", metricName: "batch_size", unitName: "",
                              helpText: "Sequences per int8 forward."),
            buckets: Self.batchBuckets)
        forwardDuration = registry.makeDurationHistogram(
            descriptor: .init(namespace: "q8serve", metricName: "forward_duration", unitName: "seconds",
                              helpText: "Time of one int8 forward (one batch)."),
            buckets: Self.latencyBuckets)
        queueDepth = registry.makeGauge(
            descriptor: .init(namespace: "q8serve", metricName: "queue_depth", unitName: "",
                              helpText: "Sequences waiting for the batcher."))
        sequences = registry.makeCounter(
            descriptor: .init(namespace: "q8serve", metricName: "sequences", unitName: "total",
                              helpText: "Sequences run through the model."))
        tokens = registry.makeCounter(
            descriptor: .init(namespace: "q8serve", metricName: "tokens", unitName: "total",
                              helpText: "Tokens run through the model, padding excluded."))
        paddedTokens = registry.makeCounter(
            descriptor: .init(namespace: "q8serve", metricName: "padded_tokens", unitName: "total",
                              helpText: "Tokens run through the model, padding included (batch size x its longest sequence)."))
        inFlight = registry.makeGauge(
            descriptor: .init(namespace: "q8serve", metricName: "http_requests_in_flight", unitName: "",
                              helpText: "HTTP requests being handled."))
    }

    /// Counts one answered request.
    func recordRequest(route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "q8serve", metricName: "http_requests", unitName: "total",
                              helpText: "HTTP requests answered, by route and status."),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "q8serve", metricName: "http_request_duration", unitName: "seconds",
                              helpText: "HTTP request latency, by route."),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}
