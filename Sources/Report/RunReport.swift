import Foundation

/// Turns a training run folder (its `log.jsonl`) into a self-contained HTML report: inline
/// CSS and SVG charts, no scripts, nothing fetched over the network.
public enum RunReport {
    /// The report page for `runDirectory`. Throws `ReportError` when the log is missing,
    /// empty or malformed (a truncated last line is skipped with a warning on the page).
    public static func render(runDirectory: URL) throws -> String {
        let log = try RunHistory.read(runDirectory: runDirectory)
        return ReportPage.html(log, runName: runDirectory.standardizedFileURL.path)
    }

    /// Renders the report and writes it to `output` atomically: a temporary file in the same
    /// folder, then a rename, so a reader never sees half a page.
    public static func write(runDirectory: URL, to output: URL) throws {
        let html = try render(runDirectory: runDirectory)
        let folder = output.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(output.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(html.utf8).write(to: temporary)
        } catch {
            throw ReportError.writeFailed(path: output.path, reason: error.localizedDescription)
        }
        if rename(temporary.path, output.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ReportError.writeFailed(path: output.path, reason: reason)
        }
    }
}
