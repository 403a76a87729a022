#!/bin/bash
# slurm-timelimit: a train.sbatch job (2 ranks, tiny model, a schedule far longer than its time)
# with --time=1 and --signal=B:USR1@50 gets SIGUSR1 from Slurm before its 1-minute limit, while
# training: the batch shell forwards it to mpirun, q8train writes a checkpoint of the step it is
# at and the job ends with exit code 138 (not TIMEOUT). A resubmission into the same output folder
# (--resume auto, from train.sbatch) continues from that checkpoint to --max-steps = its step + 10:
# COMPLETED with exit code 0, final/ present, and log.jsonl tells one history (one config record,
# one resume record at the checkpoint's step, every step once).
# Slurm checks time limits and sends such signals every 30 s, so the signal arrives 10-40 s after
# the start (at the first check with at most 50 s left): the test takes 15-50 s.
# Run: scripts/cluster-tests.sh slurm-timelimit (root; installs slurm-wlm and munge if missing).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/slurm.bash
source "$(dirname "${BASH_SOURCE[0]}")/slurm.bash"

require_slurm
require_q8train
clean_mpi_env
make_workspace
slurm_up

export Q8_ROOT=$ROOT Q8_OUTPUT_DIR="$WORK/run"
tiny_train_args run
# 100000 epochs of 25 steps: far more than a minute at any speed; evaluation at epoch ends only.
long=("${TRAIN_ARGS[@]:1}" --epochs 100000 --eval-every 0)

# 1. Stopped by SIGUSR1 shortly before the time limit.
slurm_submit --ntasks=2 --cpus-per-task=1 --time=1 --signal=B:USR1@50 --job-name=q8-timelimit \
    --output="$WORK/job1.out" "$ROOT/scripts/slurm/train.sbatch" "${long[@]}"
slurm_wait "$JOB" 150
grep -v '^step ' "$WORK/job1.out" >"$WORK/job1.short" || true
show_file "$WORK/job1.short"
[[ $JOB_STATE != TIMEOUT ]] || fail "job $JOB ran into its time limit: the SIGUSR1 before it did not stop it"
[[ $JOB_STATE == FAILED && $JOB_EXIT == 138:0 ]] \
    || fail "job $JOB: $JOB_STATE, exit code $JOB_EXIT (expected FAILED with 138:0: stopped by SIGUSR1)"
grep -q '^train.sbatch: got SIGUSR1' "$WORK/job1.out" || fail "the batch shell did not get (or forward) SIGUSR1"
stopped=$(grep '"type":"stopped"' "$WORK/run/log.jsonl" | tail -n 1) || fail "log.jsonl has no stopped record"
echo "log.jsonl: $stopped"
step=$(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); assert r["reason"] == "signal SIGUSR1", r; print(r["step"])' "$stopped") \
    || fail "the stopped record does not name SIGUSR1: $stopped"
[[ $step -gt 0 ]] || fail "stopped at step $step: it was not training yet when signalled"
[[ -f "$WORK/run/checkpoints/step-$step/manifest.json" ]] || fail "no checkpoint $WORK/run/checkpoints/step-$step"
[[ ! -d "$WORK/run/final" ]] || fail "final/ exists after a stopped run"
echo "stopped at step $step with a checkpoint"

# 2. Submitted again: continues from the checkpoint to step + 10. (--time=5: train.sbatch's own
# --signal=B:USR1@120 must not come at once.)
end=$((step + 10))
slurm_submit --ntasks=2 --cpus-per-task=1 --time=5 --job-name=q8-timelimit \
    --output="$WORK/job2.out" "$ROOT/scripts/slurm/train.sbatch" "${long[@]}" --max-steps "$end"
slurm_wait "$JOB" 120
show_file "$WORK/job2.out"
[[ $JOB_STATE == COMPLETED && $JOB_EXIT == 0:0 ]] || fail "job $JOB: $JOB_STATE, exit code $JOB_EXIT (expected COMPLETED, 0:0)"
[[ -f "$WORK/run/final/model.safetensors" ]] || fail "no final/model.safetensors after the resumed run"
python3 - "$WORK/run/log.jsonl" "$step" "$end" <<'EOF' || fail "log.jsonl does not tell one history (above)"
import json, sys
path, stop, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
records = [json.loads(line) for line in open(path) if line.strip()]
kinds = [r.get("type") for r in records]
resumes = [r for r in records if r.get("type") == "resume"]
steps = [r["step"] for r in records if r.get("type") == "step"]
problems = []
if kinds.count("config") != 1: problems.append(f"{kinds.count('config')} config records, expected 1")
if len(resumes) != 1: problems.append(f"{len(resumes)} resume records, expected 1")
elif resumes[0].get("step") != stop: problems.append(f"the resume record is at step {resumes[0].get('step')}, expected {stop}")
if steps != list(range(1, end + 1)): problems.append(f"step records {steps[:3]}...{steps[-3:]} ({len(steps)}), expected 1...{end} once each")
if kinds.count("summary") != 1: problems.append(f"{kinds.count('summary')} summary records, expected 1")
print("log.jsonl:", len(records), "records;", "resume at step", resumes[0].get("step") if resumes else None, "; steps 1 ...", steps[-1] if steps else None)
for p in problems: print("  " + p)
sys.exit(1 if problems else 0)
EOF
echo "passed"
