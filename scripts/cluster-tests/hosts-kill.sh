#!/bin/bash
# hosts-kill: a host dies mid-run. q8train train on 2 emulated hosts x 2 ranks (tiny BERT, Q8BERT
# QAT, --reduction-groups 4, 60 steps over 3 epochs, a checkpoint every 5 steps); once a checkpoint
# exists and the run is past it, every q8train process of host q8h2 (found by its network
# namespace) gets SIGKILL. Checks: mpirun exits non-zero within 30 s (the seconds from the kill
# to the job's end are printed); the run did not finish; the newest checkpoint's files match its
# manifest (sizes and sha256) and `--resume auto` in one process resumes from it (not from an
# older one) and runs to step 60; final/ and best/ are byte-identical to an uninterrupted
# single-process run.
# Run: scripts/cluster-tests.sh hosts-kill (root; emulated hosts: scripts/emulate-hosts.sh).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_emulated_hosts
require_q8train
clean_mpi_env
make_workspace
hosts_up 2

STEPS=60
extra=(--quantize q8bert --reduction-groups 4 --epochs 3 --max-steps "$STEPS" --eval-every 5 --checkpoint-every 5)
run="$WORK/killed"

newest_checkpoint() {  # the step of the newest complete checkpoint in $run (empty if none)
    local d steps=()
    for d in "$run"/checkpoints/step-*; do [[ -f "$d/manifest.json" ]] && steps+=("${d##*/step-}"); done
    [[ ${#steps[@]} -gt 0 ]] && printf '%s\n' "${steps[@]}" | sort -n | tail -n 1
    return 0
}
logged_steps() { grep -c '"type":"step"' "$run/log.jsonl" 2>/dev/null || true; }
past_a_checkpoint() {  # a checkpoint exists and the log is 2 steps past it
    local c
    c=$(newest_checkpoint)
    [[ -n "$c" ]] && (($(logged_steps) >= c + 2))
}
alive() { kill -0 "$1" 2>/dev/null; }

tiny_train_args killed
mpirun "${MPIRUN_ARGS[@]}" -n 4 --oversubscribe --bind-to none --wdir "$WORK" \
    "$Q8TRAIN" "${TRAIN_ARGS[@]}" "${extra[@]}" > "$WORK/killed.out" 2>&1 &
mpirun_pid=$!
mpirun_done=0
on_exit '[[ $mpirun_done == 1 ]] || stop_process $mpirun_pid' 

wait_for 120 eval 'past_a_checkpoint || ! alive $mpirun_pid' || { cat "$WORK/killed.out"; fail "no checkpoint within 120 s"; }
alive $mpirun_pid || { cat "$WORK/killed.out"; fail "the job ended before it could be killed"; }

victims=()
for pid in $(ip netns pids q8h2); do
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == q8train ]] && victims+=("$pid")
done
[[ ${#victims[@]} -eq 2 ]] || fail "expected 2 q8train processes in namespace q8h2, found ${#victims[@]} (${victims[*]-})"
before=$(newest_checkpoint)
t_kill=$(date +%s.%N)
kill -9 "${victims[@]}"
echo "SIGKILL to the q8train processes of q8h2 (${victims[*]}) after step $(logged_steps) was logged; newest checkpoint then: step-$before"

wait_for 30 eval '! alive $mpirun_pid' || true
took=$(elapsed_since "$t_kill")
alive $mpirun_pid && { cat "$WORK/killed.out"; fail "mpirun still runs $took s after the kill of host q8h2's ranks"; }
status=0
wait $mpirun_pid || status=$?
# shellcheck disable=SC2034 # (read by the on_exit command)
mpirun_done=1
echo "the job ended $took s after the kill, mpirun exit status $status"
echo "--- output of the killed job"
cat "$WORK/killed.out"
echo "---"
[[ $status -ne 0 ]] || fail "mpirun exited 0 although host q8h2's ranks were killed"
[[ ! -e "$run/final" ]] || fail "the run finished before the kill: the test did not test a kill"
ns_empty() { [[ -z "$(ip netns pids q8h1; ip netns pids q8h2)" ]]; }
wait_for 5 ns_empty || true
leftover=$(ip netns pids q8h1; ip netns pids q8h2)
[[ -z "$leftover" ]] || fail "processes left in the emulated hosts after the job ended: $leftover"

newest=$(newest_checkpoint)
[[ -n "$newest" ]] || fail "no checkpoint left after the kill"
echo "checkpoints left: $(cd "$run/checkpoints" && ls -d step-* | sort -t- -k2 -n | tr '\n' ' ')"
# The manifest's sizes and sha256s (q8train's own verification runs when it resumes, below).
python3 - "$run/checkpoints/step-$newest" <<'EOF' || fail "checkpoint step-$newest does not match its manifest"
import hashlib, json, os, sys
folder = sys.argv[1]
manifest = json.load(open(os.path.join(folder, "manifest.json")))
assert manifest["format"] == "q8train-training-checkpoint", manifest["format"]
for name, entry in manifest["files"].items():
    data = open(os.path.join(folder, name), "rb").read()
    assert len(data) == entry["bytes"], "%s: %d bytes, the manifest says %d" % (name, len(data), entry["bytes"])
    assert hashlib.sha256(data).hexdigest() == entry["sha256"], "%s: sha256 differs from the manifest" % name
print("checkpoint %s: %d files match the manifest" % (os.path.basename(folder), len(manifest["files"])))
EOF

t0=$(date +%s.%N)
"$Q8TRAIN" "${TRAIN_ARGS[@]}" "${extra[@]}" --resume auto > "$WORK/resumed.out" 2>&1 \
    || { cat "$WORK/resumed.out"; fail "--resume auto (1 process) failed"; }
echo "resumed in 1 process: $(elapsed_since "$t0") s"
grep -E 'resumed from|warning|damaged' "$WORK/resumed.out" || true
grep -q "resumed from $run/checkpoints/step-$newest at step $newest of $STEPS" "$WORK/resumed.out" \
    || fail "the resumed run did not start from the newest checkpoint step-$newest"
grep -qiE 'warning|damaged' "$WORK/resumed.out" && fail "the resumed run warned about a checkpoint"
[[ $(logged_steps) -eq $STEPS ]] || fail "log.jsonl has $(logged_steps) step records, expected $STEPS (one history)"

tiny_train_args whole
t0=$(date +%s.%N)
"$Q8TRAIN" "${TRAIN_ARGS[@]}" "${extra[@]}" > "$WORK/whole.out" 2>&1 \
    || { cat "$WORK/whole.out"; fail "the uninterrupted single-process run failed"; }
echo "uninterrupted, 1 process: $(elapsed_since "$t0") s"

same_bytes "$WORK/whole" "$run" final/model.safetensors final/quantization.json \
    best/model.safetensors best/quantization.json
echo "passed: kill to job end $took s"
