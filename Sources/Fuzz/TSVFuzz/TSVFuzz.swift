import Foundation
import FuzzSupport
import Tasks

/// libFuzzer target: the TSV reader under every task layout (the GLUE tasks' splits, `movie`,
/// and generic `tsv` tasks, classification and regression), strict and skipping malformed rows.
///
/// Input: the file. What a reader accepts must hold at least one example, every label a class
/// of the task, every target finite and in the task's range, text present where the layout
/// needs it, and indices increasing; every error (thrown or skipped) names the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func tsvFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    for task in tasks {
        for split in task.splits {
            for skip in [false, true] {
                check(task, split, data, ReadOptions(skipMalformed: skip))
            }
        }
    }
    return 0
}

private func check(_ task: TaskSpec, _ split: Split, _ data: Data, _ options: ReadOptions) {
    let dataset: Dataset
    do {
        dataset = try task.parse(data, split: split, file: "fuzz.tsv", options: options)
    } catch {
        let message = "\(error)"
        fuzzCheck(message.contains("fuzz.tsv"), "error without the file name: \(message)")
        return
    }
    fuzzCheck(!dataset.examples.isEmpty, "accepted a file without examples")
    for error in dataset.skipped { fuzzCheck("\(error)".contains("fuzz.tsv"), "skipped-row error without the file name") }
    var previous = -1
    for example in dataset.examples {
        fuzzCheck(example.index > previous, "indices not increasing")
        previous = example.index
        if let label = example.label { fuzzCheck(task.labels.indices.contains(label), "label \(label) of \(task.name)") }
        if let target = example.target {
            fuzzCheck(task.isRegression && target.isFinite, "target \(target) of \(task.name)")
            if let range = task.targetRange { fuzzCheck(range.contains(Double(target)), "target \(target) out of \(range)") }
        }
        fuzzCheck(dataset.isLabeled == example.isLabeled, "labeled and unlabeled examples in one file")
        fuzzCheck((task.layout(for: split)?.textB != nil) == (example.textB != nil), "second text present or missing")
    }
}

private let tasks: [TaskSpec] = GlueTask.allCases.map(\.spec) + [
    try! TaskSpec.tsv(textColumns: ["text"], labelColumn: "label", labels: ["neg", "pos", "neutral"]),
    try! TaskSpec.tsv(textColumns: ["premise", "hypothesis"], labelColumn: "score", regression: true),
]
