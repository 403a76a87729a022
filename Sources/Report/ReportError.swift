import RunLog

/// Errors reading a run folder or writing its report; each message names the file (and the
/// line of `log.jsonl` when one is at fault).
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// The run folder has no `log.jsonl`.
    case missingLog(path: String)
    /// The log cannot be read, or a line of it is not a record (other than a last line cut short).
    case badLog(RunLogError)
    /// The log holds no records at all.
    case emptyLog(path: String)
    /// The report could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingLog(let path):
            return "\(path): file not found (is this a q8train run folder?)"
        case .badLog(let error):
            return error.description
        case .emptyLog(let path):
            return "\(path): the log is empty (no records; the run may not have started)"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the report: \(reason)"
        }
    }
}
