/// The validated header of a safetensors file: its metadata and its tensor table.
///
/// Layout: an 8-byte little-endian `UInt64` header length `N`, `N` bytes of UTF-8 JSON, then the
/// data buffer, which runs to the end of the file. Validation follows the reference
/// implementation (huggingface/safetensors), and is stricter where the reference is lenient:
/// duplicate names and fields, and fields other than `dtype`/`shape`/`data_offsets`, are errors.
/// The JSON is walked by its schema (`SafeTensorsJSONScanner`), never built into a tree.
struct SafeTensorsHeader {
    /// Largest header length accepted, in bytes (the reference's limit).
    static let maxHeaderLength = 100_000_000

    /// `N`, the JSON header's length in bytes; the data buffer starts at file offset `8 + N`.
    let headerLength: Int
    /// The `__metadata__` object (empty when absent or null).
    let metadata: [String: String]
    /// Every tensor, ordered by data offset (then name, for empty tensors sharing an offset).
    let tensors: [SafeTensorInfo]

    /// Validates the whole file `file`; `path` only names the file in errors.
    init(file: UnsafeRawBufferPointer, path: String) throws {
        guard file.count >= 8 else {
            throw SafeTensorsError.truncated(path: path, expected: 8, actual: file.count)
        }
        let declared = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength) else {
            throw SafeTensorsError.headerTooLarge(path: path, length: declared, limit: Self.maxHeaderLength)
        }
        let length = Int(declared)
        guard length <= file.count - 8 else {
            throw SafeTensorsError.headerLengthExceedsFile(path: path, headerLength: length, fileSize: file.count)
        }
        let json = UnsafeRawBufferPointer(rebasing: file[8..<(8 + length)])
        if let bad = Self.firstInvalidUTF8(json) {
            throw SafeTensorsError.invalidHeader(path: path, detail: "not valid UTF-8 at header byte \(bad)")
        }
        var metadata: [String: String]?
        var entries: [Entry] = []
        var names = Set<String>()
        var scanner = SafeTensorsJSONScanner(json)
        do {
            guard scanner.atObject() else {
                throw SafeTensorsError.invalidHeader(
                    path: path, detail: "the header must be a JSON object, found \(try scanner.describeValue())")
            }
            try scanner.parseObject { scanner, key in
                if key == "__metadata__" {
                    guard metadata == nil else {
                        throw SafeTensorsError.invalidHeader(path: path, detail: "\"__metadata__\" appears twice")
                    }
                    metadata = try Self.parseMetadata(&scanner, path: path)
                } else {
                    guard names.insert(key).inserted else {
                        throw SafeTensorsError.duplicateTensor(path: path, name: key)
                    }
                    entries.append(try Entry(name: key, scanner: &scanner, path: path))
                }
            }
            scanner.skipWhitespace()
            guard scanner.isAtEnd else {
                throw scanner.syntaxError("unexpected \(scanner.describeCurrent()) after the end of the JSON object")
            }
        } catch let error as SafeTensorsJSONSyntaxError {
            throw SafeTensorsError.invalidHeader(
                path: path, detail: "JSON syntax error at header byte \(error.offset) "
                    + "(file offset \(8 + error.offset)): \(error.message)")
        }

        let dataStart = 8 + length
        let bufferSize = file.count - dataStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: String?
        for entry in entries {
            if entry.begin > cursor {
                throw SafeTensorsError.gap(path: path, offsets: cursor..<entry.begin, after: previous,
                                           before: entry.name)
            }
            if entry.begin < cursor {  // cursor > 0, so there is a previous entry
                throw SafeTensorsError.overlap(path: path, name: entry.name, offsets: entry.begin..<entry.end,
                                               previous: previous ?? "", previousEnd: cursor)
            }
            guard entry.end <= bufferSize else {
                throw SafeTensorsError.dataOutOfBounds(path: path, name: entry.name,
                                                       offsets: entry.begin..<entry.end, bufferSize: bufferSize)
            }
            cursor = entry.end
            previous = entry.name
        }
        if cursor < bufferSize {
            throw SafeTensorsError.gap(path: path, offsets: cursor..<bufferSize, after: previous, before: nil)
        }

