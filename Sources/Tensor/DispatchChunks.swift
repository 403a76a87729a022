import Dispatch

/// Runs `body(chunkIndex, range)` over exactly `chunks` contiguous pieces of 0..<count in
/// parallel, for kernels whose workers need a private scratch slice by chunk index.
enum DispatchChunks {
    static func run(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 { body(0, 0..<count); return }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(c, lo..<hi) }
        }
    }
}
