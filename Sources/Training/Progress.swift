import Foundation

/// Training progress on stderr: a bar redrawn in place on a terminal (steps, loss,
/// sequences/s, time left), plain lines every `plainEvery` steps otherwise (logs, CI).
public struct Progress {
    public let total: Int
    /// The step this process started from (a resumed run): the time left is estimated from
    /// the steps done since.
    let startStep: Int
    let isTerminal: Bool
    let plainEvery: Int
    let enabled: Bool
    let start = Date()
    var lastDraw = Date.distantPast

    public init(total: Int, startStep: Int = 0, plainEvery: Int = 50, enabled: Bool = true) {
        self.total = max(total, 1)
        self.startStep = startStep
        self.enabled = enabled
        isTerminal = isatty(STDERR_FILENO) != 0
        self.plainEvery = plainEvery
    }

    /// Reports step `step` (1-based) with the recent loss and throughput.
    public mutating func update(step: Int, epoch: Double, loss: Double, sequencesPerSecond: Double) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let left = elapsed / Double(max(step - startStep, 1)) * Double(total - step)
        let stats = String(format: "epoch %.2f  loss %.4f  %.1f seq/s  %@ left", epoch, loss, sequencesPerSecond,
                           Self.duration(left))
        if isTerminal {
            let now = Date()
            guard now.timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
            lastDraw = now
            let width = 30, filled = width * step / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(bar) \(step)/\(total)  \(stats)".utf8))
            if step == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if step % plainEvery == 0 || step == total || step == startStep + 1 {
            FileHandle.standardError.write(Data("step \(step)/\(total)  \(stats)\n".utf8))
        }
    }

    /// Prints a message on its own line (clearing the bar first on a terminal).
    public func message(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60)
            : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}
