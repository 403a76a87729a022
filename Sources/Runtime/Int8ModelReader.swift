import Foundation
import ModelFormat
import Tensor

/// quantization.json of an int8 folder (`Int8Manifest`), as the reader uses it: each
/// layer's mode, bits and whether it requantizes its output, and the file records.
struct Manifest {
    struct Layer {
        var mode: QuantizationMode
        var bits: Int
        var requantizeOutput: Bool
        var maxQ: Float { maxQuantized(bits: bits) }
    }
    let path: String
    let preset: String
    let layers: [String: Layer]
    /// The "files" field: the digest and size of each listed file, by name; nil for an export
    /// made before the field existed (loaded without integrity checks).
    let files: [String: Int8FileRecord]?

    /// Parses the contents of quantization.json strictly; `path` names it in errors.
    init(data: Data, path: String) throws {
        self.path = path
        let manifest: Int8Manifest
        do { manifest = try Int8Manifest.parse(data, path: path) } catch let error as Int8FormatError {
            throw Int8ModelError.invalidFile(path: path, reason: error.reason)
        }
        preset = manifest.preset
        layers = manifest.layers.mapValues { Layer(mode: $0.mode, bits: $0.bits ?? 8, requantizeOutput: $0.requantizeOutput ?? false) }
        files = manifest.files
    }

    func layer(_ name: String) throws -> Layer {
        guard let layer = layers[name] else {
            throw Int8ModelError.invalidFile(path: path, reason: "no entry for layer \"\(name)\" in \"layers\"")
        }
        return layer
    }
}

/// Reads the tensors of model.q8.safetensors strictly (dtype and shape of each, every tensor
/// used once) into the runtime's structures.
final class TensorReader {
    let file: SafeTensorsFile
    let manifest: Manifest
    private var used = Set<String>()

    init(file: SafeTensorsFile, manifest: Manifest) {
        self.file = file
        self.manifest = manifest
    }

    private var path: String { file.path }

    /// The table of embedding `name` (int8 or FP32, as the manifest says) must have `rows` rows,
    /// config.json's `field`.
    func checkRows(_ name: String, _ what: String, rows: Int, field: String) throws {
        let layer = try manifest.layer(name)
        let tensor = name + (layer.mode == .none ? Int8Format.weight : Int8Format.quantizedWeight)
        guard let info = file[tensor], let actual = info.shape.first else { return }  // reported when read
        guard actual == rows else {
            throw Int8ModelError.invalidTensor(path: path, name: tensor,
                                               reason: "\(what) has \(actual) rows but config.json's \(field) is \(rows)")
        }
    }

    private func floats(_ name: String, shape: [Int]) throws -> [Float] {
        _ = try file.require(name, dtype: .f32, shape: shape)
        used.insert(name)
        return try file.floats(name)
    }

    private func scalar(_ name: String, what: String) throws -> Float {
        let v = try floats(name, shape: [1])[0]
        guard v.isFinite, v >= 0 else {
            throw Int8ModelError.invalidTensor(path: path, name: name, reason: "\(what) must be finite and >= 0, found \(v)")
        }
        return v
    }

    /// An activation threshold T whose quantization scale maxQ / T is finite (0 for T = 0): a
    /// tinier T (a subnormal) overflows it to infinity, and 0 * inf is NaN.
    private func activationThreshold(_ name: String, maxQ: Float) throws -> Float {
        let t = try scalar(name, what: "a threshold")
        guard quantizationScale(threshold: t, maxQ: maxQ).isFinite else {
            throw Int8ModelError.invalidTensor(path: path, name: name,
                                               reason: "quantization scale \(Int(maxQ)) / \(t) overflows a Float "
                                                   + "(a threshold must be 0 or at least \(maxQ / Float.greatestFiniteMagnitude))")
        }
        return t
    }

