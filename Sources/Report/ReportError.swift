/// Errors reading a run folder or writing its report; each message names the file (and the
/// line of `log.jsonl` when one is at fault).
public enum ReportError: Error, CustomStringConvertible, Equatable {
    /// The run folder has no `log.jsonl`.
    case missingLog(path: String)
    /// The log exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The log holds no records at all.
    case emptyLog(path: String)
    /// A line is not valid JSON (`column` is 1-based, in bytes).
    case malformedLine(path: String, line: Int, column: Int, reason: String)
    /// A line is valid JSON but not a record: not an object, or no string "type".
    case notARecord(path: String, line: Int, reason: String)
    /// A record lacks a field it cannot do without.
    case missingField(path: String, line: Int, field: String)
    /// A known field holds the wrong kind of value.
    case invalidField(path: String, line: Int, field: String, expected: String)
    /// The report could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingLog(let path):
            return "\(path): file not found (is this a q8train run folder?)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .emptyLog(let path):
            return "\(path): the log is empty (no records; the run may not have started)"
        case .malformedLine(let path, let line, let column, let reason):
            return "\(path):\(line): column \(column): malformed JSON: \(reason)"
        case .notARecord(let path, let line, let reason):
            return "\(path):\(line): not a log record: \(reason)"
        case .missingField(let path, let line, let field):
            return "\(path):\(line): missing field \"\(field)\""
        case .invalidField(let path, let line, let field, let expected):
            return "\(path):\(line): field \"\(field)\" must be \(expected)"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the report: \(reason)"
        }
    }
}
