import ModelFormat
import Foundation

/// Where `Int8Model` reads the files of an int8 folder from: the folder on disk, or memory
/// (tests and fuzzing parse the same bytes without a file system).
///
/// Files are named as in the folder (`config.json`, `model.q8.safetensors`); errors name them
/// `directory/NAME` either way. A name missing from memory is a missing file.
public struct Int8ModelFiles: Sendable {
    /// The folder the files belong to.
    public let directory: URL
    /// In-memory contents by file name; nil: read from `directory`.
    private let contents: [String: Data]?

    /// The folder `directory` on disk (the weights are memory-mapped).
    public init(directory: URL) {
        self.directory = directory
        self.contents = nil
    }

    /// Files held in memory by name; `directory` only names them in errors.
    public init(directory: URL, contents: [String: Data]) {
        self.directory = directory
        self.contents = contents
    }

    /// The path `name` has in errors.
    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// The bytes of `name`, or nil when there is no such file. `mapped`: map the file rather
    /// than read it. A file that exists but cannot be read is `Int8ModelError.invalidFile`.
    func readIfPresent(_ name: String, mapped: Bool = false) throws -> Data? {
        if let contents { return contents[name] }
        let url = directory.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else {
            throw Int8ModelError.invalidFile(path: url.path, reason: "is a directory, expected a file")
        }
        do {
            return try Data(contentsOf: url, options: mapped ? .alwaysMapped : [])
        } catch {
            throw Int8ModelError.invalidFile(path: url.path, reason: "unreadable: \(error.localizedDescription)")
        }
    }

    /// The bytes of `name`; `Int8ModelError.missingFile` when there is no such file.
    func read(_ name: String, mapped: Bool = false) throws -> Data {
        guard let data = try readIfPresent(name, mapped: mapped) else {
            throw Int8ModelError.missingFile(path: path(name))
        }
        return data
    }
}
