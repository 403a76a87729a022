import Foundation
import ONNXProto

/// An ONNX graph under construction: nodes in topological order (each added after its
/// inputs), initializers, unique value names, and shared constants.
struct ONNXGraph {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    private var names = Set<String>()
    private var constants: [String: String] = [:]
    /// How many nodes of each operator type the graph has.
    private(set) var opCounts: [String: Int] = [:]

    /// `base`, or `base_2`, `base_3`, ... when taken.
    mutating func uniqueName(_ base: String) -> String {
        var name = base, n = 1
        while names.contains(name) { n += 1; name = "\(base)_\(n)" }
        names.insert(name)
        return name
    }

    /// Adds an initializer named `name` (made unique) and returns its name.
    mutating func initializer<T: ONNXScalar>(_ name: String, shape: [Int], values: [T]) -> String {
        let unique = uniqueName(name)
        initializers.append(Onnx_TensorProto(name: unique, shape: shape, values: values))
        return unique
    }

    /// A scalar (shape []) or 1-D constant shared by every node that uses the same values.
    mutating func constant<T: ONNXScalar>(_ values: [T], scalar: Bool = false, name: String) -> String {
        let key = "\(T.self)\(scalar ? "s" : "v"):" + values.map { "\($0)" }.joined(separator: ",")
        if let existing = constants[key] { return existing }
        let made = initializer(name, shape: scalar ? [] : [values.count], values: values)
        constants[key] = made
        return made
    }

    mutating func scalar(_ value: Float, name: String) -> String { constant([value], scalar: true, name: name) }

    /// Adds a node `op` reading `inputs` ("" for an absent optional input); returns its output's
    /// name, made from `name`.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String,
                       attributes: [Onnx_AttributeProto] = []) -> String {
        let output = uniqueName(name)
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = output
        node.input = inputs
        node.output = [output]
        node.attribute = attributes
        nodes.append(node)
        opCounts[op, default: 0] += 1
        return output
    }

    /// Renames the output of the last node to `name` (a graph output's fixed name).
    mutating func renameLastOutput(to name: String) {
        names.insert(name)
        nodes[nodes.count - 1].output = [name]
    }
}
