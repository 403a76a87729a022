import Foundation
import XCTest
@testable import ModelFormat
import Tensor

/// Damaged and hand-made safetensors files: each must be refused with the right error, whose
/// message names the file and the problem; mutations and random inputs must never crash.
final class SafeTensorsDamagedTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-damaged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    /// 8-byte little-endian length (`declaredLength`, or the header's UTF-8 length), the header,
    /// then `data` bytes 0, 1, 2, ….
    static func file(_ header: String, data: Int = 0, declaredLength: UInt64? = nil) -> Data {
        file(Data(header.utf8), data: data, declaredLength: declaredLength)
    }

    static func file(_ header: Data, data: Int = 0, declaredLength: UInt64? = nil) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(header)
        bytes.append(contentsOf: (0..<data).map { UInt8(truncatingIfNeeded: $0) })
        return bytes
    }

    static func fixture() throws -> Data {
        try Data(contentsOf: SafeTensorsTests.fixtureURL)
    }

    struct NoError: Error {}

    /// Writes `bytes` to `<label>.safetensors`, opens it, and returns the error it must raise;
    /// checks that the message names the file and contains each of `fragments`.
    func refuse(_ bytes: Data, _ label: String, _ fragments: String...,
                file: StaticString = #filePath, line: UInt = #line) throws -> SafeTensorsError {
        let url = directory.appendingPathComponent("\(label).safetensors")
        try bytes.write(to: url)
        do {
            let opened = try SafeTensorsFile(contentsOf: url)
            XCTFail("\(label): accepted, with tensors \(opened.tensors.map(\.name))", file: file, line: line)
            throw NoError()
        } catch let error as SafeTensorsError {
            let message = error.description
            XCTAssertTrue(message.hasPrefix(url.path + ": "), "message does not name the file: \(message)",
                          file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "\"\(fragment)\" not in: \(message)", file: file, line: line)
            }
            return error
        }
    }

    /// Parses in memory and must accept.
    func accept(_ bytes: Data, file: StaticString = #filePath, line: UInt = #line) throws -> SafeTensorsFile {
        do {
            return try SafeTensorsFile(data: bytes, path: "accept")
        } catch {
            XCTFail("refused: \(error)", file: file, line: line)
            throw error
        }
    }

    // MARK: Prefix and header length

    func testEmptyFile() throws {
        let error = try refuse(Data(), "empty", "it has 0 bytes", "8-byte little-endian header length")
        guard case .truncated(_, 8, 0) = error else { return XCTFail("\(error)") }
    }

    func testShorterThanLengthPrefix() throws {
        let error = try refuse(Data([16, 0, 0, 0, 0]), "short", "it has 5 bytes", "at least 8")
        guard case .truncated(_, 8, 5) = error else { return XCTFail("\(error)") }
    }

    func testHeaderLengthLargerThanFile() throws {
        let error = try refuse(Self.file("{}", declaredLength: 1000), "long-header",
                               "says 1000 bytes", "only 10 bytes")
        guard case .headerLengthExceedsFile(_, 1000, 10) = error else { return XCTFail("\(error)") }
    }

    func testHeaderLengthOverLimit() throws {
        var error = try refuse(Self.file("{}", declaredLength: UInt64.max), "huge-header",
                               "18446744073709551615", "limit of 100000000")
        guard case .headerTooLarge(_, UInt64.max, 100_000_000) = error else { return XCTFail("\(error)") }
        error = try refuse(Self.file("{}", declaredLength: 100_000_001), "just-over")
        guard case .headerTooLarge(_, 100_000_001, _) = error else { return XCTFail("\(error)") }
        error = try refuse(Self.file("{}", declaredLength: 100_000_000), "at-limit")
        guard case .headerLengthExceedsFile(_, 100_000_000, 10) = error else { return XCTFail("\(error)") }
    }

    // MARK: Header syntax

    func testHeaderNotJSON() throws {
        let error = try refuse(Self.file("hello world"), "not-json", "JSON syntax error at header byte 0")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
    }

    func testHeaderIsAnArray() throws {
        let error = try refuse(Self.file("[1, 2]"), "array", "must be a JSON object, found an array")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
    }

    func testEmptyHeader() throws {
        let error = try refuse(Self.file(""), "empty-header", "expected a value, found end of header")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
    }

    func testFlippedByteInJSON() throws {
        var bytes = try Self.fixture()
        let colon = try XCTUnwrap(bytes[8...].firstIndex(of: UInt8(ascii: ":")))
        bytes[colon] ^= 0x01  // ':' becomes ';'
        let error = try refuse(bytes, "flipped", "JSON syntax error at header byte \(colon - 8)",
                               "expected ':' after key \"__metadata__\"")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
    }

    func testSyntaxErrors() throws {
        let cases: [(String, String)] = [
            (#"{"__metadata__":{"a":"b",}}"#, "expected a string key"),  // trailing comma
            (#"{"__metadata__":{"a":"b"},}"#, "expected a string key"),
            (#"{} x"#, "after the end of the JSON object"),
            ("{}\u{0}\u{0}", "after the end of the JSON object"),  // NUL padding is not whitespace
            (#"{"a" 1}"#, "expected ':'"),
            (#"{"a":tru}"#, "invalid literal"),
            (#"{"a":"x"#, "unterminated string"),
            ("{\"a\u{1}\":1}", "control character in string"),
            (#"{"\ud800":1}"#, "lone leading surrogate"),
            (#"{"\udc00":1}"#, "lone trailing surrogate"),
            (#"{"\ud800\u0041":1}"#, "invalid trailing surrogate"),
            (#"{"\x":1}"#, "invalid escape"),
            (#"{"a":1.}"#, "expected a digit after '.'"),
            (#"{"a":{"dtype":"F32","shape":[1 2],"data_offsets":[0,8]}}"#, "expected ',' or ']' in array"),
            (#"{"a":{"dtype":"F32" "shape":[1]}}"#, "expected ',' or '}' in object"),
            (#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#, "expected ',' or '}' in object"),
            (#"{"a":01}"#, "leading zero"),  // found while describing the unexpected value
            (#"{"a":1.}"#, "expected a digit after '.'"),
            (#"{"a":x}"#, "expected a value, found character 'x'"),
        ]
        for (index, (header, fragment)) in cases.enumerated() {
            let error = try refuse(Self.file(header), "syntax-\(index)", fragment)
            guard case .invalidHeader = error else { return XCTFail("\(header): \(error)") }
        }
    }

    /// The header is walked by its schema, without building a JSON tree: deep or huge wrong
    /// structures are refused at their first unexpected value.
    func testWrongStructureIsRefusedEarly() throws {
        var error = try refuse(Self.file(String(repeating: "[", count: 100_000)), "deep-array",
                               "must be a JSON object, found an array")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
        error = try refuse(Self.file(String(repeating: #"{"a":"#, count: 100_000)), "deep-object",
                           "tensor \"a\"", "unexpected field \"a\"")
        guard case .badEntry(_, "a", _) = error else { return XCTFail("\(error)") }
        error = try refuse(Self.file("[" + String(repeating: "0,", count: 1_000_000) + "0]"), "long-array",
                           "must be a JSON object, found an array")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
        error = try refuse(Self.file(#"{"w":{"dtype":"F32","shape":[[[[1]]]],"data_offsets":[0,4]}}"#, data: 4),
                           "nested-shape", "shape[0] must be a non-negative integer below 2^63, found an array")
        guard case .badEntry(_, "w", _) = error else { return XCTFail("\(error)") }
    }

    func testInvalidUTF8() throws {
        var header = Data(#"{"a"#.utf8)
        header.append(0xFF)
        header.append(contentsOf: #"":1}"#.utf8)
        let error = try refuse(Self.file(header), "utf8", "not valid UTF-8 at header byte 3")
        guard case .invalidHeader = error else { return XCTFail("\(error)") }
        // An overlong encoding of '/' is invalid too.
        let overlong = try refuse(Self.file(Data([0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x31, 0x7D])), "overlong",
                                  "not valid UTF-8 at header byte 2")
        guard case .invalidHeader = overlong else { return XCTFail("\(overlong)") }
    }

    func testWhitespaceAroundHeaderIsAccepted() throws {
        var file = try accept(Self.file(" \n\t{}  \r\n  "))
        XCTAssertTrue(file.tensors.isEmpty)
        XCTAssertTrue(file.metadata.isEmpty)
        file = try accept(Self.file(#"{"__metadata__":null, "a\u0062\/":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}"#,
                                    data: 2))
        XCTAssertEqual(file.tensors.map(\.name), ["ab/"])
        XCTAssertEqual(try file.int8s("ab/"), [0, 1])
    }

    // MARK: Entries

    func testEntryMissingDataOffsets() throws {
        let error = try refuse(Self.file(#"{"w":{"dtype":"F32","shape":[1]}}"#, data: 4), "no-offsets",
                               "tensor \"w\"", "missing field \"data_offsets\"")
        guard case .badEntry(_, "w", _) = error else { return XCTFail("\(error)") }
    }

    func testUnknownDType() throws {
        let error = try refuse(Self.file(#"{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, data: 16),
                               "dtype", "tensor \"w\"", "unknown dtype \"F128\"", "expected one of BOOL")
        guard case .unknownDType(_, "w", "F128") = error else { return XCTFail("\(error)") }
        // Sub-byte types of the reference are not supported.
        let sub = try refuse(Self.file(#"{"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#, data: 1), "f4")
        guard case .unknownDType(_, "w", "F4") = sub else { return XCTFail("\(sub)") }
    }

    func testShapeAndOffsetsSizeMismatch() throws {
        let error = try refuse(Self.file(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#, data: 20),
                               "size", "tensor \"w\"", "F32 with shape [2, 3] needs 24 bytes",
                               "data_offsets span 20 bytes")
        guard case .sizeMismatch(_, "w", .f32, [2, 3], 24, 20) = error else { return XCTFail("\(error)") }
    }

    func testOffsetsBeyondBuffer() throws {
        let error = try refuse(Self.file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: 8),
                               "beyond", "tensor \"w\"", "data_offsets [0, 16]", "data buffer of 8 bytes")
        guard case .dataOutOfBounds(_, "w", 0..<16, 8) = error else { return XCTFail("\(error)") }
        let far = try refuse(Self.file(#"{"w":{"dtype":"I8","shape":[9223372036854775807],"#
                                       + #""data_offsets":[0,9223372036854775807]}}"#, data: 8), "far")
        guard case .dataOutOfBounds(_, "w", _, 8) = far else { return XCTFail("\(far)") }
    }

    func testOverlappingEntries() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let error = try refuse(Self.file(header, data: 12), "overlap", "tensor \"b\"", "data_offsets [4, 12]",
                               "overlap tensor \"a\", which ends at 8")
        guard case .overlap(_, "b", 4..<12, "a", 8) = error else { return XCTFail("\(error)") }
        // An empty tensor inside another one overlaps it too (as in the reference).
        let inside = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        let empty = try refuse(Self.file(inside, data: 8), "overlap-empty")
        guard case .overlap(_, "e", 4..<4, "a", 8) = empty else { return XCTFail("\(empty)") }
    }

    func testGaps() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        var error = try refuse(Self.file(header, data: 12), "gap", "bytes [4, 8)",
                               "after tensor \"a\", before tensor \"b\"", "belong to no tensor")
        guard case .gap(_, 4..<8, "a", "b") = error else { return XCTFail("\(error)") }

        error = try refuse(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8),
                           "leading-gap", "bytes [0, 4)", "at the start of the data buffer")
        guard case .gap(_, 0..<4, nil, "a") = error else { return XCTFail("\(error)") }

        error = try refuse(Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: 6),
                           "trailing-bytes", "bytes [4, 6)", "up to the end of the file")
        guard case .gap(_, 4..<6, "a", nil) = error else { return XCTFail("\(error)") }

        error = try refuse(Self.file("{}", data: 3), "no-tensors-but-data", "bytes [0, 3)")
        guard case .gap(_, 0..<3, nil, nil) = error else { return XCTFail("\(error)") }
    }

    func testTruncatedData() throws {
        let bytes = try Self.fixture()
        let reference = try accept(bytes)
        let dataStart = 8 + reference.headerLength
        let cut = dataStart + 90
        let victim = try XCTUnwrap(reference.tensors.first { $0.byteRange.contains(cut) })
        XCTAssertEqual(victim.name, "f32.special")
        let error = try refuse(bytes.prefix(cut), "truncated", "tensor \"f32.special\"",
                               "data_offsets [80, 100]", "beyond the data buffer of 90 bytes", "truncated file?")
        guard case .dataOutOfBounds(_, "f32.special", 80..<100, 90) = error else { return XCTFail("\(error)") }
    }

    func testDuplicateNames() throws {
        // JSONSerialization would silently keep the last "a"; the reference keeps one too.
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        var error = try refuse(Self.file(header, data: 4), "duplicate", "tensor \"a\" appears more than once")
        guard case .duplicateTensor(_, "a") = error else { return XCTFail("\(error)") }
        // Duplicates are found after unescaping.
        let escaped = #"{"ab":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"#
            + #""a\u0062":{"dtype":"I8","shape":[1],"data_offsets":[1,2]}}"#
        error = try refuse(Self.file(escaped, data: 2), "duplicate-escaped")
        guard case .duplicateTensor(_, "ab") = error else { return XCTFail("\(error)") }
    }

    func testMalformedEntries() throws {
        func entry(_ body: String, data: Int = 4) -> Data { Self.file(#"{"w":"# + body + "}", data: data) }
        let cases: [(Data, String)] = [
            (entry(#"[1]"#), "expected an object with dtype, shape and data_offsets, found an array"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}"#), "unexpected field \"x\""),
            (entry(#"{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}"#), "field \"dtype\" appears twice"),
            (entry(#"{"shape":[1],"data_offsets":[0,4]}"#), "missing field \"dtype\""),
            (entry(#"{"dtype":"F32","data_offsets":[0,4]}"#), "missing field \"shape\""),
            (entry(#"{"dtype":5,"shape":[1],"data_offsets":[0,4]}"#), "dtype must be a string, found the number 5"),
            (entry(#"{"dtype":"F32","shape":1,"data_offsets":[0,4]}"#), "shape must be an array"),
            (entry(#"{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}"#), "shape[0] must be a non-negative integer"),
            (entry(#"{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}"#), "found the number 1e0"),
            (entry(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), "found the number -1"),
            (entry(#"{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}"#, data: 0), "found the number -0"),
            (entry(#"{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}"#), "found the string \"1\""),
            (entry(#"{"dtype":"F32","shape":[1,null],"data_offsets":[0,4]}"#), "shape[1]"),
            (entry(#"{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}"#), "below 2^63"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#), "two integers [begin, end]"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}"#), "two integers [begin, end]"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":{"a":0}}"#), "two integers [begin, end]"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}"#), "data_offsets[1] must be a non-negative integer"),
            (entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551616]}"#), "below 2^63"),
            (entry(#"{"dtype":"F32","shape":[0],"data_offsets":[4,0]}"#), "data_offsets [4, 0] end before they begin"),
            (entry(#"{"dtype":"I64","shape":[4611686018427387904,4],"data_offsets":[0,4]}"#), "overflows the byte count"),
            (entry(#"{"dtype":"I64","shape":[1152921504606846976],"data_offsets":[0,4]}"#), "overflows the byte count"),
        ]
        for (index, (bytes, fragment)) in cases.enumerated() {
            let error = try refuse(bytes, "entry-\(index)", "tensor \"w\"", fragment)
            guard case .badEntry(_, "w", _) = error else { return XCTFail("case \(index): \(error)") }
        }
    }

    func testMalformedMetadata() throws {
        let cases: [(String, String)] = [
            (#"{"__metadata__":{"a":1}}"#, "\"__metadata__\" value for \"a\" must be a string, found the number 1"),
            (#"{"__metadata__":["a"]}"#, "\"__metadata__\" must be an object of strings, found an array"),
            (#"{"__metadata__":{"a":"1","a":"2"}}"#, "\"__metadata__\" key \"a\" appears twice"),
            (#"{"__metadata__":{},"__metadata__":{}}"#, "\"__metadata__\" appears twice"),
        ]
        for (index, (header, fragment)) in cases.enumerated() {
            let error = try refuse(Self.file(header), "metadata-\(index)", fragment)
            guard case .invalidHeader = error else { return XCTFail("\(header): \(error)") }
        }
    }

    func testUnreadable() throws {
        let missing = directory.appendingPathComponent("missing.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: missing)) { error in
            guard case SafeTensorsError.unreadable(missing.path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasPrefix(missing.path + ": cannot read"), "\(error)")
            XCTAssertTrue("\(error)".contains("No such file"), "\(error)")
        }
        XCTAssertThrowsError(try SafeTensorsFile(contentsOf: directory)) { error in
            guard case SafeTensorsError.unreadable = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("directory"), "\(error)")
        }
    }

    // MARK: Unaligned data

    /// Real files are not always aligned: data starting at an odd offset must read correctly.
    func testUnalignedTensors() throws {
        var data = Data()
        func append<T>(_ values: [T]) { values.withUnsafeBytes { data.append(contentsOf: $0) } }
        append([Int8(-5)])                                           // b: [1, 2)  odd start for all below
        append([Float(1.5), -2])                                     // f: [1, 9)
        append([HalfPrecision.f16(from: 0.5)])                       // h: [9, 11)
        append([Double(0.25), -8])                                   // d: [11, 27)
        append([Int32(-7), 9])                                       // i: [27, 35)
        append([Int64(-1), Int64.max])                               // l: [35, 51)
        append([HalfPrecision.bf16(from: -4)])                      // g: [51, 53)
        let header = #"{"b":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"#
            + #""f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"#
            + #""h":{"dtype":"F16","shape":[1],"data_offsets":[9,11]},"#
            + #""d":{"dtype":"F64","shape":[2],"data_offsets":[11,27]},"#
            + #""i":{"dtype":"I32","shape":[2],"data_offsets":[27,35]},"#
            + #""l":{"dtype":"I64","shape":[2],"data_offsets":[35,51]},"#
            + #""g":{"dtype":"BF16","shape":[1],"data_offsets":[51,53]}}"#
        var bytes = Self.file(header.utf8.count % 2 == 1 ? header : header + " ")  // odd header length
        bytes.append(data)
        let file = try accept(bytes)
        XCTAssertEqual(file.headerLength % 2, 1)
        XCTAssertEqual(try file.int8s("b"), [-5])
        XCTAssertEqual(try file.floats("f"), [1.5, -2])
        XCTAssertEqual(try file.floats("h"), [0.5])
        XCTAssertEqual(try file.floats("d"), [0.25, -8])
        XCTAssertEqual(try file.int32s("i"), [-7, 9])
        XCTAssertEqual(try file.int64s("i"), [-7, 9])
        XCTAssertEqual(try file.int64s("l"), [-1, Int64.max])
        XCTAssertEqual(try file.floats("g"), [-4])
    }

    // MARK: Robustness

    /// Every proper prefix of a valid file is refused.
    func testEveryPrefixIsRefused() throws {
        let bytes = try Self.fixture()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensorsFile(data: bytes.prefix(length), path: "prefix"), "length \(length)")
        }
    }

    /// Single-bit and single-byte corruptions of the length prefix and header: refused with a
    /// `SafeTensorsError`, or accepted as a file whose tensors all read in bounds.
    func testHeaderMutationsNeverCrash() throws {
        let bytes = try Self.fixture()
        let headerEnd = 8 + (try accept(bytes)).headerLength
        var accepted = 0
        var refused = 0
        for position in 0..<headerEnd {
            for mask: UInt8 in [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF] {
                var mutated = bytes
                mutated[position] ^= mask
                if let file = try Self.openChecked(mutated) {
                    accepted += 1
                    try Self.checkInvariants(file)
                } else {
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, accepted)
    }

    /// Random token soups and random near-valid headers: never a crash; whatever is accepted
    /// satisfies the invariants (exact tiling, sizes matching shapes).
    func testRandomHeadersNeverCrash() throws {
        var rng = FuzzRandom(seed: 42)
        let tokens = ["{", "}", "[", "]", ",", ":", " ", "\"", "\\", "\\u00e9", "\\ud83d\\ude00", "\"a\"", "\"b\"",
                      "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"F32\"", "\"I8\"",
                      "\"BF16\"", "0", "1", "4", "8", "-1", "2.5", "1e2", "18446744073709551616", "null", "true",
                      "\u{0}", "é"]
        var accepted = 0
        for _ in 0..<20_000 {
            let count = rng.next(below: 40)
            let header = (0..<count).map { _ in tokens[rng.next(below: tokens.count)] }.joined()
            let bytes = Self.file(header, data: rng.next(below: 24))
            if let file = try Self.openChecked(bytes) {
                accepted += 1
                try Self.checkInvariants(file)
            }
        }
        let dtypes = ["F32", "F16", "BF16", "F64", "I8", "I32", "I64", "U8", "BOOL"]
        for _ in 0..<20_000 {
            var offset = 0
            var entries: [String] = []
            for index in 0..<rng.next(below: 4) {
                let dtype = SafeTensorsDType(rawValue: dtypes[rng.next(below: dtypes.count)])!
                let shape = (0..<rng.next(below: 3)).map { _ in rng.next(below: 4) }
                var size = shape.reduce(1, *) * dtype.byteSize
                if rng.next(below: 8) == 0 { size += rng.next(below: 5) - 2 }
                var begin = offset
                if rng.next(below: 8) == 0 { begin += rng.next(below: 5) - 2 }
                let end = begin + size
                let shapeText = shape.map(String.init).joined(separator: ",")
                entries.append("\"t\(index)\":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shapeText)],"
                               + "\"data_offsets\":[\(begin),\(end)]}")
                offset = end
            }
            if rng.next(below: 2) == 0 { entries.shuffle(using: &rng) }
            var dataSize = max(offset, 0)
            if rng.next(below: 8) == 0 { dataSize = max(0, dataSize + rng.next(below: 5) - 2) }
            let bytes = Self.file("{" + entries.joined(separator: ",") + "}", data: dataSize)
            if let file = try Self.openChecked(bytes) {
                accepted += 1
                try Self.checkInvariants(file)
            }
        }
        XCTAssertGreaterThan(accepted, 1000)
    }

    /// The file, or nil when refused with a `SafeTensorsError` (any other error fails).
    static func openChecked(_ bytes: Data) throws -> SafeTensorsFile? {
        do {
            return try SafeTensorsFile(data: bytes, path: "fuzz")
        } catch let error as SafeTensorsError {
            XCTAssertTrue(error.description.hasPrefix("fuzz: "), error.description)
            return nil
        }
    }

    static func checkInvariants(_ file: SafeTensorsFile) throws {
        var cursor = 8 + file.headerLength
        for info in file.tensors {
            XCTAssertEqual(info.byteRange.lowerBound, cursor)
            XCTAssertEqual(info.byteCount, info.elementCount * info.dtype.byteSize)
            XCTAssertEqual(info.elementCount, info.shape.reduce(1, *))
            cursor = info.byteRange.upperBound
            XCTAssertEqual(try file.withRawBytes(info.name) { $0.count }, info.byteCount)
            if SafeTensorsDType.floatTypes.contains(info.dtype) {
                XCTAssertEqual(try file.floats(info.name).count, info.elementCount)
            }
        }
        XCTAssertEqual(cursor, file.fileSize)
    }
}

/// Tensor's SplitMix64, for reproducible fuzzing.
private typealias FuzzRandom = SplitMix64

private extension SplitMix64 {
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
