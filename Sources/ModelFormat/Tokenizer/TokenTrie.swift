/// A trie over the Unicode scalars of vocabulary tokens: exact lookup and longest-prefix
/// matching straight from a scalar buffer, without building substrings.
///
/// Tokens are compared scalar by scalar (as Hugging Face compares them), not with `String`'s
/// canonical equivalence, so "é" and "e\u{301}" are different tokens.
struct TokenTrie: Sendable {
    /// The root node; a node is an index into `ids`.
    static let root: Int32 = 0

    /// Child of each (node, scalar): key `node << 21 | scalar` (scalars fit in 21 bits).
    private var children: [UInt64: Int32] = [:]
    /// Token id ending at each node, or -1.
    private var ids: [Int32] = [-1]

    @inline(__always)
    private static func key(_ node: Int32, _ scalar: Unicode.Scalar) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar.value)
    }

    /// Inserts `token` with `id`; returns the id already stored for `token`, if any (and keeps it).
    mutating func insert(_ token: String.UnicodeScalarView, id: Int32) -> Int32? {
        var node = TokenTrie.root
        for scalar in token {
            let key = TokenTrie.key(node, scalar)
            if let next = children[key] {
                node = next
            } else {
                let next = Int32(ids.count)
                ids.append(-1)
                children[key] = next
                node = next
            }
        }
        if ids[Int(node)] >= 0 { return ids[Int(node)] }
        ids[Int(node)] = id
        return nil
    }

    /// The node reached from `node` by `scalar`, if any.
    @inline(__always)
    func child(of node: Int32, _ scalar: Unicode.Scalar) -> Int32? {
        children[TokenTrie.key(node, scalar)]
    }

    /// The node reached from the root by `scalars`, if any.
    func node<S: Sequence>(for scalars: S) -> Int32? where S.Element == Unicode.Scalar {
        var node = TokenTrie.root
        for scalar in scalars {
            guard let next = child(of: node, scalar) else { return nil }
            node = next
        }
        return node
    }

    /// The id of the token spelled by `scalars`, if any.
    func id<S: Sequence>(of scalars: S) -> Int32? where S.Element == Unicode.Scalar {
        guard let node = node(for: scalars) else { return nil }
        let id = ids[Int(node)]
        return id >= 0 ? id : nil
    }

    /// The longest token continuing from `node` over `scalars[start..<end]`, consuming at least
    /// one scalar: its id and the index after its last scalar.
    @inline(__always)
    func longestMatch(from node: Int32, in scalars: UnsafeBufferPointer<Unicode.Scalar>,
                      start: Int, end: Int) -> (id: Int32, end: Int)? {
        var node = node
        var best: (id: Int32, end: Int)?
        var i = start
        while i < end, let next = child(of: node, scalars[i]) {
            node = next
            i += 1
            let id = ids[Int(node)]
            if id >= 0 { best = (id, i) }
        }
        return best
    }
}
