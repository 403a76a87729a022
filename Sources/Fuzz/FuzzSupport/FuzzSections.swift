import Foundation

/// A fuzz input that holds several files: their bytes joined by `separator`.
///
/// A separator rather than length prefixes, so that libFuzzer's byte-level mutations (insert,
/// erase, cross-over) change one file without shifting the others' boundaries.
public enum FuzzSections {
    /// Ten bytes unlikely in real files: `\n=q8fuzz=\n`.
    public static let separator: [UInt8] = Array("\n=q8fuzz=\n".utf8)

    /// The sections of `bytes` (one more than the separators in it; empty sections kept).
    public static func split(_ bytes: UnsafeRawBufferPointer) -> [Data] {
        var sections: [Data] = []
        let n = bytes.count, m = separator.count
        var start = 0, i = 0
        while i + m <= n {
            if bytes[i] == separator[0], zip(separator.indices, separator).allSatisfy({ bytes[i + $0] == $1 }) {
                sections.append(Data(bytes[start..<i]))
                i += m
                start = i
            } else {
                i += 1
            }
        }
        sections.append(Data(bytes[start..<n]))
        return sections
    }

    /// `sections` joined by `separator` (the inverse of `split` when no section contains it).
    public static func join(_ sections: [Data]) -> Data {
        var out = Data()
        for (k, section) in sections.enumerated() {
            if k > 0 { out.append(contentsOf: separator) }
            out.append(section)
        }
        return out
    }
}

/// An invariant a fuzz target checks on what a reader accepted: a violation is a finding, so it
/// crashes (libFuzzer saves the input).
public func fuzzCheck(_ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) rethrows {
    if try !condition() { fatalError("fuzz invariant violated: \(message())", file: file, line: line) }
}
