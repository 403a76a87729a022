import Foundation
import ModelFormat
import ONNXProto

/// The ONNX graph of BertForSequenceClassification (post-LayerNorm BERT, tanh pooler over the
/// first token, linear classifier), with inputs `input_ids`, `attention_mask`,
/// `token_type_ids` (int64 [batch, sequence]) and output `logits` (float [batch, labels]).
///
/// Quantization in ONNX's QDQ form, as training fake-quantizes (symmetric, zero point 0):
/// - a quantized Linear's input: QuantizeLinear -> DequantizeLinear at scale threshold / 127;
/// - its weight: an int8 initializer [in, out] (W^T, for MatMul) -> DequantizeLinear at 1 / S_w;
/// - its bias: an int32 initializer -> DequantizeLinear at 1 / (S_x S_w), as the runtime adds it;
/// - a requantized output: its own QuantizeLinear -> DequantizeLinear pair;
/// - an int8 embedding table: Gather of the int8 rows, then DequantizeLinear at 1 / S.
/// LayerNorm, GELU (erf), softmax and the attention products stay in float, as in training.
struct BertGraph {
    private var g = ONNXGraph()
    private let w: BertWeights
    /// The QuantizeLinear of a value at a scale: (value, scale bits) -> its output.
    private var quantized: [String: String] = [:]
    /// Quantized Linears whose output is identically 0 (see `linear`).
    private(set) var degenerateLinears: [String] = []

    static let inputs = ["input_ids", "attention_mask", "token_type_ids"]
    static let output = "logits"

    init(_ weights: BertWeights) { w = weights }

    /// Builds the graph; also returns how many nodes of each operator it has.
    static func build(_ weights: BertWeights, name: String)
        -> (graph: Onnx_GraphProto, opCounts: [String: Int], degenerateLinears: [String]) {
        var b = BertGraph(weights)
        _ = b.encode()
        var graph = Onnx_GraphProto()
        graph.name = name
        graph.node = b.g.nodes
        graph.initializer = b.g.initializers
        let dims: [ONNXDimension] = [.named("batch"), .named("sequence")]
        graph.input = inputs.map { Onnx_ValueInfoProto(name: $0, element: .int64, dims: dims) }
        graph.output = [Onnx_ValueInfoProto(name: output, element: .float, dims: [.named("batch"), .fixed(weights.numLabels)])]
        return (graph, b.g.opCounts, b.degenerateLinears)
    }

    // MARK: - The model

    private mutating func encode() -> String {
        let c = w.config, H = c.hiddenSize
        for name in Self.inputs { _ = g.uniqueName(name) }
        // Embeddings: word + position + token type, then LayerNorm.
        let seqLen = g.node("Shape", ["input_ids"], name: "sequence_length", attributes: [.int("start", 1), .int("end", 2)])
        let word = lookup(w.word, "bert.embeddings.word_embeddings", ids: "input_ids")
        let position = prefix(w.position, "bert.embeddings.position_embeddings", rows: seqLen)
        let tokenType = lookup(w.tokenType, "bert.embeddings.token_type_embeddings", ids: "token_type_ids")
        let sum = g.node("Add", [g.node("Add", [word, position], name: "bert.embeddings.sum"), tokenType], name: "bert.embeddings.sum")
        var x = layerNorm(sum, w.embeddingNorm, "bert.embeddings.LayerNorm")
        // Additive key mask [batch, 1, 1, sequence]: 0 for tokens, -10000 for padding (exp underflows to 0).
        let mask = g.node("Cast", ["attention_mask"], name: "mask.float", attributes: [.int("to", Int(ONNXElement.float.rawValue))])
        let padding = g.node("Sub", [g.scalar(1, name: "one"), mask], name: "mask.padding")
        let additive = g.node("Mul", [padding, g.scalar(-10000, name: "mask.value")], name: "mask.additive")
        let keyMask = g.node("Unsqueeze", [additive, g.constant([Int64(1), 2], name: "axes_1_2")], name: "mask.keys")
        for (l, layer) in w.layers.enumerated() {
            x = encoderLayer(x, layer, keyMask: keyMask, prefix: "bert.encoder.layer.\(l)", hidden: H)
        }
        // Pooler (tanh of a Linear of the first token), classifier.
        let first = g.node("Gather", [x, g.constant([Int64(0)], scalar: true, name: "zero_i64")], name: "bert.pooler.first_token",
                           attributes: [.int("axis", 1)])
        let pooled = g.node("Tanh", [linear(first, w.pooler, "bert.pooler.dense")], name: "bert.pooler.tanh")
        _ = linear(pooled, w.classifier, "classifier")
        g.renameLastOutput(to: Self.output)
        return Self.output
    }

