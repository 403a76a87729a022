#!/bin/bash
# launch-run: `scripts/launch.sh -n 8 -- --max-steps 3 <tiny model>` trains on 8 ranks (more than
# this machine's cores: oversubscribed) with q8train's default subcommand: exit 0, final/ present,
# the log names 8 ranks; and `launch.sh -n 2` on 2 CPUs (taskset) trains with each rank bound to
# its core. The root variables come from launch.sh alone (the test unsets them).
# Run: scripts/cluster-tests.sh launch-run
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v mpirun >/dev/null || skip "mpirun is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
require_q8train
clean_mpi_env
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
for v in $(compgen -e); do case $v in SLURM_*) unset "$v" ;; esac; done
make_workspace

# q8train without a subcommand runs `train` (its default subcommand): the help of
# `q8train --max-steps 1 --help` is train's. An older binary needs `train` spelled out.
sub=()
help=$("$Q8TRAIN" --max-steps 1 --help 2>&1 || true)
if ! grep -q "USAGE: q8train train" <<<"$help"; then
    sub=(train)
    echo "NOTE: $Q8TRAIN has no default subcommand yet ('q8train --max-steps 1 --help' is not train's help): passing 'train'"
fi

tiny_train_args run8
# (TRAIN_ARGS without its leading `train`.)
args=("${sub[@]+"${sub[@]}"}" --max-steps 3 "${TRAIN_ARGS[@]:1}")

t0=$(date +%s.%N)
status=0
timeout 180 "$ROOT/scripts/launch.sh" -n 8 -- "${args[@]}" >"$WORK/run8.out" 2>&1 || status=$?
echo "launch.sh -n 8: exit status $status after $(elapsed_since "$t0") s"
show() { echo "--- $1"; cat "$1"; echo "---"; }
show "$WORK/run8.out"
[[ $status -eq 0 ]] || fail "scripts/launch.sh -n 8 -- --max-steps 3 ... exited with status $status"
grep -q '^launch.sh: .*mpirun -n 8 ' "$WORK/run8.out" || fail "launch.sh printed no 'mpirun -n 8' line"
if [[ $(nproc) -lt 8 ]]; then
    grep -q '^launch.sh: .*mpirun -n 8 --oversubscribe --bind-to none ' "$WORK/run8.out" \
        || fail "8 ranks on $(nproc) CPUs should be --oversubscribe --bind-to none"
fi
[[ -f "$WORK/run8/final/model.safetensors" ]] || fail "no final/model.safetensors in the output folder"
grep -q '8 ranks' "$WORK/run8.out" || fail "the log does not mention 8 ranks"
steps=$(grep -c '"type":"step"' "$WORK/run8/log.jsonl" || true)
[[ $steps -eq 3 ]] || fail "log.jsonl has $steps step records, expected 3"

# 2 ranks on 2 CPUs: not oversubscribed, each bound to one core.
if taskset -c 0,1 true 2>/dev/null; then
    tiny_train_args run2
    t0=$(date +%s.%N)
    status=0
    timeout 120 taskset -c 0,1 "$ROOT/scripts/launch.sh" -n 2 -- "${sub[@]+"${sub[@]}"}" --max-steps 3 \
        "${TRAIN_ARGS[@]:1}" >"$WORK/run2.out" 2>&1 || status=$?
    echo "launch.sh -n 2: exit status $status after $(elapsed_since "$t0") s"
    show "$WORK/run2.out"
    [[ $status -eq 0 ]] || fail "scripts/launch.sh -n 2 -- --max-steps 3 ... exited with status $status"
    grep -q '^launch.sh: .*mpirun -n 2 --map-by slot:PE=1 --bind-to core ' "$WORK/run2.out" \
        || fail "2 ranks on 2 CPUs should be bound one core each"
    [[ -f "$WORK/run2/final/model.safetensors" ]] || fail "no final/model.safetensors in the 2-rank output folder"
fi
echo "passed"
