import Foundation
import ModelFormat
import Tensor
import Training

/// `q8bench token-union MODEL_DIR TASK B SEQ`: how many word-embedding rows the union of W
/// ranks' batches touches, on the task's real training sentences: the rows a sparse
/// word-embedding exchange sends per step (scripts/bench-scaling.sh).
///
/// For W = 1, 2, 4, ..., 256: the distinct non-padding token ids of W x B training examples
/// (tokenized as the trainer does, cut to SEQ), the mean over 8 random global batches
/// (drawn without replacement while the set lasts, as an epoch's batches are). Prints a
/// table and one "UNION {json}" line.
func runTokenUnionBench(modelDir: URL, task: String, batch B: Int, seqLen: Int) throws {
    var settings = TrainingSettings()
    settings.task = task
    settings.maxSeqLength = seqLen
    let tokenizer = try BertTokenizer(vocabularyFile: modelDir.appendingPathComponent("vocab.txt"))
    let data = try TaskData.load(settings, tokenizer: tokenizer).train
    let n = data.count
    var rng = SplitMix64(seed: 77)
    var seen = [Bool](repeating: false, count: Int(data.ids.max() ?? 0) + 1)
    var byRanks: [String: Double] = [:]
    print("token-union: \(task) train set (\(n) examples), \(B) examples of <= \(seqLen) tokens per rank")
    for W in (0...8).map({ 1 << $0 }) {
        var total = 0.0
        let draws = 8
        for _ in 0..<draws {
            var order = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var distinct: [Int32] = []
            for k in 0..<(W * B) {
                let e = order[k % n]
                for id in data.ids[data.offsets[e]..<data.offsets[e + 1]] where id != data.padId && !seen[Int(id)] {
                    seen[Int(id)] = true
                    distinct.append(id)
                }
            }
            total += Double(distinct.count)
            for id in distinct { seen[Int(id)] = false }
        }
        byRanks["\(W)"] = total / Double(draws)
        print(String(format: "  W = %3d: %8.0f distinct rows (%d examples)", W, total / Double(draws), W * B))
    }
    let json = try JSONSerialization.data(withJSONObject: ["task": task, "batch_per_rank": B, "seq": seqLen,
                                                           "train_examples": n, "rows_by_ranks": byRanks] as [String: Any],
                                          options: [.sortedKeys])
    print("UNION " + String(decoding: json, as: UTF8.self))
}
