import Dist
import FaultInjection
import Foundation

// q8dist-harness, test-only (not a product): Dist's collectives, reducer and sampler checked
// on every rank, and training with an injected fault, for `mpirun -n W q8dist-harness MODE`
// (DistTests run it) or directly as one rank.
//
// Modes, one or several per run (each rank prints "rank r/W: OK MODE" after each, or
// "rank r/W: FAIL MODE: reason" and aborts the job with exit status 1); default info:
//   info                  rank, size, local rank and size, thread level
//   allreduce             sums, maxima, broadcast, (all)gather, also split into small pieces
//   reducer               bucketed non-blocking reducer == blocking allreduce, on every rank
//   tree                  the deterministic reduction == the single-process tree, bit for bit
//   sparse                the row-sparse word-embedding exchange == the dense one
//   sampler               per-rank batches disjoint and covering each global batch; eval shards
//   verify-mismatch       verifyIdentical catches a different hash on rank 1
//   mpi-error             an invalid MPI call on the last rank ends the job (abortsOnError)
//   train FILE [POISON]   a fine-tuning with the settings of the JSON run config FILE, the
//                         gradients poisoned as POISON says ("steps=3-4,rank=1,tensor=KEY")
//   sleep SECONDS         does nothing for a while (tests of the harness's time limit)

setvbuf(stdout, nil, _IOLBF, 0)
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.isEmpty { arguments = ["info"] }

let comm: Communicator
do {
    comm = try Communicator.world()
} catch {
    FileHandle.standardError.write("q8dist-harness: \(error)\n".data(using: .utf8)!)
    exit(1)
}

// Several modes may follow each other in one run: `q8dist-harness allreduce reducer`.
let checks = Checks(comm: comm)
var mode = ""
do {
    var k = 0
    while k < arguments.count {
        mode = arguments[k]
        k += 1
        switch mode {
        case "info": checks.info()
        case "allreduce": try checks.checkAllreduce()
        case "reducer": try checks.checkReducer()
        case "tree": try checks.checkTreeReduction()
        case "sparse": try checks.checkSparseRows()
        case "sampler": try checks.checkSampler()
        case "verify-mismatch": try checks.checkVerifyMismatch()
        case "mpi-error": try checks.failOneCollective()
        case "train":
            guard k < arguments.count else { throw CheckFailure("usage: q8dist-harness train SETTINGS.json [POISON]") }
            let settingsFile = arguments[k]
            k += 1
            var poison: GradientPoison?
            if k < arguments.count, arguments[k].hasPrefix("steps=") {
                poison = try GradientPoison.parse(arguments[k])
                k += 1
            }
            try TrainingRun(comm: comm, settingsFile: settingsFile, poison: poison).run()
        case "sleep":   // for the test harness's time limit
            guard k < arguments.count, let seconds = UInt32(arguments[k]) else {
                throw CheckFailure("usage: q8dist-harness sleep SECONDS")
            }
            k += 1
            sleep(seconds)
        default: throw CheckFailure("unknown mode \(mode)")
        }
        checks.say("OK \(mode)")
    }
    try comm.finalize()
} catch {
    checks.say("FAIL \(mode): \(error)")
    fflush(stdout)
    comm.abort(errorCode: 1)
}
