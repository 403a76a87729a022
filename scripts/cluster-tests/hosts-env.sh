#!/bin/bash
# hosts-env: `q8train env` on 2 emulated hosts x 2 ranks (one row per rank: host, rank, local rank,
# affinity, threads, ISA paths, Open MPI version, transports, OpenBLAS). Checks it succeeds, names
# both hosts q8h1 and q8h2, and shows tcp as a transport (between the hosts). Skipped (77) while
# the q8train binary has no env subcommand.
# Run: scripts/cluster-tests.sh hosts-env (root; emulated hosts: scripts/emulate-hosts.sh).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_emulated_hosts
require_q8train
# (An argument parser may answer `q8train env --help` with the top-level help and status 0: look
# for env's own usage line.)
if ! help=$("$Q8TRAIN" env --help 2>&1) || ! grep -qi "usage: q8train env" <<< "$help"; then
    skip "$Q8TRAIN has no env subcommand ('q8train env --help' does not show its usage)"
fi
clean_mpi_env
make_workspace
hosts_up 2

status=0
timeout 120 mpirun "${MPIRUN_ARGS[@]}" -n 4 --oversubscribe --bind-to none --wdir "$WORK" \
    "$Q8TRAIN" env --threads 1 > "$WORK/env.out" 2>&1 || status=$?
cat "$WORK/env.out"
if [[ $status -ne 0 ]] && grep -q -- "--threads" "$WORK/env.out"; then
    # An env subcommand without --threads: run it with the defaults.
    status=0
    timeout 120 mpirun "${MPIRUN_ARGS[@]}" -n 4 --oversubscribe --bind-to none --wdir "$WORK" \
        "$Q8TRAIN" env > "$WORK/env.out" 2>&1 || status=$?
    cat "$WORK/env.out"
fi
[[ $status -eq 0 ]] || fail "mpirun ... q8train env on 2 emulated hosts x 2 ranks exited with status $status"
for host in q8h1 q8h2; do
    grep -qw "$host" "$WORK/env.out" || fail "the output does not name host $host"
done
grep -qiw tcp "$WORK/env.out" || fail "the output shows no tcp transport between the hosts"
grep -qiwE 'vader|sm|shared memory' "$WORK/env.out" \
    || echo "note: no shared-memory transport (vader) named in the output"
echo "passed"
