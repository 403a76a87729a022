import ModelFormat
import CKernels
import Foundation
import Tensor

/// An int8 BERT for sequence classification, loaded from the folder `Int8Exporter` writes
/// (see `Int8Format`), run the Q8BERT integer way:
/// - embeddings gathered from int8 tables, each row dequantized as Float(q) / S;
/// - every quantized Linear: one call of the fused kernel `q8_linear_s8`: its FP32 input
///   quantized to int8 with S_x (frozen, or the batch's max|x| in dynamic mode) while packed, an
///   int8 x int8 -> int32 GEMM (VNNI / AVX2) on weights packed once at load with the int32 bias
///   in the accumulator, one rescale by 1 / (S_x S_w), the output requantized when the layer was
///   trained so, and the residual added, in the store;
/// - LayerNorm, GELU, softmax, the attention products and tanh in FP32 with the same kernels
///   as training.
/// The logits are bit for bit those of `BertForSequenceClassification.forward(_, mode: .eval)`
/// on the QAT model the folder was exported from, whenever that FP32 evaluation is itself exact
/// (every partial sum of its integer-valued GEMMs below 2^24, which holds in practice).
/// With `integerOnly: true` at load, the embeddings and encoder run the integer-only mode
/// instead (IntegerOnlyEncoder: an approximation, not bit-identical).
///
/// Threads: the kernels run on `Parallel`'s workers (call `Parallel.configure` first). Buffers
/// are reused across calls, so calls are serialized (a lock); use one model per concurrent caller.
public final class Int8Model {
    public let directory: URL
    public let config: BertConfig
    /// Class names by id (one entry for regression).
    public let labels: [String]
    public let numLabels: Int
    /// The quantization preset the model was trained with ("q8bert", "q8bert-paper", "all-outputs", "dynamic", ...).
    public let method: String
    /// Whether the tokenizer lowercases (tokenizer_config.json's do_lower_case).
    public let lowercase: Bool
    /// The task the model was fine-tuned on (task.json); nil for exports made before folders
    /// recorded it.
    public let task: TaskDefinition?
    /// Bytes of model.q8.safetensors.
    public let weightBytes: Int
    /// SHA-256 of model.q8.safetensors (64 lowercase hexadecimal digits), computed at load; it
    /// equals the digest quantization.json records whenever that records one.
    public let checkpointSHA256: String
    /// True when quantization.json records file digests ("files") and the folder matched them;
    /// false for an export made before the field existed, which loads without integrity checks.
    public let checksumsVerified: Bool
    /// Linears running on int8 GEMMs, and left in FP32.
    public let int8LinearCount: Int, fp32LinearCount: Int
    /// True when some Linear quantizes with each batch's range (dynamic mode): its results
    /// then depend on the other examples of the batch, as training's evaluation does.
    public let usesDynamicRanges: Bool

    let word, position, tokenType: EmbeddingTable
    let embeddingNorm: Norm
    let blocks: [EncoderBlock]
    let pooler: LinearUnit, classifier: LinearUnit
    /// The integer-only path (`integerOnly: true` at load), else nil.
    private var integer: IntegerOnlyEncoder?
    private var workspace: Workspace?

    /// Whether predictions run the integer-only mode (see IntegerOnlyEncoder).
    public var isIntegerOnly: Bool { integer != nil }
    private let lock = NSLock()

    public var isRegression: Bool { numLabels == 1 }

    /// The tokenizer of the folder's vocab.txt (the bytes verified at load).
    public func makeTokenizer() throws -> BertTokenizer {
        BertTokenizer(vocabulary: try Vocabulary(data: vocabularyData, source: vocabularyPath), lowercase: lowercase)
    }

    /// vocab.txt as loaded (and checked against its recorded digest), and its path for errors.
    private let vocabularyData: Data
    private let vocabularyPath: String

