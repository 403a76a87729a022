/// WordPiece: splits a word into vocabulary pieces, greedily taking the longest piece first;
/// pieces after the first are looked up with the `##` continuation prefix. A word with a part
/// that matches no piece, or longer than `maxInputCharsPerWord` Unicode scalars (Hugging Face
/// counts Python/Rust characters, i.e. scalars), becomes a single `[UNK]`.
struct WordPiece: Sendable {
    /// Hugging Face's `max_input_chars_per_word`.
    static let maxInputCharsPerWord = 100

    let vocabulary: Vocabulary

    /// Appends the ids of the pieces of `scalars[range]` to `ids`.
    func append(_ range: Range<Int>, of scalars: UnsafeBufferPointer<Unicode.Scalar>,
                to ids: inout [Int32]) {
        if range.isEmpty { return }
        if range.count > WordPiece.maxInputCharsPerWord {
            ids.append(vocabulary.unkId)
            return
        }
        let trie = vocabulary.trie
        let firstId = ids.count
        var start = range.lowerBound
        while start < range.upperBound {
            let node = start == range.lowerBound ? TokenTrie.root : vocabulary.continuationNode
            guard let node,
                  let match = trie.longestMatch(from: node, in: scalars, start: start, end: range.upperBound)
            else {
                ids.removeSubrange(firstId...)
                ids.append(vocabulary.unkId)
                return
            }
            ids.append(match.id)
            start = match.end
        }
    }
}
