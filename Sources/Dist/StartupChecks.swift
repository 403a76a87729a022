import Tensor

/// Start-up agreement between ranks: the same configuration, data and initial parameters
/// everywhere, checked or made so before the first step.
extension Communicator {
    /// Allgathers `hash` and throws `DistError.mismatch(what:rank:)` naming the lowest rank
    /// whose hash differs from rank 0's. Every rank throws the same error, so all can stop
    /// cleanly. A collective: every rank must call it, in the same order.
    public func verifyIdentical(hash: UInt64, what: String) throws {
        let all = try allgather(Int64(bitPattern: hash))
        if let r = all.indices.first(where: { all[$0] != all[0] }) {
            throw DistError.mismatch(what: what, rank: r)
        }
    }

    /// Copies rank 0's parameters (or any flat buffer) to every rank, as DDP does at start.
    public func broadcastParameters(_ parameters: FloatBuffer, root: Int = 0) throws {
        try broadcast(floats: parameters.pointer, count: parameters.count, root: root)
    }
}

/// A 64-bit hash of `count` floats' bit patterns, order-sensitive (for `verifyIdentical`).
public func contentHash(_ p: UnsafePointer<Float>, count: Int) -> UInt64 {
    var h = mix64(UInt64(count))
    p.withMemoryRebound(to: UInt32.self, capacity: count) { u in
        var i = 0
        while i + 1 < count {
            h = mix64(h ^ (UInt64(u[i]) | UInt64(u[i + 1]) << 32))
            i += 2
        }
        if i < count { h = mix64(h ^ UInt64(u[i])) }
    }
    return h
}

/// A 64-bit hash of a string (configuration text, dataset fingerprints).
public func contentHash(_ s: String) -> UInt64 {
    var h = mix64(UInt64(s.utf8.count))
    for b in s.utf8 { h = mix64(h ^ UInt64(b)) }
    return h
}
