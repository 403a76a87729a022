#!/usr/bin/env python3
"""PyTorch eager doing what `q8train train` does, for scripts/bench-e2e.sh: fine-tune
BertForSequenceClassification (the bundled MiniLM, dropout on) on a task's train.tsv, every
batch padded to the maximum length, for STEPS steps, and print the training loop's throughput.

The loop, as ours (q8train train's defaults): the TSV tokenized once before the loop (BERT
WordPiece from the model's vocab.txt, truncated to MAX_LEN), a seeded shuffle, batches of
BATCH, cross-entropy, AdamW (lr 5e-5, weight decay 0), the learning rate warmed up over 10% of
2 epochs' steps then decayed linearly, the gradient norm clipped to 1.0, the loss read back
every step (ours logs it; the mean loss of the first and last 10 steps is printed, to show
both loops learn). Timed: from the first step's start to the last step's end, as
q8train's elapsed_s; loading and tokenizing are outside, as ours.
Recipes: fp32, and the Q8BERT fake quantization of scripts/pytorch_qat.py (q8bert, all-outputs).
usage: bench_pytorch_e2e.py MODEL_DIR TRAIN_TSV THREADS STEPS RECIPE [RECIPE ...]
   prints per recipe: "pytorch-VERSION-eager e2e RECIPE steps=N batch=B seq=T threads=P  X seq/s"
Environment: BATCH (32), MAX_LEN (64), SEED (42)."""
import csv, os, sys, time
import torch
from transformers import AutoTokenizer, BertForSequenceClassification

from pytorch_qat import quantize_modules


def read_tsv(path):
    """(sentences, labels) of a single-sentence GLUE-style TSV with columns sentence, label."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    header = rows[0]
    if "sentence" not in header or "label" not in header:
        sys.exit(f"{path}: line 1: expected the columns 'sentence' and 'label', found {header}")
    s, l = header.index("sentence"), header.index("label")
    return [r[s] for r in rows[1:]], [int(r[l]) for r in rows[1:]]


def main():
    model_dir, tsv, threads, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    recipes = sys.argv[5:] or ["fp32"]
    batch, max_len, seed = (int(os.environ.get(k, d)) for k, d in (("BATCH", 32), ("MAX_LEN", 64), ("SEED", 42)))
    torch.set_num_threads(threads)
    sentences, labels = read_tsv(tsv)
    # from_pretrained reads the folder's vocab.txt (transformers 5's BertTokenizerFast(vocab_file=)
    # ignores it and maps every word to [UNK]).
    tok = AutoTokenizer.from_pretrained(model_dir)
    probe = tok("the movie", add_special_tokens=False)["input_ids"]
    if tok.unk_token_id in probe:
        sys.exit(f"{model_dir}/vocab.txt: the tokenizer maps common words to [UNK]; expected a BERT WordPiece vocabulary")
    enc = tok(sentences, truncation=True, max_length=max_len, padding="max_length", return_tensors="pt")
    ids, mask, y = enc["input_ids"], enc["attention_mask"], torch.tensor(labels)
    per_epoch = len(sentences) // batch
    total = 2 * per_epoch
    warmup = int(0.1 * total)

    def lr_factor(step):  # step 0-based, as the scheduler counts
        return (step + 1) / warmup if step < warmup else max(0.0, (total - step - 1) / max(1, total - warmup))

    print(f"peers: PyTorch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{threads} threads", flush=True)
    for recipe in recipes:
        torch.manual_seed(seed)
        model = BertForSequenceClassification.from_pretrained(model_dir, num_labels=2)
        if recipe != "fp32":
            quantize_modules(model, recipe)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(sentences), generator=g)
        losses = []
        t0 = time.perf_counter()
        for step in range(steps):
            i = step % per_epoch
            if i == 0 and step > 0:
                order = torch.randperm(len(sentences), generator=g)
            idx = order[i * batch:(i + 1) * batch]
            out = model(input_ids=ids[idx], attention_mask=mask[idx], labels=y[idx])
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(out.loss.item())
        seconds = time.perf_counter() - t0
        print(f"pytorch-{torch.__version__}-eager e2e {recipe} steps={steps} batch={batch} seq={max_len} "
              f"threads={threads}  {steps * batch / seconds:.1f} seq/s  ({seconds:.1f} s; mean loss of the first "
              f"and last 10 steps {sum(losses[:10]) / len(losses[:10]):.4f} -> {sum(losses[-10:]) / len(losses[-10:]):.4f})",
              flush=True)


if __name__ == "__main__":
    main()
