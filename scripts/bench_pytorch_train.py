#!/usr/bin/env python3
"""PyTorch eager baselines for scripts/bench-train.sh: forward + backward + AdamW steps/s of
BertForSequenceClassification (the bundled MiniLM, dropout on) on random tokens, in FP32 and
with Q8BERT fake quantization ("qat": every Linear's input, weight and output and the
embeddings, the all-outputs recipe of scripts/pytorch_qat.py).
usage: bench_pytorch_train.py MODEL_DIR THREADS STEPS BxT [BxT ...]     (MODES="fp32 qat")"""
import os, sys, time
import torch
from transformers import BertForSequenceClassification

from pytorch_qat import quantize_modules

model_dir, threads, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
for mode in os.environ.get("MODES", "fp32 qat").split():
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
    if mode == "qat":
        quantize_modules(model, "all-outputs")
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
