import Foundation
import Hummingbird
import NIOCore

/// The HTTP API:
/// - `POST /v1/classify`: `{"texts": [...]}` or `{"pairs": [[a, b], ...]}` -> predictions in input order;
/// - `GET /v1/model`: `ModelInfo`;
/// - `GET /healthz`: liveness (200 while the process serves HTTP);
/// - `GET /readyz`: readiness (200 once listening with the model loaded, 503 while starting or draining);
/// - `GET /metrics`: Prometheus text format.
enum Routes {
    static let classify = "/v1/classify", model = "/v1/model", health = "/healthz", ready = "/readyz", metrics = "/metrics"

    /// For the 404 message.
    static let summary = "POST \(classify), GET \(model), GET \(health), GET \(ready), GET \(metrics)"

    /// The metric/log label of a request's matched route: its path, or `unmatched`.
    static func label(_ endpointPath: String?) -> String {
        guard let path = endpointPath, path != "NotFound" else { return "unmatched" }
        return path
    }

    static func register(_ server: ModelServer, on router: Router<BasicRequestContext>) {
        router.post(RouterPath(stringLiteral: classify)) { request, context in
            try await server.classify(request, context: context)
        }
        router.get(RouterPath(stringLiteral: model)) { _, _ in
            jsonResponse(bytes: server.modelInfoJSON)
        }
        router.get(RouterPath(stringLiteral: health)) { _, _ in
            jsonResponse(bytes: ByteBuffer(string: #"{"status":"ok"}"#))
        }
        router.get(RouterPath(stringLiteral: ready)) { _, _ in
            let state = server.readiness.state
            return jsonResponse(bytes: ByteBuffer(string: #"{"status":"\#(state.rawValue)"}"#),
                                status: state == .ready ? .ok : .serviceUnavailable)
        }
        router.get(RouterPath(stringLiteral: metrics)) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: server.metrics.exposition())))
        }
    }
}

extension ModelServer {
    /// `POST /v1/classify`: checks the content type and size, decodes and checks the body,
    /// tokenizes (truncating as in training), waits for the batcher, answers in input order.
    func classify(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType,
                           "expected Content-Type: application/json, got \(contentType.isEmpty ? "none" : "\"\(contentType)\"")")
        }
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.bodyTooLarge(limit: limit)
        }
        let body = try await request.body.collect(upTo: limit)
        let input = try ClassifyRequest.decode(body: Data(body.readableBytesView))
        guard input.inputs.count <= configuration.maxTexts else {
            throw APIError(.contentTooLarge, "\(input.isPairs ? "pairs" : "texts"): \(input.inputs.count) items, "
                           + "more than the limit of \(configuration.maxTexts) per request (the server's --max-texts)")
        }
        let encodings = input.inputs.map { encoder.encode($0.text, $0.pair) }
        let predictions = try await batcher.predict(encodings)
        let outputs = predictions.map { ClassifyResponse.Output($0, labels: info.labels, regression: isRegression) }
        return try jsonResponse(ClassifyResponse(model: info.name, predictions: outputs))
    }
}
