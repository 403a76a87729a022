import BERT
import Foundation
import ModelFormat
import Tensor

/// The tensors of a training checkpoint, by file:
///
/// - model.safetensors: every parameter under its layout key (F32, as in a model folder);
///   for every quantized Linear its Q8BERT state `<layer>._step` (I64, exact),
///   `<layer>.input_thresh` and `<layer>.output_thresh` (F32); and the same state at the best
///   dev checkpoint as `best:<layer>._step`, ... (when there is a best).
/// - optimizer.safetensors: AdamW's moments `<key>.exp_avg` and `<key>.exp_avg_sq` (F32,
///   PyTorch's names) of every parameter.
/// - best/model.safetensors: the best dev checkpoint's model folder file (its parameters are
///   read back from there).
///
/// Reading is strict: every tensor present with its dtype and shape, nothing left over.
public enum CheckpointTensors {
    public static let modelFile = "model.safetensors"
    public static let optimizerFile = "optimizer.safetensors"
    public static let bestModelFile = "best/model.safetensors"
    static let bestPrefix = "best:"

    /// One Linear's Q8BERT state: forwards seen, input and output thresholds.
    public struct QuantizerState: Equatable, Sendable {
        public var step: Int
        public var input: Float
        public var output: Float
        public init(step: Int, input: Float, output: Float) { self.step = step; self.input = input; self.output = output }
        public init(_ q: LinearQuantizer) { self.init(step: q.step, input: q.input.value, output: q.output.value) }
    }

    // MARK: Writing

