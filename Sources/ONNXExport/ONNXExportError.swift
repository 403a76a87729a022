/// Why an ONNX export was refused. Each is raised before anything is written.
public enum ONNXExportError: Error, CustomStringConvertible, Equatable {
    /// The int8 folder's layer has no frozen input threshold (dynamic mode: the range of each
    /// batch), which a QDQ graph's constant scale needs.
    case noFrozenThresholds(path: String, layer: String)
    /// An activation bit width other than 8: QuantizeLinear to int8 saturates at [-128, 127],
    /// so it cannot clamp at +-(2^(bits-1) - 1).
    case unsupportedBits(path: String, layer: String, bits: Int)
    /// The folder is not what the exporter reads (missing file, wrong kind of folder).
    case invalidSource(path: String, reason: String)
    /// A value the graph needs is not finite or is negative.
    case invalidValue(path: String, name: String, value: Float)

    public var description: String {
        switch self {
        case .noFrozenThresholds(let path, let layer):
            return "\(path): layer \(layer) is quantized in dynamic mode and has no frozen activation threshold; "
                + "an int8 (QDQ) ONNX model needs the thresholds of quantization-aware training "
                + "(train --quantize q8bert), or export it as FP32 (--precision fp32)"
        case .unsupportedBits(let path, let layer, let bits):
            return "\(path): layer \(layer) quantizes its input to \(bits) bits; ONNX's QuantizeLinear to int8 "
                + "saturates at [-128, 127], so QDQ can express only 8-bit activations (M = 127)"
        case .invalidSource(let path, let reason):
            return "\(path): \(reason)"
        case .invalidValue(let path, let name, let value):
            return "\(path): \(name) is \(value); expected a finite value >= 0"
        }
    }
}
