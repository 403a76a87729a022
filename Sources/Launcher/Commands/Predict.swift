import ArgumentParser
import BERT
import Foundation
import Runtime
import Tasks
import Tensor

/// `q8train predict`: batch prediction with the int8 runtime on a TSV file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict labels for a TSV file with an int8 model folder (from q8train export).",
        discussion: """
        The input is tab-separated with a header line: texts from the `sentence` column, from \
        `sentence1` and `sentence2` for pairs, or else from the first column. The output has a \
        header line `label<TAB>score<TAB>scores`, then one line per input row, in input order: the \
        predicted label, its softmax probability (regression: the predicted value), and every \
        label's probability as a JSON object. Examples run in batches of similar lengths.
        """)

    @Option(help: "int8 model folder (from q8train export).")
    var model: String

    @Option(help: "Input TSV file.")
    var input: String

    @Option(help: "Output file. (default: standard output)")
    var output: String?

    @Option(help: "Examples per batch.")
    var batchSize: Int = 64

    @Option(help: "Maximum tokens per example (longer ones are truncated).")
    var maxSeqLength: Int = 128

    @Option(help: "Worker threads. (default: the CPUs of this process's affinity mask)")
    var threads: Int?

    @Flag(help: "Add a fourth column with the raw logits (a JSON array), e.g. for parity checks.")
    var logits = false

    @Flag(help: ArgumentHelp(
        "Integer-only mode (I-BERT style): integer GELU, softmax and LayerNorm and int8 attention products.",
        discussion: "An approximation of the default mode (which equals `q8train eval` bit for bit); see docs/runtime.md."))
    var integerOnly = false

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if maxSeqLength < 3 { throw ValidationError("--max-seq-length must be at least 3 ([CLS], [SEP] and a token)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let int8 = try Int8Model.load(path: model, threads: threads, integerOnly: integerOnly)
        let inputURL = URL(fileURLWithPath: input)
        let layout = try Self.layout(of: inputURL)
        let rows = try TSVReader(layout: layout).read(inputURL)
        let texts = rows.examples.map { ($0.textA, $0.textB) }
        let predictor = try BatchPredictor(model: int8, batchSize: batchSize, maxSeqLength: maxSeqLength)

        let start = Date()
        var lastReport = start
        let showProgress = texts.count >= 2000
        let predictions = try predictor.predict(texts) { done, total in
            guard showProgress else { return }
            let now = Date()
            guard now.timeIntervalSince(lastReport) >= 1 || done == total else { return }
            lastReport = now
            let rate = Double(done) / max(now.timeIntervalSince(start), 1e-9)
            FileHandle.standardError.write(Data(String(format: "\rpredict: %d/%d examples (%.0f%%), %.0f examples/s",
                                                       done, total, 100 * Double(done) / Double(total), rate).utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }

        var text = "label\tscore\tscores" + (logits ? "\tlogits" : "") + "\n"
        text.reserveCapacity(64 * predictions.count)
        for p in predictions {
            text += Self.line(p, labels: int8.labels, regression: int8.isRegression)
                + (logits ? "\t" + Self.logitsJSON(p.logits) : "") + "\n"
        }
        if let output {
            let url = URL(fileURLWithPath: output)
            do { try Data(text.utf8).write(to: url, options: .atomic) } catch {
                throw ValidationError("\(url.path): cannot write: \(error.localizedDescription)")
            }
            let seconds = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "%d predictions in %.1f s (%.0f examples/s) written to %@\n",
                                                       predictions.count, seconds, Double(predictions.count) / max(seconds, 1e-9),
                                                       url.path).utf8))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// The logits as a JSON array, each float printed exactly (shortest round-trip form).
    static func logitsJSON(_ logits: [Float]) -> String { "[" + logits.map { "\($0)" }.joined(separator: ",") + "]" }

    /// `label<TAB>score<TAB>{"label": probability, ...}`.
    static func line(_ p: Prediction, labels: [String], regression: Bool) -> String {
        if regression {
            return "\(labels.first ?? "value")\t\(p.score)\t{\(json(labels.first ?? "value")):\(p.score)}"
        }
        let scores = zip(labels, p.scores).map { "\(json($0)):\($1)" }.joined(separator: ",")
        return "\(labels[p.label])\t\(p.score)\t{\(scores)}"
    }

    static func json(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])) ?? Data("[\"?\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    /// The columns to read, from the header: sentence1 + sentence2, sentence, or the first column.
    static func layout(of url: URL) throws -> TSVLayout {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw TSVError.unreadable(file: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                                      ? "permission denied or a directory" : "no such file")
        }
        defer { try? handle.close() }
        var head = handle.readData(ofLength: 1 << 16)
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { head.removeFirst(3) }
        let firstLine = head.split(separator: 0x0A, maxSplits: 1, omittingEmptySubsequences: false).first ?? Data()
        let header = String(decoding: firstLine, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if header.contains("sentence1") && header.contains("sentence2") { return .header("sentence1", "sentence2") }
        if header.contains("sentence") { return .header("sentence") }
        return TSVLayout(hasHeader: true, textA: .position(0))
    }
}
