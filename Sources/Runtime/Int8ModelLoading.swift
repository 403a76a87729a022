import Foundation
import Tensor

extension Int8Model {
    /// What the command-line tools (`q8train predict`, `q8serve`) do before they predict: sets
    /// the runtime's worker threads (nil: one per active core) and loads the int8 folder at
    /// `path` (from `q8train export`), in the default mode or the integer-only one.
    public static func load(path: String, threads: Int?, integerOnly: Bool = false) throws -> Int8Model {
        Parallel.configure(threads: threads ?? CPUAffinity.cpus().count)
        return try Int8Model(directory: URL(fileURLWithPath: path), integerOnly: integerOnly)
    }
}
