/// Element type of a tensor in a safetensors file, spelled as in the header's `"dtype"` field.
///
/// Only whole-byte types are supported; the sub-byte types of the reference implementation
/// (`F4`, `F6_E2M3`, `F6_E3M2`) are rejected as unknown. Multi-byte values are little-endian.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"
    case c64 = "C64"

    /// Bytes per element (1 for `BOOL`, 8 for `C64`, a pair of `F32`).
    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64, .c64: return 8
        }
    }

    /// The types `SafeTensorsFile.readFloats` converts to `Float`.
    public static let floatTypes: [SafeTensorsDType] = [.f32, .f16, .bf16, .f64]
}
