import BERT
import Foundation
import ModelFormat

/// manifest.json of a training checkpoint: the format and its version, the step, and every
/// other file of the folder with its size and SHA-256. It is written last, so a folder with
/// a manifest whose hashes match holds exactly what was written.
public struct CheckpointManifest: Codable, Equatable, Sendable {
    public static let fileName = "manifest.json"
    public static let formatName = "q8train-training-checkpoint"
    public static let currentVersion = 1

    public struct FileEntry: Codable, Equatable, Sendable {
        public var bytes: Int
        public var sha256: String
    }

    public var format: String
    public var formatVersion: Int
    public var step: Int
    /// Path inside the checkpoint folder ("model.safetensors", "best/config.json") -> entry.
    public var files: [String: FileEntry]

    enum CodingKeys: String, CodingKey {
        case format, step, files
        case formatVersion = "format_version"
    }

    public init(step: Int, files: [String: FileEntry]) {
        format = Self.formatName
        formatVersion = Self.currentVersion
        self.step = step
        self.files = files
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Reads and checks `folder`/manifest.json: the format name and version first (an older
    /// or newer format is reported as such, whatever else it holds), then the fields.
    public static func read(folder: URL) throws -> CheckpointManifest {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrainingCheckpointError.missingFile(path: url.path)
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "not a JSON object")
        }
        guard header.format == formatName else {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "field format: expected \"\(formatName)\"")
        }
        guard let version = header.formatVersion else {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "field format_version: expected an integer")
        }
        guard version == currentVersion else {
            throw TrainingCheckpointError.formatVersion(path: url.path, found: version, expected: currentVersion)
        }
        do {
            return try JSONDecoder().decode(CheckpointManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            let field = (ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "field \(field) missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)")
        } catch {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "\(error)")
        }
    }

    /// Reads `name` from `folder` and checks it against its entry: present, the listed size,
    /// the listed SHA-256. Returns the bytes that were checked (parse these, not the file again).
    public func verifiedContents(of name: String, in folder: URL) throws -> Data {
        let manifestPath = folder.appendingPathComponent(Self.fileName).path
        guard let entry = files[name] else {
            throw TrainingCheckpointError.manifestMismatch(path: manifestPath, reason: "\(name) is not listed")
        }
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TrainingCheckpointError.missingFile(path: url.path)
        }
        let data: Data
        // Mapped: the pages are the file's (page cache), not a copy on the heap.
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard data.count == entry.bytes else {
            throw TrainingCheckpointError.sizeMismatch(path: url.path, bytes: data.count, expected: entry.bytes)
        }
        let sha = SHA256.hex(of: data)
        guard sha == entry.sha256 else {
            throw TrainingCheckpointError.hashMismatch(path: url.path, sha256: sha, expected: entry.sha256)
        }
        return data
    }

    /// The two fields read before the rest: the format's name and version, each nil when
    /// absent or of another type.
    private struct Header: Decodable {
        var format: String?
        var formatVersion: Int?
        enum CodingKeys: String, CodingKey { case format, formatVersion = "format_version" }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            format = try? c.decodeIfPresent(String.self, forKey: .format)
            formatVersion = try? c.decodeIfPresent(Int.self, forKey: .formatVersion)
        }
    }

    /// Checks every listed file that is not read (copied files such as best/vocab.txt).
    public func verifyFile(_ name: String, in folder: URL) throws {
        _ = try verifiedContents(of: name, in: folder)
    }
}
