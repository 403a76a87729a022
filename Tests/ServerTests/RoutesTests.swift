import ModelFormat
import Foundation
import HummingbirdTesting
import Runtime
import Server
import XCTest

/// Every route over real HTTP (Hummingbird's live test framework): answers compared with a
/// separate runtime instance on the same model folder.
final class RoutesTests: XCTestCase {
    func testClassifyTextsAnswersEachTextInInputOrder() async throws {
        let texts = (0..<5).map { Fixture.text($0, words: 3 + 4 * $0) }
        let expected = try Fixture.reference(texts.map { ($0, nil) })
        let server = try Fixture.server()
        try await server.makeApplication().test(.live) { client in
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["texts": texts]), as: UTF8.self)
            let response = try await send(port: try livePort(client), .post, "/v1/classify", body: body)
            XCTAssertEqual(response.status, .ok, response.text)
            XCTAssertEqual(response.headers[.contentType], "application/json")
            let json = try response.json()
            XCTAssertEqual(json["model"] as? String, "int8")
            let predictions = try XCTUnwrap(json["predictions"] as? [Any])
            XCTAssertEqual(predictions.count, texts.count)
            for (p, e) in zip(predictions, expected) { assertPrediction(p, equals: e, labels: Fixture.labelNames) }
        }
    }

    func testClassifyPairsUsesBothSegments() async throws {
        let pairs = [(Fixture.text(1, words: 4), Fixture.text(2, words: 6)), (Fixture.text(3, words: 5), Fixture.text(4, words: 2))]
        let expected = try Fixture.reference(pairs.map { ($0.0, $0.1) })
        let firstOnly = try Fixture.reference(pairs.map { ($0.0, nil) })
        XCTAssertNotEqual(expected[0].logits, firstOnly[0].logits, "the second segment must change the logits")
        let server = try Fixture.server()
        try await server.makeApplication().test(.live) { client in
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["pairs": pairs.map { [$0.0, $0.1] }]), as: UTF8.self)
            let response = try await send(port: try livePort(client), .post, "/v1/classify", body: body)
            XCTAssertEqual(response.status, .ok, response.text)
            let predictions = try XCTUnwrap(try response.json()["predictions"] as? [Any])
            XCTAssertEqual(predictions.count, 2)
            for (p, e) in zip(predictions, expected) { assertPrediction(p, equals: e, labels: Fixture.labelNames) }
        }
    }

    func testRegressionModelAnswersValues() async throws {
        let texts = [Fixture.text(5, words: 6), Fixture.text(6, words: 9)]
        let expected = try Fixture.reference(texts.map { ($0, nil) }, folder: Fixture.regressor)
        let server = try Fixture.server(Fixture.regressor) { $0.modelName = "tiny-regression" }
        try await server.makeApplication().test(.live) { client in
            let response = try await send(port: try livePort(client), .post, "/v1/classify",
                                          body: #"{"texts": ["\#(texts[0])", "\#(texts[1])"]}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let json = try response.json()
            XCTAssertEqual(json["model"] as? String, "tiny-regression")
            let predictions = try XCTUnwrap(json["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 2)
            for (p, e) in zip(predictions, expected) {
                XCTAssertEqual(Set(p.keys), ["value"])
                XCTAssertEqual(Float(try XCTUnwrap(p["value"] as? Double)), e.score, accuracy: scoreTolerance)
            }
        }
    }

    func testLongTextsAreTruncatedAsInTraining() async throws {
        let long = Fixture.text(7, words: 300)  // 300 tokens, far over --max-seq-length 24 (and the 64 positions)
        let prefix = long.split(separator: " ").prefix(22).joined(separator: " ")  // 22 + [CLS] + [SEP] = 24
        let expected = try Fixture.reference([(prefix, nil)])
        let server = try Fixture.server()
        try await server.makeApplication().test(.live) { client in
            let response = try await send(port: try livePort(client), .post, "/v1/classify", body: #"{"texts": ["\#(long)"]}"#)
            XCTAssertEqual(response.status, .ok, response.text)
            let predictions = try XCTUnwrap(try response.json()["predictions"] as? [Any])
            assertPrediction(predictions.first, equals: expected[0], labels: Fixture.labelNames)
        }
    }

    func testModelInfo() async throws {
        let reference = try Int8Model(directory: Fixture.classifier)
        let (int8Linears, fp32Linears, weightBytes) = (reference.int8LinearCount, reference.fp32LinearCount, reference.weightBytes)
        let fileDigest = try sha256sum(Fixture.classifier.appendingPathComponent("model.q8.safetensors"))
        let server = try Fixture.server { $0.batcher.maxBatch = 16; $0.maxTexts = 100 }
        try await server.makeApplication().test(.live) { client in
            let response = try await send(port: try livePort(client), .get, "/v1/model")
            XCTAssertEqual(response.status, .ok, response.text)
            let json = try response.json()
            XCTAssertEqual(json["name"] as? String, "int8")
            XCTAssertEqual(json["task"] as? String, "classification")
            XCTAssertEqual(json["labels"] as? [String], Fixture.labelNames)
            XCTAssertEqual(json["checkpoint_sha256"] as? String, fileDigest)
            XCTAssertEqual(json["checksums_verified"] as? Bool, true)
            let config = try XCTUnwrap(json["config"] as? [String: Any])
            XCTAssertEqual(config["hidden_size"] as? Int, 32)
            XCTAssertEqual(config["num_hidden_layers"] as? Int, 2)
            XCTAssertEqual(config["vocab_size"] as? Int, 211)
            let quantization = try XCTUnwrap(json["quantization"] as? [String: Any])
            XCTAssertEqual(quantization["method"] as? String, "q8bert")
            XCTAssertEqual(quantization["int8_linears"] as? Int, int8Linears)
            XCTAssertEqual(quantization["fp32_linears"] as? Int, fp32Linears)
            XCTAssertEqual(quantization["weight_bytes"] as? Int, weightBytes)
            XCTAssertEqual(quantization["integer_only"] as? Bool, false)
            let limits = try XCTUnwrap(json["limits"] as? [String: Any])
            XCTAssertEqual(limits["max_batch"] as? Int, 16)
            XCTAssertEqual(limits["max_texts"] as? Int, 100)
            XCTAssertEqual(limits["max_seq_length"] as? Int, 24)
        }
    }

    func testHealthAndReadiness() async throws {
        let server = try Fixture.server()
        try await server.makeApplication().test(.live) { client in
            let port = try livePort(client)
            let health = try await send(port: port, .get, "/healthz")
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(try health.json()["status"] as? String, "ok")
            let ready = try await send(port: port, .get, "/readyz")
            XCTAssertEqual(ready.status, .ok)
            XCTAssertEqual(try ready.json()["status"] as? String, "ready")
        }
    }

    func testMetricsCountRequestsSequencesAndBatches() async throws {
        let server = try Fixture.server()
        try await server.makeApplication().test(.live) { client in
            let port = try livePort(client)
            let texts = (0..<3).map { "\"\(Fixture.text($0, words: 4))\"" }.joined(separator: ",")
            for _ in 0..<2 {
                let ok = try await send(port: port, .post, "/v1/classify", body: "{\"texts\": [\(texts)]}")
                XCTAssertEqual(ok.status, .ok, ok.text)
            }
            let bad = try await send(port: port, .post, "/v1/classify", body: "{\"texts\": []}")
            XCTAssertEqual(bad.status, .badRequest)
            let missing = try await send(port: port, .get, "/no/such/route")
            XCTAssertEqual(missing.status, .notFound)

            let response = try await send(port: port, .get, "/metrics")
            XCTAssertEqual(response.status, .ok)
            XCTAssertTrue(response.headers[.contentType]?.hasPrefix("text/plain") ?? false)
            let text = response.text
            XCTAssertEqual(metricValue(text, #"q8serve_http_requests_total{route="/v1/classify",status="200"}"#), 2, text)
            XCTAssertEqual(metricValue(text, #"q8serve_http_requests_total{route="/v1/classify",status="400"}"#), 1, text)
            XCTAssertEqual(metricValue(text, #"q8serve_http_requests_total{route="unmatched",status="404"}"#), 1, text)
            XCTAssertEqual(metricValue(text, #"q8serve_http_request_duration_seconds_count{route="/v1/classify"}"#), 3, text)
            XCTAssertEqual(metricValue(text, "q8serve_sequences_total"), 6, text)
            // Each request: 3 texts of 4 words, 6 tokens each with [CLS] and [SEP], no padding.
            XCTAssertEqual(metricValue(text, "q8serve_tokens_total"), 36, text)
            XCTAssertEqual(metricValue(text, "q8serve_padded_tokens_total"), 36, text)
            XCTAssertEqual(metricValue(text, "q8serve_batch_size_sum"), 6, text)
            XCTAssertEqual(metricValue(text, "q8serve_batch_size_count"), Double(server.batcher.statistics.batches), text)
            XCTAssertEqual(metricValue(text, "q8serve_queue_depth"), 0, text)
            XCTAssertEqual(metricValue(text, "q8serve_http_requests_in_flight"), 1, "this request itself")
            XCTAssertNotNil(metricValue(text, #"q8serve_forward_duration_seconds_bucket{le="+Inf"}"#), text)
        }
    }
}
