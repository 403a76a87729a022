/// A log that cannot be read; each message names the file, and the line when one is at fault.
public enum RunLogError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// A line is not valid JSON.
    case malformedLine(path: String, line: Int, reason: String)
    /// A line is valid JSON but not a record: not an object, or no string "type".
    case notARecord(path: String, line: Int, reason: String)
    /// A record lacks a field it cannot do without.
    case missingField(path: String, line: Int, field: String)
    /// A field holds the wrong kind of value (`field` dotted for nested ones: "layers.fc").
    case invalidField(path: String, line: Int, field: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): malformed JSON: \(reason)"
        case .notARecord(let path, let line, let reason):
            return "\(path):\(line): not a log record: \(reason)"
        case .missingField(let path, let line, let field):
            return "\(path):\(line): missing field \"\(field)\""
        case .invalidField(let path, let line, let field, let expected):
            return "\(path):\(line): field \"\(field)\" must be \(expected)"
        }
    }
}
