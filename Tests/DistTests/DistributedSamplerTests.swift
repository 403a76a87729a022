import Dist
import Tensor
import XCTest

final class DistributedSamplerTests: XCTestCase {
    /// The permutation depends on (seed, epoch) only: the same for every world size and rank
    /// (the single-process trainer is the W = 1 case).
    func testPermutationDoesNotDependOnTheRankLayout() throws {
        for n in [0, 1, 2, 7, 100, 1000] {
            for epoch in 0..<3 {
                let single = try DistributedSampler(count: n, worldSize: 1, rank: 0, globalBatchSize: 6, seed: 42)
                let s = try DistributedSampler(count: n, worldSize: 3, rank: 2, globalBatchSize: 6, seed: 42)
                XCTAssertEqual(s.permutation(epoch: epoch), single.permutation(epoch: epoch), "N \(n) epoch \(epoch)")
                XCTAssertEqual(s.permutation(epoch: epoch).sorted(), Array(0..<n))
            }
        }
        let s = try DistributedSampler(count: 50, worldSize: 1, rank: 0, globalBatchSize: 5, seed: 42)
        XCTAssertNotEqual(s.permutation(epoch: 0), s.permutation(epoch: 1), "epochs must differ")
        XCTAssertEqual(s.permutation(epoch: 0).sorted(), Array(0..<50))
    }

    /// PyTorch's DistributedSampler(shuffle=False) for N = 10, W = 4: total_size 12,
    /// indices 0..9 + [0, 1], rank r takes indices[r::4].
    func testPyTorchPaddingAndStridedShares() throws {
        let want = [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]
        for r in 0..<4 {
            let s = try DistributedSampler(count: 10, worldSize: 4, rank: r, globalBatchSize: 4, seed: 0,
                                           shuffle: false, padding: .fromEpochStart)
            XCTAssertEqual(s.paddedCount, 12)
            XCTAssertEqual(s.indices(epoch: 0), want[r], "rank \(r)")
        }
        // Within-step padding repeats the last step's own examples (8, 9) instead.
        let within = [[0, 4, 8], [1, 5, 9], [2, 6, 8], [3, 7, 9]]
        for r in 0..<4 {
            let s = try DistributedSampler(count: 10, worldSize: 4, rank: r, globalBatchSize: 4, seed: 0, shuffle: false)
            XCTAssertEqual(s.indices(epoch: 0), within[r], "rank \(r)")
            let last = s.batch(step: 2, epoch: 0)
            XCTAssertEqual(last.isPadding, [r >= 2])
            XCTAssertEqual(last.globalCount, 2)
        }
        // Padding longer than the dataset repeats it cyclically (PyTorch does the same).
        for r in 0..<4 {
            let s = try DistributedSampler(count: 1, worldSize: 4, rank: r, globalBatchSize: 8, seed: 0)
            XCTAssertEqual(s.indices(epoch: 0), [0])
            XCTAssertEqual(s.batch(step: 0, epoch: 0).isPadding, [r != 0])
        }
    }

    /// For W in 1...4 and several N and G: each step's local batches are disjoint, equally
    /// long, and their real examples are exactly the single-process batch; batching the
    /// PyTorch view (indices[r::W]) in pieces of G / W gives the same batches; the example
    /// weights turn per-rank means into the single-process mean.
    func testUnionOverRanksIsTheSingleProcessBatch() throws {
        for N in [0, 1, 5, 23, 64, 100] {
            for W in 1...4 {
                for perRank in [1, 2, 3] {
                    for padding in [DistributedSampler.Padding.withinStep, .fromEpochStart] {
                        try checkUnion(N: N, W: W, G: perRank * W, padding: padding)
                    }
                }
            }
        }
    }

