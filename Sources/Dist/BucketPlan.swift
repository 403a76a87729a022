import BERT

/// Which contiguous ranges of the flat gradient buffer are reduced together, in which order,
/// and when each may start: built once from the parameter layout (a static model needs no
/// negotiation between ranks: every rank builds the same plan from the same layout).
///
/// Layers: encoder layer i is i (0..<L); the embeddings are -1; the pooler and classifier
/// (the head) are L. Backward finishes them in the order L, L-1, ..., 0, -1 and reports each
/// through the model's `layerDone` hook.
///
/// Buckets follow PyTorch DDP: tensors are taken in reverse layout order (head first, as
/// backward finishes them) and packed greedily into buckets of at most `firstBucketBytes`
/// (the first, small, so communication starts early) and then `bucketBytes`. A tensor is
/// never split: one larger than the cap (the word-embedding table: 30522 x 384 floats =
/// 47 MB in MiniLM) gets a bucket of its own. Splitting it would not help: all of it becomes
/// final at the same moment, at the very end of backward.
///
/// Layout offsets are aligned to 16 floats, so tensors have gaps between them (zeros in the
/// gradient buffer). Each tensor's span runs from its offset to the next tensor's offset, so
/// the spans, and therefore the buckets, tile the whole buffer 0..<count without overlap and
/// each bucket is one contiguous range, reduced in one call.
public struct BucketPlan: Sendable, Equatable {
    /// One tensor of the layout: its span in the flat buffer (floats, including the alignment
    /// gap after it) and its layer.
    public struct Segment: Sendable, Equatable {
        public let name: String
        public let range: Range<Int>
        public let layer: Int
        public init(name: String, range: Range<Int>, layer: Int) {
            self.name = name; self.range = range; self.layer = layer
        }
    }

    /// One unit of communication.
    public struct Bucket: Sendable, Equatable {
        /// Position in the plan: buckets start in this order on every rank.
        public let index: Int
        /// The floats it covers in the flat gradient buffer.
        public let range: Range<Int>
        /// The lowest layer it holds gradients of: the bucket is ready once backward has
        /// reported `layerDone(lowestLayer)` (layers finish from high to low).
        public let lowestLayer: Int
        /// The highest layer it holds gradients of.
        public let highestLayer: Int
        /// Its tensors, in the order they were added (reverse layout order).
        public let names: [String]
        /// Size in bytes (Float32).
        public var byteCount: Int { range.count * MemoryLayout<Float>.stride }

        /// Whether backward has finished every gradient in it, given that `layerDone(layer)`
        /// was the last report.
        public func isReady(afterLayerDone layer: Int) -> Bool { layer <= lowestLayer }
    }

    public static let defaultBucketBytes = 25 << 20
    public static let defaultFirstBucketBytes = 1 << 20

    /// In start order: head first, embeddings last.
    public let buckets: [Bucket]
    /// Floats covered: the whole gradient buffer.
    public let count: Int
    /// L, the number of encoder layers (the head is layer L).
    public let layerCount: Int

    /// The plan for a model's parameter layout; the encoder depth L is the highest
    /// "bert.encoder.layer.{i}." index plus one.
    public init(layout: ParameterLayout, bucketBytes: Int = defaultBucketBytes,
                firstBucketBytes: Int = defaultFirstBucketBytes) throws {
        let L = layout.entries.compactMap { Self.encoderLayer(of: $0.name) }.max().map { $0 + 1 } ?? 0
        var segments: [Segment] = []
        for (k, e) in layout.entries.enumerated() {
            guard let layer = Self.layer(of: e.name, layerCount: L) else { throw DistError.unknownParameter(e.name) }
            let end = k + 1 < layout.entries.count ? layout.entries[k + 1].offset : layout.count
            segments.append(Segment(name: e.name, range: e.offset..<end, layer: layer))
        }
        try self.init(segments: segments, count: layout.count, layerCount: L,
                      bucketBytes: bucketBytes, firstBucketBytes: firstBucketBytes)
    }

    /// The plan for segments in forward (layout) order that tile 0..<count, with layers
    /// non-decreasing in -1...layerCount.
    public init(segments: [Segment], count: Int, layerCount: Int, bucketBytes: Int = defaultBucketBytes,
                firstBucketBytes: Int = defaultFirstBucketBytes) throws {
        guard bucketBytes > 0 else { throw DistError.invalidArgument(what: "bucket bytes", value: bucketBytes) }
        guard firstBucketBytes > 0 else {
            throw DistError.invalidArgument(what: "first bucket bytes", value: firstBucketBytes)
        }
        var expectedStart = 0, previousLayer = -1
        for s in segments {
            guard s.range.lowerBound == expectedStart else {
                throw DistError.invalidArgument(what: "start of segment \(s.name) (expected \(expectedStart))",
                                                value: s.range.lowerBound)
            }
            guard (-1...layerCount).contains(s.layer) else {
                throw DistError.invalidArgument(what: "layer of \(s.name)", value: s.layer)
            }
            guard s.layer >= previousLayer else {
                throw DistError.layerOrder(name: s.name, layer: s.layer, previousLayer: previousLayer)
            }
            expectedStart = s.range.upperBound
            previousLayer = s.layer
        }
        guard expectedStart == count else {
            throw DistError.countMismatch(what: "floats covered by the segments", expected: count, actual: expectedStart)
        }

        var buckets: [Bucket] = []
        var current: [Segment] = []   // reverse order: current.last has the lowest offset
        var currentBytes = 0
        func close() {
            guard let high = current.first, let low = current.last else { return }
            buckets.append(Bucket(index: buckets.count, range: low.range.lowerBound..<high.range.upperBound,
                                  lowestLayer: low.layer, highestLayer: high.layer, names: current.map(\.name)))
            current = []; currentBytes = 0
        }
        for s in segments.reversed() {
            let bytes = s.range.count * MemoryLayout<Float>.stride
            let cap = buckets.isEmpty ? firstBucketBytes : bucketBytes
            if !current.isEmpty && currentBytes + bytes > cap { close() }
            current.append(s)
            currentBytes += bytes
        }
        close()
        self.buckets = buckets
        self.count = count
        self.layerCount = layerCount
    }

    /// The layer of a layout key: "bert.encoder.layer.{i}." -> i, "bert.embeddings." -> -1,
    /// "bert.pooler." and "classifier." -> layerCount (the head); nil for anything else.
    public static func layer(of name: String, layerCount: Int) -> Int? {
        if let i = encoderLayer(of: name) { return i }
        if name.hasPrefix("bert.embeddings.") { return -1 }
        if name.hasPrefix("bert.pooler.") || name.hasPrefix("classifier.") { return layerCount }
        return nil
    }

    private static func encoderLayer(of name: String) -> Int? {
        let prefix = "bert.encoder.layer."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0 else { return nil }
        return i
    }

    /// Total bytes reduced per step (the whole buffer, gaps included).
    public var byteCount: Int { count * MemoryLayout<Float>.stride }
}
