#!/bin/bash
# slurm-train: `sbatch --ntasks=2 scripts/slurm/train.sbatch` on the single-node cluster of
# scripts/slurm/cluster.sh trains the tiny model for 6 steps under mpirun (2 ranks), checkpoint
# every 3: the job COMPLETED with exit code 0, checkpoints/step-3 and final/ exist, the log names
# 2 ranks. Then the same with LAUNCHER=srun (srun --mpi=pmix), 3 steps.
# Run: scripts/cluster-tests.sh slurm-train (root; installs slurm-wlm and munge if missing).
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

# The job's environment is this one (sbatch --export=ALL): Q8TRAIN, Q8_ROOT, Q8_OUTPUT_DIR.
export Q8_ROOT=$ROOT
tiny_train_args run
export Q8_OUTPUT_DIR="$WORK/run"
slurm_submit --ntasks=2 --cpus-per-task=1 --time=5 --job-name=q8-slurm-train \
    --output="$WORK/job.out" "$ROOT/scripts/slurm/train.sbatch" "${TRAIN_ARGS[@]:1}" \
    --max-steps 6 --checkpoint-every 3
slurm_wait "$JOB" 120
show_file "$WORK/job.out"
[[ $JOB_STATE == COMPLETED && $JOB_EXIT == 0:0 ]] || fail "job $JOB: $JOB_STATE, exit code $JOB_EXIT (expected COMPLETED, 0:0)"
grep -q '^train.sbatch: .* mpirun -n 2 ' "$WORK/job.out" || fail "train.sbatch did not start mpirun -n 2"
grep -q '2 ranks' "$WORK/job.out" || fail "the log does not mention 2 ranks"
[[ -f "$WORK/run/checkpoints/step-3/manifest.json" ]] || fail "no checkpoint $WORK/run/checkpoints/step-3"
[[ -f "$WORK/run/final/model.safetensors" ]] || fail "no final/model.safetensors"
steps=$(grep -c '"type":"step"' "$WORK/run/log.jsonl" || true)
[[ $steps -eq 6 ]] || fail "log.jsonl has $steps step records, expected 6"

# LAUNCHER=srun: Slurm starts the ranks itself (PMIx).
tiny_train_args srun
export Q8_OUTPUT_DIR="$WORK/srun" LAUNCHER=srun
slurm_submit --ntasks=2 --cpus-per-task=1 --time=5 --job-name=q8-slurm-srun \
    --output="$WORK/srun.out" "$ROOT/scripts/slurm/train.sbatch" "${TRAIN_ARGS[@]:1}" --max-steps 3
slurm_wait "$JOB" 120
show_file "$WORK/srun.out"
[[ $JOB_STATE == COMPLETED && $JOB_EXIT == 0:0 ]] || fail "LAUNCHER=srun job $JOB: $JOB_STATE, exit code $JOB_EXIT (expected COMPLETED, 0:0)"
grep -q '^train.sbatch: .* srun --mpi=pmix ' "$WORK/srun.out" || fail "train.sbatch did not start srun --mpi=pmix"
grep -q '2 ranks' "$WORK/srun.out" || fail "the srun log does not mention 2 ranks"
[[ -f "$WORK/srun/final/model.safetensors" ]] || fail "LAUNCHER=srun: no final/model.safetensors"
echo "passed"
