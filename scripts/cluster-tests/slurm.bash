# shellcheck shell=bash
# Slurm helpers for scripts/cluster-tests/slurm-*.sh, sourced after lib.sh (not a test: the
# harness runs only *.sh):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/slurm.bash"
#
#   require_slurm              skip (77) unless root, and Slurm is installed or can be installed
#   slurm_up                   start the single-node cluster (scripts/slurm/cluster.sh up; stopped
#                              at exit, also on failure), or use one that already runs
#   slurm_submit ARGS...       JOB = the id of `sbatch --parsable ARGS...` (cancelled at exit if
#                              it still runs)
#   slurm_wait JOB SECONDS     wait until JOB has ended (fail after SECONDS); sets JOB_STATE
#                              (COMPLETED, FAILED, TIMEOUT, ...) and JOB_EXIT (status:signal)
#   show_file FILE             print FILE with a header (a job's output, for the test log)

CLUSTER_SH="$ROOT/scripts/slurm/cluster.sh"

require_slurm() {
    [[ $(id -u) -eq 0 ]] || skip "the Slurm tests need root (they start slurmctld, slurmd, munged); running as $(id -un)"
    command -v python3 >/dev/null || skip "python3 is not installed"
    local out
    out=$("$CLUSTER_SH" install 2>&1) || skip "Slurm cannot be installed here: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
}

slurm_up() {
    eval "$("$CLUSTER_SH" env)"
    if "$CLUSTER_SH" status >/dev/null 2>&1; then
        echo "using the Slurm cluster that already runs (SLURM_CONF=$SLURM_CONF)"
        return 0
    fi
    on_exit "'$CLUSTER_SH' down"
    local t0
    t0=$(date +%s.%N)
    "$CLUSTER_SH" up || fail "scripts/slurm/cluster.sh up failed"
    echo "cluster up in $(elapsed_since "$t0") s"
}

slurm_submit() {
    JOB=$(sbatch --parsable "$@") || fail "sbatch $* failed"
    JOB=${JOB%%;*}
    on_exit "scancel '$JOB' 2>/dev/null"
    echo "submitted job $JOB"
}

# JobState and ExitCode of JOB from slurmctld, or from the job completion log once its record
# is gone; empty while it has not ended.
_slurm_job_end() {
    local info state
    if info=$(scontrol -o show job "$1" 2>/dev/null); then
        state=$(grep -oE 'JobState=[A-Z_]+' <<<"$info" | head -n 1)
        state=${state#JobState=}
        case $state in
            COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | PREEMPTED | BOOT_FAIL | DEADLINE | OUT_OF_MEMORY) ;;
            *) return 1 ;;
        esac
    else
        local comp
        comp=$(awk -F= '/^JobCompLoc=/ { print $2 }' "$SLURM_CONF")
        info=$(grep "^JobId=$1 " "$comp" 2>/dev/null | tail -n 1) || return 1
        [[ -n "$info" ]] || return 1
        state=$(grep -oE 'JobState=[A-Z_]+' <<<"$info" | head -n 1)
        state=${state#JobState=}
    fi
    JOB_STATE=$state
    JOB_EXIT=$(grep -oE ' ExitCode=[0-9]+:[0-9]+' <<<"$info" | head -n 1)
    JOB_EXIT=${JOB_EXIT# ExitCode=}
}

slurm_wait() {
    local job=$1 seconds=$2 t0
    t0=$(date +%s.%N)
    JOB_STATE="" JOB_EXIT=""
    # (Every 0.25 s: scontrol costs some CPU, and the job shares the machine.)
    until _slurm_job_end "$job"; do
        if ! awk -v a="$t0" -v b="$(date +%s.%N)" -v s="$seconds" 'BEGIN { exit !(b - a < s) }'; then
            scontrol show job "$job" 2>&1 | sed 's/^/    /' || true
            fail "job $job has not ended after $seconds s"
        fi
        sleep 0.25
    done
    echo "job $job ended after $(elapsed_since "$t0") s: $JOB_STATE, exit code $JOB_EXIT"
}

show_file() {
    echo "--- $1"
    cat "$1" 2>/dev/null || echo "(missing)"
    echo "---"
}
