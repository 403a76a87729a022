import BERT
import Foundation

/// A run's checkpoint folder, OUTPUT/checkpoints, holding `step-N` folders: finding the
/// newest valid one, keeping the newest K, and clearing what an interrupted write or delete
/// left behind (hidden `.step-N.*` siblings).
public struct CheckpointStore: Sendable {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    /// The store of a run's output folder.
    public init(runFolder: URL) { self.init(folder: runFolder.appendingPathComponent("checkpoints")) }

    public func url(step: Int) -> URL { folder.appendingPathComponent("step-\(step)") }

    /// The `step-N` folders, oldest first.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
            return (step, folder.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest checkpoint that verifies, trying newer ones first; each damaged one is
    /// reported through `warn` (the message names the file and the problem) and skipped.
    /// nil when there is no checkpoint at all; throws when every one is damaged.
    public func newestValid(warn: (String) -> Void) throws -> TrainingCheckpoint.Files? {
        let all = checkpoints()
        guard !all.isEmpty else { return nil }
        var problems = [String]()
        for (_, url) in all.reversed() {
            do {
                return try TrainingCheckpoint.load(url)
            } catch {
                warn("skipping damaged checkpoint \(url.lastPathComponent): \(error)")
                problems.append("\(url.lastPathComponent): \(error)")
            }
        }
        throw TrainingCheckpointError.noValidCheckpoint(folder: folder.path, problems: problems)
    }

    /// Removes all but the newest `keep` checkpoints.
    public func prune(keep: Int) {
        for (_, url) in checkpoints().dropLast(keep) { remove(url) }
    }

    /// Removes the checkpoints after `step` (a resumed run rewinds the folder to its history).
    /// Returns their names.
    @discardableResult
    public func discard(after step: Int) -> [String] {
        let later = checkpoints().filter { $0.step > step }
        for (_, url) in later { remove(url) }
        return later.map(\.url.lastPathComponent)
    }

    /// Removes the temporary and half-removed folders that an interrupted process left.
    public func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(".step-") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Renames the folder to a hidden name first, so that a removal cut short never leaves a
    /// partial `step-N` behind.
    func remove(_ url: URL) {
        let hidden = folder.appendingPathComponent(".\(url.lastPathComponent).removing-\(ProcessInfo.processInfo.processIdentifier)")
        if (try? FileManager.default.moveItem(at: url, to: hidden)) != nil {
            try? FileManager.default.removeItem(at: hidden)
        } else {
            try? FileManager.default.removeItem(at: url)
        }
    }
}
