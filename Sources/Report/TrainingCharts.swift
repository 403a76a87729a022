import RunLog

/// The per-step and evaluation charts of a run: loss, learning rate, gradient norm,
/// throughput and dev metrics. A chart whose data the log lacks is left out.
enum TrainingCharts {
    /// Raw per-step lines longer than this are decimated (min/max per bucket).
    static let maxRawPoints = 2000

    /// The charts in page order.
    static func charts(for log: RunHistory, facts: RunFacts) -> [LineChart] {
        [loss(log), learningRate(log), gradientNorm(log), throughput(log), devMetrics(log, facts: facts)]
            .compactMap { $0 }
            .filter(\.hasData)
    }

    /// Training loss: raw (faint) and EMA-smoothed, with dev loss at the evaluations.
    static func loss(_ log: RunHistory) -> LineChart? {
        let raw = points(log.steps) { $0.loss }
        guard !raw.isEmpty else { return nil }
        var chart = LineChart(title: "Training loss", xLabel: "step", yLabel: "loss")
        chart.series = noisySeries(raw, name: "train loss", color: Palette.color(0))
        let dev = log.evals(split: "dev").compactMap { e in e.loss.map { ChartPoint(x: Double(e.step), y: $0) } }
        if !dev.isEmpty {
            chart.series.append(.init(name: "dev loss", points: dev, color: Palette.color(1), dashed: true, showPoints: true))
        }
        return chart
    }

    static func learningRate(_ log: RunHistory) -> LineChart? {
        let lr = points(log.steps) { $0.lr }
        guard !lr.isEmpty else { return nil }
        var chart = LineChart(title: "Learning rate", xLabel: "step", yLabel: "learning rate")
        chart.series = [.init(name: "learning rate", points: Smoothing.decimate(lr, maxPoints: maxRawPoints),
                              color: Palette.color(4), lineWidth: 2)]
        chart.includeZero = true
        chart.style.showLegend = false
        return chart
    }

    static func gradientNorm(_ log: RunHistory) -> LineChart? {
        let norms = points(log.steps) { $0.gradNorm }
        guard !norms.isEmpty else { return nil }
        var chart = LineChart(title: "Gradient norm", xLabel: "step", yLabel: "‖g‖₂")
        chart.series = noisySeries(norms, name: "grad norm", color: Palette.color(3))
        chart.includeZero = true
        return chart
    }

    static func throughput(_ log: RunHistory) -> LineChart? {
        let rate = points(log.steps) { $0.seqPerSecond }
        guard !rate.isEmpty else { return nil }
        var chart = LineChart(title: "Throughput", xLabel: "step", yLabel: "sequences / s")
        chart.series = noisySeries(rate, name: "seq/s", color: Palette.color(2))
        chart.includeZero = true
        return chart
    }

    /// Dev metrics over steps, one line per metric, the best point of the main metric marked.
    static func devMetrics(_ log: RunHistory, facts: RunFacts) -> LineChart? {
        let dev = log.evals(split: "dev")
        var names: [String] = []
        for e in dev { for m in e.metrics?.sorted ?? [] where !names.contains(m.name) { names.append(m.name) } }
        guard !names.isEmpty else { return nil }
        if let main = facts.mainMetric, let i = names.firstIndex(of: main) { names.insert(names.remove(at: i), at: 0) }
        var chart = LineChart(title: "Dev metrics", xLabel: "step", yLabel: "metric")
        // The training charts' step range, so the x axes line up.
        let steps = log.steps.map { Double($0.step) } + dev.map { Double($0.step) }
        if let first = steps.min(), let last = steps.max(), last > first { chart.xRange = first...last }
        for (i, name) in names.enumerated() {
            let pts = dev.compactMap { e in e.metric(name).map { ChartPoint(x: Double(e.step), y: $0) } }
            chart.series.append(.init(name: name, points: pts, color: Palette.color(i), lineWidth: i == 0 ? 2.2 : 1.6,
                                      showPoints: true))
        }
        if let main = facts.mainMetric, let step = facts.bestStep,
           let value = dev.last(where: { $0.step == step })?.metric(main) ?? facts.bestValue {
            chart.markers = [.init(point: ChartPoint(x: Double(step), y: value),
                                   label: "best \(main) \(NumberFormat.value(value)) @ step \(step)",
                                   color: Palette.color(0))]
        }
        return chart
    }

    // MARK: Helpers

    /// The steps' values of one field as points (absent values dropped).
    static func points(_ steps: [StepRecord], _ value: (StepRecord) -> Double?) -> [ChartPoint] {
        steps.compactMap { s in value(s).map { ChartPoint(x: Double(s.step), y: $0) } }
    }

    /// A noisy per-step series: the raw values faint, an EMA on top.
    static func noisySeries(_ raw: [ChartPoint], name: String, color: String) -> [LineChart.Series] {
        let finite = raw.filter { $0.y.isFinite }
        let smoothed = Smoothing.ema(finite, weight: Smoothing.emaWeight(count: finite.count))
        return [
            .init(name: "\(name) (raw)", points: Smoothing.decimate(raw, maxPoints: maxRawPoints), color: color,
                  lineWidth: 1, opacity: 0.3),
            .init(name: "\(name) (EMA)", points: Smoothing.decimate(smoothed, maxPoints: maxRawPoints), color: color,
                  lineWidth: 2),
        ]
    }
}
