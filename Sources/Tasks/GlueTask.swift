/// The built-in tasks: GLUE's (layouts as in the GLUE distribution and Hugging Face's
/// `transformers/data/processors/glue.py`) and our bundled `movie` task.
///
/// Field numbers below are the 0-based indices Hugging Face uses. We look columns up by their
/// header names instead, which finds the same fields in the real files (and tolerates extra
/// columns); the label columns HF reads as `line[-1]` are the header's last column.
public enum GlueTask: String, CaseIterable, Sendable {
    /// SST-2: `sentence, label` (0/1); test `index, sentence`.
    case sst2
    /// CoLA: no header; `source, label, original-label-star, sentence` (label 1, text 3);
    /// test has a header `index, sentence`.
    case cola
    /// MRPC: `Quality, #1 ID, #2 ID, #1 String, #2 String` (label 0, texts 3 and 4); test has
    /// `index` in place of `Quality`.
    case mrpc
    /// RTE: `index, sentence1, sentence2, label` (entailment / not_entailment); test unlabeled.
    case rte
    /// QNLI: `index, question, sentence, label` (entailment / not_entailment); test unlabeled.
    case qnli
    /// QQP: `id, qid1, qid2, question1, question2, is_duplicate` (texts 3 and 4, label 5);
    /// test `id, question1, question2`. The real train file has malformed rows: see
    /// `ReadOptions.skipMalformed`.
    case qqp
    /// MNLI: many columns, `sentence1` at 8, `sentence2` at 9, `gold_label` last
    /// (contradiction / entailment / neutral); dev and test files come matched and mismatched.
    case mnli
    /// STS-B: `sentence1` at 7, `sentence2` at 8, `score` last, a number in [0, 5]; regression.
    case stsb
    /// Our bundled movie-review sentiment data: SST-2's layout, 0 = negative, 1 = positive,
    /// and all three splits labeled.
    case movie

    /// The task's full definition.
    public var spec: TaskSpec {
        let standardFiles: [Split: String] = [.train: "train.tsv", .dev: "dev.tsv", .test: "test.tsv"]
        let binary = ["0", "1"]
        let nli = ["entailment", "not_entailment"]
        let accuracy = MetricSet([.accuracy], main: .accuracy)
        let accuracyAndF1 = MetricSet([.accuracy, .f1], main: .f1)

        /// The same labeled layout for train and dev, `test` for the test file.
        func layouts(_ labeled: TSVLayout, test: TSVLayout) -> [Split: TSVLayout] {
            [.train: labeled, .dev: labeled, .test: test]
        }

        switch self {
        case .sst2:
            let labeled = TSVLayout.header("sentence", label: "label")
            return TaskSpec(name: rawValue, labels: binary, labelNames: ["negative", "positive"],
                            files: standardFiles, layouts: layouts(labeled, test: labeled.unlabeled),
                            metrics: accuracy)
        case .cola:
            let labeled = TSVLayout(hasHeader: false, textA: .position(3), label: .position(1))
            return TaskSpec(name: rawValue, labels: binary, labelNames: ["unacceptable", "acceptable"],
                            files: standardFiles, layouts: layouts(labeled, test: .header("sentence")),
                            metrics: MetricSet([.mcc], main: .mcc))
        case .mrpc:
            let labeled = TSVLayout.header("#1 String", "#2 String", label: "Quality")
            return TaskSpec(name: rawValue, labels: binary, labelNames: ["not_equivalent", "equivalent"],
                            files: standardFiles, layouts: layouts(labeled, test: labeled.unlabeled),
                            metrics: accuracyAndF1)
        case .rte:
            let labeled = TSVLayout.header("sentence1", "sentence2", label: "label")
            return TaskSpec(name: rawValue, labels: nli, files: standardFiles,
                            layouts: layouts(labeled, test: labeled.unlabeled), metrics: accuracy)
        case .qnli:
            let labeled = TSVLayout.header("question", "sentence", label: "label")
            return TaskSpec(name: rawValue, labels: nli, files: standardFiles,
                            layouts: layouts(labeled, test: labeled.unlabeled), metrics: accuracy)
        case .qqp:
            let labeled = TSVLayout.header("question1", "question2", label: "is_duplicate")
            return TaskSpec(name: rawValue, labels: binary, labelNames: ["not_duplicate", "duplicate"],
                            files: standardFiles, layouts: layouts(labeled, test: labeled.unlabeled),
                            metrics: accuracyAndF1)
        case .mnli:
            let labeled = TSVLayout.header("sentence1", "sentence2", label: "gold_label")
            let test = labeled.unlabeled
            return TaskSpec(
                name: rawValue, labels: ["contradiction", "entailment", "neutral"],
                files: [.train: "train.tsv", .dev: "dev_matched.tsv", .devMismatched: "dev_mismatched.tsv",
                        .test: "test_matched.tsv", .testMismatched: "test_mismatched.tsv"],
                layouts: [.train: labeled, .dev: labeled, .devMismatched: labeled,
                          .test: test, .testMismatched: test],
                metrics: accuracy)
        case .stsb:
            let labeled = TSVLayout.header("sentence1", "sentence2", label: "score")
            return TaskSpec(name: rawValue, labels: [], isRegression: true, targetRange: 0...5,
                            files: standardFiles, layouts: layouts(labeled, test: labeled.unlabeled),
                            metrics: MetricSet([.pearson, .spearman], main: .pearson))
        case .movie:
            let labeled = TSVLayout.header("sentence", label: "label")
            return TaskSpec(name: rawValue, labels: binary, labelNames: ["negative", "positive"],
                            files: standardFiles, layouts: layouts(labeled, test: labeled), metrics: accuracy)
        }
    }
}
