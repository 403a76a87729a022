import Foundation
import ModelFormat

/// The FP32 weights of a model folder's model.safetensors (a run's checkpoint, with Hugging
/// Face names; F32, F16, BF16 or F64 tensors are read as Float). A QAT checkpoint's thresholds
/// are ignored: this is the FP32 model.
struct CheckpointSource: WeightSource {
    let file: SafeTensorsFile
    var path: String { file.path }

    init(folder: URL) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ONNXExportError.invalidSource(path: url.path, reason: "file not found")
        }
        file = try SafeTensorsFile(contentsOf: url)
    }

    private func floats(_ name: String, shape: [Int]) throws -> [Float] {
        _ = try file.require(name, shape: shape)
        return try file.floats(name)
    }

    func linear(_ module: String, out: Int, in k: Int) throws -> LinearWeights {
        .float(weight: try floats(module + ".weight", shape: [out, k]), bias: try floats(module + ".bias", shape: [out]),
               out: out, in: k)
    }

    func embedding(_ module: String, rows: Int, dim: Int) throws -> EmbeddingWeights {
        .float(try floats(module + ".weight", shape: [rows, dim]), rows: rows, dim: dim)
    }

    func norm(_ module: String, dim: Int) throws -> NormWeights {
        NormWeights(weight: try floats(module + ".weight", shape: [dim]), bias: try floats(module + ".bias", shape: [dim]))
    }
}
