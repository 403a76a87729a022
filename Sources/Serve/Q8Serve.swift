import ArgumentParser
import CommandOptions
import Foundation
import Logging
import Runtime
import Server
import Tensor

/// `q8serve`: the int8 model over HTTP (docs/serving.md).
@main
struct Q8Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "q8serve",
        abstract: "Serve an int8 model folder (from q8train export) over HTTP, with dynamic batching.",
        discussion: """
        POST /v1/classify {"texts": [...]} or {"pairs": [[a, b], ...]}; GET /v1/model, /healthz, \
        /readyz, /metrics. Concurrent requests are run together in one int8 forward of up to \
        --batch-size sequences, waiting at most --max-wait-ms for a batch to fill. SIGTERM or SIGINT \
        drains the requests in flight, then exits 0. Access logs and events go to standard error.
        """)

    @Option(help: "int8 model folder (from q8train export).")
    var model: String

    @Option(help: "Address to bind. Loopback unless told otherwise.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port (0: any free port, logged at start-up).")
    var port: Int = 8080

    @OptionGroup(title: "Runtime")
    var runtime: RuntimeOptions

    @OptionGroup var mode: Int8ModeOptions

    @Option(help: "Milliseconds the oldest waiting sequence may wait for a batch to fill.")
    var maxWaitMs: Double = 5

    @Option(help: "Request body bytes, at most (413 beyond).")
    var maxBodyBytes: Int = 1 << 20

    @Option(help: "Texts or pairs per request, at most (413 beyond).")
    var maxTexts: Int = 256

    @Option(help: "Sequences waiting for the model, at most (503 beyond).")
    var maxQueue: Int = 4096

    @Option(help: "Model name in responses. (default: the model folder's name)")
    var name: String?

    @Option(help: "Log level. Access logs are info.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxWaitMs >= 0, maxWaitMs <= 10_000 else { throw ValidationError("--max-wait-ms must be in 0...10000") }
        guard maxBodyBytes >= 64 else { throw ValidationError("--max-body-bytes must be at least 64") }
        guard maxTexts >= 1 else { throw ValidationError("--max-texts must be at least 1") }
        guard maxQueue >= maxTexts else {
            throw ValidationError("--max-queue (\(maxQueue)) must be at least --max-texts (\(maxTexts)), or a full request could never be queued")
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "q8serve")
        logger.logLevel = level

        let start = ContinuousClock.now
        let int8: Int8Model
        do {
            int8 = try Int8Model.load(path: model, threads: runtime.threads, integerOnly: mode.integerOnly)
        } catch {
            throw ValidationError("cannot load --model \(model): \(error)")
        }
        var settings = ServerConfiguration()
        settings.host = host
        settings.port = port
        settings.batcher = .init(maxBatch: runtime.batchSize, maxWait: .microseconds(Int64((maxWaitMs * 1000).rounded())),
                                 maxQueue: maxQueue)
        settings.maxBodyBytes = maxBodyBytes
        settings.maxTexts = maxTexts
        settings.maxSeqLength = runtime.maxSeqLength(recorded: int8.task?.maxSeqLength)
        settings.modelName = name
        let server = try ModelServer(model: int8, configuration: settings, logger: logger)
        logger.info("model loaded", metadata: [
            "model": .string(server.info.name), "method": .string(server.info.quantization.method),
            "labels": .string(server.info.labels.joined(separator: ",")),
            "sha256": .string(server.info.checkpointSHA256),
            "threads": .stringConvertible(Parallel.threads), "integer_only": .stringConvertible(mode.integerOnly),
            "load_ms": .stringConvertible(Self.milliseconds(ContinuousClock.now - start)),
        ])
        try await server.run()
    }

    static func milliseconds(_ d: Duration) -> Int {
        let (seconds, attoseconds) = d.components
        return Int(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
