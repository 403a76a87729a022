import ArgumentParser
import Foundation
import Logging
import Report

/// `q8train report --run DIR`: the run's self-contained HTML page (inline SVG).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a run's HTML report (loss, learning rate, dev metrics, settings).")

    @Option(name: .customLong("run"), help: "The run folder (the --output-dir of train), holding log.jsonl.")
    var runDirectory: String

    @Option(help: "Output HTML file. (default: RUN/report.html)")
    var output: String?

    func run() throws {
        let runURL = URL(fileURLWithPath: runDirectory)
        let out = output.map { URL(fileURLWithPath: $0) } ?? runURL.appendingPathComponent("report.html")
        try RunReport.write(runDirectory: runURL, to: out)
        print(out.path)
    }

    /// Writes RUN/report.html after training.
    static func write(run: URL, logger: Logger) throws {
        let out = run.appendingPathComponent("report.html")
        try RunReport.write(runDirectory: run, to: out)
        logger.info("report: \(out.path)")
    }
}
