import ModelFormat

/// Text to token ids the way the runtime runs them: the model folder's WordPiece tokenizer,
/// [CLS] text [SEP] (second text [SEP]), truncated to `maxLength` tokens as in training, unpadded.
public struct SequenceEncoder: Sendable {
    public let tokenizer: BertTokenizer
    /// Maximum tokens per example, [CLS] and [SEP] included.
    public let maxLength: Int

    public init(tokenizer: BertTokenizer, maxLength: Int) {
        self.tokenizer = tokenizer
        self.maxLength = maxLength
    }

    /// The encoding of `text` (and of the pair `text`, `second`): at most `maxLength` tokens.
    public func encode(_ text: String, _ second: String? = nil) -> Encoding {
        tokenizer.encode(text, second, maxLength: maxLength, padding: false)
    }
}
