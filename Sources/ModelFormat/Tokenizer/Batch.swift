/// One batch of encoded examples, padded to a common length.
/// Legend: B examples, T tokens per example (row-major [B, T]).
public struct Batch: Sendable {
    public var size: Int
    public var seqLen: Int
    /// Token ids [B, T].
    public var inputIds: [Int32]
    /// Segment ids [B, T] (0 first sentence, 1 second).
    public var tokenTypeIds: [Int32]
    /// 1 for tokens, 0 for padding [B, T].
    public var attentionMask: [Float]
    /// Class labels [B] (classification); empty for regression.
    public var labels: [Int32]
    /// Regression targets [B] (STS-B); empty for classification.
    public var targets: [Float]
    /// Each example's index in its dataset [B]: dropout masks are keyed by it, so they do
    /// not depend on how examples are spread over ranks and batches.
    public var exampleIndices: [Int]
    /// Deterministic reduction (RowGroups): the examples are this many equal contiguous
    /// groups whose gradient contributions are summed separately, then added in a fixed
    /// tree, with GEMMs in fixed blocks. nil (default): plain sums, chunks per thread.
    public var reductionGroups: Int?

    public init(size: Int, seqLen: Int, inputIds: [Int32], tokenTypeIds: [Int32],
                attentionMask: [Float], labels: [Int32] = [], targets: [Float] = [],
                exampleIndices: [Int]? = nil) {
        precondition(inputIds.count == size * seqLen && tokenTypeIds.count == size * seqLen
                     && attentionMask.count == size * seqLen, "Batch: arrays must be [B, T]")
        self.size = size; self.seqLen = seqLen; self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds; self.attentionMask = attentionMask
        self.labels = labels; self.targets = targets
        self.exampleIndices = exampleIndices ?? Array(0..<size)
    }
}
