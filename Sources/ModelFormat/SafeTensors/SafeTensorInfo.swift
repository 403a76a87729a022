/// One validated tensor entry of a safetensors header.
public struct SafeTensorInfo: Sendable, Equatable {
    /// The tensor's key in the header.
    public let name: String
    public let dtype: SafeTensorsDType
    /// Dimensions, outermost first; `[]` is a scalar (one element), a `0` makes the tensor empty.
    public let shape: [Int]
    /// Bytes of the tensor's data, as absolute offsets in the file (not relative to the buffer).
    public let byteRange: Range<Int>
    /// Product of `shape` (1 for a scalar).
    public let elementCount: Int

    /// Number of bytes of data: `elementCount * dtype.byteSize`.
    public var byteCount: Int { byteRange.count }

    public init(name: String, dtype: SafeTensorsDType, shape: [Int], byteRange: Range<Int>,
                elementCount: Int) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
        self.elementCount = elementCount
    }
}

/// Shape arithmetic shared by the reader and the writer.
enum SafeTensorsShape {
    /// Product of the dimensions, or nil when a dimension is negative or the product overflows `Int`.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// Bytes needed for `shape` of `dtype`, or nil on a negative dimension or overflow.
    static func byteCount(_ shape: [Int], _ dtype: SafeTensorsDType) -> Int? {
        guard let count = elementCount(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        return overflow ? nil : bytes
    }

    /// `[2, 3]` for messages.
    static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }
}
