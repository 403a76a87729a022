/// The shape of one task file: whether its first line is a header, and which columns hold the
/// texts and the label.
///
/// Columns given by name are looked up in the header (first match); the header must name them
/// all. `label == nil` means the file is unlabeled (GLUE test sets). With `labelIsOptional`
/// the label column is read when the header names it and the file is unlabeled otherwise
/// (the generic `tsv` task's test split).
public struct TSVLayout: Sendable, Equatable {
    public var hasHeader: Bool
    public var textA: Column
    public var textB: Column?
    public var label: Column?
    public var labelIsOptional: Bool

    public init(hasHeader: Bool = true, textA: Column, textB: Column? = nil, label: Column? = nil,
                labelIsOptional: Bool = false) {
        self.hasHeader = hasHeader
        self.textA = textA
        self.textB = textB
        self.label = label
        self.labelIsOptional = labelIsOptional
    }

    /// A headered layout whose columns are all named.
    public static func header(_ textA: String, _ textB: String? = nil, label: String? = nil) -> TSVLayout {
        TSVLayout(textA: .named(textA), textB: textB.map { .named($0) }, label: label.map { .named($0) })
    }

    /// The same layout without its label column (the unlabeled test file of a task).
    public var unlabeled: TSVLayout {
        var copy = self
        copy.label = nil
        copy.labelIsOptional = false
        return copy
    }

    /// What the file should look like, for error messages: `sentence<TAB>label` or
    /// `no header; text in field 4, label in field 2`.
    var summary: String {
        let columns = [textA, textB, label].compactMap { $0 }
        if hasHeader, columns.allSatisfy({ if case .named = $0 { return true } else { return false } }) {
            return "a header naming " + columns.map(\.description).joined(separator: ", ")
        }
        var parts = ["text in \(textA)"]
        if let textB { parts.append("second text in \(textB)") }
        if let label { parts.append("label in \(label)") }
        return (hasHeader ? "a header, then rows with " : "no header; rows with ") + parts.joined(separator: ", ")
    }
}
