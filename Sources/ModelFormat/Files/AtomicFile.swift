import Foundation

/// Why an atomic file write failed; `path` is the destination.
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Writes a file all at once: to `.NAME.tmp-PID` in the destination's directory, fsync, rename
/// over the destination, fsync the directory. On failure the temporary file is removed and an
/// existing file at the destination is left untouched.
public enum AtomicFile {
    /// Writes `data` to `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(chunks: [data], to: url)
    }

    /// Writes `chunks`, one after the other, to `url` (a large file without one big copy).
    public static func write(chunks: [Data], to url: URL) throws {
        let path = url.path
        let directoryURL = url.deletingLastPathComponent()
        let directory = directoryURL.path.isEmpty ? "." : directoryURL.path
        let temporary = directoryURL.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        func fail(_ what: String, _ code: Int32) -> AtomicFileError {
            AtomicFileError(path: path, reason: "\(what): \(String(cString: strerror(code)))")
        }

        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw fail("cannot create temporary file \(temporary)", errno) }
        var descriptor: Int32? = fd
        var renamed = false
        defer {
            if let descriptor { _ = close(descriptor) }
            if !renamed { _ = unlink(temporary) }
        }
        for chunk in chunks {
            if let code = writeAll(fd, chunk) { throw fail("cannot write \(temporary)", code) }
        }
        guard fsync(fd) == 0 else { throw fail("cannot fsync \(temporary)", errno) }
        descriptor = nil
        guard close(fd) == 0 else { throw fail("cannot close \(temporary)", errno) }
        guard rename(temporary, path) == 0 else {
            throw fail("cannot rename \(temporary) to the destination", errno)
        }
        renamed = true

        // Make the rename durable. Some file systems cannot fsync a directory (EINVAL); that is
        // not an error of ours.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else { throw fail("written, but cannot open directory \(directory) to fsync it", errno) }
        defer { _ = close(directoryFD) }
        if fsync(directoryFD) != 0 && errno != EINVAL && errno != EROFS {
            throw fail("written, but cannot fsync directory \(directory)", errno)
        }
    }

    /// Writes all of `data` to `fd`; the errno of a failure, nil on success.
    private static func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Int32? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(fd, base + offset, min(bytes.count - offset, 1 << 30))
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if written == 0 { return EIO }
                offset += written
            }
            return nil
        }
    }
}
