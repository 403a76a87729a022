import BERT
import Dist

extension BucketPlan {
    /// The plan for a BERT parameter layout: each tensor's span runs from its offset to the
    /// next tensor's (alignment gap included), with its backward layer
    /// (`ParameterLayout.backwardLayer`).
    public init(layout: ParameterLayout, bucketBytes: Int = defaultBucketBytes,
                firstBucketBytes: Int = defaultFirstBucketBytes) throws {
        let L = layout.encoderLayerCount
        var segments: [Segment] = []
        for (k, e) in layout.entries.enumerated() {
            guard let layer = ParameterLayout.backwardLayer(of: e.name, layerCount: L) else {
                throw DistError.unknownParameter(e.name)
            }
            let end = k + 1 < layout.entries.count ? layout.entries[k + 1].offset : layout.count
            segments.append(Segment(name: e.name, range: e.offset..<end, layer: layer))
        }
        try self.init(segments: segments, count: layout.count, layerCount: L,
                      bucketBytes: bucketBytes, firstBucketBytes: firstBucketBytes)
    }
}
