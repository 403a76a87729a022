#!/usr/bin/env bash
# The data-parallel scaling model, measured on this machine and run (docs/distributed.md,
# "Scaling model"). Prints the CPU, what it measures, the model's validation and its table.
#
# Measures (release q8bench, Q8BERT QAT `q8bert`, one thread per rank):
#   1. token-union: word-embedding rows touched by W ranks' batches of real movie sentences
#      (MiniLM 32 x 64 per rank, BERT-base shape 8 x 128 per rank), W = 1..256
#   2. dist-train -n 1: one rank's step (forward, backward, optimizer), the time into backward
#      at which each gradient bucket becomes ready, the bytes per bucket dense and sparse, the
#      range allreduces per step: MiniLM 32 x 64 and a random BERT-base-shaped model 8 x 128
#   3. allreduce-cost: latency alpha and bandwidth beta of the transport in use, fitted to
#      the ring formula, and the one-float MAX allreduce of a Q8BERT range synchronization:
#      shared memory at -n 2, 4, 8, TCP between 2, 4, 8 emulated hosts (network namespaces,
#      scripts/emulate-hosts.sh, one rank per host; skipped without root or `ip netns`)
#   4. dist-train -n 2 and -n 4 (shared memory) and -n 2 over the emulated hosts (TCP), 32 x 64
#      per rank: the measured points the model is validated on
#   5. exposed communication at -n 2, 4, 8 (8 x 64 per rank, one thread each, oversubscribed):
#      before (word embeddings dense, buckets tested only at layer ends) and after (sparse rows,
#      tested between the GEMMs of each layer)
# then scripts/scaling_model.py predicts step time and efficiency for W = 2..256 at 10, 25
# and 100 Gb/s and prints the validation error on the measured points.
#
# usage: scripts/bench-scaling.sh [OUT_FILE]   (measurements, one line each; default
#   runs/bench-scaling/measurements.txt). Environment: STEPS (timed steps per run, 4),
#   WARMUP (1), PARTS ("union profile link validate overlap"), LATENCY_US (25, the modelled
#   links' per-message latency). Takes about 15 minutes on 2 cores. Quick check that it works:
#   STEPS=1 WARMUP=0 PARTS="union link" scripts/bench-scaling.sh /tmp/m.txt
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/bench-scaling/measurements.txt}
STEPS=${STEPS:-4}
export WARMUP=${WARMUP:-1}
PARTS=${PARTS:-union profile link validate overlap}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
if ! build=$(swift build -c release --product q8bench 2>&1); then echo "$build" >&2; exit 1; fi
BENCH=$PWD/.build/release/q8bench
mkdir -p "$(dirname "$OUT")"
: > "$OUT"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
     "instruction set: $(grep -qw avx512_vnni /proc/cpuinfo && echo AVX-512 VNNI || (grep -qw avx2 /proc/cpuinfo && echo AVX2 || echo baseline))"

clean_env=()
while IFS= read -r name; do clean_env+=(-u "$name"); done < <(env | grep -oE '^(OMPI|PMIX|ORTE|OPAL)_[A-Za-z0-9_]*' || true)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(env "${clean_env[@]}" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --bind-to none
        -x WARMUP)

# keep TAG KEY=VALUE... : the PROFILE/LINK/UNION lines of stdin, tagged, into OUT; the rest shown.
keep() {
    OUT="$OUT" python3 -c '
import json, os, sys
tag, extra = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
for line in sys.stdin:
    kind, _, rest = line.rstrip("\n").partition(" ")
    if kind in ("PROFILE", "LINK", "UNION") and rest.startswith("{"):
        d = json.loads(rest); d["tag"] = tag; d.update(extra)
        with open(os.environ["OUT"], "a") as f: f.write(kind + " " + json.dumps(d) + "\n")
    elif not line.startswith("RESULT"):
        sys.stdout.write(line)
' "$@"
}
has() { [[ " $PARTS " == *" $1 "* ]]; }

