#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures the Swift tests compare against (committed; the
tests need no Python). Requires torch and transformers (developer machines only):
    pip install "torch==2.13.0+cpu" transformers safetensors
    python3 scripts/make_fixtures.py

Fixtures (Tests/BERTTests/Fixtures/reference/):
  tiny_classifier.safetensors  a tiny random BertForSequenceClassification (3 labels):
      "param.<key>" weights (F32), "input.*" batch, "ref.logits", "ref.loss",
      "grad.<key>" every parameter's gradient, and "adamw.<step>.<key>" parameters after
      each of 3 AdamW steps (warm-up 1, total 4, lr 1e-3, wd 0.01, clip 1.0).
  tiny_regression.safetensors  the same with num_labels = 1 (MSE loss): logits, loss, grads.
  minilm_pooled.safetensors    the bundled MiniLM's pooler_output and last_hidden_state for
      a few real sentences (input ids from Hugging Face's BertTokenizer).
References are computed in float64 from the float32 weights: an oracle more exact than
either FP32 implementation, so the Swift test measures its own error only.
"""
import json, os, sys
import torch
from safetensors.torch import save_file
import transformers
from transformers import BertConfig, BertForSequenceClassification, BertModel, BertTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "BERTTests", "Fixtures", "reference")
MINILM = os.path.join(ROOT, "assets", "models", "minilm-l6-h384")

TINY = dict(vocab_size=211, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=48, hidden_act="gelu", hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, max_position_embeddings=24, type_vocab_size=2,
            layer_norm_eps=1e-12, initializer_range=0.02)
B, T = 4, 16
LENGTHS = [16, 11, 7, 13]


def tiny_batch(gen):
    ids = torch.randint(5, TINY["vocab_size"], (B, T), generator=gen)
    types = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.long)
    for b, n in enumerate(LENGTHS):
        mask[b, :n] = 1
        ids[b, 0] = 2  # a [CLS]-like id
        ids[b, n:] = 0  # padding
        types[b, n // 2:n] = 1  # second segment
    return ids, types, mask


def tiny_model(num_labels, gen):
    cfg = BertConfig(**TINY, num_labels=num_labels)
    cfg._attn_implementation = "eager"
    model = BertForSequenceClassification(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            else:  # larger than BERT's 0.02 so every path carries signal
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
    return model


def run(model64, ids, types, mask, labels):
    model64.zero_grad()
    out = model64(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels)
    out.loss.backward()
    return out


def save(tensors, name, meta):
    path = os.path.join(OUT, name)
    save_file({k: v.detach().contiguous() for k, v in tensors.items()}, path,
              metadata={k: str(v) for k, v in meta.items()})
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def classifier_fixture(num_labels, name, adam_steps):
    gen = torch.Generator().manual_seed(1234 + num_labels)
    model = tiny_model(num_labels, gen)
    ids, types, mask = tiny_batch(gen)
    if num_labels == 1:
        labels = torch.randn(B, generator=gen)
    else:
        labels = torch.randint(0, num_labels, (B,), generator=gen)
    t = {"param." + k: v.detach().float().clone() for k, v in model.named_parameters()}
    t.update({"input.input_ids": ids, "input.token_type_ids": types, "input.attention_mask": mask,
              "input.labels": labels.float() if num_labels == 1 else labels})
    model64 = model.double()
    out = run(model64, ids, types, mask, labels.double() if num_labels == 1 else labels)
    t["ref.logits"] = out.logits.double()
    t["ref.loss"] = out.loss.detach().double().reshape(1)
    for k, p in model64.named_parameters():
        t["grad." + k] = p.grad.double().clone()
    if adam_steps:
        decay = [p for n, p in model64.named_parameters() if not (n.endswith(".bias") or "LayerNorm.weight" in n)]
        nodecay = [p for n, p in model64.named_parameters() if n.endswith(".bias") or "LayerNorm.weight" in n]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                 {"params": nodecay, "weight_decay": 0.0}], lr=1e-3, eps=1e-8)
        sched = transformers.get_linear_schedule_with_warmup(opt, num_warmup_steps=1, num_training_steps=4)
        for step in range(adam_steps):
            run(model64, ids, types, mask, labels)
            torch.nn.utils.clip_grad_norm_(model64.parameters(), 1.0)
            opt.step()
            sched.step()
            for k, p in model64.named_parameters():
                t[f"adamw.{step + 1}.{k}"] = p.detach().double().clone()
    meta = {"config": json.dumps(TINY), "num_labels": num_labels, "torch": torch.__version__,
            "transformers": transformers.__version__}
    save(t, name, meta)


def minilm_fixture():
    sentences = ["The Rock is destined to be the 21st Century's new Conan.",
                 "Effective but too tepid biopic",
                 "A gorgeous, witty, seductive movie.",
                 "If you sometimes like to go to the movies to have fun, Wasabi is a good place to start.",
                 "Unfortunately, it's not silly fun unless you enjoy really bad movies."]
    tok = BertTokenizer.from_pretrained(MINILM)
    enc = tok(sentences, padding=True, return_tensors="pt")
    model = BertModel.from_pretrained(MINILM, attn_implementation="eager").double().eval()
    with torch.no_grad():
        out = model(**enc)
    t = {"input.input_ids": enc["input_ids"], "input.token_type_ids": enc["token_type_ids"],
         "input.attention_mask": enc["attention_mask"],
         "ref.pooler_output": out.pooler_output.double(),
         "ref.last_hidden_state": out.last_hidden_state.double()}
    save(t, "minilm_pooled.safetensors", {"sentences": json.dumps(sentences), "torch": torch.__version__,
                                          "transformers": transformers.__version__})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(2)
    classifier_fixture(3, "tiny_classifier.safetensors", adam_steps=3)
    classifier_fixture(1, "tiny_regression.safetensors", adam_steps=0)
    if os.path.exists(MINILM):
        minilm_fixture()
    else:
        sys.exit(f"error: {MINILM} missing; run scripts/fetch_assets.sh first")
