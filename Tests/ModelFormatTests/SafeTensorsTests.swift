import Foundation
import TestSupport
import XCTest
@testable import ModelFormat

/// Reading the reference-written fixture, writing, round trips, atomic replacement, and the real
/// MiniLM checkpoint. Damaged files are in `SafeTensorsDamagedTests`.
final class SafeTensorsTests: XCTestCase {
    /// Written by scripts/make_safetensors_fixture.py with the reference implementation.
    static var fixturesURL: URL { Fixtures.url("safetensors") }

    static var fixtureURL: URL { fixturesURL.appendingPathComponent("mixed.safetensors") }

    /// `mixed.expected.json`, written with the fixture by scripts/make_safetensors_fixture.py.
    struct Expected: Decodable {
        struct Tensor: Decodable {
            let dtype: String
            let shape: [Int]
            let float_bits: [UInt32]?
            let ints: [Int64]?
        }
        let metadata: [String: String]
        let order: [String]
        let tensors: [String: Tensor]
    }

    static func expected() throws -> Expected {
        let url = fixturesURL.appendingPathComponent("mixed.expected.json")
        return try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url))
    }

    func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    // MARK: Reading the reference fixture

    func testFixtureHeader() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtureURL)
        let expected = try Self.expected()
        XCTAssertEqual(file.metadata, expected.metadata)
        XCTAssertEqual(file.metadata["note"], "line1\nline2 \"quoted\" ü \\ tab\t")
        XCTAssertEqual(file.tensors.map(\.name), expected.order)
        XCTAssertEqual(file.tensors.count, 13)
        XCTAssertEqual(file.path, Self.fixtureURL.path)
        XCTAssertEqual((8 + file.headerLength) % 8, 0)
        // The tensors tile the data buffer, which ends at the end of the file.
        var cursor = 8 + file.headerLength
        for info in file.tensors {
            XCTAssertEqual(info.byteRange.lowerBound, cursor, info.name)
            cursor = info.byteRange.upperBound
        }
        XCTAssertEqual(cursor, file.fileSize)
        XCTAssertNil(file["nope"])
    }

    func testFixtureValues() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtureURL)
        let expected = try Self.expected()
        XCTAssertEqual(Set(expected.tensors.keys), Set(file.tensors.map(\.name)))
        for (name, want) in expected.tensors {
            let info = try XCTUnwrap(file[name], name)
            XCTAssertEqual(info.dtype.rawValue, want.dtype, name)
            XCTAssertEqual(info.shape, want.shape, name)
            XCTAssertEqual(info.elementCount, want.shape.reduce(1, *), name)
            XCTAssertEqual(info.byteCount, info.elementCount * info.dtype.byteSize, name)
            XCTAssertEqual(try file.require(name, dtype: info.dtype, shape: want.shape), info)
            if let bits = want.float_bits {
                XCTAssertEqual(try file.floats(name).map(\.bitPattern), bits, name)
                var buffer = [Float](repeating: 1, count: info.elementCount)
                try buffer.withUnsafeMutableBufferPointer { try file.readFloats(name, into: $0) }
                XCTAssertEqual(buffer.map(\.bitPattern), bits, name)
            } else {
                let ints = try XCTUnwrap(want.ints, name)
                switch info.dtype {
                case .i8: XCTAssertEqual(try file.int8s(name).map(Int64.init), ints, name)
                case .i32:
                    XCTAssertEqual(try file.int32s(name).map(Int64.init), ints, name)
                    XCTAssertEqual(try file.int64s(name), ints, name)  // widened
                case .i64: XCTAssertEqual(try file.int64s(name), ints, name)
                case .u8, .bool:
                    XCTAssertEqual(try file.withRawBytes(name) { $0.map(Int64.init) }, ints, name)
                default: XCTFail("unexpected dtype in fixture: \(name) \(info.dtype)")
                }
            }
        }
        // Spot checks written out, independent of the sidecar.
        XCTAssertEqual(try file.floats("f32.matrix"), [-1, -0.5, 0, 0.5, 1, 1.5])
        XCTAssertEqual(try file.floats("scalar"), [42.5])
        XCTAssertEqual(file["scalar"]?.shape, [])
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(file["empty"]?.shape, [0])
        XCTAssertEqual(try file.floats("f16.values")[4], 65504)
        XCTAssertEqual(try file.floats("f16.values")[5], Float(0x1p-24))
        XCTAssertEqual(try file.floats("bf16.values")[1], -3)
        XCTAssertEqual(try file.int64s("i64.values"), [Int64.min, 1, Int64.max])
        XCTAssertEqual(try file.int32s("unicode.ü.name"), [7])
        XCTAssertEqual(try file.withRawBytes("empty") { $0.count }, 0)
    }

    func testInMemorySliceWithNonZeroStartIndex() throws {
        let bytes = try Data(contentsOf: Self.fixtureURL)
        var padded = Data(repeating: 0xAB, count: 13)
        padded.append(bytes)
        let slice = padded[13...]
        XCTAssertEqual(slice.startIndex, 13)
        let file = try SafeTensorsFile(data: slice, path: "slice")
        XCTAssertEqual(try file.floats("f32.matrix"), [-1, -0.5, 0, 0.5, 1, 1.5])
        XCTAssertEqual(try file.int8s("i8.values"), [-128, -1, 0, 127])
    }

    // MARK: Typed access errors

    func testRequireNamesTensorExpectedAndActual() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtureURL)
        let path = Self.fixtureURL.path

        XCTAssertThrowsError(try file.require("f32.matrix", shape: [3, 2])) { error in
            guard case let SafeTensorsError.wrongShape(p, name, expected, actual) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual([p, name], [path, "f32.matrix"])
            XCTAssertEqual(expected, [3, 2])
            XCTAssertEqual(actual, [2, 3])
            XCTAssertEqual("\(error)", "\(path): tensor \"f32.matrix\": expected shape [3, 2], found [2, 3]")
        }
        XCTAssertThrowsError(try file.require("f32.matrix", dtype: .f16, shape: [2, 3])) { error in
            guard case SafeTensorsError.wrongDType(path, "f32.matrix", [.f16], .f32) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual("\(error)", "\(path): tensor \"f32.matrix\": expected dtype F16, found F32")
        }
        XCTAssertThrowsError(try file.require("missing")) { error in
            guard case SafeTensorsError.missingTensor(path, "missing") = error else { return XCTFail("\(error)") }
            XCTAssertEqual("\(error)", "\(path): no tensor named \"missing\"")
        }
        XCTAssertThrowsError(try file.floats("missing")) { error in
            guard case SafeTensorsError.missingTensor = error else { return XCTFail("\(error)") }
        }
    }

    func testTypedReadsCheckDType() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtureURL)
        XCTAssertThrowsError(try file.floats("i8.values")) { error in
            guard case SafeTensorsError.wrongDType(_, "i8.values", SafeTensorsDType.floatTypes, .i8) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue("\(error)".contains("expected dtype F32 or F16 or BF16 or F64, found I8"), "\(error)")
        }
        XCTAssertThrowsError(try file.int8s("u8.values")) { error in
            guard case SafeTensorsError.wrongDType(_, "u8.values", [.i8], .u8) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try file.int32s("i64.values")) { error in
            guard case SafeTensorsError.wrongDType(_, "i64.values", [.i32], .i64) = error else {
                return XCTFail("\(error)")
            }
        }
        XCTAssertThrowsError(try file.int64s("f32.matrix")) { error in
            guard case SafeTensorsError.wrongDType(_, "f32.matrix", [.i64, .i32], .f32) = error else {
                return XCTFail("\(error)")
            }
        }
    }

    func testReadFloatsChecksDestinationCount() throws {
        let file = try SafeTensorsFile(contentsOf: Self.fixtureURL)
        var buffer = [Float](repeating: 0, count: 5)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBufferPointer { try file.readFloats("f32.matrix", into: $0) }) {
            error in
            guard case SafeTensorsError.wrongCount(_, "f32.matrix", 6, 5) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("has 6 elements, but the destination holds 5"), "\(error)")
        }
        XCTAssertEqual(buffer, [0, 0, 0, 0, 0])
    }

    // MARK: Writing

    /// Re-adding the reference's tensors in its data order reproduces its file byte for byte.
    func testWriterReproducesReferenceFileExactly() throws {
        let reference = try Data(contentsOf: Self.fixtureURL)
        let file = try SafeTensorsFile(data: reference, path: "fixture")
        var writer = SafeTensorsWriter(metadata: file.metadata)
        for info in file.tensors {
            try file.withRawBytes(info.name) { try writer.add(info.name, dtype: info.dtype, shape: info.shape, bytes: $0) }
        }
        XCTAssertEqual(writer.tensorNames, file.tensors.map(\.name))
        let ours = try writer.serialized()
        XCTAssertEqual(ours.count, reference.count)
        XCTAssertEqual(ours, reference)
    }

    func testRoundTripAllTypesAndAlignment() throws {
        var writer = SafeTensorsWriter(metadata: ["format": "q8train", "step": "12", "quote\"key": "ü\n\u{1}"])
        // Deliberately added small types first: the writer still aligns every tensor.
        try [UInt8]([1, 0, 1]).withUnsafeBytes { try writer.add("flags", dtype: .bool, shape: [3], bytes: $0) }
        try writer.add("q", int8s: [-128, -1, 0, 1, 127], shape: [5])
        try writer.add("h", floats: [1, -2.5, 65504, 0x1p-24, .infinity], shape: [5], as: .f16)
        try writer.add("b", floats: [1, -3, 0.5], shape: [3, 1], as: .bf16)
        try writer.add("w", floats: (0..<12).map { Float($0) * 0.25 - 1 }, shape: [3, 4])
        try writer.add("ids", int32s: [Int32.min, 0, Int32.max], shape: [3])
        try writer.add("d", floats: [0.1, -2], shape: [2], as: .f64)
        try writer.add("positions", int64s: [0, 1, Int64.max], shape: [1, 3])
        try writer.add("empty", floats: [], shape: [4, 0])
        try writer.add("scalar", floats: [7], shape: [])
        try writer.add("weird \"name\"\\\n", int32s: [5], shape: [1])

        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("round.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(try Data(contentsOf: url), try writer.serialized())

        XCTAssertEqual(file.metadata, writer.metadata)
        XCTAssertEqual(Set(file.tensors.map(\.name)), Set(writer.tensorNames))
        XCTAssertEqual((8 + file.headerLength) % 8, 0)
        for info in file.tensors {
            XCTAssertEqual(info.byteRange.lowerBound % info.dtype.byteSize, 0, "\(info.name) is not aligned")
        }
        XCTAssertEqual(try file.withRawBytes("flags") { Array($0) }, [1, 0, 1])
        XCTAssertEqual(try file.int8s("q"), [-128, -1, 0, 1, 127])
        XCTAssertEqual(try file.floats("h"), [1, -2.5, 65504, 0x1p-24, .infinity])
        XCTAssertEqual(try file.require("b", dtype: .bf16, shape: [3, 1]).elementCount, 3)
        XCTAssertEqual(try file.floats("b"), [1, -3, 0.5])
        XCTAssertEqual(try file.floats("w"), (0..<12).map { Float($0) * 0.25 - 1 })
        XCTAssertEqual(try file.int32s("ids"), [Int32.min, 0, Int32.max])
        XCTAssertEqual(try file.int64s("ids"), [Int64(Int32.min), 0, Int64(Int32.max)])
        XCTAssertEqual(try file.floats("d"), [Float(0.1), -2])
        XCTAssertEqual(try file.withRawBytes("d") { $0.loadUnaligned(as: Double.self) }, Double(Float(0.1)))
        XCTAssertEqual(try file.int64s("positions"), [0, 1, Int64.max])
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(file["empty"]?.shape, [4, 0])
        XCTAssertEqual(try file.floats("scalar"), [7])
        XCTAssertEqual(try file.int32s("weird \"name\"\\\n"), [5])
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["round.safetensors"])
    }

    func testWriterIsDeterministic() throws {
        func make() throws -> Data {
            var writer = SafeTensorsWriter(metadata: ["b": "2", "a": "1", "c": "3"])
            try writer.add("x", floats: [1, 2], shape: [2])
            try writer.add("y", int8s: [3], shape: [1])
            return try writer.serialized()
        }
        let bytes = try make()
        XCTAssertEqual(bytes, try make())
        let header = try SafeTensorsFile(data: bytes).headerLength
        let json = String(decoding: bytes[8..<(8 + header)], as: UTF8.self)
        XCTAssertEqual(json, #"{"__metadata__":{"a":"1","b":"2","c":"3"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"I8","shape":[1],"data_offsets":[8,9]}}"# + "     ")
    }

    func testWriterRejectsBadTensors() throws {
        var writer = SafeTensorsWriter()
        try writer.add("a", floats: [1, 2, 3], shape: [3])
        XCTAssertThrowsError(try writer.add("a", floats: [1], shape: [1])) { error in
            guard case SafeTensorsError.duplicateTensor("<writer>", "a") = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try writer.add("b", floats: [1, 2, 3], shape: [2, 2])) { error in
            guard case SafeTensorsError.badEntry("<writer>", "b", _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("shape [2, 2] of F32 needs 16 bytes, but 12 were given"), "\(error)")
        }
        XCTAssertThrowsError(try writer.add("c", int8s: [], shape: [-1, 0])) { error in
            guard case SafeTensorsError.badEntry("<writer>", "c", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try writer.add("d", int8s: [], shape: [Int.max, Int.max, 0])) { error in
            guard case SafeTensorsError.badEntry("<writer>", "d", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try writer.add("__metadata__", int8s: [1], shape: [1])) { error in
            guard case SafeTensorsError.badEntry("<writer>", "__metadata__", _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try writer.add("e", floats: [1], shape: [1], as: .i8)) { error in
            guard case SafeTensorsError.wrongDType("<writer>", "e", _, .i8) = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(writer.tensorNames, ["a"])  // failed adds leave the writer unchanged
    }

    func testWriteReplacesExistingFile() throws {
        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        var first = SafeTensorsWriter()
        try first.add("x", floats: [1, 2], shape: [2])
        try first.write(to: url)
        var second = SafeTensorsWriter()
        try second.add("x", floats: [3, 4, 5], shape: [3])
        try second.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(contentsOf: url).floats("x"), [3, 4, 5])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
    }

    /// The temporary file cannot be created (its path is taken by a directory): the write fails
    /// and the existing destination keeps its old contents.
    func testFailedWriteLeavesExistingFileIntact() throws {
        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        let old = Data("old contents".utf8)
        try old.write(to: url)
        let blocker = directory.appendingPathComponent(".model.safetensors.tmp-\(getpid())")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)

        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1, 2], shape: [2])
        XCTAssertThrowsError(try writer.write(to: url)) { error in
            guard case SafeTensorsError.writeFailed(url.path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("cannot create temporary file"), "\(error)")
        }
        XCTAssertEqual(try Data(contentsOf: url), old)
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: blocker.path, isDirectory: &isDirectory))
        XCTAssertTrue(isDirectory.boolValue, "the writer must not remove what it did not create")
    }

    /// The rename fails (the destination is a non-empty directory) after the data was written:
    /// the temporary file is removed and the destination is untouched.
    func testFailedRenameRemovesTemporaryFile() throws {
        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("model.safetensors")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: url.appendingPathComponent("inside"))

        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1, 2], shape: [2])
        XCTAssertThrowsError(try writer.write(to: url)) { error in
            guard case SafeTensorsError.writeFailed(url.path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("cannot rename"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
        XCTAssertEqual(try Data(contentsOf: url.appendingPathComponent("inside")), Data("keep".utf8))
    }

    func testWriteIntoMissingDirectoryFails() throws {
        let directory = try makeTemporaryDirectory()
        let url = directory.appendingPathComponent("no/such/dir/model.safetensors")
        var writer = SafeTensorsWriter()
        try writer.add("x", floats: [1], shape: [1])
        XCTAssertThrowsError(try writer.write(to: url)) { error in
            guard case SafeTensorsError.writeFailed(url.path, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("No such file or directory"), "\(error)")
        }
    }

    // MARK: 16-bit floats

    func testHalfPrecisionKnownValues() {
        XCTAssertEqual(HalfPrecision.f16(from: 1), 0x3C00)
        XCTAssertEqual(HalfPrecision.f16(from: -2), 0xC000)
        XCTAssertEqual(HalfPrecision.f16(from: 65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.f16(from: 65520), 0x7C00)  // halfway to the next: rounds to even (inf)
        XCTAssertEqual(HalfPrecision.f16(from: 65519.99), 0x7BFF)
        XCTAssertEqual(HalfPrecision.f16(from: 0x1p-24), 0x0001)
        XCTAssertEqual(HalfPrecision.f16(from: 0x1p-25), 0x0000)  // tie to even: zero
        XCTAssertEqual(HalfPrecision.f16(from: 0x1.8p-25), 0x0001)
        XCTAssertEqual(HalfPrecision.f16(from: -0.0), 0x8000)
        XCTAssertEqual(HalfPrecision.f16(from: .nan) & 0x7E00, 0x7E00)
        XCTAssertEqual(HalfPrecision.float(fromF16: 0x7BFF), 65504)
        XCTAssertEqual(HalfPrecision.float(fromF16: 0x0001), 0x1p-24)
        XCTAssertEqual(HalfPrecision.float(fromF16: 0xFC00), -.infinity)
        XCTAssertTrue(HalfPrecision.float(fromF16: 0x7E00).isNaN)

        XCTAssertEqual(HalfPrecision.bf16(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie to even: down
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie to even: up
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertEqual(HalfPrecision.bf16(from: .greatestFiniteMagnitude), 0x7F80)
        XCTAssertEqual(HalfPrecision.bf16(from: -.infinity), 0xFF80)
        XCTAssertTrue(HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertEqual(HalfPrecision.float(fromBF16: 0xC040), -3)
    }

    #if os(Linux)
    /// Against Swift's `Float16` (hardware or compiler-rt conversions): every binary16 value
    /// widened, and narrowing of every binary16 value, the midpoints between neighbours and
    /// their float neighbours, plus pseudo-random floats.
    func testHalfPrecisionMatchesFloat16() {
        for bits in 0...UInt16.max {
            let reference = Float(Float16(bitPattern: bits))
            let ours = HalfPrecision.float(fromF16: bits)
            XCTAssertTrue(ours.bitPattern == reference.bitPattern, "f16 \(bits)")
            guard !reference.isNaN else { continue }
            XCTAssertEqual(HalfPrecision.f16(from: reference), bits, "f16 \(bits)")
            if bits & 0x7FFF < 0x7C00 {
                let next = Float(Float16(bitPattern: bits + 1))
                let midpoint = reference + (next - reference) / 2  // exact: 13 spare mantissa bits
                for probe in [midpoint, midpoint.nextUp, midpoint.nextDown] {
                    XCTAssertEqual(HalfPrecision.f16(from: probe), Float16(probe).bitPattern, "f32 \(probe)")
                }
            }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
            if value.isNaN { continue }
            XCTAssertEqual(HalfPrecision.f16(from: value), Float16(value).bitPattern, "f32 \(value)")
        }
    }
    #endif

    // MARK: The real checkpoint

    /// assets/models/minilm-l6-h384/model.safetensors, fetched by scripts/fetch_assets.sh.
    func testMiniLMCheckpoint() throws {
        let url = try PackageAssets.minilm().appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        XCTAssertEqual(file.fileSize, 90_868_376)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.tensors.count, 104)
        let positions = try file.require("embeddings.position_ids", dtype: .i64, shape: [1, 512])
        XCTAssertEqual(positions.byteCount, 4096)
        XCTAssertEqual(try file.int64s("embeddings.position_ids"), (0..<512).map(Int64.init))
        let words = try file.require("embeddings.word_embeddings.weight", dtype: .f32, shape: [30522, 384])
        XCTAssertEqual(words.elementCount, 30522 * 384)

        // Every F32 tensor into one buffer, as a model loader does.
        let floatTensors = file.tensors.filter { $0.dtype == .f32 }
        XCTAssertEqual(floatTensors.count, 103)
        let total = floatTensors.reduce(0) { $0 + $1.elementCount }
        XCTAssertEqual(total, 22_713_216)
        var all = [Float](repeating: .nan, count: total)
        var offsets: [String: Int] = [:]
        try all.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for info in floatTensors {
                offsets[info.name] = offset
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + info.elementCount)])
                try file.readFloats(info.name, into: slice)
                offset += info.elementCount
            }
        }
        // Values computed with numpy from the same (sha256-verified) file.
        let word = try XCTUnwrap(offsets["embeddings.word_embeddings.weight"])
        XCTAssertEqual(all[word..<(word + 3)].map(\.bitPattern), [3_164_848_128, 3_143_565_312, 3_161_489_408])
        let bias = try XCTUnwrap(offsets["encoder.layer.5.output.LayerNorm.bias"])
        XCTAssertEqual(all[(bias + 382)..<(bias + 384)].map(\.bitPattern), [3_178_077_962, 1_032_285_188])
        let sum = all.reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(sum, 1708.442934604093, accuracy: 1e-3)
    }
}
