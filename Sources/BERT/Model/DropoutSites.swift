import Tensor

/// Names each place BERT applies dropout, and derives the key of each dropout row from
/// (seed, step, site, example, position): never from the rank or the position in a batch.
enum DropoutSite {
    static let embeddings: UInt64 = 1
    static func attentionProbs(layer: Int) -> UInt64 { UInt64(16 + 4 * layer) }
    static func attentionOutput(layer: Int) -> UInt64 { UInt64(17 + 4 * layer) }
    static func ffnOutput(layer: Int) -> UInt64 { UInt64(18 + 4 * layer) }
    static let classifier: UInt64 = 2

    /// Key of one row: `position` distinguishes rows of one example (token t, or head h and
    /// query t for attention probabilities).
    @inline(__always)
    static func rowKey(_ mode: ForwardMode, site: UInt64, example: Int, position: Int) -> UInt64 {
        hashKey(mode.seed, UInt64(mode.step) << 16 | site, UInt64(example), UInt64(position))
    }
}
