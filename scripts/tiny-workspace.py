#!/usr/bin/env python3
"""Writes a tiny BERT model folder and a movie-layout task, for tests of q8train itself.

Usage: scripts/tiny-workspace.py DIR [--train-examples N] [--seed S]

Creates
  DIR/model/config.json, vocab.txt, model.safetensors   hidden 16, 2 layers, 2 heads,
      intermediate 32, max positions 16; every parameter except the classifier (q8train
      initializes it): LayerNorm weights 1, biases 0, the rest normal(0, 0.05) from a
      seeded Python RNG
  DIR/data/train.tsv, dev.tsv, test.tsv                  400 / 20 / 20 examples, header
      "sentence<TAB>label"; a sentence's label is whether it ends in "good"

The same layout as makeWorkspace() in Tests/DistTests/TrainingWorkspace.swift (the weight
values differ: that one uses Swift's SplitMix64). Python 3 standard library only.
"""

import argparse
import json
import os
import random
import struct

# The words of the tiny task (tinyTaskWords in TrainingWorkspace.swift).
WORDS = ["movie", "plot", "actor", "scene", "story", "music", "dull", "long", "the", "a", "good", "bad"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS

# config.json with every key of Sources/ModelFormat/Config/BertConfig.swift (as JSONEncoder writes BertConfig).
CONFIG = {
    "vocab_size": len(VOCAB),
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 16,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "initializer_range": 0.02,
    "pad_token_id": 0,
}


def layout(c):
    """(name, shape) of every encoder parameter, in the order of ParameterLayout.swift (no classifier)."""
    C, I = c["hidden_size"], c["intermediate_size"]
    entries = [
        ("bert.embeddings.word_embeddings.weight", [c["vocab_size"], C]),
        ("bert.embeddings.position_embeddings.weight", [c["max_position_embeddings"], C]),
        ("bert.embeddings.token_type_embeddings.weight", [c["type_vocab_size"], C]),
        ("bert.embeddings.LayerNorm.weight", [C]),
        ("bert.embeddings.LayerNorm.bias", [C]),
    ]
    for i in range(c["num_hidden_layers"]):
        p = "bert.encoder.layer.%d." % i
        for name in ["query", "key", "value"]:
            entries += [(p + "attention.self.%s.weight" % name, [C, C]), (p + "attention.self.%s.bias" % name, [C])]
        entries += [
            (p + "attention.output.dense.weight", [C, C]),
            (p + "attention.output.dense.bias", [C]),
            (p + "attention.output.LayerNorm.weight", [C]),
            (p + "attention.output.LayerNorm.bias", [C]),
            (p + "intermediate.dense.weight", [I, C]),
            (p + "intermediate.dense.bias", [I]),
            (p + "output.dense.weight", [C, I]),
            (p + "output.dense.bias", [C]),
            (p + "output.LayerNorm.weight", [C]),
            (p + "output.LayerNorm.bias", [C]),
        ]
    entries += [("bert.pooler.dense.weight", [C, C]), ("bert.pooler.dense.bias", [C])]
    return entries


def write_safetensors(path, tensors):
    """tensors: list of (name, shape, floats). F32, little-endian, contiguous data, no gaps."""
    header, blobs, offset = {}, [], 0
    for name, shape, values in tensors:
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad the header so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--train-examples", type=int, default=400)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()

    model, data = os.path.join(args.dir, "model"), os.path.join(args.dir, "data")
    os.makedirs(model, exist_ok=True)
    os.makedirs(data, exist_ok=True)

    with open(os.path.join(model, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    with open(os.path.join(model, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")

    rng = random.Random(args.seed)
    tensors = []
    for name, shape in layout(CONFIG):
        count = 1
        for d in shape:
            count *= d
        if name.endswith("LayerNorm.weight"):
            values = [1.0] * count
        elif name.endswith(".bias"):
            values = [0.0] * count
        else:
            values = [rng.gauss(0.0, 1.0) * 0.05 for _ in range(count)]
        tensors.append((name, shape, values))
    write_safetensors(os.path.join(model, "model.safetensors"), tensors)

    for split, n in [("train", args.train_examples), ("dev", 20), ("test", 20)]:
        lines = ["sentence\tlabel"]
        for i in range(n):
            label = i % 2
            words = [WORDS[(j * 5 + i) % 10] for j in range(3 + (i * 7) % 5)] + ["good" if label == 1 else "bad"]
            lines.append(" ".join(words) + "\t%d" % label)
        with open(os.path.join(data, split + ".tsv"), "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