    /// Loads the folder `directory`; see `init(files:)`.
    public convenience init(directory: URL, integerOnly: Bool = false) throws {
        try self.init(files: Int8ModelFiles(directory: directory), integerOnly: integerOnly)
    }

    /// Loads an int8 folder strictly: config.json, quantization.json and model.q8.safetensors
    /// must agree on every layer; every tensor must have its dtype and shape and be used.
    ///
    /// Integrity first: each file quantization.json's "files" lists (model.q8.safetensors and
    /// vocab.txt) must have the recorded SHA-256 and size, checked before its content is used
    /// (`Int8ModelError.checksumMismatch`). Exports made before "files" existed load without that
    /// check (`checksumsVerified` false). Then vocab.txt's token count and the word-embedding
    /// table's row count must both equal config.json's vocab_size. labels.txt, when present,
    /// must be UTF-8 with one label per classifier output.
    ///
    /// `integerOnly`: run the embeddings and encoder on integers only (I-BERT style: integer
    /// GELU, softmax and LayerNorm, int8 attention products; see IntegerOnlyEncoder). An
    /// approximation of the default mode, not bit-identical to evaluation; the model must be
    /// all int8 with frozen input ranges and no output requantization
    /// (`Int8ModelError.integerOnlyUnsupported` otherwise).
    public init(files: Int8ModelFiles, integerOnly: Bool = false) throws {
        let directory = files.directory
        self.directory = directory
        let config = try BertConfig.decode(try files.read(Int8Format.configFile), path: files.path(Int8Format.configFile))
        self.config = config
        let manifest = try Manifest(data: try files.read(Int8Format.quantizationFile),
                                    path: files.path(Int8Format.quantizationFile))
        method = manifest.preset
        lowercase = TokenizerConfig.lowercase(configData: try files.readIfPresent(Int8Format.tokenizerConfigFile))

        // Integrity: every file quantization.json lists must have its recorded SHA-256 and size,
        // checked before its content is used; the weights are hashed from the very mapping
        // parsed below.
        let weightsPath = files.path(Int8Format.weightsFile)
        let weightsData = try files.read(Int8Format.weightsFile, mapped: true)
        if let record = manifest.files?[Int8Format.weightsFile] {
            checkpointSHA256 = try weightsData.withUnsafeBytes {
                try record.verify($0, path: weightsPath, name: Int8Format.weightsFile, manifestPath: manifest.path)
            }
        } else {
            checkpointSHA256 = SHA256.hex(of: weightsData)
        }
        let vocabularyData = try files.read(Int8Format.vocabularyFile)
        vocabularyPath = files.path(Int8Format.vocabularyFile)
        self.vocabularyData = vocabularyData
        for (name, record) in (manifest.files ?? [:]).sorted(by: { $0.key < $1.key }) where name != Int8Format.weightsFile {
            let data = name == Int8Format.vocabularyFile ? vocabularyData : try files.read(name)
            _ = try data.withUnsafeBytes { try record.verify($0, path: files.path(name), name: name, manifestPath: manifest.path) }
        }
        checksumsVerified = manifest.files != nil

        // The vocabulary, config.json and the word-embedding table must agree on the vocabulary size.
        let tokens = vocabularyTokenCount(vocabularyData)
        guard tokens == config.vocabSize else {
            throw Int8ModelError.vocabularySizeMismatch(path: vocabularyPath, tokens: tokens, vocabSize: config.vocabSize)
        }
        let reader = try TensorReader(file: try SafeTensorsFile(data: weightsData, path: weightsPath), manifest: manifest)
        weightBytes = reader.file.fileSize
        try reader.checkRows("bert.embeddings.word_embeddings", "the word-embedding table", rows: config.vocabSize,
                             field: "vocab_size")

        let C = config.hiddenSize, I = config.intermediateSize
        word = try reader.embedding("bert.embeddings.word_embeddings", rows: config.vocabSize, dim: C)
        position = try reader.embedding("bert.embeddings.position_embeddings", rows: config.maxPositionEmbeddings, dim: C)
        tokenType = try reader.embedding("bert.embeddings.token_type_embeddings", rows: config.typeVocabSize, dim: C)
        embeddingNorm = try reader.norm("bert.embeddings.LayerNorm", dim: C, eps: config.layerNormEps)
        var blocks = [EncoderBlock]()
        var all = [LinearParameters]()
        for l in 0..<config.numHiddenLayers {
            let p = "bert.encoder.layer.\(l)."
            let q = try reader.linear(p + "attention.self.query", in: C, out: C)
            let k = try reader.linear(p + "attention.self.key", in: C, out: C)
            let v = try reader.linear(p + "attention.self.value", in: C, out: C)
            let o = try reader.linear(p + "attention.output.dense", in: C, out: C)
            let i = try reader.linear(p + "intermediate.dense", in: C, out: I)
            let d = try reader.linear(p + "output.dense", in: I, out: C)
            all += [q, k, v, o, i, d]
            let qkv: [LinearUnit] = Int8Linear.fusable([q, k, v]) ? [Int8Linear([q, k, v])] : [q, k, v].map(makeUnit)
            blocks.append(EncoderBlock(qkv: qkv, attentionOutput: makeUnit(o), intermediate: makeUnit(i),
                                       output: makeUnit(d),
                                       attentionNorm: try reader.norm(p + "attention.output.LayerNorm", dim: C, eps: config.layerNormEps),
                                       outputNorm: try reader.norm(p + "output.LayerNorm", dim: C, eps: config.layerNormEps),
                                       heads: config.numAttentionHeads))
        }
        self.blocks = blocks
        let pool = try reader.linear("bert.pooler.dense", in: C, out: C)
        let cls = try reader.linear("classifier", in: C, out: nil)
        all += [pool, cls]
        pooler = makeUnit(pool)
        classifier = makeUnit(cls)
        numLabels = cls.outFeatures
        int8LinearCount = all.filter(\.isInt8).count
        fp32LinearCount = all.count - int8LinearCount
        usesDynamicRanges = all.contains { p in
            if case .int8(_, _, let input, _, _, let output) = p.kind { return input == .dynamic || output == .dynamic }
            return false
        }
        try reader.checkAllUsed()

        // Labels: labels.txt, else the config's id2label, else LABEL_i.
        let labelsPath = files.path(Int8Format.labelsFile)
        var labels: [String]
        if let data = try files.readIfPresent(Int8Format.labelsFile) {
            guard let text = String(data: data, encoding: .utf8) else {
                throw Int8ModelError.invalidFile(path: labelsPath, reason: "not valid UTF-8 (expected one label per line)")
            }
            labels = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
            if labels.last == "" { labels.removeLast() }
            guard labels.count == numLabels else {
                throw Int8ModelError.invalidFile(path: labelsPath,
                                                 reason: "\(labels.count) labels, but the classifier has \(numLabels) outputs")
            }
        } else if let names = config.labelNames, names.count == numLabels {
            labels = names
        } else {
            labels = (0..<numLabels).map { "LABEL_\($0)" }
        }
        self.labels = labels
        task = try files.readIfPresent(TaskDefinition.fileName).map {
            try TaskDefinition.decode($0, path: files.path(TaskDefinition.fileName))
        }
        if let task, task.labelNames != labels {
            throw Int8ModelError.invalidFile(path: files.path(TaskDefinition.fileName),
                                             reason: "label_names \(task.labelNames) differ from the model's labels \(labels)")
        }
        if integerOnly { integer = try IntegerOnlyEncoder(self) }
    }

