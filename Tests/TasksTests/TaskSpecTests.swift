import Foundation
import XCTest
@testable import Tasks

/// Task definitions: names, labels, files, metrics.
final class TaskSpecTests: XCTestCase {
    func testNamedTasks() throws {
        XCTAssertEqual(try TaskSpec.named("sst2"), GlueTask.sst2.spec)
        XCTAssertEqual(try TaskSpec.named("SST-2").name, "sst2")
        XCTAssertEqual(try TaskSpec.named("STS_B").name, "stsb")
        for task in GlueTask.allCases { XCTAssertEqual(try TaskSpec.named(task.rawValue).name, task.rawValue) }

        let unknown = expectError(TaskError.self) { try TaskSpec.named("wnli") }
        XCTAssertEqual(unknown, .unknownTask(name: "wnli", known: TaskSpec.knownNames))
        assertMessage(unknown, contains: ["unknown task 'wnli'", "sst2, cola, mrpc, rte, qnli, qqp, mnli, stsb, movie, tsv"])
        assertMessage(expectError(TaskError.self) { try TaskSpec.named("tsv") }, contains: ["TaskSpec.tsv("])
    }

    func testLabelsAndOutputs() {
        let expected: [GlueTask: [String]] = [
            .sst2: ["0", "1"], .cola: ["0", "1"], .mrpc: ["0", "1"], .qqp: ["0", "1"], .movie: ["0", "1"],
            .rte: ["entailment", "not_entailment"], .qnli: ["entailment", "not_entailment"],
            .mnli: ["contradiction", "entailment", "neutral"], .stsb: [],
        ]
        for task in GlueTask.allCases {
            let spec = task.spec
            XCTAssertEqual(spec.labels, expected[task], "\(task)")
            XCTAssertEqual(spec.labelNames.count, spec.labels.count, "\(task)")
            XCTAssertEqual(spec.isRegression, task == .stsb)
            XCTAssertEqual(spec.numOutputs, task == .stsb ? 1 : spec.labels.count)
        }
        XCTAssertEqual(GlueTask.movie.spec.labelNames, ["negative", "positive"])
        XCTAssertEqual(GlueTask.sst2.spec.labelNames, ["negative", "positive"])
        XCTAssertEqual(GlueTask.cola.spec.labelNames, ["unacceptable", "acceptable"])
        XCTAssertEqual(GlueTask.stsb.spec.targetRange, 0...5)
    }

    func testFilesAndSplits() {
        for task in GlueTask.allCases where task != .mnli {
            let spec = task.spec
            XCTAssertEqual(spec.splits, [.train, .dev, .test])
            XCTAssertEqual(spec.evaluationSplits, [.dev])
            XCTAssertEqual(spec.fileName(for: .train), "train.tsv")
            XCTAssertEqual(spec.fileName(for: .dev), "dev.tsv")
            XCTAssertEqual(spec.fileName(for: .test), "test.tsv")
            XCTAssertNil(spec.fileName(for: .devMismatched))
            XCTAssertTrue(spec.isLabeled(.train) && spec.isLabeled(.dev))
            XCTAssertEqual(spec.isLabeled(.test), task == .movie, "\(task)")
        }
        let mnli = GlueTask.mnli.spec
        XCTAssertEqual(mnli.splits, Split.allCases)
        XCTAssertEqual(mnli.evaluationSplits, [.dev, .devMismatched])
        XCTAssertEqual(Split.allCases.map { mnli.fileName(for: $0) },
                       ["train.tsv", "dev_matched.tsv", "test_matched.tsv", "dev_mismatched.tsv", "test_mismatched.tsv"])
        XCTAssertFalse(mnli.isLabeled(.testMismatched))
        XCTAssertEqual(try mnli.url(for: .devMismatched, in: URL(fileURLWithPath: "/data/MNLI")).path,
                       "/data/MNLI/dev_mismatched.tsv")
        XCTAssertEqual(Split(rawValue: "dev_mismatched"), .devMismatched)
    }

