import ModelFormat
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Runtime
import Server
import TestModels
import XCTest

/// Tiny int8 model folders (exported once per test process) and helpers to serve and query them.
enum Fixture {
    static let labelNames = ["negative", "neutral", "positive"]

    /// A tiny Q8BERT classifier with 3 labels (see `Tiny`), calibrated and exported.
    static let classifier: URL = {
        do { return try export(labels: labelNames, seed: 11) } catch { fatalError("cannot export the tiny classifier: \(error)") }
    }()

    /// The same with one output: a regression model.
    static let regressor: URL = {
        do { return try export(labels: ["score"], seed: 12) } catch { fatalError("cannot export the tiny regressor: \(error)") }
    }()

    static func export(labels: [String], seed: UInt64) throws -> URL {
        let model = Tiny.model(labels: labels.count, seed: seed)
        try Tiny.calibrate(model, .q8bert)
        let dir = try Tiny.temporaryDirectory()
        return try Tiny.export(model, in: dir, labels: labels).0
    }

    /// A server of `folder` on a free loopback port, with small limits unless `configure` changes them.
    static func server(_ folder: URL = classifier, _ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> ModelServer {
        var settings = ServerConfiguration()
        settings.port = 0
        settings.maxSeqLength = 24
        configure(&settings)
        var logger = Logger(label: "q8serve-test")
        logger.logLevel = ProcessInfo.processInfo.environment["Q8SERVE_TEST_LOG"] == nil ? .warning : .info
        return try ModelServer(model: try Int8Model(directory: folder), configuration: settings, logger: logger)
    }

    /// Predictions of a separate runtime instance on the same folder (the reference).
    static func reference(_ inputs: [(String, String?)], folder: URL = classifier, maxSeqLength: Int = 24) throws -> [Prediction] {
        let predictor = try BatchPredictor(model: try Int8Model(directory: folder), batchSize: 7, maxSeqLength: maxSeqLength)
        return try predictor.predict(inputs)
    }

    /// A text of `words` tiny-vocabulary words ("w17 w203 ..."), different for each `seed`.
    static func text(_ seed: Int, words: Int) -> String {
        (0..<words).map { "w\(5 + (seed * 37 + $0 * 11 + $0 * $0 * 3) % (Tiny.vocabSize - 5))" }.joined(separator: " ")
    }
}

/// The largest difference between two probabilities of the same input that the tests accept:
/// the server batches inputs differently from the reference, which changes how OpenBLAS blocks
/// the attention products and so the last bits of the logits (docs/runtime.md, Parity).
let scoreTolerance: Float = 1e-5

/// One HTTP request on its own connection (a refused request cannot disturb the next).
func send(port: Int, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
          contentType: String? = "application/json", headers extra: HTTPFields = [:]) async throws -> TestClient.Response {
    try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) { client in
        var headers = extra
        if let contentType, body != nil { headers[.contentType] = contentType }
        if let body { headers[.contentLength] = String(body.utf8.count) }
        return try await client.execute(.init(uri, method: method, authority: "localhost", headers: headers,
                                              body: body.map { ByteBuffer(string: $0) }))
    }
}

/// POST /v1/classify with raw bytes as the body.
func sendBytes(port: Int, _ bytes: [UInt8]) async throws -> TestClient.Response {
    try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(30))) { client in
        try await client.execute(.init("/v1/classify", method: .post, authority: "localhost",
                                       headers: [.contentType: "application/json", .contentLength: String(bytes.count)],
                                       body: ByteBuffer(bytes: bytes)))
    }
}

/// The port of a live test application's server.
func livePort(_ client: some TestClientProtocol) throws -> Int {
    try XCTUnwrap(client.port, "the live test framework gives the port")
}

extension TestClient.Response {
    var text: String { body.map { String(buffer: $0) } ?? "" }

    /// The body as a JSON object.
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let data = Data(text.utf8)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any],
                             "not a JSON object: \(text)", file: file, line: line)
    }

    /// The message of an `{"error": {"status": ..., "message": ...}}` body.
    func errorMessage(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let error = try XCTUnwrap(try json()["error"] as? [String: Any], "no error object: \(text)", file: file, line: line)
        XCTAssertEqual(error["status"] as? Int, Int(status.code), "status in the body", file: file, line: line)
        return try XCTUnwrap(error["message"] as? String, file: file, line: line)
    }
}

/// Checks one `{"label", "score", "scores"}` prediction against the reference.
func assertPrediction(_ object: Any?, equals expected: Prediction, labels: [String],
                      file: StaticString = #filePath, line: UInt = #line) {
    guard let p = object as? [String: Any], let label = p["label"] as? String, let score = p["score"] as? Double,
          let scores = p["scores"] as? [String: Double] else {
        XCTFail("not a prediction: \(String(describing: object))", file: file, line: line)
        return
    }
    XCTAssertEqual(label, labels[expected.label], file: file, line: line)
    XCTAssertEqual(Float(score), expected.score, accuracy: scoreTolerance, file: file, line: line)
    XCTAssertEqual(Set(scores.keys), Set(labels), file: file, line: line)
    for (i, name) in labels.enumerated() {
        XCTAssertEqual(Float(scores[name] ?? -1), expected.scores[i], accuracy: scoreTolerance, "scores[\(name)]", file: file, line: line)
    }
}

/// The value of a metric line `name{labels} value` (or `name value`) in a Prometheus exposition.
func metricValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
    }
    return nil
}

/// The SHA-256 of a file by coreutils' sha256sum (independent of the project's implementation).
func sha256sum(_ url: URL) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [url.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: output, as: UTF8.self).prefix(64))
}
