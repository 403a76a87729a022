/// Everything that can go wrong in data-parallel training, as values.
public enum DistError: Error, Equatable, CustomStringConvertible {
    /// An MPI call returned `code` (the communicator uses MPI_ERRORS_RETURN); `message` is
    /// MPI_Error_string's text for it.
    case mpi(function: String, code: Int32, message: String)
    /// MPI gave a lower thread support level than the one asked for.
    case threadLevel(requested: Communicator.ThreadLevel, provided: Communicator.ThreadLevel)
    /// `Communicator.world()` after `finalize()`: MPI cannot be initialized twice.
    case finalized
    /// Rank `rank` holds a different `what` (configuration, parameters, dataset...) than rank 0.
    case mismatch(what: String, rank: Int)
    /// The global batch must split evenly over the ranks.
    case batchSizeNotDivisible(globalBatchSize: Int, worldSize: Int)
    /// A sampler or shard argument out of range (`what` names it).
    case invalidArgument(what: String, value: Int)
    /// A gradient-layout key that `BucketPlan` cannot assign to a layer.
    case unknownParameter(String)
    /// Layout entries must go embeddings, layer 0, ..., layer L-1, head (forward order);
    /// `name` (layer `layer`) comes after a parameter of layer `previousLayer`.
    case layerOrder(name: String, layer: Int, previousLayer: Int)
    /// A buffer does not have the length the operation needs.
    case countMismatch(what: String, expected: Int, actual: Int)
    /// Deterministic reduction: G reduction groups must be a power of two that the world
    /// size divides and that divides the global batch size.
    case reductionGroups(groups: Int, worldSize: Int, globalBatchSize: Int)
    /// Rank `rank` on `host` sees the data file at `path` differently from rank 0.
    case fileMismatch(path: String, rank: Int, host: String, detail: String)
    /// --reduction-groups needs every rank on the same OpenBLAS kernels.
    case openBLASMismatch(cores: [String])

    public var description: String {
        switch self {
        case let .mpi(function, code, message):
            return "\(function) failed with MPI error \(code): \(message)"
        case let .threadLevel(requested, provided):
            return "MPI provides thread level \(provided), \(requested) was requested"
        case .finalized:
            return "MPI was already finalized in this process; it cannot be initialized again"
        case let .mismatch(what, rank):
            return "rank \(rank) disagrees with rank 0 on \(what)"
        case let .batchSizeNotDivisible(g, w):
            return "global batch size \(g) is not divisible by the world size \(w)"
        case let .invalidArgument(what, value):
            return "invalid \(what): \(value)"
        case let .unknownParameter(name):
            return "cannot assign parameter \(name) to an encoder layer, the embeddings or the head"
        case let .layerOrder(name, layer, previous):
            return "parameter \(name) of layer \(layer) follows one of layer \(previous); "
                + "the layout must be in forward order"
        case let .countMismatch(what, expected, actual):
            return "\(what): expected \(expected) values, got \(actual)"
        case let .fileMismatch(path, rank, host, detail):
            return "rank \(rank) (host \(host)) sees \(path) differently from rank 0: \(detail); "
                + "every rank must read the same data (a shared file system, or identical copies)"
        case let .openBLASMismatch(cores):
            let list = Dictionary(grouping: cores.indices, by: { cores[$0] })
                .sorted { $0.value[0] < $1.value[0] }
                .map { "\($0.key) on rank\($0.value.count > 1 ? "s" : "") \($0.value.map(String.init).joined(separator: ","))" }
            return "--reduction-groups needs the same OpenBLAS kernels on every rank, found \(list.joined(separator: "; ")): "
                + "run every rank with one core type, e.g. mpirun -x OPENBLAS_CORETYPE=Haswell (docs/distributed.md, On a cluster)"
        case let .reductionGroups(g, w, b):
            return "--reduction-groups \(g): expected a power of two that is a multiple of the world size \(w) "
                + "and divides the global batch size \(b)"
        }
    }
}
