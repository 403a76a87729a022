import Foundation
import ONNXProto

/// The ONNX element types the exporter writes (TensorProto.DataType numbers).
enum ONNXElement: Int32 {
    case float = 1, int8 = 3, int32 = 6, int64 = 7
}

/// Values that go into a tensor's raw_data, little-endian as ONNX stores them.
protocol ONNXScalar { static var element: ONNXElement { get } }
extension Float: ONNXScalar { static var element: ONNXElement { .float } }
extension Int8: ONNXScalar { static var element: ONNXElement { .int8 } }
extension Int32: ONNXScalar { static var element: ONNXElement { .int32 } }
extension Int64: ONNXScalar { static var element: ONNXElement { .int64 } }

extension Onnx_TensorProto {
    /// A tensor named `name` of `shape` (empty: a scalar), its `values` in row-major order stored
    /// as raw_data (little-endian, as every machine we run on).
    init<T: ONNXScalar>(name: String, shape: [Int], values: [T]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.init()
        self.name = name
        dims = shape.map(Int64.init)
        dataType = T.element.rawValue
        rawData = values.withUnsafeBytes { Data($0) }
    }
}

extension Onnx_ValueInfoProto {
    /// A graph input or output: `element` tensor whose dimensions are numbers or named
    /// (dynamic) axes.
    init(name: String, element: ONNXElement, dims: [ONNXDimension]) {
        self.init()
        self.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = element.rawValue
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .fixed(let n): dim.dimValue = Int64(n)
            case .named(let s): dim.dimParam = s
            }
            return dim
        }
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        self.type = type
    }
}

/// One dimension of a graph input or output.
enum ONNXDimension {
    case fixed(Int)
    /// A dynamic axis ("batch", "sequence").
    case named(String)
}

extension Onnx_AttributeProto {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .int; a.i = Int64(value); return a
    }
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .ints; a.ints = values.map(Int64.init); return a
    }
    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto(); a.name = name; a.type = .float; a.f = value; return a
    }
}
