/// Errors writing, verifying and resuming from training-state checkpoints, each naming the
/// file (or the setting) and what was expected.
public enum TrainingCheckpointError: Error, CustomStringConvertible, Equatable {
    /// A file the checkpoint needs is absent.
    case missingFile(path: String)
    /// A file cannot be read, or is not what its name says (JSON that does not parse, ...).
    case unreadable(path: String, reason: String)
    /// The manifest's format or version is not the one this q8train reads.
    case formatVersion(path: String, found: Int, expected: Int)
    /// The manifest and the folder disagree (a required file not listed, a step that differs).
    case manifestMismatch(path: String, reason: String)
    /// A file is shorter or longer than the manifest says (a write cut short).
    case sizeMismatch(path: String, bytes: Int, expected: Int)
    /// A file's SHA-256 is not the manifest's (bytes changed after writing).
    case hashMismatch(path: String, sha256: String, expected: String)
    /// A tensor of the checkpoint does not fit the model (name, shape, dtype).
    case tensor(path: String, name: String, reason: String)
    /// The state to save holds a NaN or an infinity: the checkpoint is not written.
    case nonFinite(what: String)
    /// A setting differs between the checkpoint and this run where it must not.
    case settingMismatch(field: String, checkpoint: String, run: String)
    /// --resume named something that is neither a checkpoint nor a folder of them.
    case notFound(path: String, reason: String)
    /// Every checkpoint found is damaged.
    case noValidCheckpoint(folder: String, problems: [String])
    /// A run without --resume found checkpoints of an earlier run in its output folder.
    case earlierRun(folder: String, checkpoints: [String])
    /// Writing failed (the previous checkpoints are untouched).
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file not found"
        case .unreadable(let path, let reason):
            return "\(path): \(reason)"
        case .formatVersion(let path, let found, let expected):
            return "\(path): format_version \(found), this q8train reads version \(expected)"
        case .manifestMismatch(let path, let reason):
            return "\(path): \(reason)"
        case .sizeMismatch(let path, let bytes, let expected):
            return "\(path): \(bytes) bytes, the manifest says \(expected) (truncated or damaged)"
        case .hashMismatch(let path, let sha256, let expected):
            return "\(path): sha256 \(sha256), the manifest says \(expected) (damaged)"
        case .tensor(let path, let name, let reason):
            return "\(path): tensor \"\(name)\": \(reason)"
        case .nonFinite(let what):
            return "not writing a checkpoint: \(what) holds a NaN or an infinity"
        case .settingMismatch(let field, let checkpoint, let run):
            return "\(field): the checkpoint was trained with \(checkpoint), this run has \(run) (it must not change on resume)"
        case .notFound(let path, let reason):
            return "\(path): \(reason)"
        case .noValidCheckpoint(let folder, let problems):
            return "\(folder): no valid checkpoint (\(problems.joined(separator: "; ")))"
        case .earlierRun(let folder, let checkpoints):
            return "\(folder) holds checkpoints of an earlier run (\(checkpoints.joined(separator: ", "))): continue it "
                + "with --resume auto, or remove them (or choose another --output-dir) to start from scratch"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write the checkpoint: \(reason)"
        }
    }
}
