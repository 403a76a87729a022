/// One row of a task file.
///
/// `index` is the 0-based number of the data row in its file, the header excluded, so the
/// example came from line `index + 1`, or `index + 2` when the file has a header. Rows skipped
/// as malformed keep their numbers, so indices can have gaps. It equals the `index` column of
/// the GLUE test files, the one a submission must echo.
///
/// A classification example has `label` (the class id: the position of its label in
/// `TaskSpec.labels`), a regression example has `target`; an example from an unlabeled file
/// (GLUE test sets) has neither.
public struct Example: Sendable, Equatable {
    public var index: Int
    public var textA: String
    public var textB: String?
    public var label: Int?
    public var target: Float?

    public init(index: Int, textA: String, textB: String? = nil, label: Int? = nil, target: Float? = nil) {
        self.index = index
        self.textA = textA
        self.textB = textB
        self.label = label
        self.target = target
    }

    /// Whether the example carries a gold label or target.
    public var isLabeled: Bool { label != nil || target != nil }
}
