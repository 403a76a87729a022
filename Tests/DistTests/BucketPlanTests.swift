import BERT
import Dist
import ModelFormat
import XCTest

final class BucketPlanTests: XCTestCase {
    static let miniLM = BertConfig(vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
                                   intermediateSize: 1536)

    /// Reverse order, sizes, tiling of the whole buffer, unsplit tensors, for MiniLM with
    /// DDP's default sizes and for a tiny model with small caps (many buckets).
    func testBucketsTileTheBufferInReverseOrder() throws {
        // Hidden size 20 and 3 labels: tensors of 20, 60 floats, so the layout has alignment gaps.
        let tiny = BertConfig(vocabSize: 50, hiddenSize: 20, numHiddenLayers: 3, numAttentionHeads: 2,
                              intermediateSize: 24, maxPositionEmbeddings: 20)
        let cases: [(BertConfig, Int, Int)] = [(Self.miniLM, 25 << 20, 1 << 20), (tiny, 3000, 500), (tiny, 64, 64),
                                               (tiny, 1 << 30, 1 << 30)]
        for (config, cap, firstCap) in cases {
            let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 3)
            let plan = try BucketPlan(layout: layout, bucketBytes: cap, firstBucketBytes: firstCap)
            if config.hiddenSize == 20 { XCTAssertGreaterThan(layout.count, layout.parameterCount, "no gaps to test") }
            let label = "L \(config.numHiddenLayers), caps \(firstCap)/\(cap)"
            XCTAssertEqual(plan.count, layout.count)
            XCTAssertEqual(plan.layerCount, config.numHiddenLayers)
            XCTAssertEqual(plan.buckets.first?.range.upperBound, layout.count, label)
            XCTAssertEqual(plan.buckets.last?.range.lowerBound, 0, label)
            for (k, b) in plan.buckets.enumerated() {
                XCTAssertEqual(b.index, k)
                if k > 0 {
                    XCTAssertEqual(b.range.upperBound, plan.buckets[k - 1].range.lowerBound, "\(label): bucket \(k) not adjacent")
                    XCTAssertLessThanOrEqual(b.highestLayer, plan.buckets[k - 1].lowestLayer, label)
                }
                XCTAssertTrue(b.byteCount <= (k == 0 ? firstCap : cap) || b.names.count == 1,
                              "\(label): bucket \(k) of \(b.byteCount) bytes holds \(b.names.count) tensors")
            }
            XCTAssertEqual(plan.buckets.reduce(0) { $0 + $1.range.count }, layout.count, label)
            // Each tensor lies wholly inside exactly one bucket, which names it.
            for e in layout.entries {
                let holders = plan.buckets.filter { $0.range.overlaps(e.range) }
                XCTAssertEqual(holders.count, 1, "\(label): \(e.name) split")
                XCTAssertTrue(holders.first.map { $0.range.contains(e.range.lowerBound) && $0.range.upperBound >= e.range.upperBound
                    && $0.names.contains(e.name) } ?? false, "\(label): \(e.name)")
            }
            XCTAssertEqual(plan.buckets.flatMap(\.names), layout.entries.reversed().map(\.name), label)
        }
    }

    func testMiniLMDefaults() throws {
        let layout = ParameterLayout.bertForSequenceClassification(Self.miniLM, numLabels: 2)
        let plan = try BucketPlan(layout: layout)
        // The head and a few small tensors of layer 5 first; the 47 MB word embeddings alone, last.
        XCTAssertEqual(plan.buckets.first?.names.first, "classifier.bias")
        XCTAssertLessThanOrEqual(plan.buckets[0].byteCount, 1 << 20)
        XCTAssertEqual(plan.buckets.last?.names, ["bert.embeddings.word_embeddings.weight"])
        XCTAssertEqual(plan.buckets.last?.lowestLayer, -1)
        XCTAssertGreaterThan(plan.buckets.last!.byteCount, 25 << 20)
        XCTAssertTrue(plan.buckets.dropLast().allSatisfy { $0.byteCount <= 25 << 20 })
        XCTAssertEqual(plan.layerCount, 6)
        XCTAssertEqual(Double(layout.count) / 1e6, 22.7, accuracy: 0.05, "MiniLM-L6-H384 has 22.7M parameters")
        XCTAssertEqual(plan.byteCount, layout.count * 4)
    }

    /// A row-sparse table gets a bucket of its own even under a cap that would merge it with
    /// its neighbours, with its shape; a shape that does not fit its span is refused.
    func testRowSparseWordEmbeddingsGetABucketOfTheirOwn() throws {
        let tiny = BertConfig(vocabSize: 50, hiddenSize: 20, numHiddenLayers: 2, numAttentionHeads: 2,
                              intermediateSize: 24, maxPositionEmbeddings: 20)
        let layout = ParameterLayout.bertForSequenceClassification(tiny, numLabels: 3)
        let dense = try BucketPlan(layout: layout, bucketBytes: 1 << 30, firstBucketBytes: 1 << 30)
        XCTAssertEqual(dense.buckets.count, 1)
        let plan = try BucketPlan(layout: layout, bucketBytes: 1 << 30, firstBucketBytes: 1 << 30, sparseWordEmbeddings: true)
        XCTAssertEqual(plan.buckets.count, 2)
        let word = layout.require(BucketPlan.wordEmbeddings)
        XCTAssertEqual(plan.buckets.last?.names, [BucketPlan.wordEmbeddings])
        XCTAssertEqual(plan.buckets.last?.rowSparse,
                       BucketPlan.RowSparseTable(name: word.name, offset: word.offset, rows: 50, width: 20))
        XCTAssertNil(plan.buckets.first?.rowSparse)
        XCTAssertEqual(plan.buckets.reduce(0) { $0 + $1.range.count }, layout.count)
        let segments = [BucketPlan.Segment(name: "t", range: 0..<64, layer: -1)]
        XCTAssertThrowsError(try BucketPlan(segments: segments, count: 64, layerCount: 0,
                                            rowSparse: [.init(name: "t", offset: 0, rows: 9, width: 8)])) {
            XCTAssertTrue("\($0)".contains("row-sparse shape of t [9, 8]"), "\($0)")
        }
        XCTAssertThrowsError(try BucketPlan(segments: segments, count: 64, layerCount: 0,
                                            rowSparse: [.init(name: "u", offset: 0, rows: 8, width: 8)]))
    }

    /// The lowest layers' tensors (up to 8 MiB, forward order after the word table) are the
    /// last dense bucket on their own: MiniLM's small embedding tables and layer 0, not the
    /// 17.4 MB of layers 2..0 that greedy packing from the head leaves.
    func testLowestLayersFormASmallLastBucket() throws {
        let layout = ParameterLayout.bertForSequenceClassification(Self.miniLM, numLabels: 2)
        for sparse in [false, true] {
            let plan = try BucketPlan(layout: layout, sparseWordEmbeddings: sparse)
            let tail = plan.buckets[plan.buckets.count - 2]
            XCTAssertEqual(tail.lowestLayer, -1)
            XCTAssertEqual(tail.highestLayer, 0)
            XCTAssertLessThanOrEqual(tail.byteCount, BucketPlan.defaultLastBucketBytes)
            XCTAssertTrue(tail.names.contains("bert.embeddings.position_embeddings.weight"))
            XCTAssertTrue(tail.names.contains("bert.encoder.layer.0.attention.self.query.weight"))
            XCTAssertGreaterThanOrEqual(plan.buckets[plan.buckets.count - 3].lowestLayer, 0, "a bucket before the tail waits for the embeddings")
        }
        // A cap under every tensor's size: no tail, DDP's plan.
        let plain = try BucketPlan(layout: layout, lastBucketBytes: 16)
        XCTAssertEqual(plain.buckets.count, 4)
        XCTAssertGreaterThan(plain.buckets[2].byteCount, 17 << 20)
    }

    /// A bucket is ready once backward reported its lowest layer; ready buckets always form
    /// a prefix of the plan, so starting in plan order never waits on a later bucket.
    func testReadinessPerLayer() throws {
        let layout = ParameterLayout.bertForSequenceClassification(Self.miniLM, numLabels: 3)
        let plan = try BucketPlan(layout: layout, bucketBytes: 4 << 20, firstBucketBytes: 1 << 20)
        let layerOf = Dictionary(uniqueKeysWithValues: layout.entries.map {
            ($0.name, ParameterLayout.backwardLayer(of: $0.name, layerCount: 6)!)
        })
        var previous = 0
        for done in stride(from: 6, through: -1, by: -1) {
            let ready = plan.buckets.map { $0.isReady(afterLayerDone: done) }
            let prefix = ready.prefix { $0 }.count
            XCTAssertEqual(ready.filter { $0 }.count, prefix, "layerDone(\(done)): ready buckets not a prefix")
            for b in plan.buckets {
                XCTAssertEqual(b.isReady(afterLayerDone: done), b.names.allSatisfy { layerOf[$0]! >= done })
            }
            XCTAssertGreaterThanOrEqual(prefix, previous)
            previous = prefix
        }
        XCTAssertEqual(previous, plan.buckets.count, "everything is ready after the embeddings")
        XCTAssertFalse(plan.buckets[0].isReady(afterLayerDone: 7))
    }

    func testLayerOfParameterNames() throws {
        XCTAssertEqual(ParameterLayout.backwardLayer(of: "bert.encoder.layer.11.output.dense.weight", layerCount: 12), 11)
        XCTAssertEqual(ParameterLayout.backwardLayer(of: "bert.encoder.layer.0.attention.self.query.bias", layerCount: 12), 0)
        XCTAssertEqual(ParameterLayout.backwardLayer(of: "bert.embeddings.LayerNorm.bias", layerCount: 12), -1)
        XCTAssertEqual(ParameterLayout.backwardLayer(of: "bert.pooler.dense.weight", layerCount: 12), 12)
        XCTAssertEqual(ParameterLayout.backwardLayer(of: "classifier.bias", layerCount: 12), 12)
        XCTAssertNil(ParameterLayout.backwardLayer(of: "cls.predictions.bias", layerCount: 12))
        XCTAssertNil(ParameterLayout.backwardLayer(of: "bert.encoder.layer.x.output.dense.weight", layerCount: 12))

        var layout = ParameterLayout()
        layout.append("bert.embeddings.word_embeddings.weight", [10, 4])
        layout.append("qa_outputs.weight", [2, 4])
        XCTAssertThrowsError(try BucketPlan(layout: layout)) {
            XCTAssertEqual($0 as? DistError, .unknownParameter("qa_outputs.weight"))
        }
        // Layers must not decrease in forward order.
        let segments = [BucketPlan.Segment(name: "a", range: 0..<16, layer: 1),
                        BucketPlan.Segment(name: "b", range: 16..<20, layer: 0)]
        XCTAssertThrowsError(try BucketPlan(segments: segments, count: 20, layerCount: 2)) {
            XCTAssertEqual($0 as? DistError, .layerOrder(name: "b", layer: 0, previousLayer: 1))
        }
        XCTAssertThrowsError(try BucketPlan(segments: segments.prefix(1).map { $0 }, count: 20, layerCount: 2))
        XCTAssertEqual(try BucketPlan(segments: [], count: 0, layerCount: 0).buckets, [])
    }
}
