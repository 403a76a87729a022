import RunLog

/// The table of every evaluation: split, step, epoch, loss, each metric and its duration.
enum EvaluationTable {
    static func html(_ log: RunHistory, facts: RunFacts) -> String? {
        guard !log.evals.isEmpty else { return nil }
        var metricNames: [String] = []
        for e in log.evals { for m in e.metrics?.sorted ?? [] where !metricNames.contains(m.name) { metricNames.append(m.name) } }
        if let main = facts.mainMetric, let i = metricNames.firstIndex(of: main) {
            metricNames.insert(metricNames.remove(at: i), at: 0)
        }
        let header = ["split", "step", "epoch", "loss"] + metricNames.map(HTML.escape) + ["seconds"]
        let rows: [[String]] = log.evals.map { e in
            let best = e.splitName == "dev" && e.step == facts.bestStep
            let checkpoint = e.checkpoint.map { " <span class=\"badge ckpt\">\(HTML.escape($0)) ckpt</span>" } ?? ""
            return [HTML.escape(e.splitName) + checkpoint
                        + (best ? " <span class=\"badge best\" title=\"best dev result\">best</span>" : ""),
                    "\(e.step)",
                    e.epoch.map { NumberFormat.fixed($0, decimals: 2) } ?? "–",
                    e.loss.map { NumberFormat.value($0) } ?? "–"]
                + metricNames.map { e.metric($0).map { NumberFormat.value($0) } ?? "–" }
                + [e.seconds.map { NumberFormat.fixed($0, decimals: 1) } ?? "–"]
        }
        // Next to the dev chart when it fits, across the page when there are many metrics.
        let wide = metricNames.count > 4 ? " wide" : ""
        return "<section class=\"card\(wide)\" id=\"evals\"><h2>Evaluations</h2>\n<div class=\"table-scroll\">"
            + HTML.table(header: header, rows: rows, cssClass: "numbers evals") + "</div></section>\n"
    }
}
