import Foundation
import Tensor
import XCTest
@testable import Tasks

/// The reader's handling of line endings, byte order marks, empty and broken files, and
/// arbitrary bytes.
final class TSVReaderTests: XCTestCase {
    let sst2 = GlueTask.sst2.spec

    func parse(_ text: String, task: TaskSpec? = nil, split: Split = .train, skip: Bool = false) throws -> Dataset {
        try (task ?? sst2).parse(Data(text.utf8), split: split, file: "mem.tsv", options: ReadOptions(skipMalformed: skip))
    }

    func testByteOrderMarkCRLFAndNoFinalNewline() throws {
        let dataset = try sst2.load(.train, file: Fixtures.url("edge/bom_crlf_no_final_newline.tsv"))
        XCTAssertEqual(dataset.examples, [Example(index: 0, textA: "good film ", label: 1),
                                          Example(index: 1, textA: "bad film ", label: 0)])
    }

    func testTrailingBlankLinesAreIgnored() throws {
        let dataset = try sst2.load(.train, file: Fixtures.url("edge/trailing_blank_lines.tsv"))
        XCTAssertEqual(dataset.examples.map(\.textA), ["good", "bad"])
        XCTAssertEqual(try parse("sentence\tlabel\r\na\t1\r\n\r\n").count, 1)
    }

    func testLineEndingsDoNotChangeTheResult() throws {
        let lf = try parse("sentence\tlabel\na b\t1\nc\t0\n")
        for variant in ["sentence\tlabel\r\na b\t1\r\nc\t0\r\n", "sentence\tlabel\na b\t1\nc\t0",
                        "\u{FEFF}sentence\tlabel\na b\t1\r\nc\t0"] {
            XCTAssertEqual(try parse(variant).examples, lf.examples, variant.debugDescription)
        }
    }

    func testEmptyFiles() throws {
        for name in ["empty.tsv", "blank.tsv"] {
            let url = Fixtures.url("edge/\(name)")
            let error = expectError(TSVError.self) { try sst2.load(.train, file: url) }
            XCTAssertEqual(error, .emptyFile(file: url.path, expected: "a header naming 'sentence', 'label'"))
            assertMessage(error, contains: [name, "line 1", "empty file", "expected a header naming 'sentence', 'label'"])
        }
        let bomOnly = expectError(TSVError.self) { try parse("\u{FEFF}") }
        XCTAssertEqual(bomOnly?.line, 1)
        // Without a header (CoLA) the expectation names the fields.
        let cola = expectError(TSVError.self) { try parse("", task: GlueTask.cola.spec) }
        assertMessage(cola, contains: ["mem.tsv, line 1: empty file", "no header; rows with text in field 4, label in field 2"])
    }

    func testHeaderOnly() throws {
        let url = Fixtures.url("edge/header_only.tsv")
        let error = expectError(TSVError.self) { try sst2.load(.train, file: url) }
        XCTAssertEqual(error, .noExamples(file: url.path, line: 2, skipped: 0))
        assertMessage(error, contains: ["header_only.tsv", "line 2", "no examples"])
        XCTAssertEqual(expectError(TSVError.self) { try parse("sentence\tlabel\r\n\r\n\n") },
                       .noExamples(file: "mem.tsv", line: 2, skipped: 0))
    }

    func testEveryRowSkippedIsNoExamples() throws {
        let error = expectError(TSVError.self) { try parse("sentence\tlabel\na\t7\nb\n", skip: true) }
        XCTAssertEqual(error, .noExamples(file: "mem.tsv", line: 2, skipped: 2))
        assertMessage(error, contains: ["all 2 rows were malformed and skipped"])
    }

    func testInvalidUTF8() throws {
        let url = Fixtures.url("edge/bad_utf8.tsv")
        let error = expectError(TSVError.self) { try sst2.load(.train, file: url) }
        XCTAssertEqual(error, .invalidUTF8(file: url.path, line: 3, byte: 5))
        assertMessage(error, contains: ["bad_utf8.tsv", "line 3", "not valid UTF-8", "byte 5"])

        let skipped = try sst2.load(.train, file: url, options: ReadOptions(skipMalformed: true))
        XCTAssertEqual(skipped.examples.map(\.textA), ["café au lait", "good"])
        XCTAssertEqual(skipped.examples.map(\.index), [0, 2])
        XCTAssertEqual(skipped.skipped, [.invalidUTF8(file: url.path, line: 3, byte: 5)])

        // A bad header is never skipped.
        var header = Data("sent".utf8)
        header.append(0xC0)
        header.append(contentsOf: Array("ence\tlabel\na\t1\n".utf8))
        let headerError = expectError(TSVError.self) {
            try sst2.parse(header, split: .train, file: "h.tsv", options: ReadOptions(skipMalformed: true))
        }
        XCTAssertEqual(headerError, .invalidUTF8(file: "h.tsv", line: 1, byte: 5))
    }

