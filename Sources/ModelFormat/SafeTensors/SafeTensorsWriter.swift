import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Collects tensors (copying their bytes) and writes them as one safetensors file.
///
/// Output: the 8-byte header length, the JSON header padded with spaces to a multiple of 8
/// bytes, then the data. Tensors are laid out in insertion order within groups of equal element
/// size, largest first (8-, 4-, 2-, then 1-byte types), so every tensor is naturally aligned when
/// the file is mapped at an 8-byte boundary; the header lists `__metadata__` first (keys sorted,
/// omitted when empty), then the tensors in layout order. The same tensors in the same order
/// always give the same bytes. Errors while adding name the file `"<writer>"`.
public struct SafeTensorsWriter: Sendable {
    /// Free-form string annotations, written as `__metadata__`.
    public var metadata: [String: String]

    private var entries: [Entry] = []
    private var nameSet: Set<String> = []

    private struct Entry: Sendable {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let bytes: Data
    }

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names of the tensors added so far, in insertion order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Adds a tensor from its raw little-endian bytes, which must be exactly
    /// `product(shape) * dtype.byteSize` long. Names must be unique and not `__metadata__`.
    public mutating func add(_ name: String, dtype: SafeTensorsDType, shape: [Int],
                             bytes: UnsafeRawBufferPointer) throws {
        func bad(_ reason: String) -> SafeTensorsError { .badEntry(path: "<writer>", name: name, reason: reason) }
        guard name != "__metadata__" else { throw bad("the name \"__metadata__\" is reserved for metadata") }
        guard !nameSet.contains(name) else { throw SafeTensorsError.duplicateTensor(path: "<writer>", name: name) }
        guard let byteCount = SafeTensorsShape.byteCount(shape, dtype) else {
            throw bad("shape \(SafeTensorsShape.describe(shape)) has a negative dimension or overflows")
        }
        guard bytes.count == byteCount else {
            throw bad("shape \(SafeTensorsShape.describe(shape)) of \(dtype.rawValue) needs \(byteCount) bytes, "
                      + "but \(bytes.count) were given")
        }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: Data(bytes)))
        nameSet.insert(name)
    }

    /// Adds `floats` (row-major, `product(shape)` values) stored as `dtype`: F32 as is, F16 and
    /// BF16 rounded to nearest even, F64 widened exactly.
    public mutating func add(_ name: String, floats: UnsafeBufferPointer<Float>, shape: [Int],
                             as dtype: SafeTensorsDType = .f32) throws {
        switch dtype {
        case .f32:
            try add(name, dtype: .f32, shape: shape, bytes: UnsafeRawBufferPointer(floats))
        case .f16, .bf16:
            let convert = dtype == .f16 ? HalfPrecision.f16(from:) : HalfPrecision.bf16(from:)
            let halves = floats.map(convert)
            try halves.withUnsafeBytes { try add(name, dtype: dtype, shape: shape, bytes: $0) }
        case .f64:
            let doubles = floats.map(Double.init)
            try doubles.withUnsafeBytes { try add(name, dtype: .f64, shape: shape, bytes: $0) }
        default:
            throw SafeTensorsError.wrongDType(path: "<writer>", name: name,
                                              expected: SafeTensorsDType.floatTypes, actual: dtype)
        }
    }

    /// Adds an I8 tensor.
    public mutating func add(_ name: String, int8s: UnsafeBufferPointer<Int8>, shape: [Int]) throws {
        try add(name, dtype: .i8, shape: shape, bytes: UnsafeRawBufferPointer(int8s))
    }

    /// Adds an I32 tensor.
    public mutating func add(_ name: String, int32s: UnsafeBufferPointer<Int32>, shape: [Int]) throws {
        try add(name, dtype: .i32, shape: shape, bytes: UnsafeRawBufferPointer(int32s))
    }

    /// Adds an I64 tensor.
    public mutating func add(_ name: String, int64s: UnsafeBufferPointer<Int64>, shape: [Int]) throws {
        try add(name, dtype: .i64, shape: shape, bytes: UnsafeRawBufferPointer(int64s))
    }

    /// Array forms of the `add` overloads above.
    public mutating func add(_ name: String, floats: [Float], shape: [Int], as dtype: SafeTensorsDType = .f32) throws {
        try floats.withUnsafeBufferPointer { try add(name, floats: $0, shape: shape, as: dtype) }
    }

    public mutating func add(_ name: String, int8s: [Int8], shape: [Int]) throws {
        try int8s.withUnsafeBufferPointer { try add(name, int8s: $0, shape: shape) }
    }

    public mutating func add(_ name: String, int32s: [Int32], shape: [Int]) throws {
        try int32s.withUnsafeBufferPointer { try add(name, int32s: $0, shape: shape) }
    }

    public mutating func add(_ name: String, int64s: [Int64], shape: [Int]) throws {
        try int64s.withUnsafeBufferPointer { try add(name, int64s: $0, shape: shape) }
    }

    /// The complete file: header length, padded header, data.
    public func serialized() throws -> Data {
        let (prefix, layout) = try headerAndLayout(path: "<writer>")
        var file = prefix
        for entry in layout { file.append(entry.bytes) }
        return file
    }

    /// Writes the file atomically: to `.NAME.tmp-PID` in the destination's directory, fsync,
    /// rename over `url`, fsync the directory. On failure the temporary file is removed and an
    /// existing file at `url` is left untouched.
    public func write(to url: URL) throws {
        let (prefix, layout) = try headerAndLayout(path: url.path)
        do {
            try AtomicFile.write(chunks: [prefix] + layout.map(\.bytes), to: url)
        } catch let error as AtomicFileError {
            throw SafeTensorsError.writeFailed(path: error.path, reason: error.reason)
        }
    }

    /// The 8-byte length plus padded JSON header, and the entries in data order.
    private func headerAndLayout(path: String) throws -> (Data, [Entry]) {
        var layout: [Entry] = []
        layout.reserveCapacity(entries.count)
        for size in [8, 4, 2, 1] {
            layout.append(contentsOf: entries.filter { $0.dtype.byteSize == size })
        }
        var json = "{"
        var first = true
        if !metadata.isEmpty {
            json += "\"__metadata__\":{"
            json += metadata.keys.sorted().map { key in
                Self.quoted(key) + ":" + Self.quoted(metadata[key] ?? "")
            }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for entry in layout {
            let end = offset + entry.bytes.count
            json += (first ? "" : ",") + Self.quoted(entry.name) + ":{\"dtype\":\"\(entry.dtype.rawValue)\","
                + "\"shape\":[" + entry.shape.map(String.init).joined(separator: ",") + "],"
                + "\"data_offsets\":[\(offset),\(end)]}"
            offset = end
            first = false
        }
        json += "}"
        var header = Data(json.utf8)
        let padding = (8 - header.count % 8) % 8
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        guard header.count <= SafeTensorsHeader.maxHeaderLength else {
            throw SafeTensorsError.headerTooLarge(path: path, length: UInt64(header.count),
                                                  limit: SafeTensorsHeader.maxHeaderLength)
        }
        var prefix = Data()
        prefix.reserveCapacity(8 + header.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(header)
        return (prefix, layout)
    }

    /// `text` as a JSON string literal: `"` and `\` escaped, control characters as escapes,
    /// everything else as UTF-8 (as serde_json, which the reference implementation uses, writes it).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
