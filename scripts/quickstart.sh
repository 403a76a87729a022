#!/usr/bin/env bash
# A newcomer's first command on a fresh Debian machine: installs what is missing, fetches
# the bundled model and data, builds (release), and runs the main job on the bundled default:
# Q8BERT quantization-aware fine-tuning of MiniLM on the movie task (about 10 minutes on
# 2 cores), then its evaluation and HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
q=.build/release/q8train
RUN=${RUN:-runs/quickstart}
echo
echo "== q8train train --quantize q8bert  (bundled MiniLM, movie task) -> $RUN"
# --resume auto: a re-run continues an interrupted one from its newest valid training-state
# checkpoint (written every 30 minutes), bit for bit; with none it starts from scratch.
$q train --quantize q8bert --output-dir "$RUN" --resume auto
echo
echo "== q8train eval: the best dev checkpoint on the test set, as int8 inference computes it"
$q eval --model "$RUN/best"
echo
echo "report: $RUN/report.html"
echo "int8 model (for q8train predict and q8serve): $RUN/int8"
