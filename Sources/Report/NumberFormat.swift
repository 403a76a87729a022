import Foundation

/// Number formatting for the page: axis tick labels, table values, durations and sizes.
enum NumberFormat {
    /// Labels for an axis's ticks, all in one style: as many decimals as `step` needs;
    /// scientific for tiny values (learning rates), plain decimals for a narrow range of
    /// ordinary ones (a threshold that barely moves: 10.6020, not 1.0602e1); a k or M suffix
    /// when the largest tick reaches 10 000.
    static func ticks(_ values: [Double], step: Double) -> [String] {
        let largest = values.map(abs).max() ?? 0
        if step < 1e-3 && largest < 1e-2 {
            return values.map { v in
                v == 0 ? "0" : scientific(v, digitsAfterPoint: max(0, exponent(of: abs(v)) - exponent(of: step)))
            }
        }
        let (divisor, suffix) = largest >= 1e7 ? (1e6, "M") : largest >= 1e4 ? (1e3, "k") : (1, "")
        let decimals = max(0, -exponent(of: step / divisor))
        return values.map { v in v == 0 ? "0" : fixed(v / divisor, decimals: decimals) + suffix }
    }

    /// A value for tables and labels: 4 significant digits, trailing zeros dropped, scientific
    /// outside 1e-3..1e6; NaN and infinities spelled out.
    static func value(_ value: Double, significant: Int = 4) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "∞" : "−∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude < 1e-3 || magnitude >= 1e6 {
            return scientific(value, digitsAfterPoint: significant - 1, trim: true)
        }
        let decimals = max(0, significant - 1 - exponent(of: magnitude))
        return trimZeros(fixed(value, decimals: decimals))
    }

    /// Seconds as "42.0 s", "5 min 03 s" or "2 h 05 min".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return value(seconds) }
        if seconds < 60 { return fixed(seconds, decimals: 1) + " s" }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60) min " + twoDigits(total % 60) + " s" }
        return "\(total / 3600) h " + twoDigits(total % 3600 / 60) + " min"
    }

    /// Megabytes as "850 MB" or "1.37 GB".
    static func megabytes(_ mb: Double) -> String {
        guard mb.isFinite else { return value(mb) }
        if mb >= 1024 { return trimZeros(fixed(mb / 1024, decimals: 2)) + " GB" }
        return fixed(mb, decimals: 0) + " MB"
    }

    // MARK: Helpers

    static func fixed(_ value: Double, decimals: Int) -> String {
        let s = String(format: "%.\(min(decimals, 15))f", value)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    private static func scientific(_ value: Double, digitsAfterPoint: Int, trim: Bool = true) -> String {
        let e = exponent(of: abs(value))
        var mantissa = fixed(value / pow(10, Double(e)), decimals: min(digitsAfterPoint, 15))
        var exp = e
        if let m = Double(mantissa), abs(m) >= 10 {  // rounding carried into the next decade
            exp += 1
            mantissa = fixed(value / pow(10, Double(exp)), decimals: min(digitsAfterPoint, 15))
        }
        if trim { mantissa = trimZeros(mantissa) }
        return mantissa + "e" + String(exp)
    }

    /// The decimal exponent: 2 for 350, -3 for 0.0012.
    private static func exponent(of magnitude: Double) -> Int {
        Int((log10(magnitude) + 1e-12).rounded(.down))
    }

    private static func trimZeros(_ s: String) -> String {
        guard s.contains("."), !s.contains("e") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
