import Foundation
import TestSupport
import XCTest
@testable import ModelFormat

/// The tokenizer against fixtures from Hugging Face `transformers.BertTokenizer`
/// (scripts/make_tokenizer_fixtures.py), plus vocabulary error cases.
final class TokenizerTests: XCTestCase {
    static let packageRoot: URL? = PackageAssets.root

    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        .appendingPathComponent("tokenizer")

    /// The tokenizer for the bundled model, or nil after reporting why it is unavailable.
    func makeTokenizer(file: StaticString = #filePath, line: UInt = #line) -> BertTokenizer? {
        guard let root = Self.packageRoot else {
            XCTFail("no Package.swift above \(#filePath)", file: file, line: line)
            return nil
        }
        let vocab = root.appendingPathComponent("assets/models/minilm-l6-h384/vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab.path) else {
            XCTFail("\(vocab.path) is missing: run scripts/fetch_assets.sh", file: file, line: line)
            return nil
        }
        do {
            return try BertTokenizer(vocabularyFile: vocab)
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    /// The movie sentences in fixture order (train, dev, test), as the fixture script reads them.
    func movieSentences(root: URL) throws -> [String] {
        var sentences = [String]()
        for split in ["train", "dev", "test"] {
            let url = root.appendingPathComponent("assets/data/movie/\(split).tsv")
            let lines = try Data(contentsOf: url).split(separator: 0x0A, omittingEmptySubsequences: false)
            XCTAssertEqual(lines.first.map { String(decoding: $0, as: UTF8.self) }, "sentence\tlabel",
                           "\(url.path) line 1")
            for line in lines.dropFirst() where !line.isEmpty {
                let tab = try XCTUnwrap(line.lastIndex(of: 0x09), "\(url.path): a line without a tab")
                sentences.append(String(decoding: line[line.startIndex..<tab], as: UTF8.self))
            }
        }
        return sentences
    }

    // MARK: - Fixtures from Hugging Face

    func testMovieSentencesMatchHuggingFace() throws {
        guard let tokenizer = makeTokenizer(), let root = Self.packageRoot else { return }
        let data = root.appendingPathComponent("assets/data/movie")
        guard FileManager.default.fileExists(atPath: data.appendingPathComponent("train.tsv").path) else {
            return XCTFail("\(data.path) is missing: run scripts/fetch_assets.sh")
        }
        let sentences = try movieSentences(root: root)

        let fixture = try Data(contentsOf: Self.fixtures.appendingPathComponent("movie_ids.bin"))
        let newline = try XCTUnwrap(fixture.firstIndex(of: 0x0A), "movie_ids.bin: no header line")
        let header = try XCTUnwrap(
            JSONSerialization.jsonObject(with: fixture[..<newline]) as? [String: Any],
            "movie_ids.bin: header is not a JSON object")
        let expectedCount = try XCTUnwrap(header["sentences"] as? Int)
        XCTAssertEqual(sentences.count, expectedCount, "sentence count differs from the fixture's")
        let digest = SHA256.hex(of: Data(sentences.map { $0 + "\n" }.joined().utf8))
        XCTAssertEqual(digest, header["sha256"] as? String,
                       "the movie data changed: rerun scripts/make_tokenizer_fixtures.py")

        var expected = [[Int32]]()
        var offset = newline + 1
        func u16() throws -> Int32 {
            guard offset + 1 < fixture.endIndex else { throw FixtureError.truncated }
            defer { offset += 2 }
            return Int32(fixture[offset]) | Int32(fixture[offset + 1]) << 8
        }
        while offset < fixture.endIndex {
            let count = try u16()
            expected.append(try (0..<count).map { _ in try u16() })
        }
        XCTAssertEqual(expected.count, expectedCount, "movie_ids.bin: wrong number of records")

        var mismatches = 0
        for (i, (sentence, ids)) in zip(sentences, expected).enumerated() {
            let got = tokenizer.ids(sentence)
            if got == ids { continue }
            mismatches += 1
            if mismatches <= 5 {
                let v = tokenizer.vocabulary
                print("""
                    sentence \(i): \(sentence)
                      expected: \(ids.map { v.token(at: $0) }.joined(separator: " "))
                      got:      \(got.map { v.token(at: $0) }.joined(separator: " "))
                    """)
            }
        }
        let checked = min(sentences.count, expected.count)
        print("movie sentences: \(checked - mismatches) of \(checked) match Hugging Face " +
              "(\(header["class"] ?? "?") \(header["transformers"] ?? "?"))")
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(checked) sentences differ from Hugging Face")
    }

    struct PairCase: Decodable {
        var first: String
        var second: String?
        var max_length: Int
        var input_ids: [Int32]
        var token_type_ids: [Int32]
        var attention_mask: [Int32]

        var encoding: Encoding {
            Encoding(inputIds: input_ids, tokenTypeIds: token_type_ids, attentionMask: attention_mask)
        }
    }

    func pairCases() throws -> [PairCase] {
        struct File: Decodable { var cases: [PairCase] }
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("pairs.json"))
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    func testPairsAndEdgeCasesMatchHuggingFace() throws {
        guard let tokenizer = makeTokenizer() else { return }
        let cases = try pairCases()
        XCTAssertGreaterThan(cases.count, 500)
        var mismatches = 0
        for c in cases {
            let got = tokenizer.encode(c.first, c.second, maxLength: c.max_length)
            if got != c.encoding {
                mismatches += 1
                XCTFail("""
                    max_length \(c.max_length): \(c.first.debugDescription) / \(c.second.debugDescription)
                      expected: \(c.encoding)
                      got:      \(got)
                    """)
            }
        }
        print("pairs and edge cases: \(cases.count - mismatches) of \(cases.count) match Hugging Face")
    }

    func testNoPaddingDropsOnlyThePadding() throws {
        guard let tokenizer = makeTokenizer() else { return }
        for c in try pairCases() {
            let n = c.attention_mask.filter { $0 == 1 }.count
            let got = tokenizer.encode(c.first, c.second, maxLength: c.max_length, padding: false)
            XCTAssertEqual(got, Encoding(inputIds: Array(c.input_ids[..<n]),
                                         tokenTypeIds: Array(c.token_type_ids[..<n]),
                                         attentionMask: Array(c.attention_mask[..<n])))
        }
    }

    func testBatchEqualsSingleEncodes() throws {
        guard let tokenizer = makeTokenizer() else { return }
        let cases = try pairCases().filter { $0.second != nil }
        let batch = tokenizer.encodeBatch(cases.map(\.first), cases.map { $0.second ?? "" }, maxLength: 32)
        XCTAssertEqual(batch, cases.map { tokenizer.encode($0.first, $0.second, maxLength: 32) })
        let singles = tokenizer.encodeBatch(cases.map(\.first), maxLength: 16, padding: false)
        XCTAssertEqual(singles, cases.map { tokenizer.encode($0.first, maxLength: 16, padding: false) })
    }

    // MARK: - Behaviour

    func testLongWordIsUnknown() throws {
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "b"])
        let tokenizer = BertTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.tokenize(String(repeating: "a", count: 100)),
                       ["a"] + Array(repeating: "##a", count: 99))
        XCTAssertEqual(tokenizer.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
        XCTAssertEqual(tokenizer.tokenize("b " + String(repeating: "A", count: 150) + " b"),
                       ["b", "[UNK]", "b"])
        // A word with a part no piece matches is [UNK] as a whole.
        XCTAssertEqual(tokenizer.tokenize("aab ba a"), ["[UNK]", "b", "##a", "a"])
        XCTAssertEqual(tokenizer.ids("aa"), [4, 5])
    }

