extension TaskSpec {
    /// A generic task over headered TSV files `train.tsv`, `dev.tsv`, `test.tsv`: the header
    /// names the columns; `textColumns` names one or two text columns, `labelColumn` the label.
    ///
    /// Classification: `labels` lists the label values as written, in class-id order (at
    /// least two); metrics accuracy (main), plus F1 of class 1 and MCC for two labels, MCC for
    /// more. Regression (`regression: true`, `labels` empty): any number a Float holds; metrics
    /// Pearson (main) and Spearman. The test file is labeled if its header names
    /// `labelColumn`, unlabeled otherwise.
    public static func tsv(textColumns: [String], labelColumn: String, labels: [String] = [],
                           regression: Bool = false, name: String = "tsv") throws -> TaskSpec {
        func invalid(_ reason: String) -> TaskError { .invalidDefinition(task: name, reason: reason) }
        guard (1...2).contains(textColumns.count) else {
            throw invalid("expected one or two text columns, got \(textColumns.count)")
        }
        for column in textColumns + [labelColumn] where !isCleanField(column) {
            throw invalid("column name '\(column)' is empty, has surrounding spaces, a tab or a line break")
        }
        guard !textColumns.contains(labelColumn) else {
            throw invalid("label column '\(labelColumn)' is also a text column")
        }
        if regression {
            guard labels.isEmpty else { throw invalid("a regression task takes no labels, got \(labels)") }
        } else {
            guard labels.count >= 2 else {
                throw invalid("expected at least two labels (or regression: true), got \(labels)")
            }
            guard Set(labels).count == labels.count else { throw invalid("duplicate labels in \(labels)") }
            for label in labels where !isCleanField(label) {
                throw invalid("label '\(label)' is empty, has surrounding spaces, a tab or a line break")
            }
        }
        let labeled = TSVLayout(textA: .named(textColumns[0]), textB: textColumns.count > 1 ? .named(textColumns[1]) : nil,
                                label: .named(labelColumn))
        var test = labeled
        test.labelIsOptional = true
        let metrics: MetricSet
        if regression {
            metrics = MetricSet([.pearson, .spearman], main: .pearson)
        } else if labels.count == 2 {
            metrics = MetricSet([.accuracy, .f1, .mcc], main: .accuracy)
        } else {
            metrics = MetricSet([.accuracy, .mcc], main: .accuracy)
        }
        return TaskSpec(name: name, labels: labels, isRegression: regression,
                        files: [.train: "train.tsv", .dev: "dev.tsv", .test: "test.tsv"],
                        layouts: [.train: labeled, .dev: labeled, .test: test], metrics: metrics)
    }

    /// Whether a name can match a field as the reader sees it: not empty, no tab or line
    /// break, nothing the reader trims (space, CR, VT, FF) at either end.
    private static func isCleanField(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last else { return false }
        let trimmed: Set<Unicode.Scalar> = [" ", "\r", "\u{0B}", "\u{0C}"]
        return !trimmed.contains(first) && !trimmed.contains(last)
            && !scalars.contains { $0 == "\t" || $0 == "\n" || $0 == "\r" }
    }
}
