/// The summary card: test metrics, best dev result, training time, throughput, memory.
enum SummaryCard {
    /// At most this many test metrics get their own tile.
    static let maxTestTiles = 4

    static func html(_ log: RunHistory, facts: RunFacts) -> String {
        var tiles: [(label: String, value: String, detail: String)] = []
        if facts.testMetrics.isEmpty {
            tiles.append(("test", "–", facts.finished ? "no test evaluation" : "not evaluated yet"))
        }
        for m in facts.testMetrics.prefix(maxTestTiles) {
            var detail = facts.testNote
            if let final = facts.testFinal.first(where: { $0.name == m.name }) {
                detail += (detail.isEmpty ? "" : " · ") + "final \(NumberFormat.value(final.value))"
            }
            tiles.append(("test \(m.name)", NumberFormat.value(m.value), detail))
        }
        if let main = facts.mainMetric, let best = facts.bestValue {
            var detail = facts.bestStep.map { "step \($0)" } ?? ""
            if let step = facts.bestStep, let epoch = log.evals(split: "dev").last(where: { $0.step == step })?.epoch {
                detail += " · epoch \(NumberFormat.value(epoch, significant: 3))"
            }
            tiles.append(("best dev \(main)", NumberFormat.value(best), detail))
        } else {
            tiles.append(("best dev", "–", "no dev evaluation"))
        }
        var progress: [String] = []
        if let step = facts.lastStep { progress.append("\(step) steps") }
        if let epoch = facts.lastEpoch { progress.append("\(NumberFormat.value(epoch, significant: 3)) epochs") }
        tiles.append(("training time", facts.trainSeconds.map(NumberFormat.duration) ?? "–",
                      (facts.finished ? "" : "so far; ") + progress.joined(separator: " · ")))
        let rated = log.steps.filter { $0.seqPerSecond != nil }.count
        var throughputDetail = "median of \(rated) step\(rated == 1 ? "" : "s")"
        if let overall = facts.overallThroughput {
            throughputDetail += " · overall \(NumberFormat.value(overall, significant: 3))"
        }
        tiles.append(("throughput", facts.medianThroughput.map { NumberFormat.value($0, significant: 3) + " seq/s" } ?? "–",
                      throughputDetail))
        tiles.append(("peak RSS", facts.peakRSSMegabytes.map(NumberFormat.megabytes) ?? "–",
                      facts.peakRSSMegabytes == nil ? "not recorded" : "resident memory"))

        var out = "<section class=\"card summary\" id=\"summary\"><h2>Summary</h2><div class=\"tiles\">"
        for t in tiles {
            out += "<div class=\"tile\"><div class=\"tile-label\">\(HTML.escape(t.label))</div>"
                + "<div class=\"tile-value\">\(HTML.escape(t.value))</div>"
                + "<div class=\"tile-detail\">\(HTML.escape(t.detail))</div></div>"
        }
        out += "</div>"
        let extra = facts.testMetrics.dropFirst(maxTestTiles)
        if !extra.isEmpty {
            out += "<p class=\"note\">Other test metrics: "
                + extra.map { "\(HTML.escape($0.name)) \(NumberFormat.value($0.value))" }.joined(separator: ", ") + "</p>"
        }
        return out + "</section>\n"
    }
}
