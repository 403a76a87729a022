import Foundation

/// tokenizer_config.json of a Hugging Face BERT folder: what q8train writes, and the one field
/// it reads (`do_lower_case`; other fields another tool wrote are ignored).
public struct TokenizerConfig: Codable, Sendable, Equatable {
    public static let fileName = "tokenizer_config.json"

    public var tokenizerClass: String?
    public var doLowerCase: Bool?
    public var modelMaxLength: Int?

    public init(lowercase: Bool, maxLength: Int) {
        tokenizerClass = "BertTokenizer"; doLowerCase = lowercase; modelMaxLength = maxLength
    }

    enum CodingKeys: String, CodingKey {
        case tokenizerClass = "tokenizer_class", doLowerCase = "do_lower_case", modelMaxLength = "model_max_length"
    }

    /// `do_lower_case` of the contents of a tokenizer_config.json: true when the file is absent,
    /// not JSON, or does not say (BertTokenizer's default).
    public static func lowercase(configData data: Data?) -> Bool {
        guard let data, let config = try? JSONDecoder().decode(Lenient.self, from: data) else { return true }
        return config.doLowerCase ?? true
    }

    /// `do_lower_case` of `folder`'s tokenizer_config.json.
    public static func lowercase(folder: URL) -> Bool {
        lowercase(configData: FileManager.default.contents(atPath: folder.appendingPathComponent(fileName).path))
    }

    /// Only `do_lower_case`, and only when it is a boolean.
    private struct Lenient: Decodable {
        var doLowerCase: Bool?
        enum CodingKeys: String, CodingKey { case doLowerCase = "do_lower_case" }
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            doLowerCase = try? c.decodeIfPresent(Bool.self, forKey: .doLowerCase)
        }
    }
}
