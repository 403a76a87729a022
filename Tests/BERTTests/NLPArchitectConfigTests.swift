import Foundation
import ModelFormat
import XCTest
@testable import BERT

/// nlp-architect's quantized-BERT config files, read as they are: the authors' shipped recipe
/// (configs/quant/nlp-architect-bert-base-uncased.json, from nlp-architect commit 654ecd3,
/// nlp_architect/procedures/transformers/config/bert-base-uncased.json) means per layer what
/// the `q8bert-paper` preset and configs/quant/q8bert-paper.json mean; bits, defaults and
/// unknown keys.
final class NLPArchitectConfigTests: XCTestCase {
    static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs/quant")

    /// Every quantizable layer of a 2-layer BERT.
    static let layerNames = BertForSequenceClassification(
        config: BertConfig(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16,
                           maxPositionEmbeddings: 8), numLabels: 2).quantizableLayerNames

    /// configs/quant/NAME.json, named after its file as `q8train train --quantize FILE` names it.
    func load(_ name: String) throws -> QuantizationConfig {
        var config = try JSONDecoder().decode(QuantizationConfig.self,
                                              from: Data(contentsOf: Self.configs.appendingPathComponent(name + ".json")))
        if config.method == "custom" { config.method = name }
        return config
    }

    func decode(_ json: String) throws -> QuantizationConfig {
        try JSONDecoder().decode(QuantizationConfig.self, from: Data(json.utf8))
    }

    func testTheAuthorsFileIsTheQ8BERTPaperPreset() throws {
        let authors = try load("nlp-architect-bert-base-uncased")
        let file = try load("q8bert-paper")
        try authors.validate(layerNames: Self.layerNames, source: "authors")
        XCTAssertEqual(authors.method, "nlp-architect-bert-base-uncased")
        XCTAssertEqual(file.method, "q8bert-paper")
        for ours in [file, QuantizationConfig.q8bertPaper] { try compare(authors, ours) }
        // Spelled out: what the issue quotes from the file.
        XCTAssertTrue(authors.settings(for: "bert.encoder.layer.1.attention.self.query").requantizeOutput)
        XCTAssertTrue(authors.settings(for: "bert.encoder.layer.0.attention.self.key").requantizeOutput)
        XCTAssertFalse(authors.settings(for: "bert.encoder.layer.1.attention.output.dense").requantizeOutput)
        XCTAssertFalse(authors.settings(for: "bert.encoder.layer.1.output.dense").requantizeOutput)
        XCTAssertEqual(authors.settings(for: "classifier").startStep, 200)
        XCTAssertEqual(authors.settings(for: "bert.embeddings.token_type_embeddings").mode, QuantizationMode.none)
    }

    /// The all-outputs preset is nlp-architect's config-class defaults on every layer kind.
    func testAllOutputsIsTheConfigClassDefaults() throws {
        let kinds = ["attention_query", "attention_key", "attention_value", "attention_output", "ffn_intermediate",
                     "ffn_output", "pooler", "head", "word_embeddings", "position_embeddings", "token_type_embeddings"]
        let json = "{" + kinds.map { "\"\($0)\": {\"mode\": \"ema\"}" }.joined(separator: ", ") + "}"
        try compare(try decode(json), .allOutputs)
    }

    /// Per layer, the same settings (an embedding has no output to requantize).
    func compare(_ authors: QuantizationConfig, _ ours: QuantizationConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in Self.layerNames {
            let a = authors.settings(for: name), b = ours.settings(for: name)
            XCTAssertEqual(a.mode, b.mode, name, file: file, line: line)
            XCTAssertEqual(a.bits, b.bits, name, file: file, line: line)
            XCTAssertEqual(a.startStep, b.startStep, name, file: file, line: line)
            XCTAssertEqual(a.emaDecay, b.emaDecay, name, file: file, line: line)
            // Embeddings have no output to requantize; every Linear's flag must agree.
            if !name.hasPrefix("bert.embeddings.") { XCTAssertEqual(a.requantizeOutput, b.requantizeOutput, name, file: file, line: line) }
        }
    }

    /// nlp-architect's defaults: a layer kind left out is FP32; a listed one starts from
    /// 8 bits, step 0, decay 0.9999, its output requantized.
    func testDefaultsAreNLPArchitects() throws {
        let c = try decode(#"{"hidden_size": 8, "attention_query": {"mode": "ema"}}"#)
        let q = c.settings(for: "bert.encoder.layer.0.attention.self.query")
        XCTAssertEqual(q, LayerQuantization(mode: .ema, bits: 8, startStep: 0, emaDecay: 0.9999, requantizeOutput: true))
        XCTAssertEqual(c.settings(for: "bert.encoder.layer.0.output.dense").mode, QuantizationMode.none)
        XCTAssertEqual(c.settings(for: "classifier").mode, QuantizationMode.none)
    }

    /// A 4-bit file trains at 4 bits (it used to be read as 8).
    func testFourBitConfig() throws {
        let c = try decode(#"{"ffn_intermediate": {"mode": "ema", "weight_bits": 4, "activation_bits": 4}}"#)
        XCTAssertEqual(c.settings(for: "bert.encoder.layer.1.intermediate.dense").bits, 4)
        XCTAssertEqual(c.settings(for: "bert.encoder.layer.1.intermediate.dense").maxQ, 7)
        try c.validate(layerNames: Self.layerNames, source: "4bit")
    }

    func testMismatchedBitsAndUnknownKeysAreRefused() throws {
        XCTAssertThrowsError(try decode(#"{"head": {"mode": "ema", "weight_bits": 8, "activation_bits": 4}}"#)) { error in
            XCTAssertTrue(describeDecodingError(error).contains("head.activation_bits: weight_bits 8 and activation_bits 4 differ"),
                          describeDecodingError(error))
        }
        XCTAssertThrowsError(try decode(#"{"head": {"mode": "ema", "requantise_output": false}}"#)) { error in
            XCTAssertTrue(describeDecodingError(error).contains("did you mean \"requantize_output\""), describeDecodingError(error))
        }
        XCTAssertThrowsError(try decode(#"{"head": {"mode": "ema"}, "atention_query": {"mode": "ema"}}"#)) { error in
            XCTAssertTrue(describeDecodingError(error).contains("did you mean \"attention_query\""), describeDecodingError(error))
        }
        XCTAssertThrowsError(try decode(#"{"head": {"mode": "ema", "bits": 8}}"#), "our key in their format")
    }
}
