/// Errors raised when choosing or defining a task, before any file is read.
public enum TaskError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No task has this name.
    case unknownTask(name: String, known: [String])
    /// The task has no such split (only MNLI has the mismatched ones).
    case splitUnavailable(task: String, split: Split, available: [Split])
    /// A generic `tsv` task definition is inconsistent.
    case invalidDefinition(task: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownTask(name, known):
            return "unknown task '\(name)'; expected one of \(known.joined(separator: ", "))"
        case let .splitUnavailable(task, split, available):
            return "task \(task) has no \(split) split; expected one of "
                + available.map(\.rawValue).joined(separator: ", ")
        case let .invalidDefinition(task, reason):
            return "task \(task): \(reason)"
        }
    }
}
