/// The character classes of Hugging Face's BERT normalizer and pre-tokenizer (`tokenizers`).
///
/// `tokenizers` takes general categories from tables frozen at Unicode 8.0 (the
/// `unicode_categories` crate) and decomposes with tables that predate Unicode 13, while this
/// Swift runtime knows a newer Unicode. To match it, a scalar assigned after Unicode 8.0 (or
/// unassigned) is treated as an ordinary letter: not a control, not punctuation, not a mark,
/// never decomposed; the few scalars whose category changed since 8.0 keep their 8.0 category.
/// Whitespace (Rust's `char::is_whitespace`) and lowercasing (Rust's `char::to_lowercase`)
/// follow current Unicode, as here.
///
/// Python's slow `BertTokenizer` differs on such rare scalars: it uses Python's Unicode
/// tables, also drops unassigned scalars as controls, and starts one CJK block at U+2B820.
enum UnicodeClasses {
    /// General category as `tokenizers` sees it, or nil for scalars it does not know.
    static func category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory? {
        switch scalar.value {
        case 0x166D, 0x111C9: return .otherPunctuation  // now So, Mn
        case 0x1734, 0x1171E: return .nonspacingMark    // now Mc
        case 0x1885, 0x1886: return .otherLetter        // now Mn
        case 0xA9BD: return .spacingMark                // now Mn
        default: break
        }
        guard isKnown(scalar) else { return nil }
        return scalar.properties.generalCategory
    }

    /// True if `scalar` was assigned by Unicode 8.0.
    @inline(__always)
    static func isKnown(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// Dropped by cleaning: general category Cc, Cf, Co or Cs, except tab, LF and CR.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        default: break
        }
        switch category(scalar) {
        case .control?, .format?, .surrogate?, .privateUse?: return true
        default: return false
        }
    }

    /// Turned into a space by cleaning: tab, LF, CR and the White_Space property.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// Split off as a word: ASCII 33-47, 58-64, 91-96, 123-126 and general category P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 33 && value <= 47) || (value >= 58 && value <= 64)
                || (value >= 91 && value <= 96) || (value >= 123 && value <= 126)
        }
        switch category(scalar) {
        case .connectorPunctuation?, .dashPunctuation?, .openPunctuation?, .closePunctuation?,
             .initialPunctuation?, .finalPunctuation?, .otherPunctuation?:
            return true
        default:
            return false
        }
    }

    /// Dropped by accent stripping (after NFD): general category Mn.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x300 && category(scalar) == .nonspacingMark
    }

    /// CJK ideographs, which get spaces around them: the blocks of `tokenizers`'
    /// `is_chinese_char` (Python's slow tokenizer starts the fifth at U+2B820).
    static func isCJK(_ value: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(value) || (0x3400...0x4DBF).contains(value)
            || (0x20000...0x2A6DF).contains(value) || (0x2A700...0x2B73F).contains(value)
            || (0x2B740...0x2B81F).contains(value) || (0x2B920...0x2CEAF).contains(value)
            || (0xF900...0xFAFF).contains(value) || (0x2F800...0x2FA1F).contains(value)
    }
}
