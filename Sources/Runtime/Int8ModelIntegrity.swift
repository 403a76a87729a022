import BERT
import Foundation

/// One entry of quantization.json's "files": what the exporter wrote.
struct FileRecord: Equatable {
    /// 64 lowercase hexadecimal digits.
    var sha256: String
    var bytes: Int

    /// Parses the "files" object {"NAME": {"sha256": "...", "bytes": N}, ...}. Names must be plain
    /// file names of the folder, and `Int8Format.weightsFile` must be listed (the exporter always
    /// records it).
    static func parse(_ value: Any, path: String) throws -> [String: FileRecord] {
        func bad(_ reason: String) -> Int8ModelError { .invalidFile(path: path, reason: reason) }
        guard let object = value as? [String: Any] else { throw bad("field \"files\" is not an object") }
        var records = [String: FileRecord]()
        for (name, entry) in object {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                throw bad("files: \"\(name)\" is not a file name of the folder")
            }
            guard let entry = entry as? [String: Any] else { throw bad("files.\(name) is not an object") }
            try Manifest.rejectUnknownKeys(entry, known: ["sha256", "bytes"], at: "files.\(name).", path: path)
            guard let digest = entry["sha256"] as? String else { throw bad("files.\(name): missing \"sha256\"") }
            let lower = digest.lowercased()
            guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
                throw bad("files.\(name).sha256: \"\(digest)\" is not 64 hexadecimal digits")
            }
            guard let bytes = entry["bytes"] as? Int, bytes >= 0 else {
                throw bad("files.\(name): missing or invalid \"bytes\"")
            }
            records[name] = FileRecord(sha256: lower, bytes: bytes)
        }
        guard records[Int8Format.weightsFile] != nil else {
            throw bad("files: no entry for \(Int8Format.weightsFile)")
        }
        return records
    }

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
