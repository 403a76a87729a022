import Foundation
import FuzzSupport
import ModelFormat

/// libFuzzer target: vocab.txt parsing (`Vocabulary(data:source:)`) and WordPiece encoding of
/// arbitrary text (`BertTokenizer`, cased and uncased).
///
/// Input: either one text (no separator), encoded with `builtInVocabulary`; or sections
/// `vocab.txt`, first text, second text (optional) joined by `FuzzSections.separator`. Texts
/// are the input bytes decoded as UTF-8 with invalid sequences replaced, as any `String` the
/// tokenizer can be given. Checked: ids lie in the vocabulary, `tokenize` and `ids` agree, and
/// `encode` keeps its layout ([CLS] first, padded or not to `maxLength`, masks and segments).
@_cdecl("LLVMFuzzerTestOneInput")
public func tokenizerFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let sections = FuzzSections.split(UnsafeRawBufferPointer(start: start, count: count))
    let vocabulary: Vocabulary
    let texts: ArraySlice<Data>
    if sections.count == 1 {
        vocabulary = builtIn
        texts = sections[...]
    } else {
        do {
            vocabulary = try Vocabulary(data: sections[0], source: "fuzz/vocab.txt")
        } catch {
            let message = "\(error)"
            fuzzCheck(message.contains("fuzz/vocab.txt"), "error without the file name: \(message)")
            return 0
        }
        texts = sections[1...]
    }
    let first = String(decoding: texts.first!, as: UTF8.self)
    let second = texts.count > 1 ? String(decoding: texts[texts.startIndex + 1], as: UTF8.self) : nil
    for lowercase in [true, false] {
        check(BertTokenizer(vocabulary: vocabulary, lowercase: lowercase), first, second)
    }
    return 0
}

private func check(_ tokenizer: BertTokenizer, _ first: String, _ second: String?) {
    let vocabulary = tokenizer.vocabulary
    let ids = tokenizer.ids(first)
    fuzzCheck(ids.allSatisfy { $0 >= 0 && Int($0) < vocabulary.count }, "an id outside the vocabulary")
    let tokens = tokenizer.tokenize(first)
    fuzzCheck(tokens.count == ids.count, "tokenize gave \(tokens.count) tokens, ids \(ids.count)")
    for maxLength in [3, 8, 64] {
        for padding in [true, false] {
            let e = tokenizer.encode(first, second, maxLength: maxLength, padding: padding)
            fuzzCheck(e.tokenTypeIds.count == e.count && e.attentionMask.count == e.count, "ragged encoding")
            fuzzCheck(padding ? e.count == maxLength : e.count <= maxLength, "\(e.count) positions for maxLength \(maxLength)")
            fuzzCheck(e.inputIds.first == vocabulary.clsId, "no [CLS] first")
            let real = e.attentionMask.prefix { $0 == 1 }.count
            fuzzCheck(e.attentionMask.dropFirst(real).allSatisfy { $0 == 0 }, "mask not ones then zeros")
            fuzzCheck(e.inputIds[real - 1] == vocabulary.sepId, "no [SEP] last")
            fuzzCheck(e.inputIds.dropFirst(real).allSatisfy { $0 == vocabulary.padId }, "padding not [PAD]")
            fuzzCheck(e.tokenTypeIds.allSatisfy { $0 == 0 || $0 == 1 }, "segment id not 0 or 1")
            fuzzCheck(second != nil || e.tokenTypeIds.allSatisfy { $0 == 0 }, "second segment in a single text")
            if second == nil && ids.count <= maxLength - 2 {
                fuzzCheck(Array(e.inputIds[1..<(real - 1)]) == ids, "encode differs from ids")
            }
        }
    }
}

/// A small uncased vocabulary: the special tokens, letters, some words and `##` pieces,
/// accented and CJK characters, punctuation.
let builtInTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + "abcdefghijklmnopqrstuvwxyz0123456789".map { String($0) }
    + "abcdefghijklmnopqrstuvwxyz".map { "##" + String($0) }
    + ["the", "movie", "film", "good", "bad", "un", "##believ", "##able", "##ing", "##ed", "gorgeous",
       "witty", "caf", "##é", "é", "ß", "æ", "ø", "映", "画", "日", "本", "ん", "ー", "🙂", "##🙂", "ǆ", "ﬁ",
       ".", ",", "!", "?", "'", "\"", "-", "(", ")", "[", "]", "#", "##", "…", "¿", "·"]

private let builtIn = try! Vocabulary(tokens: builtInTokens)
