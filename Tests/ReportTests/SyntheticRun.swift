import Foundation

/// Writes synthetic `log.jsonl` files shaped like a real q8train run: noisy decreasing loss,
/// warm-up then linear-decay learning rate, dev evaluations, a test evaluation, quantization
/// thresholds for a 6-block encoder (40 layers) and a summary. Deterministic for a seed.
struct SyntheticRun {
    var steps = 600
    var evalEvery = 100
    var quantEvery = 50
    var quantized = true
    var finished = true
    var seed: UInt64 = 7
    /// Settings written first, in order, as raw JSON values.
    var settings: [(String, String)] = [
        ("model", "\"assets/models/minilm-l6-h384\""), ("task", "\"movie\""), ("batch_size", "32"),
        ("learning_rate", "5e-05"), ("epochs", "3"), ("seed", "42"), ("quantize", "true"),
        ("threads", "8"), ("world_size", "4"), ("warmup_ratio", "0.1"), ("max_seq_len", "128"),
        ("optimizer", "{\"name\": \"adamw\", \"weight_decay\": 0.01, \"betas\": [0.9, 0.999]}"),
    ]

    /// The 40 quantized layers: 6 blocks of 6 linear layers, two embeddings, pooler, classifier.
    static let layerNames: [String] = {
        var names = ["bert.embeddings.word_embeddings", "bert.embeddings.position_embeddings"]
        for block in 0..<6 {
            for part in ["attention.self.query", "attention.self.key", "attention.self.value",
                         "attention.output.dense", "intermediate.dense", "output.dense"] {
                names.append("bert.encoder.layer.\(block).\(part)")
            }
        }
        return names + ["bert.pooler.dense", "classifier"]
    }()

