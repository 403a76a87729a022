#!/usr/bin/env python3
"""PyTorch eager baselines for scripts/bench-train.sh: forward + backward + AdamW steps/s of
BertForSequenceClassification (the bundled MiniLM, dropout on) on random tokens, in FP32 and
with Q8BERT fake quantization (every Linear's input, weight and output and the embeddings,
EMA thresholds, straight-through estimator), written the lean way (no host syncs).
usage: bench_pytorch_train.py MODEL_DIR THREADS STEPS BxT [BxT ...]     (MODES="fp32 qat")"""
import os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import BertForSequenceClassification

M = 127.0


class STE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, thresh):
        s = M / thresh
        return torch.round(x * s).clamp(-M, M) / s

    @staticmethod
    def backward(ctx, g):
        return g, None


class QLinear(nn.Linear):
    """Q8BERT QuantizedLinear in training mode (EMA of max|x| for input and output)."""

    def __init__(self, src):
        super().__init__(src.in_features, src.out_features)
        self.weight, self.bias = src.weight, src.bias
        self.register_buffer("input_thresh", torch.zeros(()))
        self.register_buffer("output_thresh", torch.zeros(()))
        self.first = True

    def ema(self, buf, x):
        m = x.detach().abs().max()
        if self.first:
            buf.copy_(m)
        else:
            buf.sub_((1 - 0.9999) * (buf - m))
        return buf

    def forward(self, x):
        x = STE.apply(x, self.ema(self.input_thresh, x))
        w = STE.apply(self.weight, self.weight.detach().abs().max())
        y = F.linear(x, w, self.bias)
        y = STE.apply(y, self.ema(self.output_thresh, y))
        self.first = False
        return y


class QEmbedding(nn.Embedding):
    def __init__(self, src):
        super().__init__(src.num_embeddings, src.embedding_dim, padding_idx=src.padding_idx)
        self.weight = src.weight

    def forward(self, ids):
        return F.embedding(ids, STE.apply(self.weight, self.weight.detach().abs().max()), self.padding_idx)


def quantize_modules(module):
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, QLinear(child))
        elif isinstance(child, nn.Embedding):
            setattr(module, name, QEmbedding(child))
        else:
            quantize_modules(child)


model_dir, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
for mode in os.environ.get("MODES", "fp32 qat").split():
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    if mode == "qat":
        quantize_modules(model)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
    for shape in sys.argv[4:]:
        B, T = map(int, shape.split("x"))
        ids = torch.randint(1000, 21000, (B, T)); ids[:, 0] = 101
        labels = torch.randint(0, 2, (B,))
        times = []
        for step in range(2 + steps):
            t0 = time.perf_counter()
            out = model(input_ids=ids, attention_mask=torch.ones(B, T, dtype=torch.long), labels=labels)
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step >= 2:
                times.append(time.perf_counter() - t0)
        med = sorted(times)[len(times) // 2]
        print(f"pytorch-{torch.__version__}-eager {mode}-train batch={B} seq={T} threads={threads}  {B / med:.1f} seq/s  (median step {med * 1000:.0f} ms)")
