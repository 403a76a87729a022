import Foundation
import ModelFormat

/// The weights of an int8 model folder (`Int8Format`), read strictly: each tensor's dtype and
/// shape are checked, and a layer the graph cannot express is refused by name.
struct Int8FolderSource: WeightSource {
    let file: SafeTensorsFile
    let layers: [String: QuantizedLayerRecord]
    let manifestPath: String
    var path: String { file.path }

    init(folder: URL) throws {
        let manifestURL = folder.appendingPathComponent(Int8Format.quantizationFile)
        manifestPath = manifestURL.path
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw ONNXExportError.invalidSource(path: folder.path, reason: "no \(Int8Format.quantizationFile): not an int8 model folder "
                                                + "(q8train export writes one)")
        }
        let manifest = try Int8Manifest.parse(data, path: manifestURL.path)
        layers = manifest.layers
        let weightsURL = folder.appendingPathComponent(Int8Format.weightsFile)
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw ONNXExportError.invalidSource(path: weightsURL.path, reason: "file not found")
        }
        // The folder's integrity record, as the runtime checks it: a modified file is refused.
        if let record = manifest.files?[Int8Format.weightsFile] {
            let actual = try SHA256.hex(ofFile: weightsURL)
            guard actual.sha256 == record.sha256, actual.bytes == record.bytes else {
                throw ONNXExportError.invalidSource(path: weightsURL.path, reason: "differs from what \(Int8Format.quantizationFile) "
                                                    + "records (sha256 \(actual.sha256), \(actual.bytes) bytes; recorded "
                                                    + "\(record.sha256), \(record.bytes) bytes): modified or damaged after export")
            }
        }
        file = try SafeTensorsFile(contentsOf: weightsURL)
    }

    private func layer(_ module: String) throws -> QuantizedLayerRecord {
        guard let layer = layers[module] else {
            throw ONNXExportError.invalidSource(path: manifestPath, reason: "no entry for layer \"\(module)\" in \"layers\"")
        }
        return layer
    }

    private func scalar(_ name: String) throws -> Float {
        _ = try file.require(name, dtype: .f32, shape: [1])
        let v = try file.floats(name)[0]
        guard v.isFinite, v >= 0 else { throw ONNXExportError.invalidValue(path: path, name: name, value: v) }
        return v
    }

    private func int8s(_ name: String, shape: [Int]) throws -> [Int8] {
        _ = try file.require(name, dtype: .i8, shape: shape)
        return try file.int8s(name)
    }

    private func floats(_ name: String, shape: [Int]) throws -> [Float] {
        _ = try file.require(name, dtype: .f32, shape: shape)
        return try file.floats(name)
    }

    func linear(_ module: String, out: Int, in k: Int) throws -> LinearWeights {
        let layer = try layer(module)
        switch layer.mode {
        case .none:
            return .float(weight: try floats(module + Int8Format.weight, shape: [out, k]),
                          bias: try floats(module + Int8Format.bias, shape: [out]), out: out, in: k)
        case .dynamic:
            throw ONNXExportError.noFrozenThresholds(path: manifestPath, layer: module)
        case .ema:
            let bits = layer.bits ?? 8
            guard bits == 8 else { throw ONNXExportError.unsupportedBits(path: manifestPath, layer: module, bits: bits) }
            let requantize = layer.requantizeOutput ?? false
            _ = try file.require(module + Int8Format.quantizedBias, dtype: .i32, shape: [out])
            return .quantized(QuantizedLinear(
                weight: try int8s(module + Int8Format.quantizedWeight, shape: [out, k]), out: out, in: k,
                weightScale: try scalar(module + Int8Format.weightScale),
                inputThreshold: try scalar(module + Int8Format.inputThreshold),
                bias: try file.int32s(module + Int8Format.quantizedBias),
                outputThreshold: requantize ? try scalar(module + Int8Format.outputThreshold) : nil))
        }
    }

    func embedding(_ module: String, rows: Int, dim: Int) throws -> EmbeddingWeights {
        if try layer(module).mode == .none {
            return .float(try floats(module + Int8Format.weight, shape: [rows, dim]), rows: rows, dim: dim)
        }
        // Any bit width up to 8 fits: the table's values are int8 within +-M, and a DequantizeLinear
        // of a constant int8 table needs no saturation.
        return .quantized(try int8s(module + Int8Format.quantizedWeight, shape: [rows, dim]), rows: rows, dim: dim,
                          scale: try scalar(module + Int8Format.weightScale))
    }

    func norm(_ module: String, dim: Int) throws -> NormWeights {
        NormWeights(weight: try floats(module + Int8Format.weight, shape: [dim]),
                    bias: try floats(module + Int8Format.bias, shape: [dim]))
    }
}
