/// How strictly a task file is read.
public struct ReadOptions: Sendable, Equatable {
    /// Off (the default): the first malformed row is an error naming its line. On: malformed
    /// rows (too few fields, unknown label, bad score, invalid UTF-8) are skipped and returned
    /// in `Dataset.skipped`, as Hugging Face skips QQP rows that fail to parse. Header problems
    /// and empty files are errors either way.
    public var skipMalformed: Bool

    public init(skipMalformed: Bool = false) {
        self.skipMalformed = skipMalformed
    }
}