    func testColumnsFollowTheHuggingFaceProcessors() {
        XCTAssertEqual(GlueTask.cola.spec.layout(for: .train),
                       TSVLayout(hasHeader: false, textA: .position(3), label: .position(1)))
        XCTAssertEqual(GlueTask.cola.spec.layout(for: .test), .header("sentence"))
        XCTAssertEqual(GlueTask.mrpc.spec.layout(for: .dev), .header("#1 String", "#2 String", label: "Quality"))
        XCTAssertEqual(GlueTask.qqp.spec.layout(for: .train), .header("question1", "question2", label: "is_duplicate"))
        XCTAssertEqual(GlueTask.mnli.spec.layout(for: .devMismatched), .header("sentence1", "sentence2", label: "gold_label"))
        XCTAssertEqual(GlueTask.stsb.spec.layout(for: .test), .header("sentence1", "sentence2"))
    }

    func testMetrics() {
        let expected: [GlueTask: ([Metric], Metric)] = [
            .sst2: ([.accuracy], .accuracy), .movie: ([.accuracy], .accuracy), .qnli: ([.accuracy], .accuracy),
            .rte: ([.accuracy], .accuracy), .mnli: ([.accuracy], .accuracy),
            .mrpc: ([.accuracy, .f1], .f1), .qqp: ([.accuracy, .f1], .f1),
            .cola: ([.mcc], .mcc), .stsb: ([.pearson, .spearman], .pearson),
        ]
        for task in GlueTask.allCases {
            XCTAssertEqual(task.spec.metrics.metrics, expected[task]?.0, "\(task)")
            XCTAssertEqual(task.spec.metrics.main, expected[task]?.1, "\(task)")
        }
        XCTAssertEqual(MetricSet([.accuracy], main: .f1).metrics, [.f1, .accuracy])
        XCTAssertEqual(MetricSet([.f1, .f1, .accuracy], main: .f1).metrics, [.f1, .accuracy])
    }

    func testGenericDefinitions() throws {
        let binary = try TaskSpec.tsv(textColumns: ["text"], labelColumn: "label", labels: ["neg", "pos"])
        XCTAssertEqual(binary.metrics, MetricSet([.accuracy, .f1, .mcc], main: .accuracy))
        XCTAssertEqual(binary.layout(for: .train), .header("text", label: "label"))
        XCTAssertTrue(binary.layout(for: .test)?.labelIsOptional ?? false)
        XCTAssertEqual(binary.numOutputs, 2)
        let three = try TaskSpec.tsv(textColumns: ["a", "b"], labelColumn: "y", labels: ["x", "y", "z"], name: "nli")
        XCTAssertEqual(three.name, "nli")
        XCTAssertEqual(three.metrics.metrics, [.accuracy, .mcc])
        let regression = try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", regression: true)
        XCTAssertEqual(regression.metrics.main, .pearson)
        XCTAssertNil(regression.targetRange)
        XCTAssertEqual(regression.numOutputs, 1)

        let bad: [() throws -> TaskSpec] = [
            { try TaskSpec.tsv(textColumns: [], labelColumn: "y", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: ["a", "b", "c"], labelColumn: "y", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: [""], labelColumn: "y", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "a", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: " y", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", "a"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", "b "]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", ""]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", "b\r\n"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", "b\tc"]) },
            { try TaskSpec.tsv(textColumns: ["a\nb"], labelColumn: "y", labels: ["a", "b"]) },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y") },
            { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a", "b"], regression: true) },
        ]
        for (i, make) in bad.enumerated() {
            let error = expectError(TaskError.self, make)
            if case .invalidDefinition = error {} else { XCTFail("case \(i): \(String(describing: error))") }
        }
        assertMessage(expectError(TaskError.self) { try TaskSpec.tsv(textColumns: ["a"], labelColumn: "y", labels: ["a"]) },
                      contains: ["task tsv", "at least two labels"])
    }
}
