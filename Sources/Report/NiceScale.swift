import Foundation

/// Axis ticks on a 1-2-5 ladder (…, 0.1, 0.2, 0.5, 1, 2, 5, 10, …) covering a data range.
struct NiceScale: Equatable {
    /// The axis bounds: the data range widened to whole steps.
    var lower: Double
    var upper: Double
    /// The distance between ticks.
    var step: Double
    /// The tick values from `lower` to `upper`, rounded to the step's decimals.
    var ticks: [Double]

    /// Ticks for `min...max` with about `targetCount` intervals (never more than `targetCount`
    /// + 1). An empty range is widened around its value; non-finite input gives 0...1.
    init(min: Double, max: Double, targetCount: Int = 5) {
        var lo = Swift.min(min, max), hi = Swift.max(min, max)
        if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
        if hi - lo <= Swift.max(abs(hi), abs(lo)) * 1e-12 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let intervals = Double(Swift.max(1, targetCount))
        var step = NiceScale.niceStep(atLeast: (hi - lo) / intervals)
        // Widening to whole steps can add an interval; step up the ladder until it fits.
        while ((hi / step).rounded(.up) - (lo / step).rounded(.down)) > intervals + 1e-9 {
            step = NiceScale.niceStep(atLeast: step * 1.0001)
        }
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        let decimals = Swift.max(0, -Int((log10(step)).rounded(.down)) + 1)
        let scale = pow(10, Double(decimals))
        func clean(_ v: Double) -> Double {
            let r = (v * scale).rounded() / scale
            return r == 0 ? 0 : r  // no -0
        }
        self.step = step
        self.lower = clean(first * step)
        self.upper = clean(last * step)
        self.ticks = stride(from: first, through: last, by: 1).map { clean($0 * step) }
    }

    /// The smallest 1, 2 or 5 times a power of ten that is at least `raw`.
    static func niceStep(atLeast raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let exponent = log10(raw).rounded(.down)
        let magnitude = pow(10, exponent)
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * magnitude
    }
}
