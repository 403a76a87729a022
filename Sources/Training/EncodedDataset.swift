import BERT
import ModelFormat

/// A split tokenized once, up front: every example's token ids, segment ids and label,
/// stored flat. Batches are cut from it by example index.
public struct EncodedDataset: Sendable {
    /// Ids of example i: ids[offsets[i]..<offsets[i+1]] (with [CLS]/[SEP], no padding).
    public private(set) var ids: [Int32] = []
    public private(set) var types: [Int32] = []
    public private(set) var offsets: [Int] = [0]
    /// Class id per example, or -1 when unlabeled (GLUE test files).
    public private(set) var labels: [Int32] = []
    /// Regression target per example (NaN when unlabeled).
    public private(set) var targets: [Float] = []
    public let maxLength: Int
    public let padId: Int32

    public var count: Int { offsets.count - 1 }
    /// Every example has a class id or a regression target.
    public var isLabeled: Bool { zip(labels, targets).allSatisfy { $0 >= 0 || !$1.isNaN } }

    /// One input example: its text(s) and its gold label (class id) or target (regression).
    public struct Input: Sendable {
        public var textA: String, textB: String?, label: Int?, target: Float?
        public init(textA: String, textB: String? = nil, label: Int? = nil, target: Float? = nil) {
            self.textA = textA; self.textB = textB; self.label = label; self.target = target
        }
    }

    public init(_ inputs: [Input], tokenizer: BertTokenizer, maxLength: Int) {
        self.maxLength = maxLength
        padId = tokenizer.vocabulary.padId
        ids.reserveCapacity(inputs.count * 24)
        for x in inputs {
            let e = tokenizer.encode(x.textA, x.textB, maxLength: maxLength, padding: false)
            ids += e.inputIds
            types += e.tokenTypeIds
            offsets.append(ids.count)
            labels.append(x.label.map(Int32.init) ?? -1)
            targets.append(x.target ?? .nan)
        }
    }

    public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }

    /// The batch of the given examples, padded to the longest of them, or to `padTo` (at
    /// least as long), or to `maxLength` when `padToMax`. `exampleIndices` are the dataset
    /// indices (they key dropout).
    public func batch(_ indices: ArraySlice<Int>, padToMax: Bool, padTo: Int? = nil, regression: Bool) -> Batch {
        let longest = indices.map(length).max() ?? 1
        let T = padToMax ? maxLength : max(longest, padTo ?? 1)
        let B = indices.count
        var batchIds = [Int32](repeating: padId, count: B * T)
        var batchTypes = [Int32](repeating: 0, count: B * T)
        var mask = [Float](repeating: 0, count: B * T)
        for (row, i) in indices.enumerated() {
            let start = offsets[i], n = length(i)
            for t in 0..<n {
                batchIds[row * T + t] = ids[start + t]
                batchTypes[row * T + t] = types[start + t]
                mask[row * T + t] = 1
            }
        }
        var batch = Batch(size: B, seqLen: T, inputIds: batchIds, tokenTypeIds: batchTypes,
                          attentionMask: mask, exampleIndices: Array(indices))
        if regression { batch.targets = indices.map { targets[$0] } }
        else { batch.labels = indices.map { max(labels[$0], 0) } }
        return batch
    }
}
