/// A record type of a run's log (OUTPUT/log.jsonl): one JSON object per line, its fields in
/// snake_case, plus a "type" field naming the record type (`type`). The writer adds "type";
/// the reader looks at it first to pick the record type.
public protocol RunLogRecord: Codable, Sendable {
    /// The record's "type" in the log: "config", "step", "eval", ...
    static var type: String { get }
}