    func testUTF8Validation() {
        func firstInvalid(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBufferPointer { UTF8Check.firstInvalid($0, 0, bytes.count) }
        }
        XCTAssertNil(firstInvalid([]))
        XCTAssertNil(firstInvalid(Array("plain ascii\t".utf8)))
        XCTAssertNil(firstInvalid(Array("café ☕ 𝄞 😀 \u{10FFFF}".utf8)))
        XCTAssertEqual(firstInvalid([0x61, 0xFF]), 1)  // never valid
        XCTAssertEqual(firstInvalid([0x61, 0x80]), 1)  // lone continuation byte
        XCTAssertEqual(firstInvalid([0xC0, 0xAF]), 0)  // overlong '/'
        XCTAssertEqual(firstInvalid([0xE0, 0x80, 0xAF]), 0)  // overlong 3-byte
        XCTAssertEqual(firstInvalid([0xF0, 0x80, 0x80, 0xAF]), 0)  // overlong 4-byte
        XCTAssertEqual(firstInvalid([0xED, 0xA0, 0x80]), 0)  // surrogate U+D800
        XCTAssertEqual(firstInvalid([0xF4, 0x90, 0x80, 0x80]), 0)  // U+110000
        XCTAssertEqual(firstInvalid([0x61, 0x62, 0xE2, 0x82]), 2)  // truncated at the end
        XCTAssertEqual(firstInvalid([0xF0, 0x9F, 0x98]), 0)  // truncated 4-byte
        XCTAssertEqual(firstInvalid([0xE2, 0x28, 0xA1]), 0)  // bad continuation
        // Agrees with the standard library on every 2-byte sequence.
        for a in 0...255 {
            for b in 0...255 {
                let bytes: [UInt8] = [UInt8(a), UInt8(b)]
                let standard = String(bytes: bytes, encoding: .utf8) != nil
                XCTAssertEqual(firstInvalid(bytes) == nil, standard, "\(bytes)")
            }
        }
    }

    func testBlankLineInsideIsAMissingField() throws {
        let url = Fixtures.url("edge/blank_line_inside.tsv")
        let error = expectError(TSVError.self) { try sst2.load(.train, file: url) }
        XCTAssertEqual(error, .missingField(file: url.path, line: 3, column: "'label'", found: 1, expected: 2))
        let skipped = try sst2.load(.train, file: url, options: ReadOptions(skipMalformed: true))
        XCTAssertEqual(skipped.examples.map(\.index), [0, 2])
    }

    func testNoQuotingAndFieldsKeptExactly() throws {
        let dataset = try parse("sentence\tlabel\n\"quoted, \"\"odd\"\" text\t1\n  spaces  \t0\n\t1\n")
        XCTAssertEqual(dataset.examples.map(\.textA), ["\"quoted, \"\"odd\"\" text", "  spaces  ", ""])
    }

    func testLabelsAreTrimmedAndMatchedExactly() throws {
        XCTAssertEqual(try parse("sentence\tlabel\na\t 1 \nb\t0\r\n").examples.map(\.label), [1, 0])
        let error = expectError(TSVError.self) { try parse("sentence\tlabel\na\t1.0\n") }
        XCTAssertEqual(error, .unknownLabel(file: "mem.tsv", line: 2, label: "1.0", labels: ["0", "1"]))
    }

    func testExtraFieldsAndColumnsAreIgnored() throws {
        let dataset = try parse("extra\tlabel\tsentence\tmore\nx\t1\thello\ty\tz\n")
        XCTAssertEqual(dataset.examples, [Example(index: 0, textA: "hello", label: 1)])
    }

    func testHeaderNamesAreTrimmed() throws {
        XCTAssertEqual(try parse(" sentence \tlabel\r\nhi\t0\n").count, 1)
    }

    func testLongValuesAreCutInMessages() throws {
        let label = String(repeating: "x", count: 500)
        let error = expectError(TSVError.self) { try parse("sentence\tlabel\na\t\(label)\n") }
        XCTAssertLessThan(String(describing: error!).count, 200)
    }

    func testUnreadableFiles() throws {
        let missing = Fixtures.url("sst2/nope.tsv")
        let error = expectError(TSVError.self) { try sst2.load(.train, file: missing) }
        XCTAssertEqual(error, .unreadable(file: missing.path, reason: "no such file"))
        assertMessage(error, contains: ["nope.tsv", "cannot read"])
        let directory = expectError(TSVError.self) { try sst2.load(.train, file: Fixtures.url("sst2")) }
        XCTAssertEqual(directory, .unreadable(file: Fixtures.url("sst2").path, reason: "is a directory"))
        // A missing data-dir file names the file the split needs.
        let mnli = expectError(TSVError.self) { try GlueTask.mnli.spec.load(.devMismatched, from: Fixtures.url("sst2")) }
        assertMessage(mnli, contains: ["sst2/dev_mismatched.tsv", "no such file"])
    }

