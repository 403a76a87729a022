# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/cluster-tests/*.sh. Sourced, not run (the harness skips it):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Gives: ROOT (repo root), Q8TRAIN (absolute path of the q8train binary: $Q8TRAIN, relative to
# the current folder, or by default .build/debug/q8train under ROOT), and
#   fail MSG / skip MSG      end the test: exit 1 / exit 77 with the message
#   on_exit CMD              run CMD (a string, eval'ed) when the test ends, also on failure or
#                            a signal; the latest registered runs first
#   clean_mpi_env            unset inherited OMPI_*, PMIX_*, ORTE_*, OPAL_* (a test started
#                            from inside an MPI job would otherwise join it); as root, allow mpirun
#   make_workspace           WORK = a new temporary folder (removed at exit) with the tiny model
#                            in $WORK/model and the movie-layout task in $WORK/data
#   tiny_train_args OUTPUT   TRAIN_ARGS = q8train train arguments for the tiny workspace
#                            (--threads 1, --output-dir $WORK/OUTPUT), to extend
#   same_bytes A B FILE...   fail unless every FILE is byte-identical under run folders A and B
#   require_q8train          fail unless $Q8TRAIN is executable
#   require_emulated_hosts   skip unless emulated hosts can be made here (root, ip netns, unshare, mpirun)
#   hosts_up N               scripts/emulate-hosts.sh up N (down registered with on_exit);
#                            MPIRUN_ARGS = its mpirun arguments
#   elapsed_since T0         seconds since T0 (a `date +%s.%N` value), 1 decimal
#   wait_for SECONDS CMD...  poll CMD every 0.05 s until it succeeds; status 1 on timeout
#   stop_process PID         if PID (a background job of this test) still runs: SIGTERM (mpirun
#                            then ends its job), SIGKILL if it still runs 5 s later

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ -z "${Q8TRAIN:-}" ]]; then Q8TRAIN="$ROOT/.build/debug/q8train"
elif [[ "$Q8TRAIN" != /* ]]; then Q8TRAIN="$PWD/$Q8TRAIN"; fi
export Q8TRAIN

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

_on_exit=()
on_exit() { _on_exit=("$1" "${_on_exit[@]+"${_on_exit[@]}"}"); }
_run_on_exit() {
    local status=$? cmd
    trap - EXIT
    for cmd in "${_on_exit[@]+"${_on_exit[@]}"}"; do eval "$cmd" || true; done
    exit "$status"
}
trap _run_on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

clean_mpi_env() {
    local v
    for v in $(compgen -e); do
        case "$v" in OMPI_* | PMIX_* | ORTE_* | OPAL_*) unset "$v" ;; esac
    done
    if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
}

make_workspace() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/q8-cluster-test.XXXXXX")
    on_exit "rm -rf '$WORK'"
    python3 "$ROOT/scripts/tiny-workspace.py" "$WORK" || fail "scripts/tiny-workspace.py $WORK failed"
}

tiny_train_args() {
    TRAIN_ARGS=(train --model "$WORK/model" --task movie --data-dir "$WORK/data" --output-dir "$WORK/$1"
                --max-seq-length 16 --batch-size 16 --eval-batch-size 8 --learning-rate 1e-3 --threads 1)
}

same_bytes() {
    local a=$1 b=$2 file differ=()
    shift 2
    for file in "$@"; do
        [[ -f "$a/$file" ]] || fail "$a/$file is missing"
        [[ -f "$b/$file" ]] || fail "$b/$file is missing"
        cmp -s "$a/$file" "$b/$file" || differ+=("$file")
    done
    [[ ${#differ[@]} -eq 0 ]] || fail "$(basename "$a") and $(basename "$b") differ in: ${differ[*]}"
    echo "byte-identical ($(basename "$a") vs $(basename "$b")): $*"
}

require_q8train() {
    [[ -x "$Q8TRAIN" ]] || fail "no q8train binary at $Q8TRAIN (build it, or set Q8TRAIN)"
}

require_emulated_hosts() {
    [[ $(id -u) -eq 0 ]] || skip "emulated hosts need root (network namespaces); running as $(id -un)"
    local tool
    for tool in ip unshare mpirun python3 timeout; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
    done
    ip netns list >/dev/null 2>&1 || skip "ip netns is unavailable: $(ip netns list 2>&1 | head -1)"
    local probe=q8probe$$ out
    if ! out=$(ip netns add "$probe" 2>&1); then skip "cannot create a network namespace: $out"; fi
    ip netns del "$probe" 2>/dev/null || true
}

hosts_up() {
    export EMULATED_HOSTS_DIR="$WORK/emulated-hosts"
    on_exit "'$ROOT/scripts/emulate-hosts.sh' down"
    "$ROOT/scripts/emulate-hosts.sh" up "$1" || fail "scripts/emulate-hosts.sh up $1 failed"
    mapfile -t MPIRUN_ARGS < "$EMULATED_HOSTS_DIR/mpirun-args"
}

elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

wait_for() {
    local seconds=$1 t0
    shift
    t0=$(date +%s.%N)
    until "$@"; do
        awk -v a="$t0" -v b="$(date +%s.%N)" -v s="$seconds" 'BEGIN { exit !(b - a < s) }' || return 1
        sleep 0.05
    done
}

stop_process() {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_for 5 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
}