    /// Logits [B, numLabels] of a batch (row-major), as `forward(batch, mode: .eval)` of the
    /// QAT model computes them.
    public func predict(_ batch: Batch) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        let B = batch.size, T = batch.seqLen, N = B * T
        guard B > 0, T > 0 else { throw Int8ModelError.invalidInput("empty batch (\(B) x \(T))") }
        guard T <= config.maxPositionEmbeddings else {
            throw Int8ModelError.invalidInput("sequence length \(T) exceeds max_position_embeddings \(config.maxPositionEmbeddings)")
        }
        guard batch.inputIds.count == N, batch.tokenTypeIds.count == N, batch.attentionMask.count == N else {
            throw Int8ModelError.invalidInput("batch arrays must hold \(B) x \(T) values")
        }
        for i in 0..<N {
            let id = batch.inputIds[i], type = batch.tokenTypeIds[i]
            guard id >= 0, Int(id) < config.vocabSize else {
                throw Int8ModelError.invalidInput("token id \(id) (example \(i / T), position \(i % T)) outside the vocabulary of \(config.vocabSize)")
            }
            guard type >= 0, Int(type) < config.typeVocabSize else {
                throw Int8ModelError.invalidInput("token type \(type) (example \(i / T), position \(i % T)) out of range")
            }
        }
        let C = config.hiddenSize
        if let integer {
            // The integer path has its own buffers; the FP32 ones hold only the head's rows.
            let ws = workspace(tokens: B, batch: B)
            integer.forward(batch, cls: ws.cls)
            return head(ws, batch: B)
        }
        let ws = workspace(tokens: N, batch: B)
        batch.attentionMask.withUnsafeBufferPointer { ws.keyMask.update(from: $0.baseAddress!, count: N) }

