import Foundation

/// The run's JSON lines log (OUTPUT/log.jsonl): one object per line with a "type"
/// ("config", "step", "eval", "quant", "summary"). Each line is written whole and flushed,
/// so a killed run leaves at most its last line truncated.
public final class RunLog {
    let handle: FileHandle?
    public let url: URL

    /// Opens (appending) the log; with `enabled` false (ranks other than 0) nothing is written.
    public init(url: URL, enabled: Bool = true) throws {
        self.url = url
        guard enabled else { handle = nil; return }
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !fm.fileExists(atPath: url.path) { fm.createFile(atPath: url.path, contents: nil) }
        handle = try FileHandle(forUpdating: url)  // read too: `truncate` checks a line end
        handle?.seekToEndOfFile()
    }

    deinit { try? handle?.close() }

    /// Appends one record: `fields` must be JSON-serializable (numbers, strings, arrays, dictionaries).
    public func write(_ type: String, _ fields: [String: Any]) {
        guard let handle else { return }
        var record = fields
        record["type"] = type
        let sanitized = Self.sanitize(record)
        guard let data = try? JSONSerialization.data(withJSONObject: sanitized, options: [.sortedKeys]) else { return }
        handle.write(data + Data("\n".utf8))
    }

    /// The log's length in bytes now (0 when not written by this rank).
    public var byteCount: UInt64 { (try? handle?.offset()) ?? 0 }

    /// Cuts the log back to its first `length` bytes, which must end a line (a resumed run
    /// drops what was logged after its checkpoint). Returns false, changing nothing, when the
    /// log is shorter or `length` is not at a line end.
    public func truncate(to length: UInt64) -> Bool {
        guard let handle, let end = try? handle.seekToEnd(), end >= length else { return false }
        if length > 0 {
            guard (try? handle.seek(toOffset: length - 1)) != nil,
                  let last = try? handle.read(upToCount: 1), last == Data("\n".utf8) else {
                _ = try? handle.seekToEnd()
                return false
            }
        }
        do {
            try handle.truncate(atOffset: length)
            try handle.seekToEnd()
            return true
        } catch {
            _ = try? handle.seekToEnd()
            return false
        }
    }

    /// JSON has no NaN or infinity: they are written as null.
    static func sanitize(_ value: Any) -> Any {
        switch value {
        case let d as Double: return d.isFinite ? d : NSNull()
        case let f as Float: return f.isFinite ? Double(f) : NSNull()
        case let dict as [String: Any]: return dict.mapValues(sanitize)
        case let array as [Any]: return array.map(sanitize)
        default: return value
        }
    }
}
