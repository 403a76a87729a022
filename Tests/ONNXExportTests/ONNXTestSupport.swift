import BERT
import Foundation
import ModelFormat
import ONNXProto
import SwiftProtobuf
import TestModels

/// A parsed ONNX file, with lookups by name.
struct ParsedONNX {
    let model: Onnx_ModelProto
    init(_ url: URL) throws { model = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: url)) }

    var nodes: [Onnx_NodeProto] { model.graph.node }
    func count(_ op: String) -> Int { nodes.filter { $0.opType == op }.count }
    func node(_ name: String) -> Onnx_NodeProto? { nodes.first { $0.name == name } }
    func initializer(_ name: String) -> Onnx_TensorProto? { model.graph.initializer.first { $0.name == name } }
    var metadata: [String: String] { Dictionary(uniqueKeysWithValues: model.metadataProps.map { ($0.key, $0.value) }) }

    /// An initializer's raw values.
    func values<T>(_ name: String, as: T.Type) -> [T]? {
        guard let t = initializer(name) else { return nil }
        return t.rawData.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self)) }
    }
    func scalar(_ name: String) -> Float? { values(name, as: Float.self)?.first }
}

/// A tiny model calibrated with `quantization`, exported to DIR/int8.
func exportTiny(_ quantization: QuantizationConfig, in dir: URL) throws -> (BertForSequenceClassification, URL) {
    let model = Tiny.model()
    try Tiny.calibrate(model, quantization)
    let (folder, _) = try Tiny.export(model, in: dir, labels: ["neg", "neutral", "pos"])
    return (model, folder)
}

/// [rows, cols] -> [cols, rows].
func transposed<T>(_ m: [T], rows: Int, cols: Int) -> [T] {
    (0..<(rows * cols)).map { i in m[(i % rows) * cols + i / rows] }
}
