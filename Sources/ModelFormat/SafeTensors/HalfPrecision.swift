/// Conversions between `Float` and the 16-bit float formats of safetensors, as bit patterns.
///
/// F16 is IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits); BF16 is the upper half of a
/// binary32 (1 sign, 8 exponent, 7 mantissa bits). Written in integer arithmetic so it does not
/// depend on Swift's `Float16`, which is unavailable on some platforms (macOS on x86_64).
/// Narrowing rounds to nearest, ties to even; out-of-range values become ±infinity; NaN stays
/// NaN (quiet, sign and top payload bits kept), as hardware conversions do. Widening F16 is exact
/// except that a signaling NaN becomes quiet; widening BF16 is exact.
public enum HalfPrecision {
    /// Exact value of the binary16 `bits`.
    @inline(__always)
    public static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {
            // Infinity, or NaN made quiet (as hardware conversions do).
            let quiet: UInt32 = mantissa == 0 ? 0 : 0x40_0000
            return Float(bitPattern: sign | 0x7F80_0000 | quiet | mantissa << 13)
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    /// The binary16 nearest to `value` (ties to even).
    public static func f16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal (or zero) in binary16: the significand in units of 2^-24.
            let shift = 14 - halfExponent
            if shift > 24 { return sign }
            let significand = exponent == 0 ? mantissa : mantissa | 0x80_0000
            return sign | UInt16(truncatingIfNeeded: roundShift(significand, by: UInt32(shift)))
        }
        // Normal: a carry out of the mantissa correctly bumps the exponent (up to infinity).
        let combined = UInt32(halfExponent) << 23 | mantissa
        return sign | UInt16(truncatingIfNeeded: roundShift(combined, by: 13))
    }

    /// Exact value of the bfloat16 `bits`.
    @inline(__always)
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 nearest to `value` (ties to even).
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    /// `value >> shift`, rounded to nearest, ties to even; `1 <= shift <= 31`.
    @inline(__always)
    private static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let truncated = value >> shift
        let remainder = value & ((1 << shift) - 1)
        let halfway: UInt32 = 1 << (shift - 1)
        if remainder > halfway || (remainder == halfway && truncated & 1 == 1) {
            return truncated + 1
        }
        return truncated
    }
}
