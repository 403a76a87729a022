/// Errors loading or saving a model folder, each naming the file and the tensor.
public enum ModelFolderError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    case missingTensor(path: String, name: String)
    case unexpectedTensors(path: String, names: [String])
    case shapeMismatch(path: String, name: String, expected: [Int], actual: [Int])
    case labelCount(path: String, config: Int, requested: Int)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file not found"
        case .missingTensor(let path, let name):
            return "\(path): missing tensor \"\(name)\""
        case .unexpectedTensors(let path, let names):
            let shown = names.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            return "\(path): unexpected tensor\(names.count > 1 ? "s" : "") \(shown)\(names.count > 5 ? " and \(names.count - 5) more" : "") (not part of BertForSequenceClassification)"
        case .shapeMismatch(let path, let name, let expected, let actual):
            return "\(path): tensor \"\(name)\" has shape \(actual), expected \(expected)"
        case .labelCount(let path, let config, let requested):
            return "\(path): the checkpoint's classifier has \(config) labels but \(requested) were requested"
        }
    }
}
