#!/usr/bin/env python3
"""Writes the BERT tokenizer test fixtures from Hugging Face transformers.

    Tests/ModelFormatTests/Fixtures/tokenizer/movie_ids.bin
        a JSON header line {"transformers", "tokenizers", "class", "model", "files",
        "sentences", "sha256", "format"} ending in "\\n"; sha256 is over the sentences, each
        followed by "\\n", UTF-8, in file order (train, dev, test). Then, per sentence, its
        token ids without [CLS]/[SEP]: a little-endian uint16 count, then count uint16 ids.
        (Binary keeps the fixture near 0.6 MB; as text it would be 1.35 MB.)
    Tests/ModelFormatTests/Fixtures/tokenizer/pairs.json
        {"meta": {...}, "cases": [{"first", "second" (or null), "max_length",
         "input_ids", "token_type_ids", "attention_mask"}, ...]}: consecutive movie sentences
        and hand-written edge cases, each with max_length 16, 32 and 128, truncation=True,
        padding="max_length", encoded in batches (see the note in main).

A TSV line is `sentence<TAB>label` after a `sentence<TAB>label` header, no quoting; lines are
split on "\\n" only. Runs offline: the tokenizer is loaded from the model folder's vocab.txt.

usage: scripts/make_tokenizer_fixtures.py   (from anywhere; paths are relative to the repo)
"""
import hashlib, json, os, struct, sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import tokenizers
import transformers
from transformers import BertTokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = "assets/models/minilm-l6-h384"
SPLITS = ["train", "dev", "test"]
OUT = os.path.join(ROOT, "Tests/ModelFormatTests/Fixtures/tokenizer")
MAX_LENGTHS = [16, 32, 128]

EDGE_CASES = [
    "Café naïve résumé",
    "Cafe\u0301 decomposed vs caf\u00e9 composed",
    "我爱电影 films",
    "日本語のテキストとカタカナ",
    "한국어 문장입니다",
    "control\x00chars\x07here\x1b and\x7f delete\x0b\x0cvt ff",
    "emoji 😀🎬👍🏽 ok 👨‍👩‍👧 family 🫠",
    "a" * 150,
    "a" * 100,
    "a" * 101,
    "é" * 60,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "",
    "   ",
    "!!!...",
    "?!?! --- ... ;;; ((()))",
    "tabs\tand\nnewlines\r\nand\u2028line\u2029separators",
    "MiXeD CaSe WoRdS ALL CAPS",
    "[CLS] in text [SEP] and [PAD] [MASK] [UNK]",
    "glued[CLS]tokens[SEP]here",
    "[cls] lowercase [Sep] is not special",
    "[[CLS]] [CLS [SEP",
    "1,000,000 and 3.14159 and $5.99 and 50%",
    "don’t “curly quotes” ‘single’ — em dash – en dash",
    "İstanbul ΣΟΦΊΑ Straße ǅemal",
    "ﬁ ligature, Ａｂｃ full width, Ⅻ roman",
    "zero\u200bwidth\u200djoiner\ufeffbom\u00adsoft",
    "\u00a0nbsp\u3000ideographic\u2003em space",
    "unassigned \u0378 private \ue000 nonchar \uffff replacement \ufffd",
    "new punctuation \u2e43 \u061d and marks x\u0898y x\U00011938y",
    "CJK edge \U0002B820 \U0002B920 \U0002A700x",
    "combining a\u0301\u0327 o\u0308\u0304 and lone \u0301 mark",
    "Arabic مرحبا بالعالم and Hebrew שלום",
    "Hindi नमस्ते दुनिया and Thai สวัสดีครับ",
    "e-mail@example.com http://x.y/z?q=1&r=2#frag",
    "U.S.A. vs U.K. (e.g. i.e.)",
    "##hash ## #",
    "The film's 2nd half isn't as good as its 1st; it's 90 minutes of déjà vu.",
]


def read_sentences():
    sentences = []
    for split in SPLITS:
        path = os.path.join(ROOT, "assets/data/movie", split + ".tsv")
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")
        if lines[0] != "sentence\tlabel":
            sys.exit(f"error: {path} line 1: expected header sentence<TAB>label")
        for n, line in enumerate(lines[1:], start=2):
            if line == "":
                continue
            if "\t" not in line:
                sys.exit(f"error: {path} line {n}: no tab")
            sentences.append(line.rsplit("\t", 1)[0])
    return sentences


def main():
    tok = BertTokenizer.from_pretrained(os.path.join(ROOT, MODEL))
    meta = {
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "class": f"{type(tok).__module__}.{type(tok).__name__}",
        "model": MODEL,
    }
    sentences = read_sentences()
    digest = hashlib.sha256("".join(s + "\n" for s in sentences).encode("utf-8")).hexdigest()
    ids = tok(sentences, add_special_tokens=False)["input_ids"]
    os.makedirs(OUT, exist_ok=True)
    header = dict(meta, files=[f"assets/data/movie/{s}.tsv" for s in SPLITS],
                  sentences=len(sentences), sha256=digest)
    header["format"] = "per sentence: uint16 LE count, then count uint16 LE ids"
    if len(tok) > 65536 or max(len(row) for row in ids) > 65535:
        sys.exit("error: ids or sentence lengths do not fit in uint16")
    with open(os.path.join(OUT, "movie_ids.bin"), "wb") as f:
        f.write((json.dumps(header) + "\n").encode("utf-8"))
        for row in ids:
            f.write(struct.pack(f"<H{len(row)}H", len(row), *row))

    # Pairs: consecutive movie sentences spread over the data, a few singles, edge cases
    # alone and paired with the next one.
    inputs = []
    step = len(sentences) // 120
    for i in range(120):
        inputs.append((sentences[i * step], sentences[i * step + 1]))
    for i in range(20):
        inputs.append((sentences[i * step + 2], None))
    for i, text in enumerate(EDGE_CASES):
        inputs.append((text, None))
        inputs.append((text, EDGE_CASES[(i + 1) % len(EDGE_CASES)]))
    # Encoded in batches, as training pipelines do (tokenizer(firsts, seconds)). A batch keeps
    # an empty second text as an empty segment ([CLS] a [SEP] [SEP]), like `tokenizers` itself;
    # a single call tokenizer(a, "") drops it ([CLS] a [SEP]), a transformers quirk.
    cases = []
    for max_length in MAX_LENGTHS:
        kwargs = dict(max_length=max_length, truncation=True, padding="max_length")
        singles = [i for i, (_, second) in enumerate(inputs) if second is None]
        pairs = [i for i, (_, second) in enumerate(inputs) if second is not None]
        encodings = {}
        for indices, batch in [
            (singles, tok([inputs[i][0] for i in singles], **kwargs)),
            (pairs, tok([inputs[i][0] for i in pairs], [inputs[i][1] for i in pairs], **kwargs)),
        ]:
            for row, i in enumerate(indices):
                encodings[i] = {key: batch[key][row]
                                for key in ["input_ids", "token_type_ids", "attention_mask"]}
        for i, (first, second) in enumerate(inputs):
            cases.append(dict(first=first, second=second, max_length=max_length, **encodings[i]))
    with open(os.path.join(OUT, "pairs.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write('{"meta": ' + json.dumps(dict(meta, truncation=True, padding="max_length", batched=True)) +
                ',\n"cases": [\n')
        f.write(",\n".join(json.dumps(c, ensure_ascii=True, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")
    print(f"wrote {len(sentences)} sentences and {len(cases)} encodings to {OUT}")


if __name__ == "__main__":
    main()
