import Foundation

/// Appends records to a run's JSON lines log (OUTPUT/log.jsonl): one object per line, keys
/// sorted, "type" naming the record type. Each line is written whole, so a killed run leaves
/// at most its last line cut short (the reader skips it with a warning).
public final class RunLogWriter {
    let handle: FileHandle?
    public let url: URL
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }()

    /// Opens (appending) the log; with `enabled` false (ranks other than 0) nothing is written.
    public init(url: URL, enabled: Bool = true) throws {
        self.url = url
        guard enabled else { handle = nil; return }
        let fm = FileManager.default
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !fm.fileExists(atPath: url.path) { _ = fm.createFile(atPath: url.path, contents: nil) }
        handle = try FileHandle(forUpdating: url)  // read too: `truncate` checks a line end
        handle?.seekToEndOfFile()
    }

    deinit { try? handle?.close() }

    /// Appends one record. A record that cannot be encoded (settings holding a NaN) is not written.
    public func write<Record: RunLogRecord>(_ record: Record) {
        guard let handle, let data = try? encoder.encode(TypedRecord(record: record)) else { return }
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
}

/// A record's fields plus its "type".
struct TypedRecord<Record: RunLogRecord>: Encodable {
    let record: Record

    enum Keys: String, CodingKey { case type }

    func encode(to encoder: Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(Record.type, forKey: .type)
    }
}