    func testInvalidLayouts() throws {
        let named = TSVReader(layout: TSVLayout(hasHeader: false, textA: .named("sentence")))
        XCTAssertEqual(expectError(TSVError.self) { try named.parse(Data("a\n".utf8), file: "x") },
                       .invalidLayout(file: "x", detail: "column 'sentence' named, but the layout has no header"))
        for index in [-1, Int.max, Int.min] {
            let reader = TSVReader(layout: TSVLayout(hasHeader: false, textA: .position(index)))
            let error = expectError(TSVError.self) { try reader.parse(Data("a\n".utf8), file: "x") }
            XCTAssertEqual(error?.line, nil)
        }
    }

    func testPositionalLayoutReader() throws {
        let reader = TSVReader(layout: TSVLayout(hasHeader: false, textA: .position(2), textB: .position(0), label: .position(1)),
                               labels: ["n", "y"])
        let rows = try reader.parse(Data("b1\ty\ta1\nb2\tn\ta2".utf8), file: "pos.tsv")
        XCTAssertEqual(rows.examples, [Example(index: 0, textA: "a1", textB: "b1", label: 1),
                                       Example(index: 1, textA: "a2", textB: "b2", label: 0)])
    }

    func testSplitUnavailable() throws {
        let error = expectError(TaskError.self) { try sst2.load(.devMismatched, from: Fixtures.url("sst2")) }
        XCTAssertEqual(error, .splitUnavailable(task: "sst2", split: .devMismatched, available: [.train, .dev, .test]))
        assertMessage(error, contains: ["sst2 has no dev_mismatched split", "train, dev, test"])
    }

    /// Every fixture with bytes removed, replaced or duplicated, and random byte strings: the
    /// reader returns examples or throws, never traps. (A cheap stand-in for the fuzzer.)
    func testMutatedAndRandomInputsNeverCrash() throws {
        var generator = SplitMix64(seed: 42)
        let files = try FileManager.default.subpathsOfDirectory(atPath: Fixtures.root.path).filter { $0.hasSuffix(".tsv") }
        XCTAssertGreaterThan(files.count, 40)
        let tasks = GlueTask.allCases.map(\.spec) + [try TaskSpec.tsv(textColumns: ["premise", "hypothesis"],
                                                                       labelColumn: "verdict", labels: ["yes", "no", "maybe"])]
        let alphabet: [UInt8] = [0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3, 0xA9, 0x30, 0x31, 0x35, 0x2E, 0x20, 0x61]
        var outcomes = (ok: 0, failed: 0)
        func attempt(_ data: Data) {
            for task in tasks {
                for split in task.splits {
                    for skip in [false, true] {
                        do {
                            let dataset = try task.parse(data, split: split, file: "fuzz.tsv",
                                                         options: ReadOptions(skipMalformed: skip))
                            XCTAssertFalse(dataset.examples.isEmpty)
                            outcomes.ok += 1
                        } catch is TSVError {
                            outcomes.failed += 1
                        } catch {
                            XCTFail("unexpected error \(error)")
                        }
                    }
                }
            }
        }
        for file in files {
            let original = try [UInt8](Data(contentsOf: Fixtures.root.appendingPathComponent(file)))
            for _ in 0..<8 {
                var bytes = original
                for _ in 0..<Int(generator.next() % 4 + 1) {
                    let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
                    switch generator.next() % 3 {
                    case 0 where !bytes.isEmpty: bytes.remove(at: position)
                    case 1 where !bytes.isEmpty: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                    default: bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
                    }
                }
                attempt(Data(bytes))
            }
        }
        for length in 0..<64 {
            attempt(Data((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
            attempt(Data((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }))
        }
        XCTAssertGreaterThan(outcomes.ok, 0)
        XCTAssertGreaterThan(outcomes.failed, 0)
    }

    /// A QQP-shaped file of 50,000 rows parses completely (release builds read the real
    /// 364k-row file in well under a second).
    func testLargeFile() throws {
        var text = "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
        let rows = 50_000
        text.reserveCapacity(rows * 120)
        for i in 0..<rows {
            text += "\(i)\t\(2 * i)\t\(2 * i + 1)\tHow do I learn Swift number \(i)?\tWhat is the best way to learn Swift, café \(i)?\t\(i % 3 == 0 ? 1 : 0)\r\n"
        }
        let start = Date()
        let dataset = try GlueTask.qqp.spec.parse(Data(text.utf8), split: .train, file: "big.tsv")
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(dataset.count, rows)
        XCTAssertEqual(dataset.examples.last?.textB, "What is the best way to learn Swift, café \(rows - 1)?")
        XCTAssertEqual(dataset.examples.filter { $0.label == 1 }.count, (rows + 2) / 3)
        print("parsed \(rows) QQP-shaped rows in \(String(format: "%.3f", seconds)) s")
    }
}
