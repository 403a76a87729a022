import Foundation
import ModelFormat

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
            try AtomicFolder.writeSynced(try ClassifierConfigFile.json(model.config, numLabels: model.numLabels, labels: labels,
                                                                         baseConfig: baseConfig),
                                         to: folder.appendingPathComponent("config.json"))
            var writer = SafeTensorsWriter(metadata: ["format": "pt"])
            for e in model.layout.entries {
                try writer.add(e.name, floats: UnsafeBufferPointer(model.tensor(e.name)!), shape: e.shape)
            }
            try model.addQuantizationState(to: &writer)
            try extraTensors(&writer)
            try writer.write(to: folder.appendingPathComponent("model.safetensors"))
            if model.quantization != nil {
                try AtomicFolder.writeSynced(try model.quantizationFile().json(), to: folder.appendingPathComponent("quantization.json"))
            }
            try ClassifierConfigFile.writeTokenizerFiles(to: folder, vocabulary: try Data(contentsOf: vocabulary), lowercase: lowercase,
                                    maxLength: model.config.maxPositionEmbeddings)
            if let task { try AtomicFolder.writeSynced(try task.json(), to: folder.appendingPathComponent(TaskDefinition.fileName)) }
        }
    }
}
