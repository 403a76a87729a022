import BERT
import Foundation
import FuzzSupport
import ModelFormat
import Runtime
import Tensor

/// Writes the generated seed corpora (scripts/fuzz.sh seeds; the rest are copied from Tests
/// fixtures): `FuzzSeeds OUT` fills OUT/Int8ModelFuzz, OUT/TokenizerFuzz, OUT/SafeTensorsFuzz.
/// Deterministic: the same files on every run.
@main
struct FuzzSeeds {
    static func main() throws {
        guard CommandLine.arguments.count == 2 else {
            FileHandle.standardError.write(Data("usage: FuzzSeeds OUTPUT_FOLDER\n".utf8))
            exit(2)
        }
        let output = URL(fileURLWithPath: CommandLine.arguments[1])
        let fm = FileManager.default
        Parallel.configure(threads: 1)

        func write(_ data: Data, _ target: String, _ name: String) throws {
            let folder = output.appendingPathComponent(target)
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try data.write(to: folder.appendingPathComponent(name))
            print("\(target)/\(name): \(data.count) bytes")
        }

        // MARK: Int8ModelFuzz: tiny exported folders (vocab 16, hidden 8, 1 layer, 2 heads).

        let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "movie", "good", "bad", "##s", "##ing",
                      "the", "!", ".", "映", "é"]
        let config = BertConfig(vocabSize: tokens.count, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                intermediateSize: 16, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: 16, typeVocabSize: 2)

        /// A random model (seeded) with `quantization` calibrated by three training-mode forwards,
        /// exported; returns its files by name.
        func exportedFolder(_ quantization: QuantizationConfig, labels: [String], lowercase: Bool) throws -> [String: Data] {
            let model = BertForSequenceClassification(config: config, numLabels: labels.count)
            var rng = SplitMix64(seed: 11)
            for e in model.layout.entries {
                let t = model.tensor(e.name)!
                for i in t.indices {
                    let r = Float(rng.nextNormal())
                    t[i] = e.name.hasSuffix("LayerNorm.weight") ? 1 + 0.1 * r : 0.2 * r
                }
            }
            try model.enableQuantization(quantization)
            for step in 0..<3 {
                let T = 6
                let ids = (0..<(2 * T)).map { Int32($0 == 0 || $0 == T ? 2 : 5 + ($0 * 7 + step) % 11) }
                let batch = Batch(size: 2, seqLen: T, inputIds: ids, tokenTypeIds: (0..<(2 * T)).map { Int32($0 % T >= 4 ? 1 : 0) },
                                  attentionMask: [Float](repeating: 1, count: 2 * T), labels: [0, Int32(labels.count - 1)])
                model.forward(batch, mode: .train(seed: 1, step: step))
            }
            let dir = fm.temporaryDirectory.appendingPathComponent("q8-fuzz-seeds-\(UUID().uuidString)")
            defer { try? fm.removeItem(at: dir) }
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            let vocab = dir.appendingPathComponent("vocab.txt")
            try Data((tokens.joined(separator: "\n") + "\n").utf8).write(to: vocab)
            let folder = dir.appendingPathComponent("int8")
            _ = try Int8Exporter.export(model, to: folder, vocabulary: vocab, labels: labels, lowercase: lowercase)
            var files: [String: Data] = [:]
            for name in Int8ModelFuzzLayout.fileOrder {
                files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
            }
            // The seed must load as the target loads it.
            _ = try Int8Model(files: Int8ModelFiles(directory: folder, contents: files))
            return files
        }

        /// The folder as one input: its files in `Int8ModelFuzzLayout.fileOrder`, up to `count` of them.
        func joined(_ files: [String: Data], count: Int = Int8ModelFuzzLayout.fileOrder.count) -> Data {
            FuzzSections.join(Int8ModelFuzzLayout.fileOrder.prefix(count).map { files[$0]! })
        }

