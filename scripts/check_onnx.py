#!/usr/bin/env python3
"""Checks an ONNX model exported by `q8train export --format onnx` against q8train's own
predictions of the same sentences.

1. onnx.checker.check_model (full check, with shape inference) passes; the graph has opset
   >= 17, int64 inputs input_ids / attention_mask / token_type_ids with dynamic batch and
   sequence axes, a float output `logits`; an int8 model has QuantizeLinear nodes.
2. ONNX Runtime runs it on the sentences of INPUT, tokenized by Hugging Face's `tokenizers`
   (BertWordPieceTokenizer) from the vocabulary, lowercasing and max_seq_length the file's
   metadata_props carry: so the file alone is enough to serve the model.
3. Its predictions are compared with PREDICTIONS (`q8train predict --logits`): the share of
   equal predicted labels (at least --min-agreement percent, or exit 1), the accuracy of both
   against INPUT's label column, the largest logit difference.

usage: check_onnx.py --model FILE.onnx --input TSV --predictions TSV [--min-agreement 99.5]
"""

import argparse
import csv
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort
from tokenizers import BertWordPieceTokenizer


def read_tsv(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], rows[1:]


def check_graph(model):
    onnx.checker.check_model(model, full_check=True)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    assert opset >= 17, f"opset {opset} < 17"
    inputs = {i.name: i for i in model.graph.input}
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert name in inputs, f"no input {name}"
        t = inputs[name].type.tensor_type
        assert t.elem_type == onnx.TensorProto.INT64, f"{name} is not int64"
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        assert len(dims) == 2 and all(isinstance(d, str) and d for d in dims), f"{name}: axes {dims} are not dynamic"
    assert [o.name for o in model.graph.output] == ["logits"], "the output is not `logits`"
    ops = {}
    for n in model.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    return opset, ops


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--predictions", required=True)
    p.add_argument("--min-agreement", type=float, default=99.5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-logit-diff", type=float, default=None,
                   help="fail when a logit differs from q8train's by more (a named tolerance)")
    p.add_argument("--also-default-session", action="store_true",
                   help="also report (not check) ONNX Runtime with its default session options")
    args = p.parse_args()

    model = onnx.load(args.model)
    opset, ops = check_graph(model)
    meta = {m.key: m.value for m in model.metadata_props}
    precision = meta.get("q8train_precision", "?")
    if precision == "int8":
        assert ops.get("QuantizeLinear", 0) > 0 and ops.get("DequantizeLinear", 0) > 0, "an int8 model without Q/DQ nodes"
    print(f"onnx.checker: passed (opset {opset}, {len(model.graph.node)} nodes, {precision}; "
          f"QuantizeLinear {ops.get('QuantizeLinear', 0)}, DequantizeLinear {ops.get('DequantizeLinear', 0)})")

    labels = json.loads(meta["labels"])
    vocab = {tok: i for i, tok in enumerate(meta["vocab"].split("\n")[: -1 if meta["vocab"].endswith("\n") else None])}
    lowercase = meta["do_lower_case"] == "true"
    max_len = int(meta["max_seq_length"])
    task = json.loads(meta["task"]) if "task" in meta else {}
    tokenizer = BertWordPieceTokenizer(vocab, lowercase=lowercase)
    tokenizer.enable_truncation(max_len)

    header, rows = read_tsv(args.input)
    text_columns = task.get("textColumns") or task.get("text_columns") or (
        ["sentence"] if "sentence" in header else ["sentence1", "sentence2"])
    label_column = task.get("labelColumn") or task.get("label_column") or "label"
    idx = [header.index(c) for c in text_columns]
    gold_idx = header.index(label_column) if label_column in header else None
    texts = [[r[i] for i in idx] for r in rows]
    encodings = [tokenizer.encode(*t) if len(t) == 2 else tokenizer.encode(t[0]) for t in texts]

    # q8train predict --logits (label, score, scores, logits) or q8train eval --predictions (label, logits).
    pred_header, predicted = read_tsv(args.predictions)
    assert len(predicted) == len(rows), f"{args.predictions}: {len(predicted)} rows, {args.input}: {len(rows)}"
    ours_label = [r[0] for r in predicted]
    ours_logits = np.array([json.loads(r[pred_header.index("logits")]) for r in predicted], dtype=np.float32)

    def run(int8_allowed):
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        # Keep int8 x int8 in ONNX Runtime's QDQ fusion. By default it converts int8 activations
        # to uint8 on x86 and runs a u8 x s8 kernel that, on CPUs without VNNI, sums pairs of
        # products in int16 with saturation (vpmaddubsw): not exact. Its s8 x s8 kernels are.
        if int8_allowed:
            options.add_session_config_entry("session.qdqisint8allowed", "1")
        session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
        logits = np.zeros((len(rows), len(labels)), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            T = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), T), dtype=np.int64)
            mask = np.zeros((len(batch), T), dtype=np.int64)
            types = np.zeros((len(batch), T), dtype=np.int64)
            for row, i in enumerate(batch):
                e = encodings[i]
                ids[row, :len(e.ids)] = e.ids
                mask[row, :len(e.ids)] = 1
                types[row, :len(e.ids)] = e.type_ids
            logits[batch] = session.run(["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        return logits, [labels[int(k)] for k in logits.argmax(axis=1)]

    logits, theirs_label = run(True)
    n = len(rows)
    same = sum(a == b for a, b in zip(theirs_label, ours_label))
    diff = float(np.abs(logits - ours_logits).max())
    print(f"ONNX Runtime {ort.__version__}, session config session.qdqisint8allowed=1")
    print(f"examples {n}: equal predictions {same} ({100 * same / n:.2f}%, target >= {args.min_agreement}%)")
    if gold_idx is not None:
        def name(g):
            return g if g in labels else labels[int(g)]
        gold = [name(r[gold_idx]) for r in rows]
        acc = lambda pred: 100 * sum(a == g for a, g in zip(pred, gold)) / n
        print(f"accuracy: ONNX Runtime {acc(theirs_label):.2f}%, q8train predict {acc(ours_label):.2f}%")
    print(f"largest logit difference: {diff:.3g}"
          + (f" (tolerance {args.max_logit_diff:g})" if args.max_logit_diff is not None else ""))
    if args.also_default_session:
        default_logits, default_label = run(False)
        same_default = sum(a == b for a, b in zip(default_label, ours_label))
        print(f"(not checked) ONNX Runtime's default session options (int8 run as uint8 x int8 on x86): "
              f"equal predictions {same_default} ({100 * same_default / n:.2f}%), "
              f"largest logit difference {float(np.abs(default_logits - ours_logits).max()):.3g}")
    failed = False
    if 100 * same / n < args.min_agreement:
        print(f"FAILED: agreement {100 * same / n:.2f}% < {args.min_agreement}%")
        failed = True
    if args.max_logit_diff is not None and not diff <= args.max_logit_diff:
        print(f"FAILED: largest logit difference {diff:.3g} > {args.max_logit_diff:g}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
