import Tensor

/// The order of the training examples in an epoch: a permutation seeded by (seed, epoch)
/// (Fisher-Yates over SplitMix64), the same on every machine.
public func epochPermutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: hashKey(seed, UInt64(epoch), 0x5A3B_1E, 0))
    var order = Array(0..<count)
    if count > 1 {
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
    }
    return order
}
