import Dist
import Foundation

// q8dist-demo: Dist's collectives, reducer and sampler checked on every rank, for
// `mpirun -n W q8dist-demo MODE` (DistTests run it) or directly as one rank.
//
// Modes, one or several per run (each rank prints "rank r/W: OK MODE" after each, or
// "rank r/W: FAIL MODE: reason" and aborts the job with exit status 1); default info:
//   info                  rank, size, local rank and size, thread level
//   allreduce             sums, maxima, broadcast, (all)gather, also split into small pieces
//   reducer               bucketed non-blocking reducer == blocking allreduce, on every rank
//   sampler               per-rank batches disjoint and covering each global batch; eval shards
//   verify-mismatch       verifyIdentical catches a different hash on rank 1
//   bench-allreduce MB    timings of a blocking allreduce of MB megabytes and of the reducer
//                         over the MiniLM-L6-H384 layout
//   sleep SECONDS         does nothing for a while (tests of the harness's time limit)

setvbuf(stdout, nil, _IOLBF, 0)
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty { arguments = ["info"] }

let comm: Communicator
do {
    comm = try Communicator.world()
} catch {
    FileHandle.standardError.write("q8dist-demo: \(error)\n".data(using: .utf8)!)
    exit(1)
}

// Several modes may follow each other in one run: `q8dist-demo allreduce reducer`.
let demo = Demo(comm: comm)
var mode = ""
do {
    var k = 0
    while k < arguments.count {
        mode = arguments[k]
        k += 1
        switch mode {
        case "info": demo.info()
        case "allreduce": try demo.checkAllreduce()
        case "reducer": try demo.checkReducer()
        case "tree": try demo.checkTreeReduction()
        case "sampler": try demo.checkSampler()
        case "verify-mismatch": try demo.checkVerifyMismatch()
        case "mpi-error": try demo.failOneCollective()
        case "bench-allreduce":
            guard k < arguments.count, let mb = Double(arguments[k]), mb > 0 else {
                throw DemoFailure("usage: q8dist-demo bench-allreduce MB")
            }
            k += 1
            try demo.benchAllreduce(megabytes: mb)
        case "sleep":   // for the test harness's time limit
            guard k < arguments.count, let seconds = UInt32(arguments[k]) else {
                throw DemoFailure("usage: q8dist-demo sleep SECONDS")
            }
            k += 1
            sleep(seconds)
        default: throw DemoFailure("unknown mode \(mode)")
        }
        demo.say("OK \(mode)")
    }
    try comm.finalize()
} catch {
    demo.say("FAIL \(mode): \(error)")
    fflush(stdout)
    comm.abort(errorCode: 1)
}
