/// How `ModelServer` listens, batches and bounds requests (q8serve's options).
public struct ServerConfiguration: Sendable, Equatable {
    /// Address to bind: loopback unless told otherwise.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (logged at start-up).
    public var port: Int = 8080
    /// Dynamic batching: sequences per forward, longest wait, queue bound.
    public var batcher = DynamicBatcher.Configuration()
    /// Texts (or pairs) in one request, at most (413 beyond).
    public var maxTexts: Int = 256
    /// Request body bytes, at most (413 beyond).
    public var maxBodyBytes: Int = 1 << 20
    /// Tokens per sequence, [CLS] and [SEP] included; longer texts are truncated as in training.
    public var maxSeqLength: Int = 128
    /// A connection idle this long is closed (a client that stops sending cannot hold it).
    public var idleTimeout: Duration = .seconds(60)
    /// The model name in responses. (default: the model folder's name)
    public var modelName: String?

    public init() {}
}
