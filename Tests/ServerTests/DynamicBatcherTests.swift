import ModelFormat
import Foundation
import Runtime
import Server
import XCTest

/// The batcher without HTTP: waiting for a batch, the queue bound, shutdown draining the queue.
final class DynamicBatcherTests: XCTestCase {
    private func makeBatcher(_ configuration: DynamicBatcher.Configuration) throws -> (DynamicBatcher, SequenceEncoder) {
        let predictor = try BatchPredictor(model: try Int8Model(directory: Fixture.classifier), maxSeqLength: 24)
        return (DynamicBatcher(predictor: predictor, configuration: configuration), predictor.encoder)
    }

    func testFullQueueRefusesAndShutdownServesWhatIsQueued() async throws {
        // A batch of 100 never fills, and the wait is long: what is queued stays queued.
        let (batcher, encoder) = try makeBatcher(.init(maxBatch: 100, maxWait: .seconds(30), maxQueue: 4))
        let texts = (0..<3).map { Fixture.text($0, words: 3 + $0) }
        let expected = try Fixture.reference(texts.map { ($0, nil) })
        let queued = Task { try await batcher.predict(texts.map { encoder.encode($0) }) }
        // Wait until the 3 sequences are queued.
        for _ in 0..<500 where batcher.queueDepth < 3 { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(batcher.queueDepth, 3)
        do {
            _ = try await batcher.predict([encoder.encode("w5"), encoder.encode("w6")])
            XCTFail("3 + 2 sequences exceed the queue bound of 4")
        } catch let error as BatcherError {
            XCTAssertEqual(error, .queueFull(waiting: 3, limit: 4))
        }
        XCTAssertEqual(batcher.statistics.batches, 0, "nothing ran yet")

        // Shutdown runs the queued sequences at once (not after 30 s), then refuses new work.
        let start = ContinuousClock.now
        await batcher.shutdown()
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10))
        let predictions = try await queued.value
        XCTAssertEqual(predictions.map(\.label), expected.map(\.label))
        for (p, e) in zip(predictions, expected) {
            for (a, b) in zip(p.scores, e.scores) { XCTAssertEqual(a, b, accuracy: scoreTolerance) }
        }
        XCTAssertEqual(batcher.statistics, .init(batches: 1, sequences: 3, largestBatch: 3))
        do {
            _ = try await batcher.predict([encoder.encode("w5")])
            XCTFail("a stopped batcher must refuse work")
        } catch let error as BatcherError {
            XCTAssertEqual(error, .stopped)
        }
    }

    func testAFullBatchRunsWithoutWaiting() async throws {
        // maxWait 30 s, but 4 sequences fill the batch: it must run at once.
        let (batcher, encoder) = try makeBatcher(.init(maxBatch: 4, maxWait: .seconds(30)))
        let start = ContinuousClock.now
        let predictions = try await batcher.predict((0..<4).map { encoder.encode(Fixture.text($0, words: 5)) })
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(10))
        XCTAssertEqual(predictions.count, 4)
        XCTAssertEqual(batcher.statistics, .init(batches: 1, sequences: 4, largestBatch: 4))
        await batcher.shutdown()
    }

    func testALoneSequenceRunsAfterTheWait() async throws {
        let (batcher, encoder) = try makeBatcher(.init(maxBatch: 32, maxWait: .milliseconds(50)))
        let start = ContinuousClock.now
        let predictions = try await batcher.predict([encoder.encode("w7 w8 w9")])
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(50), "it waits for company first")
        XCTAssertEqual(predictions.count, 1)
        await batcher.shutdown()
    }
}
