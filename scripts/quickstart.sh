#!/usr/bin/env bash
# A newcomer's first command on a fresh Debian machine: installs what is missing, fetches
# the bundled model and data, builds (release), and runs the main job on the bundled default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
echo "== q8train embed: a forward pass of the bundled MiniLM on a few sentences"
.build/release/q8train embed
