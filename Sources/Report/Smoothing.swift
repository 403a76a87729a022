import Foundation

/// Series helpers for noisy per-step data: EMA smoothing, decimation for long runs, median.
enum Smoothing {
    /// A bias-corrected exponential moving average (as TensorBoard draws it): the first
    /// points are not pulled toward zero. `weight` in 0..<1; 0 returns the input.
    static func ema(_ points: [ChartPoint], weight: Double) -> [ChartPoint] {
        var average = 0.0, correction = 1.0
        return points.map { p in
            average = weight * average + (1 - weight) * p.y
            correction *= weight
            return ChartPoint(x: p.x, y: average / (1 - correction))
        }
    }

    /// An EMA weight averaging over about 1/40 of the run (between 1 and 200 points).
    static func emaWeight(count: Int) -> Double {
        let window = min(200, max(1, Double(count) / 40))
        return 1 - 1 / window
    }

    /// At most about `maxPoints` points: each bucket of consecutive points keeps its lowest
    /// and highest (in x order), so spikes and the noise band survive.
    static func decimate(_ points: [ChartPoint], maxPoints: Int) -> [ChartPoint] {
        guard points.count > maxPoints, maxPoints >= 4 else { return points }
        let buckets = maxPoints / 2
        var out: [ChartPoint] = []
        out.reserveCapacity(buckets * 2)
        for b in 0..<buckets {
            let from = b * points.count / buckets, to = (b + 1) * points.count / buckets
            guard from < to else { continue }
            let slice = points[from..<to].filter { $0.y.isFinite }
            guard let lo = slice.min(by: { $0.y < $1.y }), let hi = slice.max(by: { $0.y < $1.y }) else { continue }
            if lo.x == hi.x {
                out.append(lo)
            } else {
                out.append(contentsOf: lo.x < hi.x ? [lo, hi] : [hi, lo])
            }
        }
        return out
    }

    /// The median of the finite values, or nil when there are none.
    static func median(_ values: [Double]) -> Double? {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return nil }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
