/// Where a field is found in a row: by header name, or by 0-based position (files without
/// a header, such as CoLA's train and dev files).
public enum Column: Sendable, Equatable, CustomStringConvertible {
    case named(String)
    case position(Int)

    public var description: String {
        switch self {
        case let .named(name): return "'\(name)'"
        case let .position(index): return "field \(index + 1)"
        }
    }
}
