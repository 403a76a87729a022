/// The metric formulas, computed in Double.
///
/// Each takes predictions and gold values pairwise; should the arrays differ in length, the
/// pairs past the shorter one are ignored (`MetricSet.evaluate` refuses such input instead).
/// None of them returns NaN or traps: where the reference implementation is undefined or
/// returns NaN, these return 0 (documented per function), so a degenerate model never wins
/// model selection and comparisons stay well-ordered.
public enum Metrics {
    /// Fraction of positions where prediction and gold agree; 0 for empty input.
    public static func accuracy(predictions: [Int], gold: [Int]) -> Double {
        let n = min(predictions.count, gold.count)
        guard n > 0 else { return 0 }
        var correct = 0
        for i in 0..<n where predictions[i] == gold[i] { correct += 1 }
        return Double(correct) / Double(n)
    }

    /// Binary F1 of class `positive`: 2·tp / (2·tp + fp + fn), every other id counting as
    /// negative. 0 when there is no positive in either array (sklearn's `zero_division`
    /// default), and for empty input.
    public static func f1(predictions: [Int], gold: [Int], positive: Int = 1) -> Double {
        let n = min(predictions.count, gold.count)
        var tp = 0, fp = 0, fn = 0
        for i in 0..<n {
            let p = predictions[i] == positive, g = gold[i] == positive
            if p && g { tp += 1 } else if p { fp += 1 } else if g { fn += 1 }
        }
        let denominator = 2 * tp + fp + fn
        return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
    }

    /// Matthews correlation for any number of classes (sklearn's multiclass form, which is the
    /// usual (tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn)) for two):
    ///
    ///     (c·s − Σₖ pₖ·tₖ) / √((s² − Σₖ pₖ²)(s² − Σₖ tₖ²))
    ///
    /// with s samples, c correct, pₖ / tₖ the times class k is predicted / true. 0 when the
    /// denominator is 0 (all predictions or all gold labels one class), and for empty input.
    public static func matthews(predictions: [Int], gold: [Int]) -> Double {
        let n = min(predictions.count, gold.count)
        guard n > 0 else { return 0 }
        var predicted: [Int: Int] = [:], actual: [Int: Int] = [:]
        var correct = 0
        for i in 0..<n {
            predicted[predictions[i], default: 0] += 1
            actual[gold[i], default: 0] += 1
            if predictions[i] == gold[i] { correct += 1 }
        }
        let s = Double(n)
        var pt = 0.0, pp = 0.0, tt = 0.0
        for (k, p) in predicted {
            pp += Double(p) * Double(p)
            pt += Double(p) * Double(actual[k] ?? 0)
        }
        for t in actual.values { tt += Double(t) * Double(t) }
        let covariance = Double(correct) * s - pt
        let varPredicted = s * s - pp, varGold = s * s - tt
        guard varPredicted > 0, varGold > 0 else { return 0 }
        return clampCorrelation(covariance / (varPredicted * varGold).squareRoot())
    }

    /// Pearson correlation. 0 where scipy's `pearsonr` gives NaN or refuses: either side
    /// constant, fewer than 2 pairs; also 0 when any value is NaN or infinite.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = min(x.count, y.count)
        guard n >= 2 else { return 0 }
        var sumX = 0.0, sumY = 0.0
        var constantX = true, constantY = true
        for i in 0..<n {
            guard x[i].isFinite, y[i].isFinite else { return 0 }
            sumX += x[i]
            sumY += y[i]
            if x[i] != x[0] { constantX = false }
            if y[i] != y[0] { constantY = false }
        }
        // Checked exactly: a constant column's rounded mean can leave tiny deviations.
        guard !constantX, !constantY else { return 0 }
        let meanX = sumX / Double(n), meanY = sumY / Double(n)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            let dx = x[i] - meanX, dy = y[i] - meanY
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0, sxx.isFinite, syy.isFinite, sxy.isFinite else { return 0 }
        return clampCorrelation(sxy / (sxx.squareRoot() * syy.squareRoot()))
    }

    /// Spearman rank correlation: Pearson of the average ranks (`ranks`). 0 in the same cases
    /// as `pearson` (a constant side has all ranks tied).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        let n = min(x.count, y.count)
        guard n >= 2 else { return 0 }
        let xs = Array(x.prefix(n)), ys = Array(y.prefix(n))
        guard xs.allSatisfy(\.isFinite), ys.allSatisfy(\.isFinite) else { return 0 }
        return pearson(ranks(xs), ranks(ys))
    }

    /// 1-based ranks, ties sharing the average of the ranks they span
    /// (`scipy.stats.rankdata(method="average")`): [10, 20, 20, 30] → [1, 2.5, 2.5, 4].
    /// NaN sorts as if larger than everything.
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { a, b in
            let va = values[a], vb = values[b]
            if va.isNaN || vb.isNaN { return !va.isNaN && vb.isNaN }
            return va < vb
        }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            let v = values[order[start]]
            while end < order.count, values[order[end]] == v || (v.isNaN && values[order[end]].isNaN) {
                end += 1
            }
            // Positions start..<end hold ranks start+1 ... end; their average:
            let rank = Double(start + 1 + end) / 2
            for k in start..<end { result[order[k]] = rank }
            start = end
        }
        return result
    }

    private static func clampCorrelation(_ r: Double) -> Double {
        r.isFinite ? min(1, max(-1, r)) : 0
    }
}
