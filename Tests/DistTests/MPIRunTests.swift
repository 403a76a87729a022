import XCTest

/// Dist across processes: `q8dist-harness` checks Dist on every rank under `mpirun -n 2`
/// and `mpirun -n 3 --oversubscribe` (and directly, as one rank); each run is killed after
/// 60 s. Each rank prints "rank r/W: OK MODE" once its checks of MODE passed.
final class MPIRunTests: XCTestCase {
    /// Runs `modes` and asserts a clean exit with every rank reporting OK for each mode.
    @discardableResult
    private func run(ranks: Int?, _ modes: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try HarnessRunner.run(ranks: ranks, modes)
        let W = ranks ?? 1
        XCTAssertFalse(result.timedOut, "\(modes) on \(W) ranks timed out\n\(result.transcript)", file: file, line: line)
        XCTAssertEqual(result.status, 0, "\(modes) on \(W) ranks\n\(result.transcript)", file: file, line: line)
        for mode in modes {
            for r in 0..<W {
                XCTAssertTrue(result.output.contains("rank \(r)/\(W): OK \(mode)\n"),
                              "rank \(r)/\(W) did not report OK \(mode)\n\(result.transcript)", file: file, line: line)
            }
        }
        return result.output
    }

    /// (a) Sums and maxima (blocking and non-blocking, whole and split into pieces),
    /// broadcasts and gathers give the right values on every rank.
    func testCollectives() throws {
        let output = try run(ranks: 2, ["info", "allreduce"])
        XCTAssertTrue(output.contains("rank 1/2: local 1/2, MPI_THREAD_SERIALIZED, mpi true, launched by MPI true"), output)
        try run(ranks: 3, ["allreduce"])
    }

    /// (b) The bucketed non-blocking reducer, driven in backward's layer order, gives the
    /// same averaged gradients as one blocking allreduce (bit-identical on integer values),
    /// identical on every rank.
    func testBucketedReducerMatchesBlockingAllreduce() throws {
        for W in [2, 3] {
            let output = try run(ranks: W, ["reducer"])
            XCTAssertTrue(output.contains("rank 0/\(W): reducer integer step 0: bucketed == blocking: true, max |diff| vs local mean 0.0"),
                          output)
        }
    }

    /// (b') The deterministic reducer (TreeAllreduce) gives, bit for bit on every rank, the
    /// single-process tree over the ranks' values; the grouped sampler gives each rank the
    /// global groups r, r + W, ... exactly as a single process orders them.
    func testTreeReductionMatchesTheSingleProcessTree() throws {
        for W in [2, 4] {
            let output = try run(ranks: W, ["tree"])
            XCTAssertTrue(output.contains("rank 0/\(W): tree step 0: bucketed == local tree: true, blocking == local tree: true"), output)
        }
        try run(ranks: nil, ["tree"])
    }

    /// (b'') The word-embedding gradient exchanged by rows (the union of the ranks' token
    /// rows) equals the dense exchange: byte for byte with the deterministic reduction and
    /// with 2 ranks, within rounding with MPI's allreduce on 3; dense once the union passes
    /// the set fraction; fewer bytes when sparse.
    func testSparseWordEmbeddingExchangeMatchesDense() throws {
        for W in [2, 3, 4] {
            let output = try run(ranks: W, ["sparse"])
            XCTAssertTrue(output.contains("rank 0/\(W): sparse plain step 0:"), output)
            XCTAssertTrue(output.contains("(dense fallback)"), output)
            if W != 3 {
                XCTAssertTrue(output.contains("rank 0/\(W): sparse deterministic step 1:"), output)
            }
        }
        try run(ranks: nil, ["sparse"])
    }

    /// (c) Each step's rank batches are disjoint and together the single-process batch;
    /// evaluation results gather back to dataset order without padding.
    func testSamplerSharesCoverTheGlobalBatch() throws {
        try run(ranks: 2, ["sampler"])
        try run(ranks: 3, ["sampler"])
    }

    /// (d) verifyIdentical names rank 1 when only rank 1's hash differs, on every rank.
    func testVerifyIdenticalNamesTheDifferingRank() throws {
        for W in [2, 3] {
            let output = try run(ranks: W, ["verify-mismatch"])
            for r in 0..<W {
                XCTAssertTrue(output.contains("rank \(r)/\(W): caught: rank 1 disagrees with rank 0 on deliberately different hash"),
                              output)
            }
        }
    }

    /// (e) Without mpirun the harness is a one-rank job (Open MPI singleton init).
    func testRunsAsOneRankWithoutMpirun() throws {
        let output = try run(ranks: nil, ["info", "allreduce", "reducer", "sampler", "verify-mismatch"])
        XCTAssertTrue(output.contains("rank 0/1: local 0/1, MPI_THREAD_SERIALIZED, mpi true, launched by MPI false"), output)
    }

    /// A failure on the ranks ends the whole job with a non-zero status, not a hang.
    func testFailureEndsTheJob() throws {
        let result = try HarnessRunner.run(ranks: 2, ["no-such-mode"])
        XCTAssertFalse(result.timedOut, result.transcript)
        XCTAssertNotEqual(result.status, 0, result.transcript)
        XCTAssertTrue(result.output.contains("FAIL no-such-mode: unknown mode no-such-mode"), result.transcript)
    }

    /// A failed MPI call on one rank (q8train's policy: `abortsOnError`) ends the whole job at
    /// once, naming the rank, its host and the call, while the other rank waits at a barrier.
    func testMPIErrorOnOneRankAbortsTheJobWithItsName() throws {
        let start = Date()
        let result = try HarnessRunner.run(ranks: 2, ["mpi-error"], timeout: 60)
        XCTAssertFalse(result.timedOut, result.transcript)
        XCTAssertNotEqual(result.status, 0, result.transcript)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, result.transcript)
        XCTAssertTrue(result.errors.contains("q8train: rank 1 (host ") && result.errors.contains("MPI_Bcast failed with MPI error")
                      && result.errors.contains("aborting the job (MPI_Abort)"), result.transcript)
    }

    /// The harness kills a job that outlives its time limit (60 s in the tests above).
    func testTimeLimitKillsTheJob() throws {
        let start = Date()
        let result = try HarnessRunner.run(ranks: 2, ["sleep", "120"], timeout: 2)
        XCTAssertTrue(result.timedOut, result.transcript)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, result.transcript)
    }
}