    /// An int8 tensor whose values must lie in [-maxQ, maxQ] (the GEMM kernels need -128 absent).
    private func int8s(_ name: String, shape: [Int], maxQ: Float) throws -> [Int8] {
        _ = try file.require(name, dtype: .i8, shape: shape)
        used.insert(name)
        let values = try file.int8s(name)
        let m = Int8(maxQ)
        if let i = values.firstIndex(where: { $0 < -m || $0 > m }) {
            throw Int8ModelError.invalidTensor(path: path, name: name,
                                               reason: "value \(values[i]) at index \(i) outside [-\(m), \(m)] (\(Int(log2(Double(maxQ) + 1)) + 1)-bit symmetric)")
        }
        return values
    }

    private func int32s(_ name: String, shape: [Int]) throws -> [Int32] {
        _ = try file.require(name, dtype: .i32, shape: shape)
        used.insert(name)
        return try file.int32s(name)
    }

    func embedding(_ name: String, rows: Int, dim: Int) throws -> EmbeddingTable {
        let layer = try manifest.layer(name)
        if layer.mode == .none {
            return EmbeddingTable(rows: rows, dim: dim, fp32: try floats(name + Int8Format.weight, shape: [rows, dim]))
        }
        let scale = try scalar(name + Int8Format.weightScale, what: "a scale")
        return EmbeddingTable(rows: rows, dim: dim, int8: try int8s(name + Int8Format.quantizedWeight, shape: [rows, dim],
                                                                      maxQ: layer.maxQ), scale: scale)
    }

    func norm(_ name: String, dim: Int, eps: Float) throws -> Norm {
        Norm(weight: FloatBuffer(try floats(name + Int8Format.weight, shape: [dim])),
             bias: FloatBuffer(try floats(name + Int8Format.bias, shape: [dim])), dim: dim, eps: eps)
    }

    /// A Linear [out, in]; `out` nil: read from the weight (the classifier's label count).
    func linear(_ name: String, in inF: Int, out: Int?) throws -> LinearParameters {
        let layer = try manifest.layer(name)
        let weightName = name + (layer.mode == .none ? Int8Format.weight : Int8Format.quantizedWeight)
        let outF: Int
        if let out {
            outF = out
        } else {
            let info = try file.require(weightName)
            guard info.shape.count == 2, info.shape[0] >= 1 else {
                throw SafeTensorsError.wrongShape(path: path, name: weightName, expected: [-1, inF], actual: info.shape)
            }
            outF = info.shape[0]
        }
        if layer.mode == .none {
            return LinearParameters(name: name, inFeatures: inF, outFeatures: outF, maxQ: 0,
                                    kind: .fp32(weight: try floats(weightName, shape: [outF, inF]),
                                                bias: try floats(name + Int8Format.bias, shape: [outF])))
        }
        let maxQ = layer.maxQ
        let weight = try int8s(weightName, shape: [outF, inF], maxQ: maxQ)
        let sw = try scalar(name + Int8Format.weightScale, what: "a scale")
        let input: InputRange, output: OutputRequantization
        var int32Bias: [Int32]?, fp32Bias: [Float]?
        switch layer.mode {
        case .ema:
            let threshold = try activationThreshold(name + Int8Format.inputThreshold, maxQ: maxQ)
            input = .frozen(scale: quantizationScale(threshold: threshold, maxQ: maxQ))
            int32Bias = try int32s(name + Int8Format.quantizedBias, shape: [outF])
            if layer.requantizeOutput {
                let t = try activationThreshold(name + Int8Format.outputThreshold, maxQ: maxQ)
                output = .frozen(scale: quantizationScale(threshold: t, maxQ: maxQ))
            } else {
                output = .none
            }
        case .dynamic:
            input = .dynamic
            fp32Bias = try floats(name + Int8Format.bias, shape: [outF])
            output = layer.requantizeOutput ? .dynamic : .none
        case .none:
            preconditionFailure("handled above")
        }
        return LinearParameters(name: name, inFeatures: inF, outFeatures: outF, maxQ: maxQ,
                                kind: .int8(weight: weight, weightScale: sw, input: input, int32Bias: int32Bias,
                                            fp32Bias: fp32Bias, output: output))
    }

    /// Every tensor of the file was read.
    func checkAllUsed() throws {
        let extra = file.tensors.map(\.name).filter { !used.contains($0) }
        if !extra.isEmpty { throw Int8ModelError.unexpectedTensors(path: path, names: extra) }
    }
}