    func testSpecialTokensInText() throws {
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[", "]", "x",
                                                 "cl", "##s"])
        let tokenizer = BertTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(tokenizer.tokenize("x[CLS]x [MASK] [cls]"),
                       ["x", "[CLS]", "x", "[MASK]", "[", "cl", "##s", "]"])
    }

    func testTruncationLongestFirst() {
        // (shorter kept whole if possible, else budget / 2 each and the longer one more)
        XCTAssertEqual(BertTokenizer.longestFirst(3, 10, budget: 7).0, 3)
        XCTAssertEqual(BertTokenizer.longestFirst(3, 10, budget: 7).1, 4)
        XCTAssertEqual(BertTokenizer.longestFirst(10, 3, budget: 5).0, 3)
        XCTAssertEqual(BertTokenizer.longestFirst(10, 3, budget: 5).1, 2)
        XCTAssertEqual(BertTokenizer.longestFirst(10, 10, budget: 5).0, 2)
        XCTAssertEqual(BertTokenizer.longestFirst(10, 10, budget: 5).1, 3)
    }

    // MARK: - Vocabulary errors

    func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vocab-\(UUID().uuidString).txt")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func assertError(_ expected: TokenizerError, mentions words: [String],
                     file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? TokenizerError, expected, file: file, line: line)
            for word in words {
                XCTAssertTrue("\(error)".contains(word), "\"\(error)\" does not mention \(word)",
                              file: file, line: line)
            }
        }
    }

    func testMissingSpecialToken() throws {
        let url = try temporaryFile(Array("[PAD]\n[CLS]\n[SEP]\nhello\n".utf8))
        assertError(.missingSpecialToken(source: url.path, token: "[UNK]"), mentions: [url.path, "[UNK]"]) {
            _ = try Vocabulary(contentsOf: url)
        }
        assertError(.missingSpecialToken(source: "token list", token: "[PAD]"), mentions: ["[PAD]"]) {
            _ = try Vocabulary(tokens: ["[UNK]", "[CLS]", "[SEP]"])
        }
    }

    func testInvalidUTF8Line() throws {
        let url = try temporaryFile(Array("[PAD]\n[UNK]\n".utf8) + [0x61, 0xFF, 0xFE, 0x0A]
                                    + Array("[CLS]\n".utf8))
        assertError(.invalidUTF8(source: url.path, line: 3), mentions: [url.path, "line 3"]) {
            _ = try Vocabulary(contentsOf: url)
        }
    }

    func testDuplicateToken() throws {
        let url = try temporaryFile(Array("[PAD]\n[UNK]\nhello\n[CLS]\n[SEP]\nhello\n".utf8))
        assertError(.duplicateToken(source: url.path, token: "hello", firstLine: 3, secondLine: 6),
                    mentions: [url.path, "hello", "line 3", "line 6"]) {
            _ = try Vocabulary(contentsOf: url)
        }
    }

    func testEmptyFile() throws {
        let url = try temporaryFile([])
        assertError(.emptyVocabulary(source: url.path), mentions: [url.path, "empty"]) {
            _ = try Vocabulary(contentsOf: url)
        }
    }

    func testUnreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/vocab.txt")
        XCTAssertThrowsError(try Vocabulary(contentsOf: url)) { error in
            guard case .unreadableFile(let source, _)? = error as? TokenizerError else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertEqual(source, url.path)
        }
    }

    func testCRLFAndNoTrailingNewline() throws {
        for text in ["[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi"] {
            let vocabulary = try Vocabulary(contentsOf: try temporaryFile(Array(text.utf8)))
            XCTAssertEqual(vocabulary.count, 5)
            XCTAssertEqual(vocabulary.id(of: "hi"), 4)
            XCTAssertEqual(vocabulary.token(at: 4), "hi")
            XCTAssertEqual([vocabulary.padId, vocabulary.unkId, vocabulary.clsId, vocabulary.sepId],
                           [0, 1, 2, 3])
            XCTAssertEqual(vocabulary.token(at: 99), "[UNK]")
        }
    }

    func testTokensCompareByScalars() throws {
        // "é" precomposed and decomposed are distinct tokens, as in Hugging Face.
        let vocabulary = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u{E9}", "e\u{301}"])
        XCTAssertEqual(vocabulary.id(of: "\u{E9}"), 4)
        XCTAssertEqual(vocabulary.id(of: "e\u{301}"), 5)
    }
}

private enum FixtureError: Error { case truncated }
