import ServiceLifecycle

/// The batcher as a service of the application's service group: it runs from start-up until
/// graceful shutdown, then serves what is still queued and stops. Hummingbird shuts its
/// services down in reverse order, the HTTP server (added last) first, so requests in flight
/// have all been answered by the time the batcher stops.
extension DynamicBatcher: Service {
    public func run() async throws {
        try? await gracefulShutdown()  // returns on graceful shutdown, throws on cancellation
        await shutdown()
    }
}
