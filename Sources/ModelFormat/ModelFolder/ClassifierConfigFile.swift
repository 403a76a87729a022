import Foundation

/// config.json of a Hugging Face `BertForSequenceClassification` folder, and the tokenizer
/// files beside it, as q8train writes them (model folders and int8 folders alike).
public enum ClassifierConfigFile {
    /// The base config's fields (when given: the config.json the model came from, whose other
    /// fields are kept), then `config`'s, then the labels (num_labels, id2label, label2id,
    /// problem_type) and `extra`. Pretty-printed, keys sorted.
    public static func json(_ config: BertConfig, numLabels: Int, labels: [String], baseConfig: URL?,
                            extra: [String: JSONValue] = [:]) throws -> Data {
        var fields: [String: JSONValue] = [:]
        if let baseConfig, let data = FileManager.default.contents(atPath: baseConfig.path),
           case .object(let base)? = try? JSONDecoder().decode(JSONValue.self, from: data) {
            fields = base
        }
        if case .object(let own) = try JSONValue(encoding: config) { fields.merge(own) { _, new in new } }
        fields["model_type"] = .string("bert")
        fields["architectures"] = .array([.string("BertForSequenceClassification")])
        fields["num_labels"] = .integer(numLabels)
        var id2label = [String: JSONValue](), label2id = [String: JSONValue]()
        for (i, name) in labels.enumerated() { id2label[String(i)] = .string(name); label2id[name] = .integer(i) }
        fields["id2label"] = .object(id2label)
        fields["label2id"] = .object(label2id)
        fields["problem_type"] = .string(numLabels == 1 ? "regression" : "single_label_classification")
        fields.merge(extra) { _, new in new }
        return try ModelFormatJSON.encode(fields, pretty: true)
    }

    /// vocab.txt and tokenizer_config.json, for Hugging Face's BertTokenizer.from_pretrained.
    public static func writeTokenizerFiles(to folder: URL, vocabulary: Data, lowercase: Bool, maxLength: Int) throws {
        try AtomicFolder.writeSynced(vocabulary, to: folder.appendingPathComponent("vocab.txt"))
        try AtomicFolder.writeSynced(try ModelFormatJSON.encode(TokenizerConfig(lowercase: lowercase, maxLength: maxLength),
                                                                pretty: false),
                                     to: folder.appendingPathComponent(TokenizerConfig.fileName))
    }
}
