import Foundation

#if _endian(big)
#error("SafeTensorsFile assumes a little-endian host: safetensors data is little-endian")
#endif

/// A validated, read-only safetensors file (https://github.com/huggingface/safetensors).
///
/// The file is memory-mapped and stays mapped for the object's lifetime; `init` validates the
/// whole header and the tensor layout (see `SafeTensorsHeader`), so every later read is in
/// bounds. Tensor data need not be aligned; every read copies with unaligned loads.
/// Note: a mapped file that another process truncates while it is open can fault on access;
/// checkpoints are written by rename (`SafeTensorsWriter`), which never truncates in place.
public final class SafeTensorsFile: Sendable {
    /// The file's path, or the label given to `init(data:path:)`; used in every error.
    public let path: String
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Every tensor, in the order of its data in the file.
    public let tensors: [SafeTensorInfo]
    /// Length of the JSON header in bytes; data starts at file offset `8 + headerLength`.
    public let headerLength: Int

    private let data: Data
    private let index: [String: Int]

    /// Maps and validates the file at `url`.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafeTensorsError.unreadable(path: url.path, reason: Self.reason(error, url: url))
        }
        try self.init(data: data, path: url.path)
    }

    /// Validates `data`, the complete contents of a safetensors file; `path` names it in errors.
    public init(data: Data, path: String = "<memory>") throws {
        let header = try data.withUnsafeBytes { try SafeTensorsHeader(file: $0, path: path) }
        self.path = path
        self.data = data
        self.metadata = header.metadata
        self.tensors = header.tensors
        self.headerLength = header.headerLength
        var index: [String: Int] = [:]
        index.reserveCapacity(header.tensors.count)
        for (position, info) in header.tensors.enumerated() { index[info.name] = position }
        self.index = index
    }

    /// Size of the whole file in bytes.
    public var fileSize: Int { data.count }

    /// The tensor named `name`, or nil.
    public subscript(name: String) -> SafeTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The tensor named `name`, checked against `dtype` and `shape` when given.
    public func require(_ name: String, dtype: SafeTensorsDType? = nil, shape: [Int]? = nil) throws -> SafeTensorInfo {
        guard let info = self[name] else { throw SafeTensorsError.missingTensor(path: path, name: name) }
        if let dtype, info.dtype != dtype {
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: [dtype], actual: info.dtype)
        }
        if let shape, info.shape != shape {
            throw SafeTensorsError.wrongShape(path: path, name: name, expected: shape, actual: info.shape)
        }
        return info
    }

    /// Calls `body` with the tensor's raw little-endian bytes (`byteCount` of them, any alignment),
    /// valid only during the call.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try require(name)
        return try withBytes(of: info, body)
    }

    /// Converts an F32, F16, BF16 or F64 tensor to `Float` into `destination`, which must hold
    /// exactly `elementCount` values (F64 rounds to nearest; out of range becomes ±infinity).
    public func readFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try require(name)
        guard SafeTensorsDType.floatTypes.contains(info.dtype) else {
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: SafeTensorsDType.floatTypes,
                                              actual: info.dtype)
        }
        guard destination.count == info.elementCount else {
            throw SafeTensorsError.wrongCount(path: path, name: name, expected: info.elementCount,
                                              actual: destination.count)
        }
        guard info.elementCount > 0 else { return }
        withBytes(of: info) { source in
            switch info.dtype {
            case .f32:
                UnsafeMutableRawBufferPointer(destination).copyMemory(from: source)
            case .f16:
                for i in 0..<destination.count {
                    let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    destination[i] = HalfPrecision.float(fromF16: bits)
                }
            case .bf16:
                for i in 0..<destination.count {
                    let bits = source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
                    destination[i] = HalfPrecision.float(fromBF16: bits)
                }
            case .f64:
                for i in 0..<destination.count {
                    destination[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
                }
            default:
                preconditionFailure("unreachable: dtype checked above")
            }
        }
    }

    /// The tensor converted to `Float` (see `readFloats`), `elementCount` values in row-major order.
    public func floats(_ name: String) throws -> [Float] {
        let info = try require(name)
        return try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
            try readFloats(name, into: buffer)
            count = buffer.count
        }
    }

    /// An I8 tensor's values.
    public func int8s(_ name: String) throws -> [Int8] {
        try copy(name, as: Int8.self, dtype: .i8)
    }

    /// An I32 tensor's values.
    public func int32s(_ name: String) throws -> [Int32] {
        try copy(name, as: Int32.self, dtype: .i32)
    }

    /// An I64 tensor's values, or an I32 tensor's values widened to 64 bits.
    public func int64s(_ name: String) throws -> [Int64] {
        let info = try require(name)
        switch info.dtype {
        case .i64:
            return try copy(name, as: Int64.self, dtype: .i64)
        case .i32:
            return [Int64](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
                withBytes(of: info) { source in
                    for i in 0..<info.elementCount {
                        buffer[i] = Int64(source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                    }
                }
                count = info.elementCount
            }
        default:
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: [.i64, .i32], actual: info.dtype)
        }
    }

    /// The values of a tensor whose dtype must be `dtype`, stored as `T` (same byte size).
    private func copy<T>(_ name: String, as type: T.Type, dtype: SafeTensorsDType) throws -> [T] {
        let info = try require(name)
        guard info.dtype == dtype else {
            throw SafeTensorsError.wrongDType(path: path, name: name, expected: [dtype], actual: info.dtype)
        }
        assert(MemoryLayout<T>.size == dtype.byteSize)
        return [T](unsafeUninitializedCapacity: info.elementCount) { buffer, count in
            if info.elementCount > 0 {
                withBytes(of: info) { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            }
            count = info.elementCount
        }
    }

    /// The bytes of `info`, whose range was validated against the file by `init`.
    private func withBytes<R>(of info: SafeTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try data.withUnsafeBytes { file in
            try body(UnsafeRawBufferPointer(rebasing: file[info.byteRange]))
        }
    }

    /// A short reason why `url` could not be read, e.g. "No such file or directory".
    private static func reason(_ error: Error, url: URL) -> String {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            return "No such file or directory"
        }
        if isDirectory.boolValue { return "Is a directory" }
        if !FileManager.default.isReadableFile(atPath: url.path) { return "Permission denied" }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}
