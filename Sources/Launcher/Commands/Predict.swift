import ArgumentParser
import CommandOptions
import Foundation
import ModelFormat
import Runtime
import Tasks
import Tensor

/// `q8train predict`: batch prediction with the int8 runtime on a TSV file.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict labels for a TSV file with an int8 model folder (from q8train export).",
        discussion: """
        The input is tab-separated with a header line naming the text column(s): those given with \
        --text-columns, else those of the task the model was trained on (the folder's task.json), \
        else `sentence`, or `sentence1` and `sentence2` for pairs. A file whose header names none of \
        them is refused (no column is guessed). The output has a \
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

    @Option(parsing: .upToNextOption,
            help: "The text column(s) to read, one or two header names, space- or comma-separated. (default: the model's task.json)")
    var textColumns: [String] = []

    @Flag(help: "Add a fourth column with the raw logits (a JSON array), e.g. for parity checks.")
    var logits = false

    @OptionGroup(title: "Runtime")
    var runtime: RuntimeOptions

    @OptionGroup var mode: Int8ModeOptions

    func validate() throws {
        let columns = TaskOptions.split(textColumns)
        if !textColumns.isEmpty && !(1...2).contains(columns.count) {
            throw ValidationError("--text-columns takes one or two column names, found \(columns.count): \(columns)")
        }
    }

    func run() throws {
        let int8 = try Int8Model.load(path: model, threads: runtime.threads, integerOnly: mode.integerOnly)
        let inputURL = URL(fileURLWithPath: input)
        let columns = TaskOptions.split(textColumns)
        let layout = try Self.layout(of: inputURL, expected: columns.isEmpty ? int8.task?.textColumns : columns,
                                     from: columns.isEmpty ? "the model's \(TaskDefinition.fileName)" : "--text-columns")
        let rows = try TSVReader(layout: layout).read(inputURL)
        let texts = rows.examples.map { ($0.textA, $0.textB) }
        let predictor = try BatchPredictor(model: int8, batchSize: runtime.batchSize,
                                           maxSeqLength: runtime.maxSeqLength(recorded: int8.task?.maxSeqLength))

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

    /// `s` as a JSON string literal (JSONEncoder's escapes).
    static func json(_ s: String) -> String {
        String(decoding: (try? ModelFormatJSON.encode(s, pretty: false)) ?? Data("\"?\"".utf8), as: UTF8.self)
    }

    /// The columns to read: `expected` (named by `source`) when given, which the header must
    /// name; else sentence1 + sentence2, or sentence. Anything else is an error naming the file,
    /// its header and what was expected: a column is never guessed.
    static func layout(of url: URL, expected: [String]?, from source: String) throws -> TSVLayout {
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
        let found = header.map { "'\($0)'" }.joined(separator: ", ")
        if let expected, !expected.isEmpty {
            let missing = expected.filter { !header.contains($0) }
            guard missing.isEmpty else {
                throw ValidationError("\(url.path): line 1: the header (\(found)) does not name the text column(s) "
                                      + "\(expected.map { "'\($0)'" }.joined(separator: " and ")) that \(source) expects"
                                      + (source == "--text-columns" ? "" : "; name the text column(s) with --text-columns"))
            }
            return .header(expected[0], expected.count > 1 ? expected[1] : nil)
        }
        if header.contains("sentence1") && header.contains("sentence2") { return .header("sentence1", "sentence2") }
        if header.contains("sentence") { return .header("sentence") }
        throw ValidationError("\(url.path): line 1: the header (\(found)) names no text column: expected 'sentence', or "
                              + "'sentence1' and 'sentence2' (the model records no task); name them with --text-columns")
    }
}