    /// model.safetensors: parameters, the quantizers' state now and at the best checkpoint.
    public static func modelWriter(_ model: BertForSequenceClassification, best: [QuantizerState]?) throws -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["format": "q8train-training-state"])
        for e in model.layout.entries {
            try writer.add(e.name, floats: UnsafeBufferPointer(start: model.parameters.pointer + e.offset, count: e.count),
                           shape: e.shape)
        }
        try addQuantizers(model.linearQuantizers.map(QuantizerState.init), of: model, prefix: "", to: &writer)
        if let best { try addQuantizers(best, of: model, prefix: bestPrefix, to: &writer) }
        return writer
    }

    static func addQuantizers(_ states: [QuantizerState], of model: BertForSequenceClassification, prefix: String,
                              to writer: inout SafeTensorsWriter) throws {
        for (q, s) in zip(model.linearQuantizers, states) {
            try writer.add(prefix + q.name + "._step", int64s: [Int64(s.step)], shape: [1])
            try writer.add(prefix + q.name + ".input_thresh", floats: [s.input], shape: [1])
            try writer.add(prefix + q.name + ".output_thresh", floats: [s.output], shape: [1])
        }
    }

    /// optimizer.safetensors: both moments of every parameter.
    public static func optimizerWriter(_ optimizer: AdamW, layout: ParameterLayout) throws -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["format": "q8train-adamw-moments"])
        for (suffix, buffer) in [(".exp_avg", optimizer.m), (".exp_avg_sq", optimizer.v)] {
            for e in layout.entries {
                try writer.add(e.name + suffix, floats: UnsafeBufferPointer(start: buffer.pointer + e.offset, count: e.count),
                               shape: e.shape)
            }
        }
        return writer
    }

    // MARK: Reading

    /// What model.safetensors restores: parameters into `model`, and the quantizer states.
    public struct ModelState {
        public var quantizers: [QuantizerState]
        public var bestQuantizers: [QuantizerState]?
    }

    /// Reads model.safetensors (`data`, named `path` in errors) into `model.parameters`;
    /// returns the quantizer states (the model's quantizers are not touched).
    public static func readModel(_ data: Data, path: String, into model: BertForSequenceClassification,
                                 expectBest: Bool) throws -> ModelState {
        let file = try SafeTensorsFile(data: data, path: path)
        var expected = Set<String>()
        for e in model.layout.entries {
            try read(file, e.name, shape: e.shape, into: model.parameters.pointer + e.offset, expected: &expected)
        }
        let current = try readQuantizers(file, of: model, prefix: "", expected: &expected)
        let best = expectBest ? try readQuantizers(file, of: model, prefix: bestPrefix, expected: &expected) : nil
        try rejectLeftovers(file, expected: expected)
        return ModelState(quantizers: current, bestQuantizers: best)
    }

    /// Reads optimizer.safetensors into the optimizer's moments.
    public static func readOptimizer(_ data: Data, path: String, into optimizer: AdamW, layout: ParameterLayout) throws {
        let file = try SafeTensorsFile(data: data, path: path)
        var expected = Set<String>()
        for (suffix, buffer) in [(".exp_avg", optimizer.m), (".exp_avg_sq", optimizer.v)] {
            for e in layout.entries {
                try read(file, e.name + suffix, shape: e.shape, into: buffer.pointer + e.offset, expected: &expected)
            }
        }
        try rejectLeftovers(file, expected: expected)
    }

    /// Reads the parameters of best/model.safetensors (a model folder's file: it also holds
    /// the Q8BERT state tensors, which are not read from here) into `destination` [layout.count].
    public static func readBestParameters(_ data: Data, path: String, layout: ParameterLayout,
                                          into destination: FloatBuffer) throws {
        let file = try SafeTensorsFile(data: data, path: path)
        var expected = Set<String>()
        for e in layout.entries {
            try read(file, e.name, shape: e.shape, into: destination.pointer + e.offset, expected: &expected)
        }
    }

    static func read(_ file: SafeTensorsFile, _ name: String, shape: [Int], into p: UnsafeMutablePointer<Float>,
                     expected: inout Set<String>) throws {
        guard let info = file[name] else { throw TrainingCheckpointError.tensor(path: file.path, name: name, reason: "missing") }
        guard info.dtype == .f32 else {
            throw TrainingCheckpointError.tensor(path: file.path, name: name, reason: "dtype \(info.dtype.rawValue), expected F32")
        }
        guard info.shape == shape else {
            throw TrainingCheckpointError.tensor(path: file.path, name: name, reason: "shape \(info.shape), expected \(shape)")
        }
        try file.readFloats(name, into: UnsafeMutableBufferPointer(start: p, count: shape.reduce(1, *)))
        expected.insert(name)
    }

    static func readQuantizers(_ file: SafeTensorsFile, of model: BertForSequenceClassification, prefix: String,
                               expected: inout Set<String>) throws -> [QuantizerState] {
        try model.linearQuantizers.map { q in
            let stepName = prefix + q.name + "._step"
            guard let info = file[stepName] else {
                throw TrainingCheckpointError.tensor(path: file.path, name: stepName, reason: "missing")
            }
            guard info.dtype == .i64, info.shape == [1] else {
                throw TrainingCheckpointError.tensor(path: file.path, name: stepName,
                                                     reason: "\(info.dtype.rawValue) \(info.shape), expected I64 [1]")
            }
            expected.insert(stepName)
            var values = [Float](repeating: 0, count: 2)
            for (k, suffix) in [".input_thresh", ".output_thresh"].enumerated() {
                try values.withUnsafeMutableBufferPointer { buffer in
                    try read(file, prefix + q.name + suffix, shape: [1], into: buffer.baseAddress! + k, expected: &expected)
                }
            }
            return QuantizerState(step: Int(try file.int64s(stepName)[0]), input: values[0], output: values[1])
        }
    }

    static func rejectLeftovers(_ file: SafeTensorsFile, expected: Set<String>) throws {
        if let extra = file.tensors.first(where: { !expected.contains($0.name) }) {
            throw TrainingCheckpointError.tensor(path: file.path, name: extra.name, reason: "not part of this model's training state")
        }
    }

    // MARK: Checks

    /// The first parameter tensor of `buffer` holding a NaN or an infinity, in layout order.
    public static func firstNonFinite(_ buffer: FloatBuffer, layout: ParameterLayout) -> String? {
        guard !maxAbs(buffer.pointer, count: buffer.count).isFinite else { return nil }
        return layout.entries.first { !maxAbs(buffer.pointer + $0.offset, count: $0.count).isFinite }?.name
            ?? "(alignment padding)"
    }
}
