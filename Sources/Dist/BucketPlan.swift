
/// Which contiguous ranges of the flat gradient buffer are reduced together, in which order,
/// and when each may start: built once from the tensors' spans and layers, given as data
/// (`Segment`s; Training derives them from the model's parameter layout). A static model
/// needs no negotiation between ranks: every rank builds the same plan from the same segments.
///
/// Layers are numbered -1...L in forward order, and backward finishes them from L down to -1,
/// reporting each through the model's `layerDone` hook (for BERT: the embeddings are -1,
/// encoder layer i is i, the pooler and classifier are L).
///
/// Buckets follow PyTorch DDP: tensors are taken in reverse layout order (head first, as
/// backward finishes them) and packed greedily into buckets of at most `firstBucketBytes`
/// (the first, small, so communication starts early) and then `bucketBytes`. A tensor is
/// never split: one larger than the cap (such as BERT's word-embedding table: 30522 x 384
/// floats = 47 MB in MiniLM) gets a bucket of its own. Splitting it would not help: all of it becomes
/// final at the same moment, at the very end of backward.
///
/// One departure from DDP: the tensors of the lowest layers, up to `lastBucketBytes` (in
/// forward order), form the last dense bucket on their own. Those gradients are final only
/// when backward ends, so whatever bucket holds them cannot overlap anything; greedy packing
/// from the head would leave there whatever remains (17.4 MB of MiniLM: layers 2..0).
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

    /// A tensor whose gradient is a table of rows of which a step touches few (an embedding
    /// table: only the rows of the batch's token ids get gradient): it gets a bucket of its
    /// own, exchanged by rows.
    public struct RowSparseTable: Sendable, Equatable {
        public let name: String
        /// Its first float in the flat buffer, and its shape [rows, width].
        public let offset: Int
        public let rows: Int
        public let width: Int
        public init(name: String, offset: Int, rows: Int, width: Int) {
            self.name = name; self.offset = offset; self.rows = rows; self.width = width
        }
        public var floatCount: Int { rows * width }
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
        /// The row-sparse table this bucket holds alone, when the plan was asked to exchange
        /// that tensor by rows (`GradientReducer` then reduces only the rows some rank touched).
        public var rowSparse: RowSparseTable? = nil
        /// Size in bytes (Float32).
        public var byteCount: Int { range.count * MemoryLayout<Float>.stride }

        /// Whether backward has finished every gradient in it, given that `layerDone(layer)`
        /// was the last report.
        public func isReady(afterLayerDone layer: Int) -> Bool { layer <= lowestLayer }
    }

    public static let defaultBucketBytes = 25 << 20
    public static let defaultFirstBucketBytes = 1 << 20
    public static let defaultLastBucketBytes = 8 << 20

    /// In start order: head first, embeddings last.
    public let buckets: [Bucket]
    /// Floats covered: the whole gradient buffer.
    public let count: Int
    /// L, the number of encoder layers (the head is layer L).
    public let layerCount: Int

    /// The plan for segments in forward (layout) order that tile 0..<count, with layers
    /// non-decreasing in -1...layerCount.
    /// `rowSparse`: tensors (by segment name) to exchange by rows, each in a bucket of its own.
    public init(segments: [Segment], count: Int, layerCount: Int, bucketBytes: Int = defaultBucketBytes,
                firstBucketBytes: Int = defaultFirstBucketBytes, lastBucketBytes: Int = defaultLastBucketBytes,
                rowSparse: [RowSparseTable] = []) throws {
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
        var sparseBySegment: [String: RowSparseTable] = [:]
        for t in rowSparse {
            guard let s = segments.first(where: { $0.name == t.name }) else { throw DistError.unknownParameter(t.name) }
            guard t.rows > 0, t.width > 0, t.offset == s.range.lowerBound, t.floatCount <= s.range.count else {
                throw DistError.invalidArgument(what: "row-sparse shape of \(t.name) [\(t.rows), \(t.width)] at \(t.offset) "
                                                + "(its span is \(s.range))", value: t.floatCount)
            }
            sparseBySegment[t.name] = t
        }

        // The tail: the lowest dense tensors, forward order, while they fit the last cap
        // (never all of them: then there is nothing to split off).
        var tail = Set<String>()
        var tailBytes = 0
        let tailCap = min(lastBucketBytes, bucketBytes)
        for s in segments where sparseBySegment[s.name] == nil {
            let bytes = s.range.count * MemoryLayout<Float>.stride
            if tail.isEmpty && bytes > tailCap { continue }   // alone anyway (a dense word table)
            if tailBytes + bytes > tailCap { break }
            tail.insert(s.name)
            tailBytes += bytes
        }
        if tail.count == segments.count - sparseBySegment.count { tail = [] }

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
            if let table = sparseBySegment[s.name] {
                close()
                current = [s]
                close()
                buckets[buckets.count - 1].rowSparse = table
                continue
            }
            let bytes = s.range.count * MemoryLayout<Float>.stride
            let cap = buckets.isEmpty ? firstBucketBytes : bucketBytes
            let inTail = tail.contains(s.name)
            if let last = current.last, tail.contains(last.name) != inTail {
                close()                                          // the tail starts or ends
            } else if !inTail && !current.isEmpty && currentBytes + bytes > cap {
                close()
            }
            current.append(s)
            currentBytes += bytes
        }
        close()
        self.buckets = buckets
        self.count = count
        self.layerCount = layerCount
    }

    /// Total bytes reduced per step (the whole buffer, gaps included).
    public var byteCount: Int { count * MemoryLayout<Float>.stride }
}
