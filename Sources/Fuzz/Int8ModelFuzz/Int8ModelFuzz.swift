import BERT
import Foundation
import FuzzSupport
import ModelFormat
import Runtime
import Tensor

/// libFuzzer target: the int8 folder reader (`Int8Model(files:)`: config.json,
/// quantization.json with its digests, model.q8.safetensors, vocab.txt, labels.txt,
/// tokenizer_config.json), parsed from memory.
///
/// Input: the folder's files in `fileOrder`, joined by `FuzzSections.separator`; files past the
/// last section are absent. A folder that loads must run: a two-example batch gives
/// `numLabels` logits per example, and its tokenizer encodes a sentence into ids of its vocabulary.
/// A refused folder must give an error naming one of its files.
@_cdecl("LLVMFuzzerTestOneInput")
public func int8ModelFuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = configured
    let sections = FuzzSections.split(UnsafeRawBufferPointer(start: start, count: count))
    var contents: [String: Data] = [:]
    for (name, data) in zip(Int8ModelFuzzLayout.fileOrder, sections) { contents[name] = data }
    let folder = URL(fileURLWithPath: "/fuzz/int8")
    let model: Int8Model
    do {
        model = try Int8Model(files: Int8ModelFiles(directory: folder, contents: contents))
    } catch {
        let message = "\(error)"
        fuzzCheck(message.contains("/fuzz/int8/"), "error naming no file: \(message)")
        return 0
    }
    fuzzCheck(model.labels.count == model.numLabels, "\(model.labels.count) labels for \(model.numLabels) outputs")
    let T = min(3, model.config.maxPositionEmbeddings)
    let ids = (0..<(2 * T)).map { Int32($0 % model.config.vocabSize) }
    // The second example is one real token and padding.
    let mask = [Float](repeating: 1, count: T) + [1] + [Float](repeating: 0, count: T - 1)
    let batch = Batch(size: 2, seqLen: T, inputIds: ids, tokenTypeIds: [Int32](repeating: 0, count: 2 * T),
                      attentionMask: mask)
    do {
        let logits = try model.predict(batch)
        fuzzCheck(logits.count == 2 * model.numLabels, "\(logits.count) logits for 2 x \(model.numLabels)")
    } catch {
        fuzzCheck(false, "a loaded model refused a valid batch: \(error)")
    }
    if let tokenizer = try? model.makeTokenizer() {
        let encoding = tokenizer.encode("A gorgeous, witty movie.", "Ünïcode 映画 [SEP] ##x", maxLength: 16)
        fuzzCheck(encoding.inputIds.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabulary.count }, "token id outside the vocabulary")
    }
    return 0
}

/// One worker: the fuzzer runs one input at a time.
private let configured: Void = Parallel.configure(threads: 1)
