import Foundation

/// The one way the project writes JSON files: Foundation's JSONEncoder, keys sorted (files
/// compare byte for byte between runs), pretty-printed for files people read.
public enum ModelFormatJSON {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return try encoder.encode(value)
    }

}
