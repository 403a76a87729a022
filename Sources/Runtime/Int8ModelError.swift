/// Errors loading an int8 model folder or running it, each naming the file (and the tensor or
/// field) at fault. A file that differs from the digest quantization.json records for it is
/// reported as such (`checksumMismatch`), before any check of its content. Tensor-level problems
/// found by the safetensors reader (a missing tensor, a wrong dtype or shape) surface as
/// `SafeTensorsError`, which names the file and the tensor too.
public enum Int8ModelError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String)
    /// A file exists but its content is not what the format needs.
    case invalidFile(path: String, reason: String)
    /// A tensor's values break the format (e.g. an int8 weight of -128, a negative scale).
    case invalidTensor(path: String, name: String, reason: String)
    /// Tensors the model does not use: the file is not the format this runtime reads.
    case unexpectedTensors(path: String, names: [String])
    /// A file's SHA-256 differs from the one quantization.json records for it (with both sizes,
    /// mentioned when they differ).
    case checksumMismatch(path: String, expected: String, actual: String, expectedBytes: Int, actualBytes: Int)
    /// vocab.txt's token count differs from config.json's vocab_size.
    case vocabularySizeMismatch(path: String, tokens: Int, vocabSize: Int)
    /// A batch the model cannot run (token id outside the vocabulary, too long, ...).
    case invalidInput(String)
    /// The integer-only mode cannot run this model (a layer left in FP32, a dynamic range, ...).
    case integerOnlyUnsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): file not found"
        case .invalidFile(let path, let reason):
            return "\(path): \(reason)"
        case .invalidTensor(let path, let name, let reason):
            return "\(path): tensor \"\(name)\": \(reason)"
        case .unexpectedTensors(let path, let names):
            let shown = names.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            return "\(path): unexpected tensor\(names.count > 1 ? "s" : "") \(shown)"
                + "\(names.count > 5 ? " and \(names.count - 5) more" : "") (not part of this int8 BERT)"
        case .checksumMismatch(let path, let expected, let actual, let expectedBytes, let actualBytes):
            return "\(path): sha256 mismatch (expected \(expected), found \(actual)): "
                + "the file was modified or damaged after export"
                + (expectedBytes == actualBytes ? "" : " (\(actualBytes) bytes; \(expectedBytes) when exported)")
        case .vocabularySizeMismatch(let path, let tokens, let vocabSize):
            return "\(path): vocab.txt has \(tokens) tokens but config.json's vocab_size is \(vocabSize)"
        case .invalidInput(let reason):
            return "invalid input: \(reason)"
        case .integerOnlyUnsupported(let path, let reason):
            return "\(path): the integer-only mode cannot run this model: \(reason)"
        }
    }
}
