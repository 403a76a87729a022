import ArgumentParser
import BERT
import CommandOptions
import Foundation
import ModelFormat
import Tensor

/// `q8train embed`: a forward pass of a model folder on sentences; prints each sentence's
/// tokens and its pooled [CLS] vector (the quickstart's check that model, tokenizer and
/// kernels work before any training).
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model forward on sentences and print their pooled [CLS] vectors.")

    @Option(help: "Model folder with config.json, vocab.txt and model.safetensors.")
    var model: String = "assets/models/minilm-l6-h384"

    @Option(help: "Maximum tokens per sentence, [CLS] and [SEP] included; longer ones are truncated.")
    var maxSeqLength: Int = RuntimeOptions.fallbackMaxSeqLength

    @OptionGroup var threadOptions: ThreadOptions

    @Argument(help: "Sentences to embed (default: three examples).")
    var sentences: [String] = [
        "A gorgeous, witty, seductive movie.",
        "Unfortunately, it's not silly fun unless you enjoy really bad movies.",
        "The plot is thin, but the performances are wonderful.",
    ]

    func validate() throws {
        if maxSeqLength < 3 {
            throw ValidationError("--max-seq-length must be at least 3 ([CLS], [SEP] and a token), found \(maxSeqLength)")
        }
    }

    func run() throws {
        threadOptions.configure()
        let dir = URL(fileURLWithPath: model)
        let (bert, _) = try PretrainedLoader.load(directory: dir)
        let tokenizer = try BertTokenizer(vocabularyFile: dir.appendingPathComponent("vocab.txt"))
        let encodings = sentences.map { tokenizer.encode($0, maxLength: maxSeqLength, padding: false) }
        let T = encodings.map(\.inputIds.count).max() ?? 2
        var ids = [Int32](), types = [Int32](), mask = [Float]()
        for e in encodings {
            let pad = T - e.inputIds.count
            ids += e.inputIds + [Int32](repeating: tokenizer.vocabulary.padId, count: pad)
            types += e.tokenTypeIds + [Int32](repeating: 0, count: pad)
            mask += e.attentionMask.map(Float.init) + [Float](repeating: 0, count: pad)
        }
        let batch = Batch(size: sentences.count, seqLen: T, inputIds: ids, tokenTypeIds: types, attentionMask: mask)
        let start = Date()
        bert.forward(batch, mode: .eval)
        let elapsed = Date().timeIntervalSince(start)
        let C = bert.config.hiddenSize
        let pooled = bert.pooledOutput
        print("model: \(model) (\(bert.config.numHiddenLayers) layers, hidden \(C), \(bert.layout.parameterCount) parameters)")
        for (i, s) in sentences.enumerated() {
            let v = pooled[(i * C)..<((i + 1) * C)]
            let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            let head = v.prefix(4).map { String(format: "%+.4f", $0) }.joined(separator: " ")
            let tokens = encodings[i].inputIds.map { tokenizer.vocabulary.token(at: $0) }
            print("\n\"\(s)\"\n  \(tokens.count) tokens: \(tokens.joined(separator: " "))\n  pooled [\(C)]: \(head) ... |v| = \(String(format: "%.4f", norm))")
        }
        print(String(format: "\nforward pass of %d sentences x %d tokens: %.1f ms", sentences.count, T, elapsed * 1000))
    }
}
