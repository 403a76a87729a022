import Foundation
import HummingbirdTesting
import NIOCore
import XCTest

/// The real `q8serve` process: SIGTERM while a request is in flight lets that request finish,
/// then the process exits 0.
final class ShutdownTests: XCTestCase {
    func testSIGTERMDrainsTheRequestInFlightAndExitsZero() async throws {
        let expected = try Fixture.reference([("w11 w12 w13", nil)], maxSeqLength: 128)
        // A lone text waits --max-wait-ms = 3000 for company: it is in flight for 3 s.
        let server = try ServeProcess.start(["--model", Fixture.classifier.path, "--port", "0", "--threads", "1",
                                             "--max-wait-ms", "3000"])
        defer { server.terminateIfRunning() }
        let port = try server.waitForPort(timeout: 60)

        let sent = ContinuousClock.now
        let request = Task {
            try await send(port: port, .post, "/v1/classify", body: #"{"texts": ["w11 w12 w13"]}"#)
        }
        try await Task.sleep(for: .milliseconds(700))
        XCTAssertTrue(server.process.isRunning)
        kill(server.process.processIdentifier, SIGTERM)
        let signalled = ContinuousClock.now

        let response = try await request.value
        let answered = ContinuousClock.now
        XCTAssertEqual(response.status, .ok, response.text)
        let predictions = try XCTUnwrap(try response.json()["predictions"] as? [Any])
        assertPrediction(predictions.first, equals: expected[0], labels: Fixture.labelNames)
        XCTAssertGreaterThan(answered, signalled, "answered after SIGTERM, so it was in flight")
        XCTAssertGreaterThanOrEqual(answered - sent, .milliseconds(2900), "it waited its batch window")

        let status = try server.waitForExit(timeout: 30)
        XCTAssertEqual(status, 0, "exit status after SIGTERM; stderr:\n\(server.errors)")
        XCTAssertTrue(server.errors.contains("shutting down"), server.errors)
        XCTAssertTrue(server.errors.contains("status=200"), "the access log has the request: \(server.errors)")
    }
}

/// A `q8serve` child process with its standard error collected.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    var errors: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    static func start(_ arguments: [String]) throws -> ServeProcess {
        let server = ServeProcess()
        server.process.executableURL = try executable()
        server.process.arguments = arguments
        let pipe = Pipe()
        server.process.standardError = pipe
        server.process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [server] handle in
            let data = handle.availableData
            server.lock.lock()
            server.collected.append(data)
            server.lock.unlock()
        }
        try server.process.run()
        return server
    }

    /// The port from the "listening on http://HOST:PORT" log line.
    func waitForPort(timeout: TimeInterval) throws -> Int {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            let text = errors
            if let range = text.range(of: #"listening on http://[^:\s]+:([0-9]+)"#, options: .regularExpression) {
                let port = text[range].split(separator: ":").last.flatMap { Int($0) }
                if let port { return port }
            }
            guard process.isRunning else { throw Failure("q8serve exited (\(process.terminationStatus)) before listening:\n\(text)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure("q8serve did not log its port within \(timeout) s:\n\(errors)")
    }

    func waitForExit(timeout: TimeInterval) throws -> Int32 {
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { throw Failure("q8serve still running \(timeout) s after SIGTERM:\n\(errors)") }
        return process.terminationStatus
    }

    func terminateIfRunning() {
        if process.isRunning { process.terminate() }
    }

    /// The built q8serve: `Q8SERVE` if set, else the first folder holding it walking up from the
    /// test bundle (SwiftPM puts products next to it), else the package's .build/debug.
    static func executable() throws -> URL {
        let fm = FileManager.default
        if let path = ProcessInfo.processInfo.environment["Q8SERVE"] { return URL(fileURLWithPath: path) }
        var starts = [Bundle.main.bundleURL, Bundle(for: ServeProcess.self).bundleURL]
        if let e = Bundle.main.executableURL { starts.append(e.deletingLastPathComponent()) }
        for start in starts {
            var dir = start.standardizedFileURL
            while dir.path != "/" {
                let candidate = dir.appendingPathComponent("q8serve")
                if fm.isExecutableFile(atPath: candidate.path) { return candidate }
                dir = dir.deletingLastPathComponent()
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fallback = root.appendingPathComponent(".build/debug/q8serve")
        if fm.isExecutableFile(atPath: fallback.path) { return fallback }
        throw Failure("q8serve is not built: run `swift build --product q8serve` first (scripts/test.sh does)")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
