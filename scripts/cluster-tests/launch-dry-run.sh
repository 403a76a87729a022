#!/bin/bash
# launch-dry-run: the mpirun command lines scripts/launch.sh prints. On 2 CPUs (taskset): -n 2 binds
# one core per rank without --oversubscribe, -n 1 gives its rank both, -n 8 oversubscribes with
# --bind-to none; a hostfile whose slots sum to 8 takes -n 8 without --oversubscribe; in a Slurm
# allocation (its variables set by hand) the slots are SLURM_NTASKS; the root variables are set
# and forwarded exactly when running as root; q8train's arguments follow the binary unchanged;
# and the printed line is exactly what runs (MPIRUN set to a script that records its arguments).
# Needs neither Slurm nor mpirun.
# Run: scripts/cluster-tests.sh launch-dry-run
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v taskset >/dev/null || skip "taskset is not installed"
taskset -c 0,1 true 2>/dev/null || skip "cannot run on CPUs 0 and 1 (taskset -c 0,1): fewer than 2 CPUs here"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/q8-cluster-test.XXXXXX")
on_exit "rm -rf '$WORK'"
# Not inside an allocation, whatever started this test (the Slurm case sets them below).
for v in $(compgen -e); do case $v in SLURM_*) unset "$v" ;; esac; done
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM

LAUNCH="$ROOT/scripts/launch.sh"
export Q8TRAIN=/nonexistent/q8train   # a dry run does not need it

# LINE = the mpirun line `launch.sh ARGS` prints (on CPUs 0 and 1).
dry() {
    local out
    out=$(taskset -c 0,1 "$LAUNCH" "$@" 2>&1 >/dev/null) || fail "launch.sh $* exited with status $?: $out"
    LINE=$(grep '^launch.sh: .*mpirun ' <<<"$out" | head -n 1) || fail "launch.sh $* printed no mpirun line: $out"
    LINE=${LINE#launch.sh: }
    echo "launch.sh $*"
    echo "    $LINE"
}
has() { [[ " $LINE " == *" $1 "* ]] || fail "expected '$1' in: $LINE"; }
hasnt() { [[ " $LINE " != *" $1 "* ]] || fail "did not expect '$1' in: $LINE"; }
root_vars() {
    if [[ $(id -u) -eq 0 ]]; then
        has "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun"
        has "-x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"
    else
        hasnt "OMPI_ALLOW_RUN_AS_ROOT=1"
        hasnt "-x OMPI_ALLOW_RUN_AS_ROOT"
    fi
}

# 2 ranks on 2 slots: one core each.
dry -n 2 --dry-run -- train --max-steps 3
has "mpirun -n 2"; hasnt "--oversubscribe"; has "--map-by slot:PE=1 --bind-to core"; hasnt "--bind-to none"
has "/nonexistent/q8train train --max-steps 3"
[[ "$LINE" == *" /nonexistent/q8train train --max-steps 3" ]] || fail "q8train's arguments are not last: $LINE"
root_vars

# 1 rank: both cores.
dry -n 1 --dry-run
has "--map-by slot:PE=2 --bind-to core"; hasnt "--oversubscribe"
[[ "$LINE" == *" /nonexistent/q8train" ]] || fail "with no arguments after --, q8train should get none: $LINE"

# 8 ranks on 2 slots: oversubscribed, unbound.
dry -n 8 --dry-run -- --max-steps 3
has "mpirun -n 8"; has "--oversubscribe"; has "--bind-to none"; hasnt "--bind-to core"; hasnt "--map-by"
root_vars

# A hostfile with 4 + 4 slots: 8 ranks fit (the cores per host are unknown: no core binding
# that would put 4 ranks on a 2-core host).
printf '# two hosts\nq8h1 slots=4\n\nq8h2 slots=4   # the second\n' >"$WORK/hosts"
dry -n 8 --hostfile "$WORK/hosts" --dry-run -- train
has "--hostfile $WORK/hosts"; hasnt "--oversubscribe"; has "mpirun -n 8"
root_vars
# ... and 9 ranks do not.
dry -n 9 --hostfile "$WORK/hosts" --dry-run
has "--oversubscribe"; has "--bind-to none"
# One slot per host, 2 ranks: a rank per host, bound to this machine's 2 cores' worth.
printf 'q8h1 slots=1\nq8h2 slots=1\n' >"$WORK/hosts1"
dry -n 2 --hostfile "$WORK/hosts1" --dry-run
hasnt "--oversubscribe"; has "--map-by slot:PE=2 --bind-to core"

# Inside a Slurm allocation: the slots are the tasks, a rank's cores --cpus-per-task.
SLURM_JOB_ID=42 SLURM_NTASKS=2 SLURM_CPUS_ON_NODE=2 SLURM_CPUS_PER_TASK=1 dry -n 2 --dry-run
hasnt "--oversubscribe"; has "--map-by slot:PE=1 --bind-to core"
SLURM_JOB_ID=42 SLURM_NTASKS=2 SLURM_CPUS_ON_NODE=2 SLURM_CPUS_PER_TASK=1 dry -n 4 --dry-run
has "--oversubscribe"; has "--bind-to none"
# ... not confined to its one CPU (this process sees 2): no binding.
SLURM_JOB_ID=42 SLURM_NTASKS=1 SLURM_CPUS_ON_NODE=1 dry -n 1 --dry-run
hasnt "--oversubscribe"; has "--bind-to none"

# Usage errors.
if taskset -c 0,1 "$LAUNCH" --dry-run -- train >/dev/null 2>&1; then fail "launch.sh without -n should fail"; fi
if taskset -c 0,1 "$LAUNCH" -n 0 --dry-run >/dev/null 2>&1; then fail "launch.sh -n 0 should fail"; fi
if taskset -c 0,1 "$LAUNCH" -n 2 --bogus --dry-run >/dev/null 2>&1; then fail "launch.sh with an unknown option should fail"; fi

# The printed line is the one that runs: MPIRUN = a script that prints its arguments as %q words.
cat >"$WORK/fake-mpirun" <<'EOF'
#!/bin/bash
line=$(printf '%q' "$0")
for a in "$@"; do line+=" $(printf '%q' "$a")"; done
[[ -n "${OMPI_ALLOW_RUN_AS_ROOT:-}" ]] && line="OMPI_ALLOW_RUN_AS_ROOT=$OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=$OMPI_ALLOW_RUN_AS_ROOT_CONFIRM $line"
echo "ran: $line"
exit 3
EOF
chmod +x "$WORK/fake-mpirun"
printf '#!/bin/sh\n' >"$WORK/q8train"; chmod +x "$WORK/q8train"
status=0
out=$(MPIRUN="$WORK/fake-mpirun" Q8TRAIN="$WORK/q8train" taskset -c 0,1 "$LAUNCH" -n 2 -- train --output-dir "$WORK/a b" 2>&1) || status=$?
echo "$out"
[[ $status -eq 3 ]] || fail "launch.sh should exit with mpirun's status 3, not $status"
printed=$(grep '^launch.sh: .*mpirun ' <<<"$out") || fail "no mpirun line printed"
ran=$(grep '^ran: ' <<<"$out") || fail "the fake mpirun did not run"
[[ "${printed#launch.sh: }" == "${ran#ran: }" ]] || fail "printed and run differ:
    printed: ${printed#launch.sh: }
    ran:     ${ran#ran: }"
[[ "$ran" == *"--output-dir $WORK/a\\ b" ]] || fail "an argument with a space was not passed as one: $ran"
echo "passed"
