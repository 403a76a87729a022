import Foundation

/// BERT's text normalization and pre-tokenization, as Hugging Face's `BertNormalizer` and
/// `BertPreTokenizer` (the `tokenizers` library behind `transformers.BertTokenizer`) do it:
///
/// 1. clean: drop U+0000, U+FFFD and control characters (general category Cc, Cf, Co, Cs,
///    except tab, LF and CR); turn whitespace (the White_Space property) into a space;
/// 2. put spaces around CJK ideographs;
/// 3. when lowercasing: decompose (NFD), drop nonspacing marks (Mn), lowercase;
/// 4. split on spaces, then split each punctuation character off as a word of its own
///    (ASCII 33-47, 58-64, 91-96, 123-126 and general category P*).
///
/// Categories are those `tokenizers` uses (Unicode 8.0); see `UnicodeClasses`.
public struct BasicTokenizer: Sendable {
    /// Lowercase and strip accents (for uncased vocabularies).
    public let lowercase: Bool

    public init(lowercase: Bool = true) {
        self.lowercase = lowercase
    }

    /// The words of `text`.
    public func tokenize(_ text: String) -> [String] {
        var words = Words()
        append(Array(text.unicodeScalars)[...], to: &words)
        return words.ranges.map { range in
            var string = String.UnicodeScalarView()
            string.append(contentsOf: words.scalars[range])
            return String(string)
        }
    }

    /// Words as ranges of one scalar buffer, to avoid a `String` per word.
    struct Words {
        var scalars: [Unicode.Scalar] = []
        var ranges: [Range<Int>] = []
    }

    /// Appends the words of `text` to `words`.
    func append(_ text: ArraySlice<Unicode.Scalar>, to words: inout Words) {
        var word = [Unicode.Scalar]()
        var ascii = true
        for scalar in text {
            let value = scalar.value
            if value < 0x80 {
                if value == 0x20 || (value >= 0x09 && value <= 0x0D && value != 0x0B && value != 0x0C) {
                    flush(&word, ascii: ascii, to: &words)
                    ascii = true
                } else if value >= 0x21 && value != 0x7F {
                    word.append(scalar)
                }
                // Other ASCII (NUL, controls, DEL) is dropped.
                continue
            }
            if value == 0xFFFD || UnicodeClasses.isControl(scalar) { continue }
            if UnicodeClasses.isWhitespace(scalar) {
                flush(&word, ascii: ascii, to: &words)
                ascii = true
            } else if UnicodeClasses.isCJK(value) {
                flush(&word, ascii: ascii, to: &words)
                word.append(scalar)
                flush(&word, ascii: false, to: &words)
                ascii = true
            } else {
                word.append(scalar)
                ascii = false
            }
        }
        flush(&word, ascii: ascii, to: &words)
    }

    /// Normalizes the whitespace-delimited `word`, splits it on punctuation into `words`, and
    /// empties it.
    private func flush(_ word: inout [Unicode.Scalar], ascii: Bool, to words: inout Words) {
        if word.isEmpty { return }
        let start = words.scalars.count
        if ascii && lowercase {
            for scalar in word { appendLowercased(scalar, to: &words.scalars) }
        } else if lowercase {
            // NFD runs of scalars `tokenizers` knows; it leaves newer ones undecomposed.
            var run = String.UnicodeScalarView()
            for scalar in word {
                if UnicodeClasses.isKnown(scalar) {
                    run.append(scalar)
                } else {
                    appendStrippedLowercased(run, to: &words.scalars)
                    run = String.UnicodeScalarView()
                    appendLowercased(scalar, to: &words.scalars)
                }
            }
            appendStrippedLowercased(run, to: &words.scalars)
        } else {
            words.scalars.append(contentsOf: word)
        }
        word.removeAll(keepingCapacity: true)
        // Split on punctuation.
        var wordStart = start
        for i in start..<words.scalars.count where UnicodeClasses.isPunctuation(words.scalars[i]) {
            if wordStart < i { words.ranges.append(wordStart..<i) }
            words.ranges.append(i..<(i + 1))
            wordStart = i + 1
        }
        if wordStart < words.scalars.count { words.ranges.append(wordStart..<words.scalars.count) }
    }

    /// Appends `run` decomposed (NFD), without nonspacing marks, lowercased.
    private func appendStrippedLowercased(_ run: String.UnicodeScalarView,
                                          to scalars: inout [Unicode.Scalar]) {
        if run.isEmpty { return }
        for scalar in String(run).decomposedStringWithCanonicalMapping.unicodeScalars
        where !UnicodeClasses.isNonspacingMark(scalar) {
            appendLowercased(scalar, to: &scalars)
        }
    }

    /// Appends the full lowercase mapping of `scalar` (Rust's `char::to_lowercase`).
    @inline(__always)
    private func appendLowercased(_ scalar: Unicode.Scalar, to scalars: inout [Unicode.Scalar]) {
        let value = scalar.value
        if value < 0x80 {
            scalars.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
        } else {
            scalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
    }
}
