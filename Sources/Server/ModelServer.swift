import Foundation
import Hummingbird
import Logging
import NIOCore
import Runtime
import ServiceLifecycle

/// Serves an int8 model over HTTP (`Routes`): JSON in and out, requests batched dynamically
/// (`DynamicBatcher`), bounded (`ServerConfiguration`), observed (`ServerMetrics`, access log).
///
/// Life cycle: `init` loads nothing itself but takes a loaded `Int8Model`, reserves its buffers
/// for the largest batch and starts the batcher. `run()` listens until SIGTERM or SIGINT, then
/// shuts down gracefully: readiness turns to draining, the listener closes, requests in flight
/// are answered, the batcher stops, and `run()` returns.
public final class ModelServer: Sendable {
    public let configuration: ServerConfiguration
    public let info: ModelInfo
    public let metrics: ServerMetrics
    public let batcher: DynamicBatcher
    let encoder: SequenceEncoder
    let isRegression: Bool
    let readiness = Readiness()
    let logger: Logger
    let modelInfoJSON: ByteBuffer

    /// - Parameter model: the model, owned by the server from now on (the batcher's thread runs it).
    public init(model: Int8Model, configuration: ServerConfiguration = ServerConfiguration(),
                metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "q8serve")) throws {
        let predictor = try BatchPredictor(model: model, batchSize: configuration.batcher.maxBatch,
                                           maxSeqLength: configuration.maxSeqLength)
        model.reserve(batchSize: configuration.batcher.maxBatch, seqLen: predictor.maxSeqLength)
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        encoder = predictor.encoder
        isRegression = model.isRegression
        let limits = ModelInfo.Limits(maxSeqLength: predictor.maxSeqLength, maxBatch: configuration.batcher.maxBatch,
                                      maxWaitMilliseconds: configuration.batcher.maxWait.seconds * 1e3,
                                      maxTexts: configuration.maxTexts, maxBodyBytes: configuration.maxBodyBytes,
                                      maxQueue: configuration.batcher.maxQueue)
        info = ModelInfo(model: model, name: configuration.modelName ?? model.directory.standardizedFileURL.lastPathComponent,
                         limits: limits)
        modelInfoJSON = ByteBuffer(bytes: try makeJSONEncoder().encode(info))
        batcher = DynamicBatcher(predictor: predictor, configuration: configuration.batcher, metrics: metrics)
    }

    /// The Hummingbird application: routes, middleware (metrics, access log, JSON errors),
    /// the batcher as a service (stopped after the HTTP server has drained), an idle timeout.
    public func makeApplication() -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: ErrorResponseMiddleware(maxBodyBytes: configuration.maxBodyBytes))
        Routes.register(self, on: router)
        let idle = configuration.idleTimeout.components
        let idleTimeout = TimeAmount.nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: idleTimeout)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "q8serve"),
            services: [batcher],
            onServerRunning: { [self] channel in
                readiness.state = .ready
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("listening on http://\(configuration.host):\(port)", metadata: [
                    "model": .string(info.name), "max_batch": .stringConvertible(configuration.batcher.maxBatch),
                    "max_wait_ms": .stringConvertible(info.limits.maxWaitMilliseconds),
                ])
            },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then drains and returns.
    public func run() async throws {
        let group = ServiceGroup(configuration: .init(
            services: [Serving(server: self, application: makeApplication())],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("stopped", metadata: ["batches": .stringConvertible(batcher.statistics.batches),
                                          "sequences": .stringConvertible(batcher.statistics.sequences)])
    }

    /// The application as a service whose graceful shutdown first marks the server draining.
    private struct Serving<App: ApplicationProtocol>: Service {
        let server: ModelServer
        let application: App

        func run() async throws {
            try await withGracefulShutdownHandler {
                try await application.run()
            } onGracefulShutdown: {
                server.readiness.state = .draining
                server.logger.info("shutting down: draining requests in flight")
            }
        }
    }
}
