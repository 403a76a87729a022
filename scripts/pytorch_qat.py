"""Q8BERT fake quantization for PyTorch eager, the peer our training benchmarks measure
(scripts/bench_pytorch_train.py, scripts/bench_pytorch_e2e.py): symmetric 8-bit (M = 127),
round half to even, weight thresholds max|W|, input and output thresholds the EMA (decay
0.9999) of max|x|, straight-through estimator; written the lean way (no host syncs).

Recipes, as ours (docs/quantization.md):
  q8bert       every Embedding and Linear, inputs and weights; no output requantized
  all-outputs  the same, and every Linear's output requantized too ("qat" in bench-train)"""
import torch
import torch.nn as nn
import torch.nn.functional as F

M = 127.0
RECIPES = ("q8bert", "all-outputs")


class STE(torch.autograd.Function):
    """x -> round(x M / t).clamp(-M, M) t / M forward; identity backward."""

    @staticmethod
    def forward(ctx, x, thresh):
        s = M / thresh
        return torch.round(x * s).clamp(-M, M) / s

    @staticmethod
    def backward(ctx, g):
        return g, None


class QLinear(nn.Linear):
    """A quantized Linear in training mode: EMA of max|x| for the input (and the output when
    requantize_output), weight threshold max|W|."""

    def __init__(self, src, requantize_output):
        super().__init__(src.in_features, src.out_features)
        self.weight, self.bias = src.weight, src.bias
        self.requantize_output = requantize_output
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
        if self.requantize_output:
            y = STE.apply(y, self.ema(self.output_thresh, y))
        self.first = False
        return y


class QEmbedding(nn.Embedding):
    """A quantized Embedding: the table fake-quantized with threshold max|W|."""

    def __init__(self, src):
        super().__init__(src.num_embeddings, src.embedding_dim, padding_idx=src.padding_idx)
        self.weight = src.weight

    def forward(self, ids):
        return F.embedding(ids, STE.apply(self.weight, self.weight.detach().abs().max()), self.padding_idx)


def quantize_modules(module, recipe):
    """Replaces every Linear and Embedding under module, in place, for recipe (RECIPES)."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; expected one of {RECIPES}")
    for name, child in module.named_children():
        if isinstance(child, nn.Linear):
            setattr(module, name, QLinear(child, requantize_output=recipe == "all-outputs"))
        elif isinstance(child, nn.Embedding):
            setattr(module, name, QEmbedding(child))
        else:
            quantize_modules(child, recipe)
