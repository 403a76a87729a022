/// UTF-8 validation of byte ranges (RFC 3629: no overlong forms, surrogates or values past
/// U+10FFFF), without building strings.
enum UTF8Check {
    /// The index of the first byte in `lower..<upper` that starts an invalid or truncated
    /// sequence, or nil if the range is valid UTF-8.
    static func firstInvalid(_ bytes: UnsafeBufferPointer<UInt8>, _ lower: Int, _ upper: Int) -> Int? {
        var i = lower
        while i < upper {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let trailing: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the allowed range of the second byte
            switch b0 {
            case 0xC2...0xDF: trailing = 1
            case 0xE0: trailing = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
            case 0xED: trailing = 2; high = 0x9F
            case 0xF0: trailing = 3; low = 0x90
            case 0xF1...0xF3: trailing = 3
            case 0xF4: trailing = 3; high = 0x8F
            default: return i
            }
            guard upper - i > trailing else { return i }
            let b1 = bytes[i + 1]
            guard b1 >= low, b1 <= high else { return i }
            var k = 2
            while k <= trailing {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += trailing + 1
        }
        return nil
    }
}
