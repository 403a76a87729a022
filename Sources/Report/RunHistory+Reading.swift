import Foundation
import RunLog

extension RunHistory {
    /// Reads `runDirectory/log.jsonl`. The trainer appends, so a folder reused for a new run
    /// holds several runs: each config record after other records starts a new one, and only
    /// the last run is kept (with a warning). Throws `ReportError`.
    static func read(runDirectory: URL) throws -> RunHistory {
        let url = runDirectory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ReportError.missingLog(path: url.path) }
        do {
            return try RunHistory(try RunLogReader.read(contentsOf: url))
        } catch let error as RunLogError {
            throw ReportError.badLog(error)
        }
    }

    /// The last run of a log's records.
    init(_ contents: RunLogContents) throws {
        self.init(path: contents.path, warnings: contents.warnings)
        if contents.entries.isEmpty { throw ReportError.emptyLog(path: path) }
        var steps: [(order: Int, step: StepRecord)] = []
        var earlierRuns = 0, runStart = 1
        var runHasRecords = false  // records seen since the last config record
        for entry in contents.entries {
            switch entry.record {
            case .config(let config):
                if runHasRecords {  // what came before belongs to an earlier run
                    earlierRuns += 1
                    self = RunHistory(path: path, warnings: warnings)
                    steps = []
                    runHasRecords = false
                }
                if self.config == nil {
                    runStart = entry.line
                    self.config = config
                }
                continue
            case .step(let step): steps.append((steps.count, step))
            case .eval(let eval): evals.append(eval)
            case .quant(let quant): self.quant.append(quant)
            case .summary(let summary): self.summary = summary
            case .resume, .badStep, .stopped, .checkpoint, .unknown: continue
            }
            runHasRecords = true
        }
        if earlierRuns > 0 {
            warnings.append("\(path) holds \(earlierRuns + 1) runs (the output folder was reused): this report "
                            + "shows the last one, from line \(runStart).")
        }
        // Sorted by step; a resumed run may repeat steps, the later line wins.
        steps.sort { ($0.step.step, $0.order) < ($1.step.step, $1.order) }
        for item in steps {
            if let last = self.steps.last, last.step == item.step.step {
                self.steps[self.steps.count - 1] = item.step
            } else {
                self.steps.append(item.step)
            }
        }
    }
}
