/// Everything that can go wrong reading or writing a safetensors file.
///
/// `path` is the file's path (`"<memory>"` or the caller's label for in-memory data, `"<writer>"`
/// for errors raised while collecting tensors in a `SafeTensorsWriter`). Offsets named
/// `data_offsets` are relative to the start of the data buffer, as in the header; byte counts and
/// file sizes are in bytes.
public enum SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The file could not be opened or read (missing, a directory, no permission).
    case unreadable(path: String, reason: String)
    /// The file is shorter than the 8-byte header-length prefix.
    case truncated(path: String, expected: Int, actual: Int)
    /// The header-length prefix exceeds the 100 MB limit of the reference implementation.
    case headerTooLarge(path: String, length: UInt64, limit: Int)
    /// The header-length prefix points past the end of the file.
    case headerLengthExceedsFile(path: String, headerLength: Int, fileSize: Int)
    /// The header is not UTF-8, not JSON, not a JSON object, or `__metadata__` is malformed.
    case invalidHeader(path: String, detail: String)
    /// Two header entries share a name (JSON parsers usually keep one silently; we refuse).
    case duplicateTensor(path: String, name: String)
    /// A tensor entry is malformed: missing or extra fields, wrong JSON types, bad numbers.
    case badEntry(path: String, name: String, reason: String)
    /// A tensor's dtype is not one of `SafeTensorsDType`.
    case unknownDType(path: String, name: String, dtype: String)
    /// A tensor's `data_offsets` span a different number of bytes than its shape and dtype need.
    case sizeMismatch(path: String, name: String, dtype: SafeTensorsDType, shape: [Int],
                      expectedBytes: Int, actualBytes: Int)
    /// A tensor's `data_offsets` end beyond the data buffer (usually a truncated file).
    case dataOutOfBounds(path: String, name: String, offsets: Range<Int>, bufferSize: Int)
    /// A tensor's data starts before the previous tensor (in offset order) ends.
    case overlap(path: String, name: String, offsets: Range<Int>, previous: String, previousEnd: Int)
    /// Bytes of the data buffer that belong to no tensor; `after`/`before` name the neighbours
    /// (nil at the start/end of the buffer).
    case gap(path: String, offsets: Range<Int>, after: String?, before: String?)
    /// `require` / `read…` asked for a tensor the file does not have.
    case missingTensor(path: String, name: String)
    /// The tensor has a dtype the caller cannot use.
    case wrongDType(path: String, name: String, expected: [SafeTensorsDType], actual: SafeTensorsDType)
    /// The tensor has a different shape than the caller requires.
    case wrongShape(path: String, name: String, expected: [Int], actual: [Int])
    /// A destination buffer holds a different number of elements than the tensor.
    case wrongCount(path: String, name: String, expected: Int, actual: Int)
    /// Writing the file failed; any existing file at `path` is left as it was.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read safetensors file: \(reason)"
        case let .truncated(path, expected, actual):
            return "\(path): file is truncated: it has \(actual) bytes, but a safetensors file needs at "
                + "least \(expected) (an 8-byte little-endian header length, then the JSON header)"
        case let .headerTooLarge(path, length, limit):
            return "\(path): header length \(length) bytes exceeds the limit of \(limit) bytes "
                + "(not a safetensors file, or a corrupt header length)"
        case let .headerLengthExceedsFile(path, headerLength, fileSize):
            return "\(path): header length says \(headerLength) bytes of JSON follow the 8-byte prefix, "
                + "but the file has only \(fileSize) bytes (truncated, or not a safetensors file)"
        case let .invalidHeader(path, detail):
            return "\(path): invalid safetensors header: \(detail)"
        case let .duplicateTensor(path, name):
            return "\(path): tensor \"\(name)\" appears more than once"
        case let .badEntry(path, name, reason):
            return "\(path): tensor \"\(name)\": \(reason)"
        case let .unknownDType(path, name, dtype):
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(path): tensor \"\(name)\": unknown dtype \"\(dtype)\" (expected one of \(known))"
        case let .sizeMismatch(path, name, dtype, shape, expectedBytes, actualBytes):
            return "\(path): tensor \"\(name)\": dtype \(dtype.rawValue) with shape "
                + "\(SafeTensorsShape.describe(shape)) needs \(expectedBytes) bytes, "
                + "but its data_offsets span \(actualBytes) bytes"
        case let .dataOutOfBounds(path, name, offsets, bufferSize):
            return "\(path): tensor \"\(name)\": data_offsets [\(offsets.lowerBound), \(offsets.upperBound)] "
                + "reach beyond the data buffer of \(bufferSize) bytes (truncated file?)"
        case let .overlap(path, name, offsets, previous, previousEnd):
            return "\(path): tensor \"\(name)\": data_offsets [\(offsets.lowerBound), \(offsets.upperBound)] "
                + "overlap tensor \"\(previous)\", which ends at \(previousEnd)"
        case let .gap(path, offsets, after, before):
            let from = after.map { "after tensor \"\($0)\"" } ?? "at the start of the data buffer"
            let to = before.map { "before tensor \"\($0)\"" } ?? "up to the end of the file"
            return "\(path): bytes [\(offsets.lowerBound), \(offsets.upperBound)) of the data buffer "
                + "(\(from), \(to)) belong to no tensor; the tensors must cover the buffer exactly"
        case let .missingTensor(path, name):
            return "\(path): no tensor named \"\(name)\""
        case let .wrongDType(path, name, expected, actual):
            let list = expected.map(\.rawValue).joined(separator: " or ")
            return "\(path): tensor \"\(name)\": expected dtype \(list), found \(actual.rawValue)"
        case let .wrongShape(path, name, expected, actual):
            return "\(path): tensor \"\(name)\": expected shape \(SafeTensorsShape.describe(expected)), "
                + "found \(SafeTensorsShape.describe(actual))"
        case let .wrongCount(path, name, expected, actual):
            return "\(path): tensor \"\(name)\" has \(expected) elements, "
                + "but the destination holds \(actual)"
        case let .writeFailed(path, reason):
            return "\(path): cannot write safetensors file: \(reason)"
        }
    }
}
