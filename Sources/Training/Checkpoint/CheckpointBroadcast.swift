import Dist
import Foundation

/// Sends the checkpoint rank 0 found and verified to every rank, file by file, so that every
/// rank restores from the same bytes (only rank 0 needs to see the output folder).
/// A collective: every rank calls it, rank 0 with its result (nil: start from scratch).
///
/// Memory: each file goes in broadcasts of at most `chunkBytes`; the other ranks append
/// each chunk to a file in their temporary folder (TMPDIR) and map it when complete, so the
/// extra memory per rank is one chunk buffer, 16 MiB, whatever the model's size (rank 0
/// maps its checkpoint files too). The mapped pages are page cache, which the kernel can
/// drop; the temporary files take the checkpoint's size on disk per rank until restored.
enum CheckpointBroadcast {
    /// Bytes per broadcast: the bound on the extra heap memory per rank; Q8_RESUME_CHUNK_BYTES
    /// sets another (every rank must see the same value).
    static var chunkBytes: Int {
        ProcessInfo.processInfo.environment["Q8_RESUME_CHUNK_BYTES"].flatMap(Int.init).map { max($0, 1) } ?? 16 << 20
    }

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

        if communicator.isRoot {
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
            defer { chunk.deallocate() }
            for blob in [files!.stateData, files!.model, files!.optimizer, files!.bestModel ?? Data()] {
                try send(blob, chunk: chunk, communicator)
            }
            return files
        }
        let blobs = try receive(sizes: decoded.sizes.map { max($0, 0) }, communicator)
        let state = try TrainerState.decoder().decode(TrainerState.self, from: blobs[0])
        return TrainingCheckpoint.Files(folder: decoded.folder, state: state, stateData: blobs[0], model: blobs[1],
                                        optimizer: blobs[2], bestModel: decoded.sizes[3] >= 0 ? blobs[3] : nil,
                                        bestFileNames: decoded.bestFileNames)
    }

    static func broadcast(_ data: inout Data, _ communicator: Communicator) throws {
        guard !data.isEmpty else { return }
        try data.withUnsafeMutableBytes { try communicator.broadcast($0, root: 0) }
    }

    /// Rank 0: `blob` in broadcasts of at most `chunk.count` bytes.
    static func send(_ blob: Data, chunk: UnsafeMutableRawBufferPointer, _ communicator: Communicator) throws {
        var offset = 0
        while offset < blob.count {
            let n = min(chunk.count, blob.count - offset)
            blob.copyBytes(to: chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), from: offset..<offset + n)
            try communicator.broadcast(UnsafeMutableRawBufferPointer(rebasing: chunk[0..<n]), root: 0)
            offset += n
        }
    }

    /// The other ranks: each blob of `sizes` received chunk by chunk into a temporary file,
    /// then mapped (the file is removed at once; the mapping keeps its pages).
    static func receive(sizes: [Int], _ communicator: Communicator) throws -> [Data] {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 64)
        defer { chunk.deallocate() }
        var blobs: [Data] = []
        for (k, size) in sizes.enumerated() {
            let url = FileManager.default.temporaryDirectory
                .appendingPathComponent("q8-resume-\(getpid())-rank\(communicator.rank)-\(k)")
            guard FileManager.default.createFile(atPath: url.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: url.path) else {
                throw TrainingCheckpointError.unreadable(path: url.path, reason: "cannot create a temporary file for the checkpoint")
            }
            defer { try? FileManager.default.removeItem(at: url) }
            var offset = 0
            while offset < size {
                let n = min(chunk.count, size - offset)
                let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<n])
                try communicator.broadcast(piece, root: 0)
                do { try handle.write(contentsOf: Data(bytesNoCopy: piece.baseAddress!, count: n, deallocator: .none)) } catch {
                    throw TrainingCheckpointError.unreadable(path: url.path, reason: "cannot write the received checkpoint: \(error)")
                }
                offset += n
            }
            try handle.close()
            blobs.append(size == 0 ? Data() : try Data(contentsOf: url, options: .alwaysMapped))
        }
        return blobs
    }
}
