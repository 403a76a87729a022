import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Runtime
import Tensor

/// Bitwise comparison of two logit arrays: mismatching elements and the largest difference.
func bitwiseDifference(_ a: [Float], _ b: [Float]) -> (mismatches: Int, maxAbs: Float) {
    precondition(a.count == b.count)
    var mismatches = 0, worst: Float = 0
    for (x, y) in zip(a, b) where x.bitPattern != y.bitPattern {
        mismatches += 1
        worst = max(worst, abs(x - y))
    }
    return (mismatches, worst)
}

/// Rewrites a safetensors file with `transform` applied to its tensor list (name, dtype, shape, bytes).
func rewrite(_ url: URL, _ transform: ([(String, SafeTensorsDType, [Int], Data)]) -> [(String, SafeTensorsDType, [Int], Data)]) throws {
    let file = try SafeTensorsFile(contentsOf: url)
    var tensors = [(String, SafeTensorsDType, [Int], Data)]()
    for info in file.tensors {
        tensors.append((info.name, info.dtype, info.shape, try file.withRawBytes(info.name) { Data($0) }))
    }
    var writer = SafeTensorsWriter(metadata: file.metadata)
    for (name, dtype, shape, bytes) in transform(tensors) {
        try bytes.withUnsafeBytes { try writer.add(name, dtype: dtype, shape: shape, bytes: $0) }
    }
    try writer.write(to: url)
}

/// quantization.json of an int8 folder, as a JSON object.
func readManifest(_ folder: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: folder.appendingPathComponent("quantization.json"))
    return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func writeManifest(_ object: [String: Any], to folder: URL) throws {
    try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        .write(to: folder.appendingPathComponent("quantization.json"))
}

/// Records the current size and SHA-256 of every file quantization.json's "files" lists, as a
/// fresh export would: a test that damages a file's structure then reaches the structural checks
/// rather than the integrity check.
func reseal(_ folder: URL) throws {
    var manifest = try readManifest(folder)
    let files = try XCTUnwrap(manifest["files"] as? [String: Any], "no \"files\" in quantization.json")
    var updated = [String: Any]()
    for name in files.keys {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        updated[name] = ["sha256": SHA256.hex(of: data), "bytes": data.count]
    }
    manifest["files"] = updated
    try writeManifest(manifest, to: folder)
}

/// Removes "files" from quantization.json: the folder an export made before the field existed.
func unseal(_ folder: URL) throws {
    var manifest = try readManifest(folder)
    manifest.removeValue(forKey: "files")
    try writeManifest(manifest, to: folder)
}
