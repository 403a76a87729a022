import Foundation

/// The task a model was fine-tuned on, as every model folder (a run's best/ and final/, the
/// int8 export) records it in task.json, so that `q8train eval` and `q8train predict` read
/// the right columns, labels and length without being told again:
/// ```json
/// {"name": "tsv", "text_columns": ["review"], "label_column": "stars",
///  "label_names": ["1", "2", "3"], "regression": false, "max_seq_length": 64}
/// ```
/// Reading is strict: a key this format does not know is an error naming the file and the key.
public struct TaskDefinition: Codable, Equatable, Sendable {
    public static let fileName = "task.json"

    /// The task as `--task` names it: movie, sst2, ..., or tsv (the generic task).
    public var name: String
    /// The header names of the text columns (one, or two for pairs) of the task's files; nil
    /// when the task's files have no header naming them.
    public var textColumns: [String]?
    /// The generic task's label column (nil for the named tasks, whose layout is built in).
    public var labelColumn: String?
    /// Class names by id (["score"] for regression), as config.json's id2label.
    public var labelNames: [String]
    public var regression: Bool
    /// Tokens per example in training, [CLS] and [SEP] included.
    public var maxSeqLength: Int

    public init(name: String, textColumns: [String]?, labelColumn: String?, labelNames: [String], regression: Bool,
                maxSeqLength: Int) {
        self.name = name; self.textColumns = textColumns; self.labelColumn = labelColumn
        self.labelNames = labelNames; self.regression = regression; self.maxSeqLength = maxSeqLength
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, textColumns = "text_columns", labelColumn = "label_column", labelNames = "label_names"
        case regression, maxSeqLength = "max_seq_length"
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        textColumns = try c.decodeIfPresent([String].self, forKey: .textColumns)
        labelColumn = try c.decodeIfPresent(String.self, forKey: .labelColumn)
        labelNames = try c.decode([String].self, forKey: .labelNames)
        regression = try c.decode(Bool.self, forKey: .regression)
        maxSeqLength = try c.decode(Int.self, forKey: .maxSeqLength)
        func invalid(_ key: CodingKeys, _ message: String) -> DecodingError {
            .dataCorruptedError(forKey: key, in: c, debugDescription: message)
        }
        guard !name.isEmpty else { throw invalid(.name, "must not be empty") }
        if let textColumns, !(1...2).contains(textColumns.count) {
            throw invalid(.textColumns, "expected one or two column names, found \(textColumns.count)")
        }
        guard !labelNames.isEmpty else { throw invalid(.labelNames, "must name at least one label") }
        guard maxSeqLength >= 3 else { throw invalid(.maxSeqLength, "must be at least 3, found \(maxSeqLength)") }
    }

    /// The contents of task.json (sorted keys, pretty-printed).
    public func json() throws -> Data {
        try ModelFormatJSON.encode(self, pretty: true)
    }

    /// Reads `folder`/task.json: nil when the folder has none (models written before folders
    /// recorded their task, pretrained models); an error naming the file when it is malformed.
    public static func load(folder: URL) throws -> TaskDefinition? {
        let url = folder.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try decode(data, path: url.path)
    }

    /// Parses task.json's contents; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> TaskDefinition {
        do { return try JSONDecoder().decode(TaskDefinition.self, from: data) } catch {
            throw TaskDefinitionError.invalid(path: path, reason: describeDecodingError(error))
        }
    }
}

public enum TaskDefinitionError: Error, CustomStringConvertible, Equatable {
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let path, let reason): return "\(path): \(reason)"
        }
    }
}
