import ModelFormat
import Foundation

/// Verifying the files of an int8 folder against the digests its manifest records.
extension Int8FileRecord {
    /// Checks `bytes`, the contents of the file at `path`, against this record and returns its
    /// digest. `manifestPath` names quantization.json, at fault when only the size disagrees.
    func verify(_ bytes: UnsafeRawBufferPointer, path: String, name: String, manifestPath: String) throws -> String {
        let actual = SHA256.hex(of: bytes)
        guard actual == sha256 else {
            throw Int8ModelError.checksumMismatch(path: path, expected: sha256, actual: actual,
                                                  expectedBytes: self.bytes, actualBytes: bytes.count)
        }
        guard bytes.count == self.bytes else {
            throw Int8ModelError.invalidFile(path: manifestPath, reason: "files.\(name).bytes is \(self.bytes), but \(name) "
                                             + "has \(bytes.count) bytes (and the recorded sha256)")
        }
        return actual
    }
}

/// Lines of a vocab.txt, counted as `Vocabulary(contentsOf:)` counts them (its ids): lines end
/// in LF (a CR before it is part of the ending), the final newline is optional, a leading UTF-8
/// byte order mark is ignored, and empty lines count.
func vocabularyTokenCount(_ data: Data) -> Int {
    data.withUnsafeBytes { raw -> Int in
        var bytes = raw.bindMemory(to: UInt8.self)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let last = bytes.last else { return 0 }
        var lines = 0
        for b in bytes where b == 0x0A { lines += 1 }
        return last == 0x0A ? lines : lines + 1
    }
}
