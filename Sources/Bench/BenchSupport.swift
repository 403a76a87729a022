import BERT
import Foundation
import ModelFormat
import Tensor

enum BenchError: Error, CustomStringConvertible {
    case usage
    case message(String)

    var description: String {
        switch self {
        case .usage: return "usage"
        case .message(let s): return s
        }
    }
}

/// "32x128" -> (32, 128).
func parseShape(_ s: String) throws -> (Int, Int) {
    let parts = s.split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw BenchError.message("bad shape \(s), expected BxT") }
    return (parts[0], parts[1])
}

/// An integer from the environment, or `fallback`.
func environmentInt(_ name: String, _ fallback: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap { Int($0) } ?? fallback
}

func environmentDouble(_ name: String, _ fallback: Double) -> Double {
    ProcessInfo.processInfo.environment[name].flatMap { Double($0) } ?? fallback
}

/// B full-length sequences of random word pieces: [CLS] w ... w [SEP], no padding, one
/// segment (the speed does not depend on the values). `exampleBase` numbers the examples
/// (dropout masks are keyed by it).
func randomBatch(size B: Int, seqLen T: Int, seed: UInt64, vocabSize: Int = 30522, numLabels: Int = 2,
                 exampleBase: Int = 0) -> Batch {
    var rng = SplitMix64(seed: seed)
    let hi = UInt64(max(vocabSize - 1000, 1))
    var ids = [Int32](repeating: 0, count: B * T)
    for b in 0..<B {
        for t in 0..<T {
            ids[b * T + t] = t == 0 ? 101 : t == T - 1 ? 102 : Int32(1000 + Int(rng.next() % hi))
        }
    }
    return Batch(size: B, seqLen: T, inputIds: ids, tokenTypeIds: [Int32](repeating: 0, count: B * T),
                 attentionMask: [Float](repeating: 1, count: B * T),
                 labels: (0..<B).map { Int32($0 % numLabels) },
                 exampleIndices: (0..<B).map { exampleBase + $0 })
}

/// Seconds since an arbitrary origin (monotonic).
@inline(__always) func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Median of a non-empty array.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Peak resident set size of this process in MiB (getrusage: ru_maxrss is KiB on Linux).
var peakRSSMiB: Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Current resident set size in MiB (VmRSS of /proc/self/status; 0 where unavailable).
var currentRSSMiB: Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kb = line.split(separator: " ").compactMap({ Double($0) }).first else { return 0 }
    return kb / 1024
}

/// `s` padded with spaces to `width` characters (String(format:)'s %-N@ does not pad).
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
