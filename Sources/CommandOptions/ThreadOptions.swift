import ArgumentParser
import Tensor

/// `--threads`, for every command that computes: worker threads of this process.
public struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads per process. (default: the CPUs of its affinity mask, divided among the ranks on this machine that share them)")
    public var threads: Int?

    public init() {}

    public func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, found \(threads)") }
    }

    /// Starts the worker threads: the given count, else the affinity mask's CPUs (one process).
    public func configure() {
        Parallel.configure(threads: threads ?? CPUAffinity.cpus().count)
    }
}