        /// quantization.json without its "files" digests (an export from before they existed), so
        /// that mutated weights reach the tensor checks instead of the checksum.
        func unsealed(_ files: [String: Data]) throws -> [String: Data] {
            var copy = files
            var manifest = try Int8Manifest.parse(files["quantization.json"]!, path: "quantization.json")
            manifest.files = nil
            copy["quantization.json"] = try ModelFormatJSON.encode(manifest, pretty: false)
            return copy
        }

        let q8bert = try exportedFolder(.q8bert, labels: ["negative", "positive"], lowercase: true)
        try write(joined(q8bert), "Int8ModelFuzz", "q8bert-sealed")
        try write(joined(try unsealed(q8bert), count: 4), "Int8ModelFuzz", "q8bert-unsealed-no-labels")
        let paper = try exportedFolder(.allOutputs, labels: ["a", "b", "c"], lowercase: false)
        try write(joined(try unsealed(paper)), "Int8ModelFuzz", "paper-unsealed-cased")
        let dynamic = try exportedFolder(.dynamic, labels: ["score"], lowercase: true)
        try write(joined(try unsealed(dynamic), count: 5), "Int8ModelFuzz", "dynamic-regression-unsealed")

        // MARK: TokenizerFuzz: texts alone (the built-in vocabulary), and vocab + text pairs.

        let texts: [(String, String)] = [
            ("plain", "A gorgeous, witty, seductive movie."),
            ("accents-cjk", "Café DÉJÀ vu — 映画は日本の「名作」です。 naïve ﬁlm"),
            ("specials", "[CLS] it[SEP]was [MASK] bad[UNK] [cls] [PAD]x"),
            ("controls", "tab\there\r\nzero\u{0}width\u{200B}joiner\u{FEFF} end\u{FFFD}🙂👍🏽 ǅungla İstanbul ß"),
            ("long-word", String(repeating: "unbelievable", count: 12) + " " + String(repeating: "a", count: 101)),
        ]
        for (name, text) in texts { try write(Data(text.utf8), "TokenizerFuzz", name) }
        let vocabText = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##believ", "##able", "movie", "##s", "é", "映", ""]
                         .joined(separator: "\r\n"))
        try write(FuzzSections.join([Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array(vocabText.utf8)),
                                     Data("Unbelievable movies!".utf8), Data("é映 ## un##able".utf8)]), "TokenizerFuzz", "vocab-pair")

        // MARK: SafeTensorsFuzz: every dtype, metadata, scalars and empty tensors.

        var writer = SafeTensorsWriter(metadata: ["format": "pt", "note": "fuzz seed \u{1F600} \"quoted\"\n"])
        try writer.add("f32", floats: [1, -2.5, .infinity, .nan, 0, 3], shape: [2, 3])
        try writer.add("f16", floats: [1, 65504, -0.0, 1e-7], shape: [4], as: .f16)
        try writer.add("bf16", floats: [1, 3e38, -1], shape: [3, 1], as: .bf16)
        try writer.add("f64", floats: [0.1], shape: [], as: .f64)
        try writer.add("i8", int8s: [-128, 0, 127], shape: [3])
        try writer.add("i32", int32s: [Int32.min, 7], shape: [1, 2])
        try writer.add("i64", int64s: [Int64.max], shape: [1])
        try writer.add("empty", floats: [], shape: [0, 4])
        try [UInt8](repeating: 1, count: 2).withUnsafeBytes { try writer.add("bool", dtype: .bool, shape: [2], bytes: $0) }
        try [UInt8](repeating: 0xAB, count: 8).withUnsafeBytes { try writer.add("c64", dtype: .c64, shape: [1], bytes: $0) }
        try write(try writer.serialized(), "SafeTensorsFuzz", "all-dtypes")
        try write(try SafeTensorsWriter().serialized(), "SafeTensorsFuzz", "no-tensors")
    }
}
