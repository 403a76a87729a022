import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// The words of the tiny movie-layout task: a sentence's label is whether it ends in "good".
let tinyTaskWords = ["movie", "plot", "actor", "scene", "story", "music", "dull", "long", "the", "a", "good", "bad"]

extension XCTestCase {
    /// A tiny model folder and a movie-layout task in a temporary folder.
    func makeWorkspace(trainExamples: Int = 400) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q8-dp-\(UUID().uuidString)")
        let model = dir.appendingPathComponent("model"), data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["Q8_KEEP"] == nil { addTeardownBlock { try? FileManager.default.removeItem(at: dir) } } else { print("workspace \(dir.path)") }
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + tinyTaskWords
        try (vocab.joined(separator: "\n") + "\n").write(to: model.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        let config = BertConfig(vocabSize: vocab.count, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 32, maxPositionEmbeddings: 16)
        try JSONEncoder().encode(config).write(to: model.appendingPathComponent("config.json"))
        let bert = BertForSequenceClassification(config: config, numLabels: 2)
        var rng = SplitMix64(seed: 5)
        var writer = SafeTensorsWriter()
        for e in bert.layout.entries where !e.name.hasPrefix("classifier") {
            let values: [Float] = (0..<e.count).map { _ in
                e.name.hasSuffix("LayerNorm.weight") ? 1 : e.name.hasSuffix(".bias") ? 0 : Float(rng.nextNormal() * 0.05)
            }
            try writer.add(e.name, floats: values, shape: e.shape)
        }
        try writer.write(to: model.appendingPathComponent("model.safetensors"))
        for (split, n) in [("train", trainExamples), ("dev", 20), ("test", 20)] {
            var text = "sentence\tlabel\n"
            for i in 0..<n {
                let label = i % 2
                let words = (0..<(3 + (i * 7) % 5)).map { tinyTaskWords[($0 * 5 + i) % 10] } + [label == 1 ? "good" : "bad"]
                text += words.joined(separator: " ") + "\t\(label)\n"
            }
            try text.write(to: data.appendingPathComponent("\(split).tsv"), atomically: true, encoding: .utf8)
        }
        return dir
    }

    /// Starts q8train with `arguments` in the background, alone or under mpirun with `ranks`
    /// ranks, its output discarded; returns the process and a semaphore signalled at its exit.
    /// The process is SIGKILLed at teardown if it still runs.
    func start(_ arguments: [String], ranks: Int?) throws -> (Process, DispatchSemaphore) {
        let process = Process()
        if let ranks {
            process.executableURL = try HarnessRunner.mpirun()
            process.arguments = ["-n", "\(ranks)", "--oversubscribe", "--bind-to", "none",
                                 try HarnessRunner.executable(named: "q8train").path] + arguments
        } else {
            process.executableURL = try HarnessRunner.executable(named: "q8train")
            process.arguments = arguments
        }
        process.environment = HarnessRunner.cleanEnvironment()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        addTeardownBlock { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        return (process, done)
    }

    /// Descendant processes of `parent` whose command name is `name` (from /proc).
    func rankProcesses(of parent: pid_t, named name: String) throws -> [pid_t] {
        var found = [pid_t](), frontier = [parent]
        let all = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { pid_t($0) }
        func info(_ pid: pid_t) -> (ppid: pid_t, comm: String)? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            let comm = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, let ppid = pid_t(fields[1]) else { return nil }
            return (ppid, comm)
        }
        while let p = frontier.popLast() {
            for pid in all { if let i = info(pid), i.ppid == p { frontier.append(pid); if i.comm == name { found.append(pid) } } }
        }
        return found.sorted()
    }
}
