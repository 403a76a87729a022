import Foundation

/// Writes a model as a Hugging Face `BertForSequenceClassification` folder: config.json
/// (with num_labels, id2label, label2id), model.safetensors (`bert.`-prefixed keys and
/// `classifier.*`), vocab.txt and tokenizer_config.json, so that
/// `BertForSequenceClassification.from_pretrained(DIR)` and `BertTokenizer.from_pretrained(DIR)`
/// load it. The folder is built under a temporary name and renamed into place: a crash
/// mid-write leaves the previous folder intact.
public enum ModelFolderWriter {
    /// - Parameters:
    ///   - labels: class names by id (one entry for regression).
    ///   - baseConfig: the config.json the model came from, whose other fields are kept.
    ///   - vocabulary: the vocab.txt to copy beside it.
    ///   - task: the task the model was fine-tuned on, written as task.json.
    ///   - extraTensors: more tensors to store (e.g. quantization state), added after the parameters.
    public static func write(_ model: BertForSequenceClassification, to directory: URL, labels: [String],
                             baseConfig: URL?, vocabulary: URL, lowercase: Bool = true, task: TaskDefinition? = nil,
                             extraTensors: (inout SafeTensorsWriter) throws -> Void = { _ in }) throws {
        try AtomicFolder.write(directory) { folder in
            try AtomicFolder.writeSynced(try configJSON(model, labels: labels, baseConfig: baseConfig),
                                         to: folder.appendingPathComponent("config.json"))
            var writer = SafeTensorsWriter(metadata: ["format": "pt"])
            for e in model.layout.entries {
                try writer.add(e.name, floats: UnsafeBufferPointer(model.tensor(e.name)!), shape: e.shape)
            }
            try model.addQuantizationState(to: &writer)
            try extraTensors(&writer)
            try writer.write(to: folder.appendingPathComponent("model.safetensors"))
            if model.quantization != nil {
                try AtomicFolder.writeSynced(try model.quantizationJSON(), to: folder.appendingPathComponent("quantization.json"))
            }
            try writeTokenizerFiles(to: folder, vocabulary: try Data(contentsOf: vocabulary), lowercase: lowercase,
                                    maxLength: model.config.maxPositionEmbeddings)
            if let task { try AtomicFolder.writeSynced(try task.json(), to: folder.appendingPathComponent(TaskDefinition.fileName)) }
        }
    }

    /// config.json of a BertForSequenceClassification: the base config's fields (when given),
    /// then the model's, then the labels (num_labels, id2label, label2id, problem_type) and `extra`.
    public static func configJSON(_ model: BertForSequenceClassification, labels: [String], baseConfig: URL?,
                                  extra: [String: Any] = [:]) throws -> Data {
        var config: [String: Any] = [:]
        if let baseConfig, let data = FileManager.default.contents(atPath: baseConfig.path),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            config = object
        }
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(model.config)) as? [String: Any] ?? [:]
        config.merge(encoded) { _, new in new }
        config["model_type"] = "bert"
        config["architectures"] = ["BertForSequenceClassification"]
        config["num_labels"] = model.numLabels
        var id2label = [String: String](), label2id = [String: Int]()
        for (i, name) in labels.enumerated() { id2label[String(i)] = name; label2id[name] = i }
        config["id2label"] = id2label
        config["label2id"] = label2id
        config["problem_type"] = model.numLabels == 1 ? "regression" : "single_label_classification"
        config.merge(extra) { _, new in new }
        return try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
    }

    /// vocab.txt and tokenizer_config.json, for Hugging Face's BertTokenizer.from_pretrained.
    public static func writeTokenizerFiles(to folder: URL, vocabulary: Data, lowercase: Bool, maxLength: Int) throws {
        try AtomicFolder.writeSynced(vocabulary, to: folder.appendingPathComponent("vocab.txt"))
        let tokenizerConfig: [String: Any] = ["tokenizer_class": "BertTokenizer", "do_lower_case": lowercase,
                                              "model_max_length": maxLength]
        try AtomicFolder.writeSynced(try JSONSerialization.data(withJSONObject: tokenizerConfig, options: [.sortedKeys]),
                                     to: folder.appendingPathComponent("tokenizer_config.json"))
    }
}
