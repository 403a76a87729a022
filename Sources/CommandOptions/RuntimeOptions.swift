import ArgumentParser

/// How a trained model runs on examples, shared by `q8train eval`, `q8train predict` and
/// `q8serve`: threads, examples per forward, and the longest sequence.
public struct RuntimeOptions: ParsableArguments {
    /// The sequence length when neither the command line nor the model folder's task.json gives one.
    public static let fallbackMaxSeqLength = 128

    @OptionGroup public var threadOptions: ThreadOptions

    @Option(help: "Examples per forward, at most (q8serve: the largest dynamic batch).")
    public var batchSize: Int = 32

    @Option(help: "Maximum tokens per example, [CLS] and [SEP] included; longer ones are truncated as in training. (default: the model folder's task.json, else \(RuntimeOptions.fallbackMaxSeqLength))")
    public var maxSeqLength: Int?

    public init() {}

    public var threads: Int? { threadOptions.threads }

    public func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, found \(batchSize)") }
        if let maxSeqLength, maxSeqLength < 3 {
            throw ValidationError("--max-seq-length must be at least 3 ([CLS], [SEP] and a token), found \(maxSeqLength)")
        }
    }

    /// The sequence length: the command line's, else the one the model was trained with.
    public func maxSeqLength(recorded: Int?) -> Int {
        maxSeqLength ?? recorded ?? Self.fallbackMaxSeqLength
    }
}

/// `--integer-only`, for the commands that run the int8 runtime (`q8train predict`, `q8serve`).
public struct Int8ModeOptions: ParsableArguments {
    @Flag(help: ArgumentHelp(
        "Integer-only mode (I-BERT style): integer GELU, softmax and LayerNorm and int8 attention products.",
        discussion: "An approximation of the default mode (which equals `q8train eval` bit for bit); see docs/runtime.md."))
    public var integerOnly = false

    public init() {}
}
