/// How the log writes what JSON cannot hold or what is missing, as q8train always has:
/// a NaN or an infinity is written as null; an absent optional field is left out, except
/// where the record declares the field always present (then it is null).

/// A number field: nil is left out, NaN and infinities are written as null (JSON has
/// neither), finite values as numbers. Reads back as nil when absent or null.
@propertyWrapper
public struct NonFiniteAsNull: Codable, Sendable, Equatable {
    public var wrappedValue: Double?

    public init(wrappedValue: Double?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Double.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = wrappedValue, value.isFinite { try container.encode(value) } else { try container.encodeNil() }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.wrappedValue?.bitPattern == b.wrappedValue?.bitPattern
    }
}

/// A field that is always written: nil as null. Reads back as nil when absent or null.
@propertyWrapper
public struct NilAsNull<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = wrappedValue { try container.encode(value) } else { try container.encodeNil() }
    }
}

// The synthesized Codable conformances of the records call these for wrapped fields: an
// absent key reads as nil (instead of a keyNotFound error), and a nil number is left out.
extension KeyedDecodingContainer {
    func decode(_ type: NonFiniteAsNull.Type, forKey key: Key) throws -> NonFiniteAsNull {
        try decodeIfPresent(type, forKey: key) ?? NonFiniteAsNull(wrappedValue: nil)
    }

    func decode<Value>(_ type: NilAsNull<Value>.Type, forKey key: Key) throws -> NilAsNull<Value> {
        try decodeIfPresent(type, forKey: key) ?? NilAsNull(wrappedValue: nil)
    }
}

extension KeyedEncodingContainer {
    mutating func encode(_ value: NonFiniteAsNull, forKey key: Key) throws {
        guard value.wrappedValue != nil else { return }
        try encodeIfPresent(Optional(value), forKey: key)
    }
}
