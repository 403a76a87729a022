import ModelFormat
/// One record of a log as read, with its line number (1-based).
public struct RunLogEntry: Sendable {
    public var line: Int
    public var record: Record

    /// A record of each type the reader knows; `unknown` for the types of a newer q8train,
    /// whose fields are skipped. Settings are read as they are (`JSONValue`).
    public enum Record: Sendable {
        case config(ConfigRecord<JSONValue>)
        case resume(ResumeRecord<JSONValue>)
        case step(StepRecord)
        case badStep(BadStepRecord)
        case stopped(StoppedRecord)
        case checkpoint(CheckpointRecord)
        case quant(QuantRecord)
        case eval(EvalRecord)
        case summary(SummaryRecord)
        case unknown(type: String)
    }
}

/// A whole log as read.
public struct RunLogContents: Sendable {
    /// The log's path, for messages.
    public var path: String
    /// Its records in file order.
    public var entries: [RunLogEntry]
    /// Problems that did not stop the reading (a last line cut short by a killed run).
    public var warnings: [String]
}
