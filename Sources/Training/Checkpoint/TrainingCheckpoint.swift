import BERT
import Foundation
import ModelFormat

/// A full training-state checkpoint, the folder OUTPUT/checkpoints/step-N:
///
///     manifest.json          format, format_version, step, size and SHA-256 of every other file
///     trainer_state.json     TrainerState: position, counters, best dev result, run config
///     model.safetensors      parameters and Q8BERT state (now and at the best checkpoint)
///     optimizer.safetensors  AdamW moments
///     best/                  the best dev checkpoint's model folder (hard links of OUTPUT/best)
///
/// Written by rank 0 into a temporary sibling, every file fsynced, the manifest last, the
/// folder fsynced and renamed into place (`AtomicFolder`). Loading checks the manifest first
/// and every file against it, and parses only the bytes it hashed.
public enum TrainingCheckpoint {
    public static let stateFile = "trainer_state.json"
    public static let bestFolder = "best"

    /// A verified checkpoint's files, in memory: what every rank restores from.
    public struct Files: Sendable {
        /// The folder it was read from (rank 0), for messages.
        public var folder: String
        public var state: TrainerState
        public var stateData: Data
        public var model: Data
        public var optimizer: Data
        /// best/model.safetensors, present when the state has a best result.
        public var bestModel: Data?
        /// Every file of best/ (names inside it), for restoring OUTPUT/best.
        public var bestFileNames: [String]

        public func path(_ name: String) -> String { folder + "/" + name }
    }

    // MARK: Loading

