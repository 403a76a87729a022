#!/usr/bin/env python3
"""The peers of q8train's inference, measured by scripts/bench-infer.sh in the same run as ours,
on the same model shapes, token batches of the same kind and the same thread count:

- PyTorch eager FP32 and PyTorch dynamic int8 (torch.ao.quantization.quantize_dynamic on every
  nn.Linear, qint8 weights, activations quantized per batch);
- ONNX Runtime FP32 on the model exported to ONNX (opset 17, dynamic batch and sequence axes),
  and ONNX Runtime int8 on onnxruntime.quantization.quantize_dynamic of that file (int8 weights,
  per-batch activation ranges: what people run when they post-training-quantize a BERT).

- ONNX Runtime on q8train's own QDQ export of the same model our runtime ran (`q8train export
  --format onnx` of the int8 folder q8bench infer wrote; paths in Q8_QDQ_MINILM and Q8_QDQ_BASE),
  with the session entry session.qdqisint8allowed=1 (int8 x int8 kernels; docs/onnx.md): what
  serving our model in ONNX Runtime costs or gains. ENGINE ort-q8qdq; and ort-q8qdq-u8 with
  ONNX Runtime's default options (int8 activations converted to uint8: faster on CPUs without
  VNNI, but its u8 x s8 kernel saturates there, so not exact).

Models: the bundled MiniLM (MODEL_DIR, with a fresh 2-label head) and a BERT-base shape (hidden
768, 12 layers, 12 heads, intermediate 3072, vocab 30522, Hugging Face's random init).
Batches: random token ids, full attention mask, one segment (ours are drawn alike).
Timing: WARMUP untimed runs, then the median of ITERS timed runs, per engine and shape.

Prints one line per measurement, for bench-infer.sh to join with ours:
    peer ENGINE MODEL BxT MEDIAN_MS
(ENGINE: torch-fp32, torch-int8, ort-fp32, ort-int8, ort-q8qdq, ort-q8qdq-u8; MODEL: minilm, base), after lines starting
with "peers:" that say the versions and the instruction sets the libraries report.
usage: bench_peers_infer.py MODEL_DIR THREADS ITERS WARMUP "PARTS"   (PARTS: "minilm base")"""
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import BertConfig, BertForSequenceClassification

MODEL_DIR, THREADS, ITERS, WARMUP = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
PARTS = sys.argv[5].split() if len(sys.argv) > 5 else ["minilm", "base"]
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def batch(b, t, vocab, seed):
    g = np.random.default_rng(seed)
    ids = g.integers(1000, vocab, size=(b, t), dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones((b, t), np.int64), "token_type_ids": np.zeros((b, t), np.int64)}


def median_ms(run):
    for _ in range(WARMUP):
        run()
    times = []
    for _ in range(ITERS):
        s = time.perf_counter()
        run()
        times.append(time.perf_counter() - s)
    return 1e3 * statistics.median(times)


def export_onnx(model, path, vocab):
    sample = {k: torch.from_numpy(v) for k, v in batch(2, 16, vocab, 1).items()}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    args = tuple(sample[n] for n in names)
    try:
        torch.onnx.export(model, args, path, input_names=names, output_names=["logits"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    except TypeError:  # an exporter without the dynamo switch
        torch.onnx.export(model, args, path, input_names=names, output_names=["logits"], dynamic_axes=axes,
                          opset_version=17)


def session(path, int8_allowed=False):
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if int8_allowed:
        options.add_session_config_entry("session.qdqisint8allowed", "1")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def bench(name, model, vocab, shapes, folder):
    model.eval()
    fp32_path = os.path.join(folder, name + ".onnx")
    int8_path = os.path.join(folder, name + ".int8.onnx")
    export_onnx(model, fp32_path, vocab)
    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8)
    engines = {"ort-fp32": session(fp32_path), "ort-int8": session(int8_path)}
    qdq = os.environ.get("Q8_QDQ_" + name.upper())
    if qdq and os.path.exists(qdq):
        engines["ort-q8qdq"] = session(qdq, int8_allowed=True)
        engines["ort-q8qdq-u8"] = session(qdq)
    torch_int8 = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    for b, t in shapes:
        feed = batch(b, t, vocab, 1000 * b + t)
        tensors = {k: torch.from_numpy(v) for k, v in feed.items()}
        with torch.inference_mode():
            ms = median_ms(lambda: model(**tensors).logits)
            print(f"peer torch-fp32 {name} {b}x{t} {ms:.3f}", flush=True)
            ms = median_ms(lambda: torch_int8(**tensors).logits)
            print(f"peer torch-int8 {name} {b}x{t} {ms:.3f}", flush=True)
        for engine, s in engines.items():
            ms = median_ms(lambda: s.run(["logits"], feed))
            print(f"peer {engine} {name} {b}x{t} {ms:.3f}", flush=True)


def main():
    print(f"peers: PyTorch {torch.__version__} (CPU capability {torch.backends.cpu.get_cpu_capability()}), "
          f"ONNX Runtime {ort.__version__} (MLAS picks its kernels by CPUID; not reported), {THREADS} threads, "
          f"median of {ITERS} after {WARMUP} warm-up", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        if "minilm" in PARTS:
            model = BertForSequenceClassification.from_pretrained(MODEL_DIR, num_labels=2, attn_implementation="eager")
            bench("minilm", model, model.config.vocab_size, [(1, 128), (1, 64), (32, 128)], folder)
        if "base" in PARTS:
            config = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                                intermediate_size=3072, num_labels=2, attn_implementation="eager")
            bench("base", BertForSequenceClassification(config), 30522, [(8, 128), (1, 128)], folder)


if __name__ == "__main__":
    main()