        self.headerLength = length
        self.metadata = metadata ?? [:]
        // Every end <= bufferSize, so dataStart + end <= file.count cannot overflow.
        self.tensors = entries.map {
            SafeTensorInfo(name: $0.name, dtype: $0.dtype, shape: $0.shape,
                           byteRange: (dataStart + $0.begin)..<(dataStart + $0.end),
                           elementCount: $0.elementCount)
        }
    }

    /// Offset of the first byte that does not start a valid UTF-8 sequence, or nil if all is valid.
    private static func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// `__metadata__`: an object of string values, or null.
    private static func parseMetadata(_ scanner: inout SafeTensorsJSONScanner, path: String) throws -> [String: String] {
        if try scanner.skipNull() { return [:] }
        guard scanner.atObject() else {
            throw SafeTensorsError.invalidHeader(
                path: path, detail: "\"__metadata__\" must be an object of strings, found \(try scanner.describeValue())")
        }
        var result: [String: String] = [:]
        try scanner.parseObject { scanner, key in
            guard let text = try scanner.parseStringIfPresent() else {
                throw SafeTensorsError.invalidHeader(
                    path: path, detail: "\"__metadata__\" value for \"\(key)\" must be a string, "
                        + "found \(try scanner.describeValue())")
            }
            guard result.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.invalidHeader(path: path, detail: "\"__metadata__\" key \"\(key)\" appears twice")
            }
        }
        return result
    }

    /// One tensor entry, checked on its own (fields, types, dtype, size); the caller checks tiling.
    private struct Entry {
        let name: String
        let dtype: SafeTensorsDType
        let shape: [Int]
        let elementCount: Int
        /// `data_offsets`, relative to the data buffer; `begin <= end`.
        let begin: Int
        let end: Int

        init(name: String, scanner: inout SafeTensorsJSONScanner, path: String) throws {
            func bad(_ reason: String) -> SafeTensorsError {
                .badEntry(path: path, name: name, reason: reason)
            }
            guard scanner.atObject() else {
                throw bad("expected an object with dtype, shape and data_offsets, found \(try scanner.describeValue())")
            }
            var dtypeName: String?
            var shapeField: [Int]?
            var offsetsField: [Int]?
            try scanner.parseObject { scanner, key in
                switch key {
                case "dtype":
                    guard dtypeName == nil else { throw bad("field \"dtype\" appears twice") }
                    guard let text = try scanner.parseStringIfPresent() else {
                        throw bad("dtype must be a string, found \(try scanner.describeValue())")
                    }
                    dtypeName = text
                case "shape":
                    guard shapeField == nil else { throw bad("field \"shape\" appears twice") }
                    guard scanner.atArray() else {
                        throw bad("shape must be an array of non-negative integers, found \(try scanner.describeValue())")
                    }
                    var dims: [Int] = []
                    try scanner.parseArray { scanner, axis in
                        guard let dim = try scanner.parseNonNegativeIntIfPresent() else {
                            throw bad("shape[\(axis)] must be a non-negative integer below 2^63, "
                                      + "found \(try scanner.describeValue())")
                        }
                        dims.append(dim)
                    }
                    shapeField = dims
                case "data_offsets":
                    guard offsetsField == nil else { throw bad("field \"data_offsets\" appears twice") }
                    let expected = "data_offsets must be an array of two integers [begin, end]"
                    guard scanner.atArray() else { throw bad("\(expected), found \(try scanner.describeValue())") }
                    var values: [Int] = []
                    try scanner.parseArray { scanner, index in
                        guard index < 2 else { throw bad("\(expected), found more than two values") }
                        guard let value = try scanner.parseNonNegativeIntIfPresent() else {
                            throw bad("data_offsets[\(index)] must be a non-negative integer below 2^63, "
                                      + "found \(try scanner.describeValue())")
                        }
                        values.append(value)
                    }
                    guard values.count == 2 else { throw bad("\(expected), found \(values.count) values") }
                    offsetsField = values
                default:
                    throw bad("unexpected field \"\(key.prefix(40))\" (an entry has exactly dtype, shape and data_offsets)")
                }
            }
            guard let dtypeName else { throw bad("missing field \"dtype\"") }
            guard let shape = shapeField else { throw bad("missing field \"shape\"") }
            guard let offsets = offsetsField else { throw bad("missing field \"data_offsets\"") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unknownDType(path: path, name: name, dtype: dtypeName)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end else { throw bad("data_offsets [\(begin), \(end)] end before they begin") }
            guard let elementCount = SafeTensorsShape.elementCount(shape),
                  let byteCount = SafeTensorsShape.byteCount(shape, dtype) else {
                throw bad("shape \(SafeTensorsShape.describe(shape)) of \(dtype.rawValue) overflows the byte count")
            }
            guard end - begin == byteCount else {
                throw SafeTensorsError.sizeMismatch(path: path, name: name, dtype: dtype, shape: shape,
                                                    expectedBytes: byteCount, actualBytes: end - begin)
            }
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.elementCount = elementCount
            self.begin = begin
            self.end = end
        }
    }
}