    /// Verifies `folder` against its manifest and reads the files the trainer restores from.
    /// Throws `TrainingCheckpointError` naming the first file that is missing, cut short,
    /// changed, or not what the manifest and the state say.
    public static func load(_ folder: URL) throws -> Files {
        let manifest = try CheckpointManifest.read(folder: folder)
        let manifestPath = folder.appendingPathComponent(CheckpointManifest.fileName).path
        for required in [stateFile, CheckpointTensors.modelFile, CheckpointTensors.optimizerFile]
        where manifest.files[required] == nil {
            throw TrainingCheckpointError.manifestMismatch(path: manifestPath, reason: "\(required) is not listed")
        }
        let stateData = try manifest.verifiedContents(of: stateFile, in: folder)
        let statePath = folder.appendingPathComponent(stateFile).path
        let state: TrainerState
        do {
            state = try TrainerState.decoder().decode(TrainerState.self, from: stateData)
        } catch {
            throw TrainingCheckpointError.unreadable(path: statePath, reason: describe(error))
        }
        guard state.step == manifest.step else {
            throw TrainingCheckpointError.manifestMismatch(
                path: manifestPath, reason: "step \(manifest.step), but \(stateFile) says step \(state.step)")
        }
        let model = try manifest.verifiedContents(of: CheckpointTensors.modelFile, in: folder)
        let optimizer = try manifest.verifiedContents(of: CheckpointTensors.optimizerFile, in: folder)
        let bestNames = manifest.files.keys.filter { $0.hasPrefix(bestFolder + "/") }.sorted()
        var bestModel: Data?
        if state.best != nil {
            guard manifest.files[CheckpointTensors.bestModelFile] != nil else {
                throw TrainingCheckpointError.manifestMismatch(
                    path: manifestPath, reason: "\(stateFile) has a best result but \(CheckpointTensors.bestModelFile) is not listed")
            }
            bestModel = try manifest.verifiedContents(of: CheckpointTensors.bestModelFile, in: folder)
            for name in bestNames where name != CheckpointTensors.bestModelFile { try manifest.verifyFile(name, in: folder) }
        }
        // The headers parse (the tensors are checked against the model when restoring).
        for (name, data) in [(CheckpointTensors.modelFile, model), (CheckpointTensors.optimizerFile, optimizer)]
            + (bestModel.map { [(CheckpointTensors.bestModelFile, $0)] } ?? []) {
            do { _ = try SafeTensorsFile(data: data, path: folder.appendingPathComponent(name).path) } catch {
                throw TrainingCheckpointError.unreadable(path: folder.appendingPathComponent(name).path, reason: "\(error)")
            }
        }
        return Files(folder: folder.path, state: state, stateData: stateData, model: model, optimizer: optimizer,
                     bestModel: bestModel, bestFileNames: bestNames.map { String($0.dropFirst(bestFolder.count + 1)) })
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "field \((ctx.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")) missing"
        case DecodingError.typeMismatch(let type, let ctx):
            return "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type)"
        case DecodingError.valueNotFound(let type, let ctx):
            return "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): expected \(type), found null"
        case DecodingError.dataCorrupted(let ctx):
            return "\(ctx.codingPath.isEmpty ? "" : "field \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): ")\(ctx.debugDescription)"
        default:
            return "\(error)"
        }
    }

    // MARK: Writing

    /// Writes a checkpoint folder at `folder` (which must not be half-written by anyone
    /// else): the tensor files one at a time (each built, written, hashed and released before
    /// the next: memory holds one file's copy at most), trainer_state.json, best/ as hard
    /// links of `bestSource`'s files (copies where links are not possible), then the
    /// manifest. `hashes` remembers the SHA-256 of files already hashed (best/ changes only
    /// when the dev result improves). Returns the manifest written.
    @discardableResult
    public static func write(to folder: URL, state: TrainerState,
                             tensorFiles: [(name: String, make: () throws -> SafeTensorsWriter)],
                             bestSource: URL?, hashes: inout FileHashCache) throws -> CheckpointManifest {
        let stateData = try TrainerState.encoder().encode(state)
        var manifest = CheckpointManifest(step: state.step, files: [:])
        var cache = hashes
        do {
            try AtomicFolder.write(folder) { temporary in
                for (name, make) in tensorFiles {
                    let url = temporary.appendingPathComponent(name)
                    try make().write(to: url)   // fsynced
                    let (sha, bytes) = try SHA256.hex(ofFile: url)
                    manifest.files[name] = .init(bytes: bytes, sha256: sha)
                }
                try AtomicFolder.writeSynced(stateData, to: temporary.appendingPathComponent(stateFile))
                manifest.files[stateFile] = .init(bytes: stateData.count, sha256: SHA256.hex(of: stateData))
                if let bestSource {
                    let entries = try linkFolder(bestSource, into: temporary.appendingPathComponent(bestFolder), hashes: &cache)
                    for (name, entry) in entries { manifest.files[bestFolder + "/" + name] = entry }
                }
                try AtomicFolder.writeSynced(try manifest.encoded(),
                                             to: temporary.appendingPathComponent(CheckpointManifest.fileName))
            }
        } catch let error as TrainingCheckpointError {
            throw error
        } catch {
            throw TrainingCheckpointError.writeFailed(path: folder.path, reason: "\(error)")
        }
        hashes = cache
        return manifest
    }

    /// Hard-links (or copies) every regular file of `source` into the new folder
    /// `destination`; returns their manifest entries.
    static func linkFolder(_ source: URL, into destination: URL,
                           hashes: inout FileHashCache) throws -> [String: CheckpointManifest.FileEntry] {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        var entries = [String: CheckpointManifest.FileEntry]()
        for name in try fm.contentsOfDirectory(atPath: source.path).sorted() where !name.hasPrefix(".") {
            let from = source.appendingPathComponent(name), to = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if link(from.path, to.path) != 0 {
                try fm.copyItem(at: from, to: to)
                let fd = open(to.path, O_RDONLY)
                if fd >= 0 { _ = fsync(fd); close(fd) }
            }
            entries[name] = try hashes.entry(for: to)
        }
        AtomicFolder.syncDirectory(destination)
        return entries
    }
}

/// SHA-256 and size of files, remembered by (device, inode, size, modification time): model
/// folders are rewritten as new files (`AtomicFolder`), never in place, so a file with the
/// same identity has the same bytes. Saves rehashing best/ at every checkpoint.
public struct FileHashCache: Sendable {
    struct Identity: Hashable, Sendable { let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int }
    var known: [Identity: CheckpointManifest.FileEntry] = [:]

    public init() {}

    public mutating func entry(for url: URL) throws -> CheckpointManifest.FileEntry {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw TrainingCheckpointError.unreadable(path: url.path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let id = Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                          seconds: Int(st.st_mtim.tv_sec), nanoseconds: Int(st.st_mtim.tv_nsec))
        if let entry = known[id] { return entry }
        let (sha, bytes) = try SHA256.hex(ofFile: url)
        let entry = CheckpointManifest.FileEntry(bytes: bytes, sha256: sha)
        if known.count > 64 { known = [:] }
        known[id] = entry
        return entry
    }
}