hosts_up=0
cleanup() { if [ $hosts_up = 1 ]; then scripts/emulate-hosts.sh down >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
tcp_args=()
if has link || has validate; then
    if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && SLOTS=1 scripts/emulate-hosts.sh up 8 >/dev/null 2>&1; then
        hosts_up=1
        mapfile -t tcp_args < .build/emulated-hosts/mpirun-args
    else
        echo "(emulated hosts unavailable: no root or no ip netns; the TCP points are not measured)"
    fi
fi

if has union; then
    echo "== 1. word-embedding rows touched by W ranks (movie train set)"
    "$BENCH" token-union "$MODEL" movie 32 64 | keep union-minilm
    "$BENCH" token-union "$MODEL" movie 8 128 | keep union-base
fi
if has profile; then
    echo "== 2. one rank, one thread: step parts and bucket readiness"
    env "${clean_env[@]}" "$BENCH" dist-train "$MODEL" 1 "$STEPS" 32x64 q8bert | keep minilm
    env "${clean_env[@]}" "$BENCH" dist-train base 1 "$STEPS" 8x128 q8bert | keep base
fi
if has link; then
    echo "== 3. transport cost (ring fit)"
    "${MPIRUN[@]}" -n 2 "$BENCH" allreduce-cost 64 | keep shm-2
    "${MPIRUN[@]}" -n 4 "$BENCH" allreduce-cost 64 | keep shm-4
    if [ $hosts_up = 1 ]; then
        # One rank per emulated host (one slot each): every message crosses TCP.
        for n in 2 4 8; do
            "${MPIRUN[@]}" "${tcp_args[@]}" --wdir "$PWD" -n $n "$BENCH" allreduce-cost $([ $n = 2 ] && echo 64 || echo 16) \
                | keep tcp-$n
        done
    fi
    "${MPIRUN[@]}" -n 8 "$BENCH" allreduce-cost 16 | keep shm-8
    python3 - "$OUT" <<'EOF2'
import json, sys
links, calls = {}, {"MiniLM q8bert": 26, "BERT-base q8bert": 50}
for line in open(sys.argv[1]):
    kind, _, rest = line.partition(" ")
    if kind == "LINK":
        d = json.loads(rest); links[d["tag"]] = d
print("Q8BERT range synchronization: one blocking one-float MAX allreduce per quantized activation")
print(f"  {'transport':10} {'ranks':>5} {'per call':>9}   per step: " + ", ".join(f"{k} ({v} calls)" for k, v in calls.items()))
for tag in ("shm-2", "shm-4", "shm-8", "tcp-2", "tcp-4", "tcp-8"):
    if tag in links:
        l = links[tag]
        print(f"  {tag.split('-')[0]:10} {l['ranks']:5d} {l['range_sync_s']*1e6:7.1f} us   "
              + ", ".join(f"{v * l['range_sync_s'] * 1e3:.2f} ms" for v in calls.values()))
EOF2
fi
if has validate; then
    echo "== 4. measured multi-rank steps (32 x 64 per rank, one thread per rank)"
    "${MPIRUN[@]}" -n 2 "$BENCH" dist-train "$MODEL" 1 "$STEPS" 64x64 q8bert | keep validate-shm-2 link_tag=shm-2
    "${MPIRUN[@]}" -n 4 "$BENCH" dist-train "$MODEL" 1 "$STEPS" 128x64 q8bert | keep validate-shm-4 link_tag=shm-4
    if [ $hosts_up = 1 ]; then
        "${MPIRUN[@]}" "${tcp_args[@]}" --wdir "$PWD" -n 2 "$BENCH" dist-train "$MODEL" 1 "$STEPS" 64x64 q8bert \
            | keep validate-tcp-2 link_tag=tcp-2
    fi
fi
if has overlap; then
    echo "== 5. exposed communication, 8 x 64 per rank, one thread per rank (oversubscribed past 2)"
    for n in 2 4 8; do
        for variant in before sparse after; do
            case $variant in
                before) export SPARSE=0 POLL=0 ;;     # dense word embeddings, buckets tested at layer ends
                sparse) export SPARSE=0.5 POLL=0 ;;   # rows only
                after) export SPARSE=0.5 POLL=1 ;;    # rows, and tested between each layer's GEMMs
            esac
            "${MPIRUN[@]}" -x SPARSE -x POLL -n $n "$BENCH" dist-train "$MODEL" 1 "$STEPS" $((8 * n))x64 q8bert \
                | keep overlap-$n-$variant | grep -E 'dist-train|reduced per step|blocking allreduce|hidden' || true
        done
    done
    unset SPARSE POLL
    python3 - "$OUT" <<'EOF'
import json, sys
p = {}
for line in open(sys.argv[1]):
    kind, _, rest = line.partition(" ")
    if kind == "PROFILE":
        d = json.loads(rest); p[d["tag"]] = d
print("exposed communication per step: finish() wait on the rank whose backward ended last (ms), its share of")
print("the step, bytes reduced per step, share of the same exchange's blocking allreduce hidden behind backward,")
print("and the range allreduces' time per step (mostly waiting for the other ranks: oversubscribed ranks take turns)")
print(f"  {'':5} | {'before: dense, layer-end tests':>44} | {'sparse rows':>44} | {'sparse rows + tests between GEMMs':>44}")
for n in (2, 4, 8):
    row = f"  -n {n:<2}"
    for v in ("before", "sparse", "after"):
        d = p.get(f"overlap-{n}-{v}")
        if d is None:
            row += " | " + "not measured".rjust(44)
            continue
        row += (f" | {d['wait_s']*1e3:6.1f} ms {100*d['wait_s']/d['step_s']:4.1f}% {d['bytes_per_step']/1e6:5.1f} MB "
                f"hid {100*(1-d['wait_s']/d['allreduce_s']):3.0f}% rng {d['range_s_per_step']*1e3:5.1f}")
    print(row)
EOF
fi
echo
python3 scripts/scaling_model.py "$OUT" --latency-us "${LATENCY_US:-25}"
echo
echo "What if each rank computed 10x faster than one core here (a many-core node): the same model, compute / 10"
python3 scripts/scaling_model.py "$OUT" --latency-us "${LATENCY_US:-25}" --compute-scale 0.1 --no-validation
echo "(measurements: $OUT)"
