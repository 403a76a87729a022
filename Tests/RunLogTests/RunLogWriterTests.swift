import Foundation
import XCTest
@testable import RunLog

/// The writer: the bytes q8train has always written (keys sorted, slashes escaped, NaN as
/// null, absent optionals left out), and the truncation a resumed run relies on.
final class RunLogWriterTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("runlog-test-\(UUID().uuidString)")
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(at: folder!) }
    }

    /// Lines written by q8train before the records were typed (JSONSerialization over
    /// dictionaries): from a real run (runs/ablation/q8bert-s42; the quant record cut to four
    /// layers), and for the record types that run did not write, as that code wrote them.
    /// None holds a null: null reads back as nil, which is left out (next test).
    static let earlierLines = [
        #"{"dev_examples":1057,"parameters":22713986,"quantization":"q8bert","settings":{"batch_size":32,"check_sync":0,"checkpoint_every":0,"checkpoint_minutes":30,"epochs":2,"eval_batch_size":64,"eval_every":100,"keep_checkpoints":3,"learning_rate":5e-05,"max_bad_steps":5,"max_grad_norm":1,"max_seq_length":64,"model":"assets\/models\/minilm-l6-h384","output_dir":"runs\/ablation\/q8bert-s42","quantize":"q8bert","reduction_groups":1,"seed":42,"task":"movie","warmup_ratio":0.1,"weight_decay":0},"steps_per_epoch":265,"test_examples":1054,"threads":2,"total_steps":530,"train_examples":8457,"type":"config","warmup_steps":53,"world_size":1}"#,
        #"{"allreduce_wait_s":3.0760000000000003e-06,"elapsed_s":2.727952241897583,"epoch":0.0037735849056603774,"grad_norm":1.2146495580673218,"loss":0.6930264234542847,"lr":0,"seq_len":52,"seq_per_s":11.731104752794815,"step":1,"type":"step"}"#,
        #"{"layers":{"bert.embeddings.position_embeddings":{"weight_thresh":1.8740378618240356},"bert.encoder.layer.0.attention.output.dense":{"input_thresh":3.7105417251586914,"step":100,"weight_thresh":1.0382362604141235},"bert.encoder.layer.0.attention.self.key":{"input_thresh":7.919186592102051,"output_thresh":5.5,"step":100,"weight_thresh":0.6566647887229919},"classifier":{"step":100,"weight_thresh":0.25}},"step":100,"type":"quant"}"#,
        #"{"epoch":0.37735849056603776,"examples":1057,"loss":0.6315305710802445,"main_metric":"accuracy","metrics":{"accuracy":0.7142857142857143},"seconds":53.16381061077118,"split":"dev","step":100,"type":"eval"}"#,
        #"{"bytes":363755814,"path":"\/work\/main\/runs\/ablation\/q8bert-s42\/checkpoints\/step-456","seconds":1.9402698278427124,"step":456,"type":"checkpoint"}"#,
        #"{"checkpoint":"final","epoch":2,"examples":1054,"loss":0.37863220316247376,"main_metric":"accuracy","metrics":{"accuracy":0.8444022770398482},"seconds":37.73395550251007,"split":"test","step":530,"type":"eval"}"#,
        #"{"checkpoint":"best","examples":1054,"loss":0.37863220316247376,"main_metric":"accuracy","metrics":{"accuracy":0.8444022770398482,"mcc":0.5},"seconds":40.362990736961365,"split":"test","step":530,"type":"eval"}"#,
        #"{"best_metric":0.8325449385052034,"best_step":530,"main_metric":"accuracy","peak_rss_mb":1927.4296875,"skipped_steps":0,"steps":530,"test":{"accuracy":0.8444022770398482},"test_final":{"accuracy":0.8444022770398482},"train_seconds":2116.9101223945618,"train_seq_per_s":7.989947150362519,"type":"summary"}"#,
        #"{"checkpoint":"\/tmp\/run\/checkpoints\/step-6","settings":{"model":"m","task":"movie"},"step":6,"threads":1,"total_steps":12,"type":"resume","world_size":2}"#,
        #"{"consecutive":1,"epoch":0.75,"grad_norm":1e+38,"loss":0.6931471805599453,"skipped_steps":1,"step":3,"tensor":"classifier.weight","type":"bad_step"}"#,
        #"{"reason":"stopping: 3 steps in a row had a NaN or infinite loss or gradient (--max-bad-steps); the first: step 3","step":5,"type":"stopped"}"#,
        #"{"checkpoint":"\/tmp\/run\/checkpoints\/step-5","reason":"signal SIGTERM","step":5,"type":"stopped"}"#,
    ]

    /// Writes a record read back from the log (any type the reader knows).
    func write(_ record: RunLogEntry.Record, to log: RunLogWriter) {
        switch record {
        case .config(let r): log.write(r)
        case .resume(let r): log.write(r)
        case .step(let r): log.write(r)
        case .badStep(let r): log.write(r)
        case .stopped(let r): log.write(r)
        case .checkpoint(let r): log.write(r)
        case .quant(let r): log.write(r)
        case .eval(let r): log.write(r)
        case .summary(let r): log.write(r)
        case .unknown(let type): XCTFail("unknown record type \(type)")
        }
    }

    func testRecordsReadBackAreWrittenByteForByteAsBefore() throws {
        let earlier = Data((Self.earlierLines.joined(separator: "\n") + "\n").utf8)
        let contents = try RunLogReader.decode(earlier, path: "earlier.jsonl")
        XCTAssertEqual(contents.entries.count, Self.earlierLines.count)
        let url = folder.appendingPathComponent("log.jsonl")
        let log = try RunLogWriter(url: url)
        for entry in contents.entries { write(entry.record, to: log) }
        let written = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        for (line, (mine, theirs)) in zip(written, Self.earlierLines).enumerated() {
            XCTAssertEqual(mine, theirs, "line \(line + 1)")
        }
    }

    func testNonFiniteNumbersAreNullAndAbsentFieldsAreLeftOut() throws {
        let url = folder.appendingPathComponent("log.jsonl")
        let log = try RunLogWriter(url: url)
        log.write(BadStepRecord(step: 3, epoch: 0.5, loss: .nan, gradNorm: .infinity, tensor: nil, consecutive: 1,
                                skippedSteps: 1))
        log.write(BadStepRecord(step: 4, epoch: 0.75, loss: 0.6931471805599453, gradNorm: .nan, tensor: "classifier.weight",
                                consecutive: 2, skippedSteps: 2))
        log.write(EvalRecord(split: "test", step: 2, epoch: nil, loss: -.infinity, metrics: MetricValues(["mcc": .nan]),
                             mainMetric: nil, seconds: 1.5, examples: 4, checkpoint: nil))
        log.write(QuantRecord(step: 1, layers: ["word_embeddings": .init(weightThresh: 0.5)]))
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), """
            {"consecutive":1,"epoch":0.5,"grad_norm":null,"loss":null,"skipped_steps":1,"step":3,"tensor":null,"type":"bad_step"}
            {"consecutive":2,"epoch":0.75,"grad_norm":null,"loss":0.6931471805599453,"skipped_steps":2,"step":4,"tensor":"classifier.weight","type":"bad_step"}
            {"examples":4,"loss":null,"metrics":{"mcc":null},"seconds":1.5,"split":"test","step":2,"type":"eval"}
            {"layers":{"word_embeddings":{"weight_thresh":0.5}},"step":1,"type":"quant"}

            """)
    }

    /// A resumed run cuts the log back to where its checkpoint was written, only at a line end.
    func testTruncateKeepsWholeLines() throws {
        let url = folder.appendingPathComponent("nested/log.jsonl")
        let log = try RunLogWriter(url: url)
        log.write(StoppedRecord(step: 1, reason: "a"))
        let oneLine = log.byteCount
        log.write(StoppedRecord(step: 2, reason: "b"))
        XCTAssertGreaterThan(log.byteCount, oneLine)
        XCTAssertFalse(log.truncate(to: oneLine - 1), "not at a line end")
        XCTAssertFalse(log.truncate(to: log.byteCount + 1), "longer than the log")
        XCTAssertTrue(log.truncate(to: oneLine))
        XCTAssertEqual(log.byteCount, oneLine)
        log.write(StoppedRecord(step: 3, reason: "c"))
        let steps = try RunLogReader.read(contentsOf: url).entries.compactMap { entry -> Int? in
            if case .stopped(let r) = entry.record { return r.step }
            return nil
        }
        XCTAssertEqual(steps, [1, 3])
        // Reopening appends.
        let again = try RunLogWriter(url: url)
        again.write(StoppedRecord(step: 4, reason: "d"))
        XCTAssertEqual(try RunLogReader.read(contentsOf: url).entries.count, 3)
    }

    func testADisabledWriterWritesNothing() throws {
        let url = folder.appendingPathComponent("log.jsonl")
        let log = try RunLogWriter(url: url, enabled: false)
        log.write(StoppedRecord(step: 1, reason: "a"))
        XCTAssertEqual(log.byteCount, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
