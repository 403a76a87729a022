import Foundation

/// A BERT WordPiece vocabulary (`vocab.txt`): one token per line, a token's id is its
/// 0-based line index. `[UNK]`, `[CLS]`, `[SEP]` and `[PAD]` must be present.
///
/// Lines may end in LF or CRLF; a final newline is optional. A leading UTF-8 byte order mark
/// is ignored. An empty line keeps its id but is never matched.
public struct Vocabulary: Sendable {
    /// Tokens by id.
    private let tokens: [String]
    /// Tokens by spelling.
    let trie: TokenTrie
    /// Trie node after "##", where continuation pieces start (nil if no token starts with "##").
    let continuationNode: Int32?

    /// Id of `[UNK]`, used for words WordPiece cannot split.
    public let unkId: Int32
    /// Id of `[CLS]`, which starts every encoding.
    public let clsId: Int32
    /// Id of `[SEP]`, which ends each segment.
    public let sepId: Int32
    /// Id of `[PAD]`, which fills encodings up to their length.
    public let padId: Int32
    /// Id of `[MASK]`, if the vocabulary has one.
    public let maskId: Int32?

    /// Number of ids (lines), including empty lines.
    public var count: Int { tokens.count }

    /// Loads `vocab.txt`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(source: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, source: url.path)
    }

    /// Parses the contents of a `vocab.txt`; `source` names it in errors (a path, or a label).
    public init(data: Data, source: String) throws {
        var lines = [String]()
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var bytes = raw.bindMemory(to: UInt8.self)[...]
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
            while !bytes.isEmpty {
                let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
                var line = bytes[bytes.startIndex..<newline]
                if line.last == 0x0D { line = line.dropLast() }
                guard Vocabulary.isValidUTF8(line) else {
                    throw TokenizerError.invalidUTF8(source: source, line: lines.count + 1)
                }
                lines.append(String(decoding: line, as: UTF8.self))
                bytes = newline < bytes.endIndex ? bytes[(newline + 1)...] : bytes[newline...]
            }
        }
        try self.init(tokens: lines, source: source)
    }

    /// Builds a vocabulary from tokens in id order.
    public init(tokens: [String]) throws {
        try self.init(tokens: tokens, source: "token list")
    }

    private init(tokens: [String], source: String) throws {
        guard tokens.contains(where: { !$0.isEmpty }) else {
            throw TokenizerError.emptyVocabulary(source: source)
        }
        var trie = TokenTrie()
        for (index, token) in tokens.enumerated() where !token.isEmpty {
            if let first = trie.insert(token.unicodeScalars, id: Int32(index)) {
                throw TokenizerError.duplicateToken(source: source, token: token,
                                                    firstLine: Int(first) + 1, secondLine: index + 1)
            }
        }
        func special(_ token: String) throws -> Int32 {
            guard let id = trie.id(of: token.unicodeScalars) else {
                throw TokenizerError.missingSpecialToken(source: source, token: token)
            }
            return id
        }
        unkId = try special("[UNK]")
        clsId = try special("[CLS]")
        sepId = try special("[SEP]")
        padId = try special("[PAD]")
        maskId = trie.id(of: "[MASK]".unicodeScalars)
        continuationNode = trie.node(for: "##".unicodeScalars)
        self.tokens = tokens
        self.trie = trie
    }

    /// The id of `token`, compared scalar by scalar; nil if absent.
    public func id(of token: String) -> Int32? {
        token.isEmpty ? nil : trie.id(of: token.unicodeScalars)
    }

    /// The token with id `id`, or `[UNK]` if `id` is out of range (as Hugging Face does).
    public func token(at id: Int32) -> String {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : tokens[Int(unkId)]
    }

    /// True if `bytes` is well-formed UTF-8.
    private static func isValidUTF8(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        if !bytes.contains(where: { $0 >= 0x80 }) { return true }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
