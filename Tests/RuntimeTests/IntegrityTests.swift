import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor
import TestModels

/// The integrity records of an int8 folder (quantization.json's "files": sha256 and size of
/// model.q8.safetensors and vocab.txt) and the vocabulary-size agreement of vocab.txt,
/// config.json and the word-embedding table.
final class IntegrityTests: XCTestCase {
    var dir: URL!
    var folder: URL!
    var summary: Int8ExportSummary!
    var weights: URL { folder.appendingPathComponent("model.q8.safetensors") }
    var vocabulary: URL { folder.appendingPathComponent("vocab.txt") }

    override func setUpWithError() throws {
        Parallel.configure(threads: 2)
        dir = try Tiny.temporaryDirectory()
        let model = Tiny.model()
        try Tiny.calibrate(model, .q8bert, steps: 2)
        (folder, summary) = try Tiny.export(model, in: dir)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func loadError(file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try Int8Model(directory: folder)
            XCTFail("loaded a damaged folder", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testExportRecordsDigestsAndTheModelReportsThem() throws {
        let files = try XCTUnwrap(readManifest(folder)["files"] as? [String: [String: Any]])
        XCTAssertEqual(Set(files.keys), ["model.q8.safetensors", "vocab.txt"])
        for (name, record) in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(record["sha256"] as? String, SHA256.hex(of: data), name)
            XCTAssertEqual(record["bytes"] as? Int, data.count, name)
        }
        let digest = try XCTUnwrap(files["model.q8.safetensors"]?["sha256"] as? String)
        XCTAssertEqual(summary.sha256, digest)
        XCTAssertEqual(summary.bytes, try Data(contentsOf: weights).count)
        let model = try Int8Model(directory: folder)
        XCTAssertEqual(model.checkpointSHA256, digest)
        XCTAssertTrue(model.checksumsVerified)
        XCTAssertEqual(model.checkpointSHA256.count, 64)

        // An independent implementation agrees, when the system has one.
        let tool = URL(fileURLWithPath: "/usr/bin/sha256sum")
        if FileManager.default.isExecutableFile(atPath: tool.path) {
            let process = Process(), pipe = Pipe()
            process.executableURL = tool
            process.arguments = [weights.path]
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(output.split(separator: " ").first.map(String.init), digest)
        }
    }

    /// One byte of tensor data changed, the safetensors structure and every value still valid:
    /// only the digest can tell.
    func testFlippedByteInTensorDataFailsTheDigest() throws {
        let original = try Data(contentsOf: weights)
        let file = try SafeTensorsFile(contentsOf: weights)
        let dataStart = 8 + file.headerLength
        let offset = dataStart + (original.count - dataStart) / 2
        let tensor = try XCTUnwrap(file.tensors.first { $0.byteRange.contains(offset) })
        var damaged = original
        // Flip the lowest bit (the second one if that would make an int8 -128).
        damaged[offset] ^= tensor.dtype == .i8 && damaged[offset] ^ 1 == 0x80 ? 2 : 1
        try damaged.write(to: weights)

        let message = loadError()
        let expected = SHA256.hex(of: original), found = SHA256.hex(of: damaged)
        XCTAssertEqual(message, "\(weights.path): sha256 mismatch (expected \(expected), found \(found)): "
                       + "the file was modified or damaged after export")

        // Without the records the damaged file loads (the structure is intact), and reports its digest.
        try unseal(folder)
        let model = try Int8Model(directory: folder)
        XCTAssertFalse(model.checksumsVerified)
        XCTAssertEqual(model.checkpointSHA256, found)
    }

    func testAppendedBytesFailTheDigestAndTheSizeIsShown() throws {
        var data = try Data(contentsOf: weights)
        let size = data.count
        data.append(contentsOf: [0, 0, 0, 0])
        try data.write(to: weights)
        let message = loadError()
        XCTAssertTrue(message.hasPrefix(weights.path + ": sha256 mismatch (expected ")
                      && message.hasSuffix("modified or damaged after export (\(size + 4) bytes; \(size) when exported)"), message)
    }

    /// A wrong "bytes" with the right digest: quantization.json is at fault.
    func testWrongRecordedSize() throws {
        var manifest = try readManifest(folder)
        var files = try XCTUnwrap(manifest["files"] as? [String: [String: Any]])
        let size = try XCTUnwrap(files["vocab.txt"]?["bytes"] as? Int)
        files["vocab.txt"]?["bytes"] = size + 1
        manifest["files"] = files
        try writeManifest(manifest, to: folder)
        XCTAssertEqual(loadError(), "\(folder.appendingPathComponent("quantization.json").path): files.vocab.txt.bytes is "
                       + "\(size + 1), but vocab.txt has \(size) bytes (and the recorded sha256)")
    }

    func testEditedVocabularyFailsTheDigest() throws {
        var lines = try String(contentsOf: vocabulary, encoding: .utf8).components(separatedBy: "\n")
        lines[7] = "changed"  // same token count
        try lines.joined(separator: "\n").write(to: vocabulary, atomically: true, encoding: .utf8)
        let message = loadError()
        XCTAssertTrue(message.hasPrefix(vocabulary.path + ": sha256 mismatch (expected "), message)
    }

    /// vocab.txt with a line removed: the digest says it changed; recorded anew (or in an export
    /// without records), the token count no longer matches config.json's vocab_size.
    func testVocabularyWithALineRemoved() throws {
        var lines = try String(contentsOf: vocabulary, encoding: .utf8).components(separatedBy: "\n")
        lines.remove(at: 100)
        try lines.joined(separator: "\n").write(to: vocabulary, atomically: true, encoding: .utf8)
        var message = loadError()
        XCTAssertTrue(message.hasPrefix(vocabulary.path + ": sha256 mismatch (expected "), message)

        let expected = "\(vocabulary.path): vocab.txt has \(Tiny.vocabSize - 1) tokens but config.json's vocab_size is \(Tiny.vocabSize)"
        try reseal(folder)
        message = loadError()
        XCTAssertEqual(message, expected)
        try unseal(folder)
        message = loadError()
        XCTAssertEqual(message, expected)
    }

    /// Tokens are counted as `Vocabulary` counts ids: no final newline, CRLF endings and a byte
    /// order mark change nothing.
    func testVocabularyCountFollowsTheTokenizer() throws {
        let text = try String(contentsOf: vocabulary, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        for variant in [String(text.dropLast()), "\u{FEFF}" + text.replacingOccurrences(of: "\n", with: "\r\n")] {
            try Data(variant.utf8).write(to: vocabulary)
            try reseal(folder)
            XCTAssertEqual(try Vocabulary(contentsOf: vocabulary).count, Tiny.vocabSize)
            XCTAssertNoThrow(try Int8Model(directory: folder))
        }
        // An empty last line is a token (an id) too.
        try Data((text + "\n").utf8).write(to: vocabulary)
        try reseal(folder)
        XCTAssertEqual(try Vocabulary(contentsOf: vocabulary).count, Tiny.vocabSize + 1)
        XCTAssertTrue(loadError().contains("has \(Tiny.vocabSize + 1) tokens"))
    }

    /// config.json and vocab.txt agree on a vocab_size the word-embedding table does not have.
    func testWordEmbeddingRowsDifferFromVocabSize() throws {
        let configURL = folder.appendingPathComponent("config.json")
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["vocab_size"] = Tiny.vocabSize + 1
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        try (String(contentsOf: vocabulary, encoding: .utf8) + "extra\n").write(to: vocabulary, atomically: true, encoding: .utf8)
        try reseal(folder)
        let message = loadError()
        XCTAssertEqual(message, "\(weights.path): tensor \"bert.embeddings.word_embeddings.quantized_weight\": "
                       + "the word-embedding table has \(Tiny.vocabSize) rows but config.json's vocab_size is \(Tiny.vocabSize + 1)")
    }

    /// An export made before "files" existed (format_version 1 too) loads, unchecked.
    func testExportWithoutRecordsLoadsUnchecked() throws {
        let sealed = try Int8Model(directory: folder)
        try unseal(folder)
        XCTAssertNil(try readManifest(folder)["files"])
        let old = try Int8Model(directory: folder)
        XCTAssertFalse(old.checksumsVerified)
        XCTAssertEqual(old.checkpointSHA256, sealed.checkpointSHA256)
        let batch = Tiny.batch(size: 3, seqLen: 10, seed: 5)
        XCTAssertEqual(bitwiseDifference(try old.predict(batch), try sealed.predict(batch)).mismatches, 0)
    }

    func testInvalidRecords() throws {
        let manifestPath = folder.appendingPathComponent("quantization.json").path
        let original = try readManifest(folder)
        let originalFiles = try XCTUnwrap(original["files"] as? [String: [String: Any]])
        var files = originalFiles
        func load(_ files: Any) throws -> String {
            var manifest = original
            manifest["files"] = files
            try writeManifest(manifest, to: folder)
            return loadError()
        }
        var message = try load("abc")
        XCTAssertEqual(message, "\(manifestPath): field files: expected an object")
        message = try load(["vocab.txt": files["vocab.txt"]!])
        XCTAssertEqual(message, "\(manifestPath): field files: no entry for model.q8.safetensors")
        files["model.q8.safetensors"]?["sha256"] = "xyz"
        message = try load(files)
        XCTAssertEqual(message, "\(manifestPath): field files.model.q8.safetensors.sha256: \"xyz\" is not 64 hexadecimal digits")
        files["model.q8.safetensors"] = originalFiles["model.q8.safetensors"]
        files["../vocab.txt"] = files["vocab.txt"]
        message = try load(files)
        XCTAssertEqual(message, "\(manifestPath): field files: \"../vocab.txt\" is not a file name of the folder")
        // A listed file that is missing.
        files.removeValue(forKey: "../vocab.txt")
        files["labels.txt"] = ["sha256": String(repeating: "0", count: 64), "bytes": 1]
        try FileManager.default.removeItem(at: folder.appendingPathComponent("labels.txt"))
        message = try load(files)
        XCTAssertTrue(message.contains("labels.txt: file not found"), message)
        // Upper-case digits are accepted.
        var upper = originalFiles
        let digest = try XCTUnwrap(upper["vocab.txt"]?["sha256"] as? String)
        upper["vocab.txt"]?["sha256"] = digest.uppercased()
        var manifest = original
        manifest["files"] = upper
        try writeManifest(manifest, to: folder)
        XCTAssertTrue(try Int8Model(directory: folder).checksumsVerified)
    }

    /// The existing check stays: an unknown format_version is refused, records or not.
    func testUnknownFormatVersion() throws {
        var manifest = try readManifest(folder)
        manifest["format_version"] = 2
        try writeManifest(manifest, to: folder)
        let path = folder.appendingPathComponent("quantization.json").path
        XCTAssertEqual(loadError(), "\(path): field format_version: 2 is not supported (this runtime reads version 1)")
    }
}

/// SHA-256 against the FIPS 180-4 / NIST vectors and lengths around the block boundaries.
final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: Data(("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                                            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8)),
                       "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        XCTAssertEqual(SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Padding: one or two final blocks (values from Python's hashlib).
    func testLengthsAroundBlockBoundaries() {
        let expected: [Int: String] = [
            55: "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
            56: "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
            63: "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
            64: "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
            65: "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0",
            119: "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb",
            120: "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c",
            127: "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a",
            128: "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e",
        ]
        for (n, digest) in expected {
            XCTAssertEqual(SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: n)), digest, "\(n) bytes")
        }
    }

    /// Any split into updates, and a file read through a small buffer, give the one-shot digest.
    func testIncrementalAndFile() throws {
        let data = Data((0..<768).map { UInt8($0 % 256) })
        let whole = "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363"
        XCTAssertEqual(SHA256.hex(of: data), whole)
        for split in [0, 1, 55, 63, 64, 65, 200, 767, 768] {
            for step in [1, 7, 64, 1000] {
                var hasher = SHA256()
                hasher.update(data.prefix(split))
                var offset = split
                while offset < data.count {
                    hasher.update(data[offset..<min(offset + step, data.count)])
                    offset += step
                }
                XCTAssertEqual(hasher.hexDigest(), whole, "split \(split), step \(step)")
                XCTAssertEqual(hasher.hexDigest(), whole, "digest() must not change the state")
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("q8-sha-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try data.write(to: url)
        for buffer in [1, 7, 64, 1 << 20] {
            let result = try SHA256.hex(ofFile: url, bufferSize: buffer)
            XCTAssertEqual(result.sha256, whole)
            XCTAssertEqual(result.bytes, data.count)
        }
        XCTAssertThrowsError(try SHA256.hex(ofFile: url.appendingPathExtension("missing")))
    }
}
