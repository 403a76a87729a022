/// How a quantized Linear's forward product is computed in quantization-aware training and in
/// its evaluation. Both compute fq(x) fq(W)^T + b; they differ in rounding only.
public enum QuantizedGemm: String, Codable, CaseIterable, Sendable {
    /// The int8 kernels (VNNI, AVX2 or scalar; the same bits on every CPU): q(x) q(W)^T summed
    /// exactly in int32, then one rescale by 1 / (S_x S_w) per element. The default.
    case int8
    /// An FP32 GEMM (OpenBLAS) of the fake-quantized values: the reference. Exact while the
    /// partial sums of q(x) q(W) stay below 2^24 (they are rounded beyond).
    case fp32
}
