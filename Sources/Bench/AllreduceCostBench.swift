import Dist
import Foundation
import Tensor

/// `q8bench allreduce-cost [MAX_MB]` under `mpirun -n W`: the cost parameters of the transport
/// in use (shared memory, or TCP between hosts), as the scaling model needs them.
///
/// For message sizes 4 B ... MAX_MB (default 64 MiB), the median time of a blocking float
/// sum MPI_Allreduce (the slowest rank's), then a fit of the ring allreduce's cost
///
///     t(n) = 2 (W - 1) alpha + 2 (W - 1) / W * n / beta        (n bytes per rank)
///
/// (least squares on relative error, sizes from 64 KiB: the gradient buckets' range):
/// alpha the per-message latency, beta the bandwidth.
/// Open MPI may pick another algorithm per size; the fit gives the effective parameters
/// of the formula the model uses, and each size's residual is printed. Also the one-float
/// MAX allreduce (a Q8BERT range synchronization) on its own.
/// Prints a table and one "LINK {json}" line (rank 0).
func runAllreduceCostBench(maxMiB: Double) throws {
    let comm = Communicator.launchedByMPI ? try Communicator.world() : .single()
    defer { try? comm.finalize() }
    let W = comm.size
    guard W > 1 else { throw BenchError.message("allreduce-cost needs mpirun -n W with W >= 2") }
    var sizes: [Int] = [4, 64, 1 << 10, 16 << 10, 128 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]
    sizes = sizes.filter { Double($0) <= maxMiB * 1048576 }
    let buffer = FloatBuffer(count: (sizes.max() ?? 4) / 4)
    for i in 0..<buffer.count { buffer[i] = Float(i % 7) }
    var medians = [Double]()
    for n in sizes {
        let reps = max(5, min(200, (64 << 20) / max(n, 1) / 4))
        var times = [Float]()
        try comm.allreduceSum(buffer.pointer, count: n / 4)   // warm-up (connections, buffers)
        for _ in 0..<reps {
            try comm.barrier()
            let t0 = now()
            try comm.allreduceSum(buffer.pointer, count: n / 4)
            times.append(Float(now() - t0))
        }
        try times.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
        medians.append(median(times.map(Double.init)))
    }
    var oneFloat = [Float]()
    for _ in 0..<200 {
        try comm.barrier()
        let t0 = now()
        _ = try comm.allreduceMax(Float(comm.rank))
        oneFloat.append(Float(now() - t0))
    }
    try oneFloat.withUnsafeMutableBufferPointer { try comm.allreduceMax($0.baseAddress!, count: $0.count) }
    let rangeSync = median(oneFloat.map(Double.init))

    // t = a + b n, weights 1/t (relative error), over the sizes of gradient buckets (64 KiB
    // and up; smaller messages take other algorithms): a = 2 (W-1) alpha, b = 2 (W-1) / (W beta).
    var sww = 0.0, swn = 0.0, swnn = 0.0, swt = 0.0, swnt = 0.0
    for (n, t) in zip(sizes, medians) where n >= 64 << 10 || sizes.max()! < 64 << 10 {
        let w = 1 / (t * t), x = Double(n)
        sww += w; swn += w * x; swnn += w * x * x; swt += w * t; swnt += w * x * t
    }
    let det = sww * swnn - swn * swn
    let a = (swnn * swt - swn * swnt) / det, b = (sww * swnt - swn * swt) / det
    let alpha = max(a, 0) / Double(2 * (W - 1)), beta = Double(2 * (W - 1)) / (Double(W) * b)
    guard comm.isRoot else { return }
    print("allreduce-cost: \(W) ranks, \(cpuModelName()); blocking MPI_Allreduce SUM of floats, slowest rank, median")
    print("  bytes/rank      measured      ring fit   fit error")
    for (n, t) in zip(sizes, medians) {
        let fit = a + b * Double(n)
        print(String(format: "  %10d  %9.1f us  %9.1f us  %+7.1f%%", n, t * 1e6, fit * 1e6, 100 * (fit - t) / t))
    }
    print(String(format: "  fit: alpha = %.2f us per message, beta = %.2f GB/s (%.1f Gb/s); one-float MAX allreduce %.1f us",
                 alpha * 1e6, beta / 1e9, beta * 8 / 1e9, rangeSync * 1e6))
    let link: [String: Any] = ["ranks": W, "alpha_s": alpha, "beta_bytes_per_s": beta, "range_sync_s": rangeSync,
                               "sizes": sizes, "measured_s": medians, "cpu": cpuModelName()]
    let json = try JSONSerialization.data(withJSONObject: link, options: [.sortedKeys])
    print("LINK " + String(decoding: json, as: UTF8.self))
}
