import Foundation

/// Writes a folder all at once: its files are written (and fsynced) into a temporary sibling
/// `.NAME.tmp-PID`, which is fsynced too (its entries) and then renamed into place; a
/// previous folder is moved aside first and removed after, or put back if the rename fails.
/// A crash mid-write leaves the previous folder intact (and at worst a stray temporary sibling).
public enum AtomicFolder {
    /// Creates the temporary folder, lets `fill` write into it, then swaps it into place.
    public static func write(_ directory: URL, _ fill: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let pid = ProcessInfo.processInfo.processIdentifier
        let temporary = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(pid)")
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        var committed = false
        defer { if !committed { try? fm.removeItem(at: temporary) } }
        try fill(temporary)
        syncDirectory(temporary)
        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(pid)")
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: old) }
        do {
            try fm.moveItem(at: temporary, to: directory)
        } catch {
            if fm.fileExists(atPath: old.path) { try? fm.moveItem(at: old, to: directory) }
            throw error
        }
        committed = true
        try? fm.removeItem(at: old)
        syncDirectory(parent)
    }

    /// Writes `data` to `url` and fsyncs it.
    public static func writeSynced(_ data: Data, to url: URL) throws {
        try data.write(to: url)
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// fsyncs a directory (its entries: files created or renamed in it). Best effort: some
    /// file systems cannot.
    public static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}