    private mutating func encoderLayer(_ x: String, _ layer: EncoderLayerWeights, keyMask: String, prefix p: String,
                                       hidden H: Int) -> String {
        let heads = w.config.numAttentionHeads, D = H / heads
        let split = g.constant([Int64(0), 0, Int64(heads), Int64(D)], name: "shape_heads")
        let merge = g.constant([Int64(0), 0, Int64(H)], name: "shape_hidden")
        func headsOf(_ v: String, _ perm: [Int], _ name: String) -> String {
            g.node("Transpose", [g.node("Reshape", [v, split], name: name + ".split")], name: name + ".heads",
                   attributes: [.ints("perm", perm)])
        }
        let q = headsOf(linear(x, layer.query, p + ".attention.self.query"), [0, 2, 1, 3], p + ".attention.self.q")
        let kT = headsOf(linear(x, layer.key, p + ".attention.self.key"), [0, 2, 3, 1], p + ".attention.self.k")
        let v = headsOf(linear(x, layer.value, p + ".attention.self.value"), [0, 2, 1, 3], p + ".attention.self.v")
        // scores = q k^T / sqrt(D) + mask; probabilities over the keys; context = probs v.
        let scores = g.node("Mul", [g.node("MatMul", [q, kT], name: p + ".attention.self.scores"),
                                    g.scalar(1 / Float(D).squareRoot(), name: "attention_scale")], name: p + ".attention.self.scaled")
        let probs = g.node("Softmax", [g.node("Add", [scores, keyMask], name: p + ".attention.self.masked")],
                           name: p + ".attention.self.probs", attributes: [.int("axis", -1)])
        let context = g.node("Reshape", [g.node("Transpose", [g.node("MatMul", [probs, v], name: p + ".attention.self.context"),],
                                                name: p + ".attention.self.context_t", attributes: [.ints("perm", [0, 2, 1, 3])]),
                                         merge], name: p + ".attention.self.context_merged")
        let attended = g.node("Add", [linear(context, layer.attentionOutput, p + ".attention.output.dense"), x],
                              name: p + ".attention.output.residual")
        let h1 = layerNorm(attended, layer.attentionNorm, p + ".attention.output.LayerNorm")
        let inner = gelu(linear(h1, layer.intermediate, p + ".intermediate.dense"), p + ".intermediate.gelu")
        let out = g.node("Add", [linear(inner, layer.output, p + ".output.dense"), h1], name: p + ".output.residual")
        return layerNorm(out, layer.outputNorm, p + ".output.LayerNorm")
    }

    // MARK: - Layers

    /// x W^T + b, as QDQ when the Linear is quantized.
    private mutating func linear(_ x: String, _ weights: LinearWeights, _ name: String) -> String {
        switch weights {
        case .float(let W, let b, let out, let k):
            let wT = g.initializer(name + ".weight_t", shape: [k, out], values: transposed(W, rows: out, cols: k))
            let product = g.node("MatMul", [x, wT], name: name + ".matmul")
            return g.node("Add", [product, g.initializer(name + ".bias", shape: [out], values: b)], name: name)
        case .quantized(let q):
            // The runtime's scales: S_x = 127 / threshold, S_w; ONNX's are their inverses.
            let sx = quantizationScale(threshold: q.inputThreshold, maxQ: 127)
            guard sx > 0, q.weightScale > 0 else {
                // A zero threshold (a layer that never ran quantized) or an all-zero weight: the
                // runtime's factor 1 / (S_x S_w) is then 0 and so is the output. QDQ scales must be
                // positive, so the layer becomes the float Linear that computes the same zeros.
                degenerateLinears.append(name)
                return linear(x, .float(weight: [Float](repeating: 0, count: q.out * q.in),
                                        bias: [Float](repeating: 0, count: q.out), out: q.out, in: q.in), name)
            }
            let xq = quantizeDequantize(x, scale: 1 / sx, name: name + ".input")
            let wT = g.initializer(name + ".quantized_weight_t", shape: [q.in, q.out],
                                   values: transposed(q.weight, rows: q.out, cols: q.in))
            let wq = g.node("DequantizeLinear", [wT, g.scalar(1 / q.weightScale, name: name + ".weight_scale"), zeroInt8],
                            name: name + ".weight")
            let product = g.node("MatMul", [xq, wq], name: name + ".matmul")
            let bias = g.initializer(name + ".quantized_bias", shape: [q.out], values: q.bias)
            let biasScale = g.scalar(1 / (sx * q.weightScale), name: name + ".bias_scale")
            let b = g.node("DequantizeLinear", [bias, biasScale, zeroInt32], name: name + ".bias")
            let y = g.node("Add", [product, b], name: name)
            guard let outT = q.outputThreshold else { return y }
            return quantizeDequantize(y, scale: 1 / quantizationScale(threshold: outT, maxQ: 127), name: name + ".output")
        }
    }

