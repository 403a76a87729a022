import Foundation
import HummingbirdTesting
import Runtime
import Server
import XCTest

/// Dynamic batching over HTTP: concurrent requests, each on its own connection, run together
/// and each gets its own answers, in its own order.
final class BatchingTests: XCTestCase {
    func testConcurrentRequestsAreBatchedAndAnsweredCorrectly() async throws {
        let count = 24
        // Request i: 1 + i % 3 texts of different lengths.
        let requests = (0..<count).map { i in (0...(i % 3)).map { j in Fixture.text(i * 5 + j, words: 2 + (i * 7 + j * 3) % 19) } }
        let expected = try requests.map { texts in try Fixture.reference(texts.map { ($0, nil) }) }
        let sequences = requests.map(\.count).reduce(0, +)
        let tokens = requests.joined().map { $0.split(separator: " ").count + 2 }.reduce(0, +)
        // Batches of up to 8 sequences; a lone sequence waits up to 2 s for company, so that
        // requests that reach the server at nearly the same time share forwards.
        let server = try Fixture.server { $0.batcher = .init(maxBatch: 8, maxWait: .seconds(2)) }
        try await server.makeApplication().test(.live) { client in
            let port = try livePort(client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (texts, want) in zip(requests, expected) {
                    group.addTask {
                        let body = try String(decoding: JSONSerialization.data(withJSONObject: ["texts": texts]), as: UTF8.self)
                        let response = try await send(port: port, .post, "/v1/classify", body: body)
                        XCTAssertEqual(response.status, .ok, response.text)
                        let predictions = try XCTUnwrap(try response.json()["predictions"] as? [Any])
                        XCTAssertEqual(predictions.count, texts.count)
                        for (p, e) in zip(predictions, want) { assertPrediction(p, equals: e, labels: Fixture.labelNames) }
                    }
                }
                try await group.waitForAll()
            }
            let stats = server.batcher.statistics
            XCTAssertEqual(stats.sequences, sequences)
            XCTAssertLessThanOrEqual(stats.largestBatch, 8)
            // Unbatched, each request would be at least one forward (24). Batched: at least
            // ceil(48 / 8) = 6, and here at most half the requests' count.
            XCTAssertGreaterThanOrEqual(stats.batches, (sequences + 7) / 8)
            XCTAssertLessThanOrEqual(stats.batches, count / 2, "requests were not batched: \(stats)")
            XCTAssertGreaterThan(stats.largestBatch, 3, "\(stats)")
            // The metrics say the same.
            let metrics = try await send(port: port, .get, "/metrics").text
            XCTAssertEqual(metricValue(metrics, "q8serve_batch_size_count"), Double(stats.batches))
            XCTAssertEqual(metricValue(metrics, "q8serve_batch_size_sum"), Double(sequences))
            XCTAssertEqual(metricValue(metrics, "q8serve_sequences_total"), Double(sequences))
            XCTAssertEqual(metricValue(metrics, "q8serve_tokens_total"), Double(tokens))
            let padded = try XCTUnwrap(metricValue(metrics, "q8serve_padded_tokens_total"))
            XCTAssertGreaterThanOrEqual(padded, Double(tokens))
            XCTAssertLessThanOrEqual(padded, Double(stats.batches * 8 * 22), "at most 8 sequences of at most 22 tokens per forward")
        }
    }

    func testOneRequestSpanningSeveralBatchesKeepsItsOrder() async throws {
        // 40 texts of lengths that are not sorted: with batches of 6, the batcher sorts them by
        // length into 7 forwards and must put every answer back at its own index.
        let texts = (0..<40).map { Fixture.text($0, words: 1 + ($0 * 13) % 21) }
        let expected = try Fixture.reference(texts.map { ($0, nil) })
        let server = try Fixture.server { $0.batcher = .init(maxBatch: 6, maxWait: .milliseconds(1)); $0.maxTexts = 64 }
        try await server.makeApplication().test(.live) { client in
            let body = try String(decoding: JSONSerialization.data(withJSONObject: ["texts": texts]), as: UTF8.self)
            let response = try await send(port: try livePort(client), .post, "/v1/classify", body: body)
            XCTAssertEqual(response.status, .ok, response.text)
            let predictions = try XCTUnwrap(try response.json()["predictions"] as? [Any])
            XCTAssertEqual(predictions.count, texts.count)
            for (p, e) in zip(predictions, expected) { assertPrediction(p, equals: e, labels: Fixture.labelNames) }
            let stats = server.batcher.statistics
            XCTAssertEqual(stats.batches, 7, "40 sequences in forwards of at most 6: \(stats)")
            XCTAssertEqual(stats.largestBatch, 6)
        }
    }
}
