/// Errors raised while reading a task file.
///
/// `file` is the file's path (or the caller's label for in-memory data); `line` is 1-based and
/// counts every line of the file, the header included. Values quoted from the file are cut to
/// 60 characters.
public enum TSVError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The file holds nothing but line breaks (or a byte order mark); `expected` describes
    /// its layout.
    case emptyFile(file: String, expected: String)
    /// No example: the file has only a header (or every row was malformed and skipped);
    /// `line` is where the first example should have been.
    case noExamples(file: String, line: Int, skipped: Int)
    /// A line is not valid UTF-8; `byte` is the 1-based offset of the first bad byte in it.
    case invalidUTF8(file: String, line: Int, byte: Int)
    /// The header does not name a column the task needs.
    case missingHeaderColumn(file: String, line: Int, column: String, header: [String])
    /// A row has fewer tab-separated fields than the task needs.
    case missingField(file: String, line: Int, column: String, found: Int, expected: Int)
    /// A label is not one of the task's labels.
    case unknownLabel(file: String, line: Int, label: String, labels: [String])
    /// A regression target is not a finite number.
    case badScore(file: String, line: Int, value: String)
    /// A regression target is outside the task's range.
    case scoreOutOfRange(file: String, line: Int, value: Double, range: ClosedRange<Double>)
    /// The layout cannot be applied (a named column in a file without header, a negative
    /// position): a programming error in the task definition, not in the file.
    case invalidLayout(file: String, detail: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case let .unreadable(file, _), let .emptyFile(file, _), let .noExamples(file, _, _),
             let .invalidUTF8(file, _, _), let .missingHeaderColumn(file, _, _, _),
             let .missingField(file, _, _, _, _), let .unknownLabel(file, _, _, _),
             let .badScore(file, _, _), let .scoreOutOfRange(file, _, _, _), let .invalidLayout(file, _):
            return file
        }
    }

    /// The 1-based line the error is about, when there is one.
    public var line: Int? {
        switch self {
        case .unreadable, .invalidLayout: return nil
        case .emptyFile: return 1
        case let .noExamples(_, line, _), let .invalidUTF8(_, line, _), let .missingHeaderColumn(_, line, _, _),
             let .missingField(_, line, _, _, _), let .unknownLabel(_, line, _, _), let .badScore(_, line, _),
             let .scoreOutOfRange(_, line, _, _):
            return line
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read: \(reason)"
        case let .emptyFile(file, expected):
            return "\(file), line 1: empty file; expected \(expected), then tab-separated examples"
        case let .noExamples(file, line, skipped):
            let why = skipped == 0 ? "" : " (all \(skipped) rows were malformed and skipped)"
            return "\(file), line \(line): no examples\(why); expected at least one tab-separated row"
        case let .invalidUTF8(file, line, byte):
            return "\(file), line \(line): not valid UTF-8 (byte \(byte) of the line); expected UTF-8 text"
        case let .missingHeaderColumn(file, line, column, header):
            return "\(file), line \(line): column '\(Self.cut(column))' not in header \(header.map(Self.cut))"
        case let .missingField(file, line, column, found, expected):
            return "\(file), line \(line): found \(found) tab-separated field\(found == 1 ? "" : "s"), "
                + "expected at least \(expected) (for \(column))"
        case let .unknownLabel(file, line, label, labels):
            return "\(file), line \(line): label '\(Self.cut(label))' not in the label list \(labels)"
        case let .badScore(file, line, value):
            return "\(file), line \(line): score '\(Self.cut(value))' is not a number; expected a finite number"
        case let .scoreOutOfRange(file, line, value, range):
            return "\(file), line \(line): score \(value) is outside [\(range.lowerBound), \(range.upperBound)]"
        case let .invalidLayout(file, detail):
            return "\(file): invalid task layout: \(detail)"
        }
    }

    static func cut(_ text: String) -> String {
        text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }
}
