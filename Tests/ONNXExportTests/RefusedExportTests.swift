import BERT
import Foundation
import ModelFormat
import ONNXExport
import TestModels
import XCTest

/// What the ONNX export refuses, each before anything is written.
final class RefusedExportTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Tiny.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func exportError(_ folder: URL, to file: URL) -> ONNXExportError? {
        do {
            _ = try ONNXExporter.exportInt8(folder: folder, to: file, defaultMaxSeqLength: 128)
            return nil
        } catch let error as ONNXExportError { return error } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    /// A dynamic-mode layer has no frozen threshold; an existing file at the destination stays.
    func testDynamicLayerHasNoThresholds() throws {
        let (_, folder) = try exportTiny(QuantizationConfig(method: "m", defaults: LayerQuantization(requantizeOutput: false),
                                                            layers: ["bert.pooler.dense": .init(mode: .dynamic)]), in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        try Data("previous".utf8).write(to: file)
        let error = try XCTUnwrap(exportError(folder, to: file))
        guard case .noFrozenThresholds(_, "bert.pooler.dense") = error else { return XCTFail("\(error)") }
        XCTAssertTrue(error.description.contains("dynamic mode"), error.description)
        XCTAssertEqual(try Data(contentsOf: file), Data("previous".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [])
    }

    /// QuantizeLinear to int8 saturates at [-128, 127], not at +-7: 4-bit activations cannot be
    /// expressed. 4-bit embedding tables can (constant int8 values within +-7).
    func testFourBitActivationsAreRefused() throws {
        let (_, folder) = try exportTiny(QuantizationConfig(method: "m", defaults: LayerQuantization(requantizeOutput: false),
                                                            layers: ["bert.encoder.layer.1.output.dense": .init(bits: 4)]), in: dir)
        let file = dir.appendingPathComponent("m.onnx")
        let error = try XCTUnwrap(exportError(folder, to: file))
        XCTAssertEqual(error, .unsupportedBits(path: folder.appendingPathComponent("quantization.json").path,
                                               layer: "bert.encoder.layer.1.output.dense", bits: 4))
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))

        let embeddings = dir.appendingPathComponent("embeddings")
        try FileManager.default.createDirectory(at: embeddings, withIntermediateDirectories: true)
        let (_, folder4) = try exportTiny(QuantizationConfig(method: "m", defaults: LayerQuantization(requantizeOutput: false),
                                                             layers: ["bert.embeddings.word_embeddings": .init(bits: 4)]), in: embeddings)
        XCTAssertNoThrow(try ONNXExporter.exportInt8(folder: folder4, to: file, defaultMaxSeqLength: 128))
    }

    /// A folder modified after export (its recorded digest differs) is refused.
    func testDamagedFolderIsRefused() throws {
        let (_, folder) = try exportTiny(.q8bert, in: dir)
        let weights = folder.appendingPathComponent(Int8Format.weightsFile)
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: weights)
        let error = try XCTUnwrap(exportError(folder, to: dir.appendingPathComponent("m.onnx")))
        XCTAssertTrue(error.description.contains("modified or damaged after export"), error.description)
    }

    func testNotAnInt8Folder() throws {
        let error = try XCTUnwrap(exportError(dir, to: dir.appendingPathComponent("m.onnx")))
        XCTAssertTrue(error.description.contains("not an int8 model folder"), error.description)
    }
}
