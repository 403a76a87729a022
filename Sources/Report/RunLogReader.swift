import Foundation

/// Reads `log.jsonl` into a `RunLog`. Unknown record types and unknown fields are ignored; a
/// malformed line is an error naming its line, except a last line cut short by a killed run,
/// which is skipped with a warning.
enum RunLogReader {
    /// The log file inside a run folder.
    static let fileName = "log.jsonl"

    /// Reads `runDirectory/log.jsonl`. The trainer appends, so a folder reused for a new run
    /// holds several runs: each config record after other records starts a new one, and only
    /// the last run is kept (with a warning).
    static func read(runDirectory: URL) throws -> RunLog {
        let url = runDirectory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ReportError.missingLog(path: url.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ReportError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(Array(data), path: url.path)
    }

    /// Parses the log's bytes; `path` is used in messages only.
    static func parse(_ bytes: [UInt8], path: String) throws -> RunLog {
        var log = RunLog(path: path)
        let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let isBlank: (ArraySlice<UInt8>) -> Bool = { $0.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D } }
        let lastContentLine = lines.lastIndex(where: { !isBlank($0) })
        var records = 0
        var steps: [(order: Int, step: RunLog.Step)] = []
        var earlierRuns = 0, runStart = 1
        var runHasRecords = false  // records seen since the last config record

        for (offset, line) in lines.enumerated() where !isBlank(line) {
            let lineNumber = offset + 1
            let value: JSONValue
            do {
                value = try JSONLineParser.parse(line)
            } catch let failure as JSONLineParser.Failure {
                if failure.atEnd && offset == lastContentLine {
                    log.warnings.append("\(path):\(lineNumber): the last line is incomplete (the run was "
                                        + "probably stopped while writing it) and was skipped.")
                    continue
                }
                throw ReportError.malformedLine(path: path, line: lineNumber, column: failure.column,
                                                reason: failure.message)
            }
            guard let object = value.object else {
                throw ReportError.notARecord(path: path, line: lineNumber, reason: "expected a JSON object")
            }
            guard let type = object["type"]?.string else {
                throw ReportError.notARecord(path: path, line: lineNumber, reason: "no string field \"type\"")
            }
            records += 1
            let fields = RecordFields(object: object, path: path, line: lineNumber)
            switch type {
            case "config":
                if runHasRecords {  // what came before belongs to an earlier run
                    earlierRuns += 1
                    log = RunLog(path: path, warnings: log.warnings)
                    steps = []
                    runHasRecords = false
                }
                if log.settings == nil {
                    runStart = lineNumber
                    log.settings = try fields.object("settings") ?? JSONObject()
                    log.configExtras.members = object.members.filter { $0.key != "type" && $0.key != "settings" }
                }
                continue
            case "step":
                steps.append((steps.count, try step(fields)))
            case "eval":
                log.evals.append(try eval(fields))
            case "quant":
                log.quant.append(try quant(fields))
            case "summary":
                log.summary = try summary(fields)
            default:
                continue  // a record type from a newer q8train
            }
            runHasRecords = true
        }
        if records == 0 { throw ReportError.emptyLog(path: path) }
        if earlierRuns > 0 {
            log.warnings.append("\(path) holds \(earlierRuns + 1) runs (the output folder was reused): this report "
                                + "shows the last one, from line \(runStart).")
        }

        // Sorted by step; a resumed run may repeat steps, the later line wins.
        steps.sort { ($0.step.step, $0.order) < ($1.step.step, $1.order) }
        for item in steps {
            if let last = log.steps.last, last.step == item.step.step {
                log.steps[log.steps.count - 1] = item.step
            } else {
                log.steps.append(item.step)
            }
        }
        return log
    }

    // MARK: Records

    private static func step(_ f: RecordFields) throws -> RunLog.Step {
        RunLog.Step(step: try f.requiredInt("step"), epoch: try f.number("epoch"), loss: try f.number("loss"),
                    lr: try f.number("lr"), gradNorm: try f.number("grad_norm"),
                    seqPerSecond: try f.number("seq_per_s"), elapsedSeconds: try f.number("elapsed_s"))
    }

    private static func eval(_ f: RecordFields) throws -> RunLog.Eval {
        RunLog.Eval(split: try f.string("split") ?? "dev", step: try f.requiredInt("step"),
                    epoch: try f.number("epoch"), loss: try f.number("loss"),
                    metrics: try f.numbers("metrics"), mainMetric: try f.string("main_metric"),
                    seconds: try f.number("seconds"), checkpoint: try f.string("checkpoint"))
    }

    private static func quant(_ f: RecordFields) throws -> RunLog.QuantSnapshot {
        guard let layers = try f.object("layers") else { throw f.missing("layers") }
        var snapshot = RunLog.QuantSnapshot(step: try f.requiredInt("step"), layers: [])
        for member in layers.members {
            guard let object = member.value.object else {
                throw f.invalid("layers.\(member.key)", expected: "an object of thresholds")
            }
            let layer = RecordFields(object: object, path: f.path, line: f.line, prefix: "layers.\(member.key).")
            snapshot.layers.append((member.key, RunLog.LayerThresholds(
                input: try layer.number("input_thresh"), output: try layer.number("output_thresh"),
                weight: try layer.number("weight_thresh"))))
        }
        return snapshot
    }

    private static func summary(_ f: RecordFields) throws -> RunLog.Summary {
        RunLog.Summary(bestStep: try f.int("best_step"), bestMetric: try f.number("best_metric"),
                       mainMetric: try f.string("main_metric"), trainSeconds: try f.number("train_seconds"),
                       peakRSSMegabytes: try f.number("peak_rss_mb"), test: try f.numbers("test"),
                       testFinal: try f.numbers("test_final"), trainSeqPerSecond: try f.number("train_seq_per_s"))
    }
}