    /// The log's lines (no trailing newlines).
    func lines() -> [String] {
        var rng = SplitMix64(seed: seed)
        var out: [String] = []
        let settings = self.settings.map { $0.0 == "quantize" ? ($0.0, quantized ? "true" : "false") : $0 }
        // As the trainer writes it: the settings, then facts about the run.
        out.append("{\"type\": \"config\", \"settings\": {" + settings.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ")
                   + "}, \"train_examples\": 8457, \"total_steps\": \(steps), \"warmup_steps\": \(max(1, steps / 10)), "
                   + "\"parameters\": 22713218}")
        let stepsPerEpoch = Double(steps) / 3
        let warmup = max(1, steps / 10)
        var elapsed = 0.0
        var devAccuracies: [(Int, Double)] = []
        var thresholds = Self.layerNames.map { _ in (input: 0.0, output: 0.0) }
        for step in 1...steps {
            let t = Double(step) / Double(steps)
            let lr = step <= warmup ? 5e-5 * Double(step) / Double(warmup)
                                    : 5e-5 * Double(steps - step) / Double(steps - warmup)
            let loss = max(0.02, 0.22 + 0.48 * exp(-5 * t) + rng.normal() * 0.09 * (1 - 0.4 * t))
            let grad = max(0.2, 1.6 + 5 * exp(-6 * t) + abs(rng.normal()) * 1.1)
            let rate = (step < 5 ? 22 : 38.5) + rng.normal() * 1.6
            elapsed += 32 / rate
            out.append(String(format: "{\"type\": \"step\", \"step\": %d, \"epoch\": %.4f, \"loss\": %.5f, \"lr\": %.6e, "
                              + "\"grad_norm\": %.4f, \"seq_per_s\": %.2f, \"elapsed_s\": %.2f, \"rank\": 0}",
                              step, Double(step) / stepsPerEpoch, loss, lr, grad, rate, elapsed))
            if step % evalEvery == 0 {
                let e = Double(step) / Double(steps)
                let accuracy = 0.86 - 0.09 * exp(-4 * e) - (e > 0.7 ? 0.01 * (e - 0.6) * 10 : 0) + rng.normal() * 0.004
                devAccuracies.append((step, accuracy))
                out.append(String(format: "{\"type\": \"eval\", \"split\": \"dev\", \"step\": %d, \"epoch\": %.4f, "
                                  + "\"loss\": %.4f, \"metrics\": {\"accuracy\": %.4f, \"f1\": %.4f, \"mcc\": %.4f}, "
                                  + "\"main_metric\": \"accuracy\", \"seconds\": %.2f}",
                                  step, Double(step) / stepsPerEpoch, 0.28 + 0.3 * exp(-4 * e) + 0.06 * e * e,
                                  accuracy, accuracy - 0.012, 2 * accuracy - 1.02, 2.1 + rng.normal() * 0.1))
            }
            if quantized, step == 1 || step % quantEvery == 0 {
                var layers: [String] = []
                for (i, name) in Self.layerNames.enumerated() {
                    let isEmbedding = name.contains("embeddings")
                    let targetIn = name.hasSuffix("output.dense") && !name.contains("attention") ? 9 + Double(i % 5)
                                 : 2.5 + Double(i % 7) * 0.4
                    let targetOut = 4 + Double(i % 4) * 0.8
                    if step == 1 {
                        thresholds[i] = (targetIn * 1.4, targetOut * 1.5)
                    } else {
                        thresholds[i].input += (targetIn - thresholds[i].input) * 0.25 + rng.normal() * 0.05
                        thresholds[i].output += (targetOut - thresholds[i].output) * 0.25 + rng.normal() * 0.05
                    }
                    var fields = String(format: "\"weight_thresh\": %.5f", 0.08 + Double(i % 9) * 0.021 + 0.002 * t)
                    if !isEmbedding {
                        fields = String(format: "\"input_thresh\": %.4f, ", thresholds[i].input) + fields
                    }
                    if name.contains("attention.self") {
                        fields += String(format: ", \"output_thresh\": %.4f", thresholds[i].output)
                    }
                    layers.append("\"\(name)\": {\(fields)}")
                }
                out.append("{\"type\": \"quant\", \"step\": \(step), \"layers\": {" + layers.joined(separator: ", ") + "}}")
            }
        }
        if finished {
            // Test the final model, then the best dev checkpoint (the reported one), as the trainer does.
            let best = devAccuracies.max { $0.1 < $1.1 } ?? (steps, 0)
            let final = devAccuracies.last?.1 ?? 0
            out.append(String(format: "{\"type\": \"eval\", \"split\": \"test\", \"step\": %d, \"epoch\": 3.0, \"loss\": 0.3411, "
                              + "\"metrics\": {\"accuracy\": %.4f, \"f1\": %.4f, \"mcc\": %.4f}, \"main_metric\": \"accuracy\", "
                              + "\"seconds\": 2.3, \"checkpoint\": \"final\"}", steps, final + 0.002, final - 0.01, 2 * final - 1.01))
            out.append(String(format: "{\"type\": \"eval\", \"split\": \"test\", \"step\": %d, \"loss\": 0.3012, "
                              + "\"metrics\": {\"accuracy\": %.4f, \"f1\": %.4f, \"mcc\": %.4f}, \"main_metric\": \"accuracy\", "
                              + "\"seconds\": 2.3, \"checkpoint\": \"best\"}", best.0, best.1 + 0.004, best.1 - 0.009, 2 * best.1 - 1.01))
            out.append(String(format: "{\"type\": \"summary\", \"steps\": %d, \"best_step\": %d, \"best_metric\": %.4f, "
                              + "\"main_metric\": \"accuracy\", \"train_seconds\": %.1f, \"train_seq_per_s\": %.2f, "
                              + "\"peak_rss_mb\": 1412, \"test\": {\"accuracy\": %.4f, \"f1\": %.4f, \"mcc\": %.4f}, "
                              + "\"test_final\": {\"accuracy\": %.4f, \"f1\": %.4f, \"mcc\": %.4f}}",
                              steps, best.0, best.1, elapsed + 14, Double(32 * steps) / (elapsed + 14),
                              best.1 + 0.004, best.1 - 0.009, 2 * best.1 - 1.01, final + 0.002, final - 0.01, 2 * final - 1.01))
        }
        return out
    }

    /// Writes `folder/log.jsonl` (creating the folder).
    func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (lines().joined(separator: "\n") + "\n")
            .write(to: folder.appendingPathComponent("log.jsonl"), atomically: true, encoding: .utf8)
    }
}

/// A small deterministic generator (SplitMix64) with a normal sample.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Box-Muller.
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-12), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