        // Embeddings: word + position + token type, each row dequantized as gathered, then
        // LayerNorm. When every Linear is row-local (the int8 recipes with frozen input ranges),
        // everything but attention runs by rows: one parallel loop for the embeddings and the
        // first query/key/value, then per layer one over heads (attention) and one over rows
        // (the rest of the layer and the next layer's query/key/value), each row block (64 rows;
        // fewer for short batches) going through its whole chain while it is in cache. Otherwise
        // one loop per operation.
        // The row loops hand out tasks of `rowTaskRows(N)` rows to whichever thread is free, so
        // that a worker that starts late (or is preempted) costs only the task it holds.
        // When the examples split evenly over the threads (runsExampleMajor), a task is one whole
        // example through every layer (examples never mix in BERT): no join between operations
        // and an example's activations stay in this core's cache (MiniLM 32 x 128: 9-10% faster
        // on the VNNI and the AVX2 paths). Same bits: each row and each (example, head) goes
        // through the same kernels either way.
        let rowLocal = rowLocalBlocks
        let exampleMajor = rowLocal && Self.runsExampleMajor(examples: B, threads: Parallel.threads)
        batch.inputIds.withUnsafeBufferPointer { idsBuffer in
            batch.tokenTypeIds.withUnsafeBufferPointer { typesBuffer in
                let ids = idsBuffer.baseAddress!, types = typesBuffer.baseAddress!
                func embed(_ r: Range<Int>) {
                    for n in r {
                        let dst = ws.sum + n * C
                        word.gather(dst, row: Int(ids[n]), accumulate: false)
                        position.gather(dst, row: n % T, accumulate: true)
                        tokenType.gather(dst, row: Int(types[n]), accumulate: true)
                    }
                    embeddingNorm.forward(ws.x + r.lowerBound * C, ws.sum + r.lowerBound * C, rows: r.count,
                                          mean: ws.mean + r.lowerBound, rstd: ws.rstd + r.lowerBound)
                    if rowLocal { blocks[0].projectRows(ws, rows: r) }
                }
                if exampleMajor {
                    Parallel.forEachTask(B) { b in
                        let r = b * T ..< (b + 1) * T
                        embed(r)
                        for (l, block) in blocks.enumerated() {
                            block.attend(ws, example: b, seqLen: T)
                            block.finishRows(ws, rows: r)
                            if l + 1 < blocks.count { blocks[l + 1].projectRows(ws, rows: r) }
                        }
                    }
                } else {
                    forEachRowTask(N) { r in embed(r) }
                }
            }
        }
        if rowLocal && !exampleMajor {
            for (l, block) in blocks.enumerated() {
                block.attend(ws, batch: B, seqLen: T)
                let next = l + 1 < blocks.count ? blocks[l + 1] : nil
                forEachRowTask(N) { r in
                    block.finishRows(ws, rows: r)
                    next?.projectRows(ws, rows: r)
                }
            }
        } else if !rowLocal {
            for block in blocks { block.forward(ws, batch: B, seqLen: T) }
        }

