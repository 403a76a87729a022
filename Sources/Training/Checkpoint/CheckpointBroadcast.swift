import Dist
import Foundation

/// Sends the checkpoint rank 0 found and verified to every rank, file by file, so that every
/// rank restores from the same bytes (only rank 0 needs to see the output folder).
/// A collective: every rank calls it, rank 0 with its result (nil: start from scratch).
enum CheckpointBroadcast {
    struct Header: Codable {
        var folder: String
        var sizes: [Int]       // trainer_state.json, model, optimizer, best model (-1: none)
        var bestFileNames: [String]
    }

    static func share(_ files: TrainingCheckpoint.Files?, communicator: Communicator) throws -> TrainingCheckpoint.Files? {
        guard communicator.size > 1 else { return files }
        // The header: its length, then its JSON ("null" when there is no checkpoint).
        var header = Data()
        if communicator.isRoot {
            header = try JSONEncoder().encode(files.map {
                Header(folder: $0.folder, sizes: [$0.stateData.count, $0.model.count, $0.optimizer.count, $0.bestModel?.count ?? -1],
                       bestFileNames: $0.bestFileNames)
            })
        }
        var length = Int64(header.count)
        try withUnsafeMutableBytes(of: &length) { try communicator.broadcast($0, root: 0) }
        if !communicator.isRoot { header = Data(count: Int(length)) }
        try broadcast(&header, communicator)
        guard let decoded = try JSONDecoder().decode(Header?.self, from: header) else { return nil }

        var blobs: [Data] = communicator.isRoot
            ? [files!.stateData, files!.model, files!.optimizer, files!.bestModel ?? Data()]
            : decoded.sizes.map { Data(count: max($0, 0)) }
        for k in blobs.indices { try broadcast(&blobs[k], communicator) }
        if communicator.isRoot { return files }
        let state = try TrainerState.decoder().decode(TrainerState.self, from: blobs[0])
        return TrainingCheckpoint.Files(folder: decoded.folder, state: state, stateData: blobs[0], model: blobs[1],
                                        optimizer: blobs[2], bestModel: decoded.sizes[3] >= 0 ? blobs[3] : nil,
                                        bestFileNames: decoded.bestFileNames)
    }

    static func broadcast(_ data: inout Data, _ communicator: Communicator) throws {
        guard !data.isEmpty else { return }
        try data.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
    }
}
