/// Errors raised while loading a WordPiece vocabulary.
///
/// `source` is the vocabulary file's path, or `"token list"` for `Vocabulary(tokens:)`;
/// line numbers are 1-based (for a token list, the index plus one).
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The vocabulary file could not be read.
    case unreadableFile(source: String, reason: String)
    /// A line of the vocabulary file is not valid UTF-8.
    case invalidUTF8(source: String, line: Int)
    /// The vocabulary holds no tokens.
    case emptyVocabulary(source: String)
    /// A special token BERT needs (`[UNK]`, `[CLS]`, `[SEP]` or `[PAD]`) is not in the vocabulary.
    case missingSpecialToken(source: String, token: String)
    /// The same token appears on two lines.
    case duplicateToken(source: String, token: String, firstLine: Int, secondLine: Int)

    public var description: String {
        switch self {
        case let .unreadableFile(source, reason):
            return "cannot read vocabulary \(source): \(reason)"
        case let .invalidUTF8(source, line):
            return "vocabulary \(source) line \(line): not valid UTF-8"
        case let .emptyVocabulary(source):
            return "vocabulary \(source) is empty: expected one token per line"
        case let .missingSpecialToken(source, token):
            return "vocabulary \(source) has no \(token) token (BERT needs [UNK], [CLS], [SEP] and [PAD])"
        case let .duplicateToken(source, token, firstLine, secondLine):
            return "vocabulary \(source) line \(secondLine): duplicate token \"\(token)\" "
                + "(first on line \(firstLine))"
        }
    }
}
