import CBLAS
import CKernels

/// The instruction-set level of our FP32 C kernels (CKernels' q8_isa_*): each is compiled for
/// the x86-64 baseline, AVX2 + FMA and AVX-512, and the builds round differently. Ranks that
/// must agree bit for bit (every kernel whose result feeds the parameters or the Q8BERT
/// ranges) run the lowest level they all have. The int8 GEMM is exact on every path; the
/// level only bounds which of its paths may run.
public enum InstructionSet: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    case baseline = 0, avx2 = 1, avx512 = 2

    /// The names users write (`--max-isa`, Q8_MAX_ISA): baseline, avx2, avx512.
    public init?(name: String) {
        guard let level = InstructionSet(rawValue: Int(q8_isa_parse(name))) else { return nil }
        self = level
    }

    public var description: String { String(cString: q8_isa_name(Int32(rawValue))) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The highest level this CPU runs.
    public static var detected: InstructionSet { InstructionSet(rawValue: Int(q8_isa_detected()))! }
    /// The level the kernels use now (detected, capped by Q8_MAX_ISA or `cap`).
    public static var current: InstructionSet { InstructionSet(rawValue: Int(q8_isa_level()))! }

    /// Caps the level (nil: none); returns the level now in use. Call between kernels.
    @discardableResult
    public static func cap(_ level: InstructionSet?) -> InstructionSet {
        InstructionSet(rawValue: Int(q8_isa_set_cap(Int32(level?.rawValue ?? -1))))!
    }

    /// The cap asked for by the environment variable Q8_MAX_ISA: nil when unset or empty;
    /// throws for any other value than the three names.
    public static func environmentCap(_ environment: [String: String]) throws -> InstructionSet? {
        guard let text = environment["Q8_MAX_ISA"], !text.isEmpty else { return nil }
        guard let level = InstructionSet(name: text) else { throw InstructionSetError.unknownName(text, source: "Q8_MAX_ISA") }
        return level
    }

    /// The int8 GEMM path the runtime takes: "VNNI", "AVX2" (vpmaddubsw), "AVX2 Winograd" or "scalar".
    public static var int8Path: String { int8PathName(q8_int8_best_path()) }

    /// The name of an int8 GEMM path (Q8_INT8_PATH_*).
    public static func int8PathName(_ path: Int32) -> String {
        switch path {
        case Q8_INT8_PATH_VNNI: return "VNNI"
        case Q8_INT8_PATH_AVX2: return "AVX2"
        case Q8_INT8_PATH_AVX2_W16: return "AVX2 Winograd"
        default: return "scalar"
        }
    }

    /// OpenBLAS's kernel family (its core name, e.g. Haswell, Zen, SkylakeX) and build config.
    public static var openBLASCore: String { String(cString: openblas_get_corename()) }
    public static var openBLASConfig: String { String(cString: openblas_get_config()) }
}

public enum InstructionSetError: Error, Equatable, CustomStringConvertible {
    case unknownName(String, source: String)
    public var description: String {
        switch self {
        case let .unknownName(name, source):
            return "\(source): unknown instruction set \"\(name)\"; expected baseline, avx2 or avx512"
        }
    }
}
