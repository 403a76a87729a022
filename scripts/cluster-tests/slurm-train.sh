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

# The job's environment is this one (sbatch --export=ALL): Q8TRAIN, Q8_ROOT, Q8_OUTPUT_DIR, LAUNCHER.
export Q8_ROOT=$ROOT

# Submits train.sbatch as job NAME into $WORK/NAME with LAUNCHER (mpirun or srun) and more q8train
# arguments, waits, and checks what every such job must show: COMPLETED with exit code 0, the
# launcher line, 2 ranks in the log, final/ written.
train_job() {
    local name=$1 launcher=$2 pattern=$3
    shift 3
    tiny_train_args "$name"
    export Q8_OUTPUT_DIR="$WORK/$name" LAUNCHER=$launcher
    slurm_submit --ntasks=2 --cpus-per-task=1 --time=5 --job-name="q8-slurm-$name" \
        --output="$WORK/$name.out" "$ROOT/scripts/slurm/train.sbatch" "${TRAIN_ARGS[@]:1}" "$@"
    slurm_wait "$JOB" 120
    show_file "$WORK/$name.out"
    [[ $JOB_STATE == COMPLETED && $JOB_EXIT == 0:0 ]] || fail "$launcher job $JOB: $JOB_STATE, exit code $JOB_EXIT (expected COMPLETED, 0:0)"
    grep -q "^train.sbatch: .* $pattern " "$WORK/$name.out" || fail "train.sbatch did not start $pattern"
    grep -q '2 ranks' "$WORK/$name.out" || fail "the $launcher job's log does not mention 2 ranks"
    [[ -f "$WORK/$name/final/model.safetensors" ]] || fail "$launcher job: no final/model.safetensors"
}

train_job run mpirun "mpirun -n 2" --max-steps 6 --checkpoint-every 3
[[ -f "$WORK/run/checkpoints/step-3/manifest.json" ]] || fail "no checkpoint $WORK/run/checkpoints/step-3"
steps=$(grep -c '"type":"step"' "$WORK/run/log.jsonl" || true)
[[ $steps -eq 6 ]] || fail "log.jsonl has $steps step records, expected 6"

# LAUNCHER=srun: Slurm starts the ranks itself (PMIx).
train_job srun srun "srun --mpi=pmix" --max-steps 3
echo "passed"
