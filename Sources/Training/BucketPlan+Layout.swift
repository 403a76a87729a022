import BERT
import Dist

extension BucketPlan {
    /// The plan for a BERT parameter layout: each tensor's span runs from its offset to the
    /// next tensor's (alignment gap included), with its backward layer
    /// (`ParameterLayout.backwardLayer`).
    /// `sparseWordEmbeddings`: the word-embedding table in a bucket of its own, exchanged by
    /// rows (the rows of the step's token ids).
    public init(layout: ParameterLayout, bucketBytes: Int = defaultBucketBytes,
                firstBucketBytes: Int = defaultFirstBucketBytes, lastBucketBytes: Int = defaultLastBucketBytes,
                sparseWordEmbeddings: Bool = false) throws {
        let L = layout.encoderLayerCount
        var segments: [Segment] = []
        for (k, e) in layout.entries.enumerated() {
            guard let layer = ParameterLayout.backwardLayer(of: e.name, layerCount: L) else {
                throw DistError.unknownParameter(e.name)
            }
            let end = k + 1 < layout.entries.count ? layout.entries[k + 1].offset : layout.count
            segments.append(Segment(name: e.name, range: e.offset..<end, layer: layer))
        }
        var sparse: [RowSparseTable] = []
        if sparseWordEmbeddings {
            let e = layout.require(Self.wordEmbeddings)
            sparse.append(RowSparseTable(name: e.name, offset: e.offset, rows: e.shape[0], width: e.shape[1]))
        }
        try self.init(segments: segments, count: layout.count, layerCount: L,
                      bucketBytes: bucketBytes, firstBucketBytes: firstBucketBytes, lastBucketBytes: lastBucketBytes,
                      rowSparse: sparse)
    }
}

extension BucketPlan {
    /// The layout key of BERT's word-embedding table [vocab, hidden].
    public static let wordEmbeddings = "bert.embeddings.word_embeddings.weight"
}