    /// QuantizeLinear -> DequantizeLinear of `x` at `scale` (int8, zero point 0). One
    /// QuantizeLinear per (value, scale), shared by query, key and value, which read the same x
    /// at one threshold; a DequantizeLinear of its own for each consumer, the form ONNX
    /// Runtime's QDQ fusion matches (DQ -> MatMul into an integer MatMul).
    private mutating func quantizeDequantize(_ x: String, scale: Float, name: String) -> String {
        let key = "\(x)@\(scale.bitPattern)"
        let s = g.scalar(scale, name: name + "_scale")
        let q: String
        if let made = quantized[key] { q = made } else {
            q = g.node("QuantizeLinear", [x, s, zeroInt8], name: name + "_quantized")
            quantized[key] = q
        }
        return g.node("DequantizeLinear", [q, s, zeroInt8], name: name + "_dequantized")
    }

    private var zeroInt8: String { mutating get { g.constant([Int8(0)], scalar: true, name: "zero_point_i8") } }
    private var zeroInt32: String { mutating get { g.constant([Int32(0)], scalar: true, name: "zero_point_i32") } }

    /// Rows `ids` of an embedding table, [.., dim].
    private mutating func lookup(_ table: EmbeddingWeights, _ name: String, ids: String) -> String {
        switch table {
        case .float(let v, let rows, let dim):
            return g.node("Gather", [g.initializer(name + ".weight", shape: [rows, dim], values: v), ids], name: name)
        case .quantized(let v, let rows, let dim, let scale):
            let t = g.initializer(name + ".quantized_weight", shape: [rows, dim], values: v)
            let rowsQ = g.node("Gather", [t, ids], name: name + ".rows")
            return g.node("DequantizeLinear", [rowsQ, g.scalar(scale > 0 ? 1 / scale : 1, name: name + ".scale"), zeroInt8], name: name)
        }
    }

    /// The first `rows` (an int64 [1] value) rows of a table: the position embeddings of a sequence.
    private mutating func prefix(_ table: EmbeddingWeights, _ name: String, rows count: String) -> String {
        let starts = g.constant([Int64(0)], name: "zero_i64_1d")
        switch table {
        case .float(let v, let rows, let dim):
            let t = g.initializer(name + ".weight", shape: [rows, dim], values: v)
            return g.node("Slice", [t, starts, count, starts], name: name)
        case .quantized(let v, let rows, let dim, let scale):
            let t = g.initializer(name + ".quantized_weight", shape: [rows, dim], values: v)
            let rowsQ = g.node("Slice", [t, starts, count, starts], name: name + ".rows")
            return g.node("DequantizeLinear", [rowsQ, g.scalar(scale > 0 ? 1 / scale : 1, name: name + ".scale"), zeroInt8], name: name)
        }
    }

    private mutating func layerNorm(_ x: String, _ n: NormWeights, _ name: String) -> String {
        let dim = n.weight.count
        return g.node("LayerNormalization", [x, g.initializer(name + ".weight", shape: [dim], values: n.weight),
                                             g.initializer(name + ".bias", shape: [dim], values: n.bias)],
                      name: name, attributes: [.int("axis", -1), .float("epsilon", w.config.layerNormEps)])
    }

    /// BERT's exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)) (the pattern ONNX Runtime fuses into one op).
    private mutating func gelu(_ x: String, _ name: String) -> String {
        let erf = g.node("Erf", [g.node("Div", [x, g.scalar(Float(2).squareRoot(), name: "sqrt2")], name: name + ".scaled")],
                         name: name + ".erf")
        let onePlus = g.node("Add", [erf, g.scalar(1, name: "one")], name: name + ".one_plus")
        return g.node("Mul", [g.node("Mul", [x, onePlus], name: name + ".product"), g.scalar(0.5, name: "half")], name: name)
    }

    private func transposed<T>(_ m: [T], rows: Int, cols: Int) -> [T] {
        [T](unsafeUninitializedCapacity: m.count) { out, n in
            m.withUnsafeBufferPointer { src in
                for r in 0..<rows { for c in 0..<cols { (out.baseAddress! + c * rows + r).initialize(to: src[r * cols + c]) } }
            }
            n = m.count
        }
    }
}
