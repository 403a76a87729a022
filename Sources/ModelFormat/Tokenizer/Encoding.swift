/// A model input: `[CLS] first [SEP]` or `[CLS] first [SEP] second [SEP]`, possibly padded.
public struct Encoding: Sendable, Equatable {
    /// Token ids, `[PAD]` after the real tokens.
    public var inputIds: [Int32]
    /// 0 for `[CLS]`, the first segment and its `[SEP]` (and padding); 1 for the second
    /// segment and its `[SEP]`.
    public var tokenTypeIds: [Int32]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int32]

    public init(inputIds: [Int32], tokenTypeIds: [Int32], attentionMask: [Int32]) {
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.attentionMask = attentionMask
    }

    /// Number of positions, padding included.
    public var count: Int { inputIds.count }
}
