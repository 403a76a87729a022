import NIOConcurrencyHelpers

/// The server's state for `GET /readyz`: starting until it listens, ready while it serves,
/// draining once a graceful shutdown has begun.
final class Readiness: Sendable {
    enum State: String, Sendable { case starting, ready, draining }

    private let box = NIOLockedValueBox(State.starting)

    var state: State {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}
