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
            descriptor: Self.name("batch_size", unit: "", "Sequences per int8 forward."),
            buckets: Self.batchBuckets)
        forwardDuration = registry.makeDurationHistogram(
            descriptor: Self.name("forward_duration", unit: "seconds", "Time of one int8 forward (one batch)."),
            buckets: Self.latencyBuckets)
        queueDepth = registry.makeGauge(
            descriptor: Self.name("queue_depth", unit: "", "Sequences waiting for the batcher."))
        sequences = registry.makeCounter(
            descriptor: Self.name("sequences", unit: "total", "Sequences run through the model."))
        tokens = registry.makeCounter(
            descriptor: Self.name("tokens", unit: "total", "Tokens run through the model, padding excluded."))
        paddedTokens = registry.makeCounter(
            descriptor: Self.name("padded_tokens", unit: "total",
                                  "Tokens run through the model, padding included (batch size x its longest sequence)."))
        inFlight = registry.makeGauge(
            descriptor: Self.name("http_requests_in_flight", unit: "", "HTTP requests being handled."))
    }

    /// Counts one answered request.
    func recordRequest(route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.name("http_requests", unit: "total", "HTTP requests answered, by route and status."),
            labels: [("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.name("http_request_duration", unit: "seconds", "HTTP request latency, by route."),
            labels: [("route", route)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// q8serve_NAME[_UNIT] with its help text.
    static func name(_ name: String, unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "q8serve", metricName: name, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition of every metric.
    public func exposition() -> String { registry.emitToString() }
}
