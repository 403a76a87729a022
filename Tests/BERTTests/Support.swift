import Foundation
import ModelFormat
import XCTest
@testable import BERT
@testable import Tensor

/// Shared helpers for the BERT tests: fixture paths, batches from fixtures, comparisons.
enum Fixtures {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// The "input.*" tensors of a reference fixture as a Batch.
    static func batch(_ f: SafeTensorsFile, regression: Bool = false) throws -> Batch {
        let ids = try f.int64s("input.input_ids").map { Int32($0) }
        let types = try f.int64s("input.token_type_ids").map { Int32($0) }
        let mask = try f.int64s("input.attention_mask").map { Float($0) }
        let shape = try f.require("input.input_ids").shape
        var batch = Batch(size: shape[0], seqLen: shape[1], inputIds: ids, tokenTypeIds: types, attentionMask: mask)
        if f["input.labels"] != nil {
            if regression { batch.targets = try f.floats("input.labels") }
            else { batch.labels = try f.int64s("input.labels").map { Int32($0) } }
        }
        return batch
    }
}

/// Normwise relative error ||a - b|| / ||b|| (computed in double), the measure the reference
/// tests bound: robust to individual elements that are near zero in both.
func relativeError<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double
where A.Element == Float, B.Element == Float {
    precondition(a.count == b.count)
    var num = 0.0, den = 0.0
    for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
    return den == 0 ? num.squareRoot() : (num / den).squareRoot()
}

func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float
where A.Element == Float, B.Element == Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}
