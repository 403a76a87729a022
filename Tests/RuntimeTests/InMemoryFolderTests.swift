import Foundation
import XCTest
import TestModels
@testable import BERT
@testable import Runtime
import Tensor

/// `Int8Model(files:)` from memory (what the fuzz target drives) loads the same model as from
/// the folder, and names files the same way in errors; labels.txt is read strictly.
final class InMemoryFolderTests: XCTestCase {
    var dir: URL!
    var folder: URL!
    let names = ["config.json", "quantization.json", "model.q8.safetensors", "vocab.txt", "labels.txt",
                 "tokenizer_config.json"]

    override func setUpWithError() throws {
        Parallel.configure(threads: 2)
        dir = try Tiny.temporaryDirectory()
        let model = Tiny.model()
        try Tiny.calibrate(model, .q8bert, steps: 2)
        folder = try Tiny.export(model, in: dir, labels: ["a", "b", "c"]).0
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func contents() throws -> [String: Data] {
        var files = [String: Data]()
        for name in names { files[name] = try Data(contentsOf: folder.appendingPathComponent(name)) }
        return files
    }

    func testMemoryLoadsTheSameModelAsTheFolder() throws {
        let fromDisk = try Int8Model(directory: folder)
        let fromMemory = try Int8Model(files: Int8ModelFiles(directory: folder, contents: try contents()))
        XCTAssertEqual(fromMemory.labels, ["a", "b", "c"])
        XCTAssertEqual(fromMemory.labels, fromDisk.labels)
        XCTAssertEqual(fromMemory.checkpointSHA256, fromDisk.checkpointSHA256)
        XCTAssertTrue(fromMemory.checksumsVerified)
        let batch = Tiny.batch(size: 3, seqLen: 9, seed: 5)
        XCTAssertEqual(bitwiseDifference(try fromMemory.predict(batch), try fromDisk.predict(batch)).mismatches, 0)
        let sentence = "w7 w12 w200 [SEP] w5"
        XCTAssertEqual(try fromMemory.makeTokenizer().ids(sentence), try fromDisk.makeTokenizer().ids(sentence))
        XCTAssertEqual(try fromMemory.makeTokenizer().ids(sentence), [7, 12, 200, 3, 5])
    }

    func testMissingFileInMemoryIsNamedAsInTheFolder() throws {
        var files = try contents()
        files["vocab.txt"] = nil
        XCTAssertThrowsError(try Int8Model(files: Int8ModelFiles(directory: folder, contents: files))) { error in
            XCTAssertEqual(error as? Int8ModelError, .missingFile(path: folder.appendingPathComponent("vocab.txt").path))
        }
    }

    /// A labels.txt that is not UTF-8 was silently ignored (the config's labels used instead).
    func testLabelsThatAreNotUTF8AreAnError() throws {
        let labels = folder.appendingPathComponent("labels.txt")
        try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A, 0x63, 0x0A]).write(to: labels)
        XCTAssertThrowsError(try Int8Model(directory: folder)) { error in
            XCTAssertEqual("\(error)", "\(labels.path): not valid UTF-8 (expected one label per line)")
        }
    }

    /// The tokenizer is built from the vocab.txt bytes checked at load, not re-read from disk.
    func testTokenizerUsesTheVocabularyCheckedAtLoad() throws {
        let model = try Int8Model(directory: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("vocab.txt"))
        XCTAssertEqual(try model.makeTokenizer().vocabulary.count, Tiny.vocabSize)
    }
}
