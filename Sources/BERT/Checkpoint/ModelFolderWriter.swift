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
    ///   - extraTensors: more tensors to store (e.g. quantization state), added after the parameters.
    public static func write(_ model: BertForSequenceClassification, to directory: URL, labels: [String],
                             baseConfig: URL?, vocabulary: URL, lowercase: Bool = true,
                             extraTensors: (inout SafeTensorsWriter) throws -> Void = { _ in }) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let pid = ProcessInfo.processInfo.processIdentifier
        let temporary = parent.appendingPathComponent(".\(directory.lastPathComponent).tmp-\(pid)")
        try? fm.removeItem(at: temporary)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        var committed = false
        defer { if !committed { try? fm.removeItem(at: temporary) } }

        // config.json
        var config: [String: Any] = [:]
        if let baseConfig, let data = fm.contents(atPath: baseConfig.path),
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
        if model.numLabels == 1 { config["problem_type"] = "regression" }
        else { config["problem_type"] = "single_label_classification" }
        let configData = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try writeSynced(configData, to: temporary.appendingPathComponent("config.json"))

        // model.safetensors
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for e in model.layout.entries {
            try writer.add(e.name, floats: UnsafeBufferPointer(model.tensor(e.name)!), shape: e.shape)
        }
        try model.addQuantizationState(to: &writer)
        try extraTensors(&writer)
        try writer.write(to: temporary.appendingPathComponent("model.safetensors"))
        if model.quantization != nil {
            try writeSynced(try model.quantizationJSON(), to: temporary.appendingPathComponent("quantization.json"))
        }

        // tokenizer files
        try writeSynced(try Data(contentsOf: vocabulary), to: temporary.appendingPathComponent("vocab.txt"))
        let tokenizerConfig: [String: Any] = ["tokenizer_class": "BertTokenizer", "do_lower_case": lowercase,
                                              "model_max_length": model.config.maxPositionEmbeddings]
        try writeSynced(try JSONSerialization.data(withJSONObject: tokenizerConfig, options: [.sortedKeys]),
                        to: temporary.appendingPathComponent("tokenizer_config.json"))

        // Swap into place: the old folder is moved aside, the new one renamed, the old removed.
        let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(pid)")
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: directory.path) { try fm.moveItem(at: directory, to: old) }
        do {
            try fm.moveItem(at: temporary, to: directory)
        } catch {
            if fm.fileExists(atPath: old.path) { try? fm.moveItem(at: old, to: directory) }
            throw error
        }
        committed = true
        try? fm.removeItem(at: old)
        syncDirectory(parent)
    }

    /// Writes `data` to `url` and fsyncs it.
    static func writeSynced(_ data: Data, to url: URL) throws {
        try data.write(to: url)
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}