    private func checkUnion(N: Int, W: Int, G: Int, padding: DistributedSampler.Padding) throws {
        let label = "N \(N) W \(W) G \(G) \(padding)"
        let single = try DistributedSampler(count: N, worldSize: 1, rank: 0, globalBatchSize: G, seed: 9)
        let ranks = try (0..<W).map {
            try DistributedSampler(count: N, worldSize: W, rank: $0, globalBatchSize: G, seed: 9, padding: padding)
        }
        for epoch in 0..<2 {
            let perm = single.permutation(epoch: epoch)
            let singleBatches = single.batches(epoch: epoch)
            let batches = ranks.map { $0.batches(epoch: epoch) }
            XCTAssertEqual(singleBatches.count, (N + G - 1) / G, label)
            for s in 0..<singleBatches.count {
                let want = Array(perm[(s * G)..<min((s + 1) * G, N)])
                XCTAssertEqual(singleBatches[s].indices, want, "\(label): W = 1 takes consecutive slices")
                XCTAssertEqual(batches.map { $0.count }, Array(repeating: singleBatches.count, count: W), label)
                let step = batches.map { $0[s] }
                XCTAssertEqual(Set(step.map { $0.indices.count }).count, 1, "\(label) step \(s): unequal local batches")
                let real = step.flatMap { b in zip(b.indices, b.isPadding).filter { !$0.1 }.map { $0.0 } }
                XCTAssertEqual(real.count, Set(real).count, "\(label) step \(s): ranks overlap")
                XCTAssertEqual(real.sorted(), want.sorted(), "\(label) step \(s)")
                let paddingCount = step.reduce(0) { $0 + $1.indices.count - $1.realCount }
                XCTAssertLessThan(paddingCount, W, label)
                if s < singleBatches.count - 1 { XCTAssertEqual(paddingCount, 0, "\(label): padding before the last step") }
                if padding == .withinStep {
                    XCTAssertTrue(Set(step.flatMap(\.indices)).isSubset(of: Set(want)), "\(label): padding from another step")
                }
                // Weighted per-rank means, averaged over ranks = the single-process mean.
                let loss: (Int) -> Double = { Double(($0 * 37) % 11) + 0.5 }
                let averaged = step.reduce(0.0) { acc, b in
                    acc + zip(b.indices, b.exampleWeights).reduce(0.0) { $0 + Double($1.1) * loss($1.0) }
                        / Double(b.indices.count)
                } / Double(W)
                let mean = want.reduce(0.0) { $0 + loss($1) } / Double(want.count)
                XCTAssertEqual(averaged, mean, accuracy: 1e-5 * mean, "\(label) step \(s): weighted mean")
            }
            // The PyTorch view: rank r's list in pieces of b.
            for (r, sampler) in ranks.enumerated() {
                let flat = sampler.indices(epoch: epoch)
                XCTAssertEqual(flat, batches[r].flatMap(\.indices), "\(label) rank \(r): indices[r::W] chunked by G/W")
                XCTAssertEqual(flat.count, sampler.paddedCount / W, label)
            }
        }
    }

    func testGlobalBatchMustDivideByWorldSize() {
        XCTAssertThrowsError(try DistributedSampler(count: 100, worldSize: 4, rank: 0, globalBatchSize: 10, seed: 0)) {
            XCTAssertEqual($0 as? DistError, .batchSizeNotDivisible(globalBatchSize: 10, worldSize: 4))
            XCTAssertEqual("\($0)", "global batch size 10 is not divisible by the world size 4")
        }
        XCTAssertThrowsError(try DistributedSampler(count: 10, worldSize: 2, rank: 2, globalBatchSize: 4, seed: 0)) {
            XCTAssertEqual($0 as? DistError, .invalidArgument(what: "rank", value: 2))
        }
        XCTAssertThrowsError(try DistributedSampler(count: 10, worldSize: 0, rank: 0, globalBatchSize: 4, seed: 0))
        XCTAssertThrowsError(try DistributedSampler(count: 10, worldSize: 1, rank: 0, globalBatchSize: 0, seed: 0))
    }

    /// Strided evaluation shards: real positions are disjoint and cover 0..<N; gathered
    /// results come back in position order without the padding.
    func testEvaluationShardsDropPadding() throws {
        for N in [0, 1, 2, 7, 10, 33] {
            for W in 1...4 {
                let shards = try (0..<W).map { try EvaluationShards(count: N, worldSize: W, rank: $0) }
                let real = shards.flatMap { s in zip(s.positions, s.isPadding).filter { !$0.1 }.map { $0.0 } }
                XCTAssertEqual(real.sorted(), Array(0..<N), "N \(N) W \(W)")
                XCTAssertEqual(shards.reduce(0) { $0 + $1.realCount }, N)
                XCTAssertTrue(shards.allSatisfy { $0.positions.count == (N + W - 1) / W })
                XCTAssertTrue(shards.allSatisfy { $0.positions.allSatisfy { (0..<N).contains($0) } })
                // What a gather would deliver: rank-major rows of (10 p, p + 0.5).
                let gathered = shards.flatMap { $0.positions.flatMap { [Float(10 * $0), Float($0) + 0.5] } }
                let results = try shards[0].assemble(gathered, valuesPerExample: 2)
                XCTAssertEqual(results, (0..<N).flatMap { [Float(10 * $0), Float($0) + 0.5] }, "N \(N) W \(W)")
            }
        }
        // Chunks of E / W per rank: chunk j over all ranks is the single-process batch j.
        for (N, W, E) in [(10, 2, 4), (23, 3, 6), (5, 4, 8), (64, 4, 16)] {
            let shards = try (0..<W).map { try EvaluationShards(count: N, worldSize: W, rank: $0) }
            let chunk = E / W
            for j in 0..<(shards[0].shardLength + chunk - 1) / chunk {
                let union = Set(shards.flatMap { $0.positions[(j * chunk)..<min((j + 1) * chunk, $0.shardLength)] })
                XCTAssertEqual(union, Set((j * E)..<min((j + 1) * E, N)), "N \(N) W \(W) E \(E) batch \(j)")
            }
        }
        let s = try EvaluationShards(count: 5, worldSize: 2, rank: 0)
        XCTAssertThrowsError(try s.assemble([1, 2, 3], valuesPerExample: 1)) {
            XCTAssertEqual($0 as? DistError, .countMismatch(what: "gathered evaluation results", expected: 6, actual: 3))
        }
        // With one rank and no MPI, gather is the identity (padding-free).
        let one = try EvaluationShards(count: 3, communicator: .single())
        XCTAssertEqual(try one.gather([1, 2, 3], valuesPerExample: 1, communicator: .single()), [1, 2, 3])
    }
}
