import BERT
import Foundation
import Runtime
import Tensor

/// `q8bench infer-texts INT8_DIR TSV BATCH`: the int8 runtime directly on real sentences, the
/// way q8serve runs them but without HTTP (scripts/load-test.sh compares the two).
///
/// The sentences are the TSV's `sentence` column (else its first column), in file order,
/// cycled. Each step takes the next BATCH of them, tokenizes them (the folder's tokenizer,
/// at most MAX_SEQ_LENGTH = 128 tokens, as q8serve) and runs them as one forward padded to
/// the longest (`BatchPredictor.predict(encodings:)`), so the padding is that of BATCH sentences arriving
/// together, not of a length-sorted file. After WARMUP (2) steps it runs for SECONDS (30) on
/// THREADS (2) threads and prints one line:
/// `infer-texts batch=B threads=N  X seq/s  (S steps, mean T tokens, padded to P)`.
func runTextInferenceBench(directory: URL, tsv: URL, batch: Int) throws {
    let threads = max(1, environmentInt("THREADS", 2))
    let seconds = environmentDouble("SECONDS", 30), warmup = max(0, environmentInt("WARMUP", 2))
    Parallel.configure(threads: threads)
    let sentences = try readSentences(tsv)
    guard !sentences.isEmpty else { throw BenchError.message("\(tsv.path): no sentences") }
    let model = try Int8Model(directory: directory)
    let predictor = try BatchPredictor(model: model, batchSize: batch, maxSeqLength: environmentInt("MAX_SEQ_LENGTH", 128))
    model.reserve(batchSize: batch, seqLen: predictor.maxSeqLength)

    var next = 0
    func step() throws -> (tokens: Int, padded: Int) {
        let encodings = (0..<batch).map { i in predictor.encoder.encode(sentences[(next + i) % sentences.count]) }
        next = (next + batch) % sentences.count
        _ = try predictor.predict(encodings: encodings)
        return (encodings.map(\.count).reduce(0, +), (encodings.map(\.count).max() ?? 0) * batch)
    }
    for _ in 0..<warmup { _ = try step() }
    var steps = 0, tokens = 0, padded = 0
    let start = now()
    while now() - start < seconds {
        let s = try step()
        steps += 1
        tokens += s.tokens
        padded += s.padded
    }
    let elapsed = now() - start
    let sequences = steps * batch
    print(String(format: "infer-texts batch=%d threads=%d  %.1f seq/s  (%d steps in %.1f s, mean %.1f tokens, padded to %.1f)",
                 batch, threads, Double(sequences) / elapsed, steps, elapsed,
                 Double(tokens) / Double(max(sequences, 1)), Double(padded) / Double(max(sequences, 1))))
}

/// The `sentence` column of a TSV with a header (else its first column).
private func readSentences(_ url: URL) throws -> [String] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
        throw BenchError.message("\(url.path): cannot read")
    }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { String($0) }
    guard !lines.isEmpty else { return [] }
    let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false)
    let column = header.firstIndex(of: "sentence") ?? 0
    return lines.compactMap { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        return column < fields.count ? String(fields[column]) : nil
    }
}
