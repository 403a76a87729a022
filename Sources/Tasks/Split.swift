/// A part of a task's data: what the model trains on, selects on, or predicts for.
///
/// Only MNLI has the mismatched splits (`dev_mismatched.tsv`, `test_mismatched.tsv`); its
/// `dev` and `test` are the matched ones. The raw value is the name used on the command line.
public enum Split: String, CaseIterable, Sendable, CustomStringConvertible {
    case train
    case dev
    case test
    case devMismatched = "dev_mismatched"
    case testMismatched = "test_mismatched"

    public var description: String { rawValue }
}