        for b in 0..<B { (ws.cls + b * C).update(from: ws.x + b * T * C, count: C) }
        return head(ws, batch: B)
    }

    /// Head: pooled = tanh(Wp h[CLS] + bp); logits = Wc pooled + bc, from ws.cls [B, C].
    private func head(_ ws: Workspace, batch B: Int) -> [Float] {
        let C = config.hiddenSize, L = numLabels
        let pooled = ws.pooled, pooledPre = ws.pooledPre
        pooler.forward(ws.cls, rows: B, output: pooledPre, ldy: C, residual: nil, scratch: ws.linear) { r in
            q8_tanh_forward(pooled + r.lowerBound * C, pooledPre + r.lowerBound * C, r.count * C)
        }
        classifier.forward(ws.pooled, rows: B, output: ws.logits, ldy: L, residual: nil, scratch: ws.linear, epilogue: nil)
        return Array(UnsafeBufferPointer(start: ws.logits, count: B * L))
    }

    /// Allocates the buffers for batches of up to `batchSize` x `seqLen` now; `predict` otherwise
    /// grows them on demand (and keeps them for later calls).
    public func reserve(batchSize: Int, seqLen: Int) {
        lock.lock()
        defer { lock.unlock() }
        let B = max(1, batchSize), T = max(1, seqLen)
        if let integer {
            integer.reserve(batchSize: B, seqLen: T)
            _ = workspace(tokens: B, batch: B)
        } else {
            _ = workspace(tokens: B * T, batch: B)
        }
    }

    private func workspace(tokens: Int, batch: Int) -> Workspace {
        if let ws = workspace, ws.tokens >= tokens, ws.batch >= batch { return ws }
        // Grow to cover both the old and the new shape, releasing the old buffers first.
        let old = (tokens: workspace?.tokens ?? 0, batch: workspace?.batch ?? 0)
        workspace = nil
        let ws = Workspace(config: config, numLabels: numLabels, tokens: max(tokens, old.tokens),
                           batch: max(batch, old.batch), maxOut: maxLinearOut)
        workspace = ws
        return ws
    }

    /// Whether every encoder Linear is row-local (the fused schedule of `predict`).
    var rowLocalBlocks: Bool { blocks.allSatisfy(\.isRowLocal) }

    /// Whether `predict` runs whole examples as tasks (the example-major schedule) for a batch
    /// of b examples on `threads` threads: when they split over the threads evenly to within 5%
    /// (the busiest thread holds ceil(b / threads) examples). Otherwise, e.g. 1 or 3 examples on
    /// 2 threads, row blocks and heads keep every thread busy. Measured on the MiniLM (AMD EPYC
    /// Zen 4, AVX2 path, 2 threads): 2 x 128 4% faster example-major, 3 x 128 27% slower.
    static func runsExampleMajor(examples b: Int, threads: Int) -> Bool {
        let busiest = (b + threads - 1) / threads
        return b >= threads && busiest * threads * 100 <= b * 105
    }

    /// The widest output of a Linear unit (query/key/value fused: 3 C).
    private var maxLinearOut: Int {
        var m = max(config.intermediateSize, config.hiddenSize, numLabels)
        for b in blocks { for u in b.qkv { m = max(m, u.totalOut) } }
        return m
    }
}

/// The runtime Linear of one layer's parameters: the fused int8 kernel, or FP32.
private func makeUnit(_ p: LinearParameters) -> LinearUnit {
    p.isInt8 ? Int8Linear([p]) : FP32Linear(p)
}
