import BERT
import Dist
import ModelFormat
import Tensor
import Training
import XCTest

/// One rank, no MPI (the test process never initializes MPI; multi-rank runs are in
/// MPIRunTests).
final class GradientReducerTests: XCTestCase {
    func testOneRankLeavesGradientsAsTheyAre() throws {
        let config = BertConfig(vocabSize: 60, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 32, maxPositionEmbeddings: 24)
        let layout = ParameterLayout.bertForSequenceClassification(config, numLabels: 2)
        let plan = try BucketPlan(layout: layout, bucketBytes: 2048, firstBucketBytes: 256)
        let g = FloatBuffer(count: layout.count)
        for i in 0..<g.count { g[i] = Float(i % 17) - 8.5 }
        let before = g.toArray()
        let reducer = try GradientReducer(communicator: .single(), plan: plan, gradients: g)
        for step in 0..<2 {
            for l in stride(from: plan.layerCount, through: -1, by: -1) { reducer.layerDone(l) }
            try reducer.finish()
            XCTAssertEqual(g.toArray(), before, "step \(step)")
        }
        try reducer.finish()            // a step without the hook
        try reducer.allreduceAll()
        XCTAssertEqual(g.toArray(), before)
        XCTAssertEqual(reducer.statistics.steps, 4)
        XCTAssertEqual(reducer.statistics.bytesReduced, 0)
    }

    func testSingleCommunicatorCollectivesAreTheIdentity() throws {
        let c = Communicator.single()
        XCTAssertEqual([c.rank, c.size, c.localRank, c.localSize], [0, 1, 0, 1])
        XCTAssertTrue(c.isRoot)
        XCTAssertFalse(c.usesMPI)
        var x: [Float] = [1, -2, 3]
        try x.withUnsafeMutableBufferPointer {
            try c.allreduceSum($0.baseAddress!, count: 3)
            try c.allreduceMax($0.baseAddress!, count: 3)
            try c.broadcast(floats: $0.baseAddress!, count: 3, root: 0)
            let request = try c.iallreduceSum($0.baseAddress!, count: 3)
            XCTAssertTrue(try request.test())
            try request.wait()
        }
        XCTAssertEqual(x, [1, -2, 3])
        XCTAssertEqual(try c.allreduceMax(Float(2.5)), 2.5)
        XCTAssertEqual(try c.allreduceSum(0.75), 0.75)
        XCTAssertEqual(try c.allreduceSum(Int64(7)), 7)
        XCTAssertEqual(try c.allgather(Int64(-3)), [-3])
        XCTAssertEqual(try c.allgather(floats: [1, 2]), [1, 2])
        XCTAssertEqual(try c.gather(floats: [1, 2], root: 0), [1, 2])
        try c.barrier()
        try c.verifyIdentical(hash: 123, what: "anything")
        try c.finalize()
        let ranges = MPIRangeReducer(communicator: c)
        XCTAssertEqual(ranges.globalMax(4.5), 4.5)
        XCTAssertEqual(ranges.calls, 0)
    }

    func testContentHash() {
        let a: [Float] = [1, 2, 3, 4, 5], b: [Float] = [1, 2, 3, 4, 5.000001], c: [Float] = [2, 1, 3, 4, 5]
        let h = { (v: [Float]) in v.withUnsafeBufferPointer { contentHash($0.baseAddress!, count: v.count) } }
        XCTAssertEqual(h(a), h(a))
        XCTAssertNotEqual(h(a), h(b))
        XCTAssertNotEqual(h(a), h(c))
        XCTAssertNotEqual(h([0]), h([0, 0]))
        XCTAssertNotEqual(h([0]), h([-0.0]))
        XCTAssertEqual(contentHash("lr=2e-5"), contentHash("lr=2e-5"))
        XCTAssertNotEqual(contentHash("lr=2e-5"), contentHash("lr=3e-5"))
    }

    func testErrorMessages() {
        XCTAssertEqual("\(DistError.mismatch(what: "parameters", rank: 1))", "rank 1 disagrees with rank 0 on parameters")
        XCTAssertEqual("\(DistError.mpi(function: "MPI_Allreduce", code: 2, message: "MPI_ERR_COUNT: invalid count argument"))",
                       "MPI_Allreduce failed with MPI error 2: MPI_ERR_COUNT: invalid count argument")
    }
}
