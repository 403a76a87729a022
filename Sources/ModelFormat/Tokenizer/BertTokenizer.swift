import Foundation

/// The BERT WordPiece tokenizer, matching Hugging Face `transformers.BertTokenizer`
/// (`tokenizers`' `BertNormalizer`, `BertPreTokenizer`, `WordPiece`, `TemplateProcessing`).
///
/// As in Hugging Face, the special tokens `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` and `[MASK]`
/// are recognized in the raw text (exact, case-sensitive, anywhere, even inside a word) and
/// map to their ids; `[cls]` is not special and is tokenized as text.
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    /// Lowercase and strip accents (for uncased vocabularies).
    public let lowercase: Bool

    private let basic: BasicTokenizer
    private let wordPiece: WordPiece
    /// Special tokens recognized in text: their scalars and ids.
    private let specials: [(scalars: [Unicode.Scalar], id: Int32)]

    public init(vocabulary: Vocabulary, lowercase: Bool = true) {
        self.vocabulary = vocabulary
        self.lowercase = lowercase
        basic = BasicTokenizer(lowercase: lowercase)
        wordPiece = WordPiece(vocabulary: vocabulary)
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { token in
            vocabulary.id(of: token).map { (Array(token.unicodeScalars), $0) }
        }
    }

    /// Loads `vocab.txt`; see `Vocabulary(contentsOf:)`.
    public init(vocabularyFile: URL, lowercase: Bool = true) throws {
        self.init(vocabulary: try Vocabulary(contentsOf: vocabularyFile), lowercase: lowercase)
    }

    /// The tokens of `text` (no `[CLS]`/`[SEP]` added).
    public func tokenize(_ text: String) -> [String] {
        ids(text).map { vocabulary.token(at: $0) }
    }

    /// The token ids of `text` (no `[CLS]`/`[SEP]` added).
    public func ids(_ text: String) -> [Int32] {
        var ids = [Int32]()
        var words = BasicTokenizer.Words()
        let scalars = Array(text.unicodeScalars)
        var start = 0
        var i = 0
        while i < scalars.count {
            // Leftmost-longest match of a special token.
            var match: (length: Int, id: Int32)?
            if scalars[i] == "[" {
                for special in specials where special.scalars.count > (match?.length ?? 0)
                    && scalars[i...].starts(with: special.scalars) {
                    match = (special.scalars.count, special.id)
                }
            }
            guard let match else {
                i += 1
                continue
            }
            appendWords(scalars[start..<i], words: &words, ids: &ids)
            ids.append(match.id)
            i += match.length
            start = i
        }
        appendWords(scalars[start...], words: &words, ids: &ids)
        return ids
    }

    /// Pre-tokenizes `text` (free of special tokens) and appends its WordPiece ids.
    private func appendWords(_ text: ArraySlice<Unicode.Scalar>, words: inout BasicTokenizer.Words,
                             ids: inout [Int32]) {
        if text.isEmpty { return }
        words.scalars.removeAll(keepingCapacity: true)
        words.ranges.removeAll(keepingCapacity: true)
        basic.append(text, to: &words)
        words.scalars.withUnsafeBufferPointer { scalars in
            for range in words.ranges {
                wordPiece.append(range, of: scalars, to: &ids)
            }
        }
    }

    /// Encodes `first` (and `second`) with `[CLS]`/`[SEP]`, truncated to `maxLength` as
    /// Hugging Face's `truncation=True` does, and padded with `[PAD]` to `maxLength` if `padding`.
    ///
    /// Truncation is Hugging Face's `longest_first`: a pair whose ids exceed the budget
    /// (`maxLength - 3`) keeps the shorter sequence whole if the longer can take the rest;
    /// otherwise each keeps `budget / 2` ids and the longer (the second on a tie) one more.
    /// A single sequence keeps its first `maxLength - 2` ids.
    ///
    /// An empty `second` is an empty segment (`[CLS] a [SEP] [SEP]`), as in `tokenizers` and
    /// batched `transformers` calls; a single call `tokenizer(a, "")` drops it instead.
    ///
    /// - Precondition: `maxLength` leaves room for the special tokens (2 for a single
    ///   sequence, 3 for a pair). Hugging Face silently skips truncation in that case.
    public func encode(_ first: String, _ second: String? = nil, maxLength: Int,
                       padding: Bool = true) -> Encoding {
        let specialCount = second == nil ? 2 : 3
        precondition(maxLength >= specialCount,
                     "maxLength \(maxLength) leaves no room for the \(specialCount) special tokens")
        var a = ids(first)
        var b = second.map { ids($0) }
        let budget = maxLength - specialCount
        if var pair = b {
            if a.count + pair.count > budget {
                let (keepA, keepB) = BertTokenizer.longestFirst(a.count, pair.count, budget: budget)
                a.removeSubrange(keepA...)
                pair.removeSubrange(keepB...)
            }
            b = pair
        } else if a.count > budget {
            a.removeSubrange(budget...)
        }

        let length = padding ? maxLength : a.count + (b.map { $0.count + 1 } ?? 0) + 2
        var inputIds = [Int32]()
        inputIds.reserveCapacity(length)
        inputIds.append(vocabulary.clsId)
        inputIds.append(contentsOf: a)
        inputIds.append(vocabulary.sepId)
        let firstCount = inputIds.count
        if let b {
            inputIds.append(contentsOf: b)
            inputIds.append(vocabulary.sepId)
        }
        let realCount = inputIds.count
        var tokenTypeIds = [Int32](repeating: 0, count: length)
        var attentionMask = [Int32](repeating: 0, count: length)
        for i in 0..<realCount {
            attentionMask[i] = 1
            if i >= firstCount { tokenTypeIds[i] = 1 }
        }
        inputIds.append(contentsOf: repeatElement(vocabulary.padId, count: length - realCount))
        return Encoding(inputIds: inputIds, tokenTypeIds: tokenTypeIds, attentionMask: attentionMask)
    }

    /// Encodes many texts (or pairs, if `seconds` is given) in parallel; see `encode`.
    ///
    /// - Precondition: `seconds`, if given, has as many elements as `firsts`.
    public func encodeBatch(_ firsts: [String], _ seconds: [String]? = nil, maxLength: Int,
                            padding: Bool = true) -> [Encoding] {
        precondition(seconds == nil || seconds?.count == firsts.count,
                     "encodeBatch: \(firsts.count) first texts but \(seconds?.count ?? 0) second texts")
        let empty = Encoding(inputIds: [], tokenTypeIds: [], attentionMask: [])
        var results = [Encoding](repeating: empty, count: firsts.count)
        let chunk = 64
        let chunks = (firsts.count + chunk - 1) / chunk
        results.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * chunk)..<min(firsts.count, (c + 1) * chunk) {
                    out[i] = encode(firsts[i], seconds?[i], maxLength: maxLength, padding: padding)
                }
            }
        }
        return results
    }

    /// How many ids of a pair of lengths `n1`, `n2` to keep within `budget`, as `tokenizers`'
    /// `TruncationStrategy::LongestFirst` computes it.
    static func longestFirst(_ n1: Int, _ n2: Int, budget: Int) -> (Int, Int) {
        let swap = n1 > n2
        var short = min(n1, n2)
        var long = short > budget ? short : max(short, budget - short)
        if short + long > budget {
            short = budget / 2
            long = short + budget % 2
        }
        return swap ? (long, short) : (short, long)
    }
}
