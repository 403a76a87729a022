#!/bin/bash
# hosts-bitwise: q8train train on 2 emulated hosts x 2 ranks (Open MPI over TCP between the hosts,
# shared memory within one) ends with the same bytes as one plain process: tiny BERT, Q8BERT QAT,
# --reduction-groups 4 (the arithmetic does not depend on the rank count), 12 steps, dev every 5
# (so best/ and final/ are different steps). Compares final/ and best/ model.safetensors and
# quantization.json byte for byte, and checks the log says 4 ranks and (from Open MPI's
# btl_base_verbose lines) that ranks on one host talk through shared memory (vader), across hosts TCP.
# Run: scripts/cluster-tests.sh hosts-bitwise (root; emulated hosts: scripts/emulate-hosts.sh).
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_emulated_hosts
require_q8train
clean_mpi_env
make_workspace
hosts_up 2

extra=(--quantize q8bert --reduction-groups 4 --max-steps 12 --eval-every 5)

tiny_train_args hosts
t0=$(date +%s.%N)
status=0
timeout 300 mpirun "${MPIRUN_ARGS[@]}" --mca btl_base_verbose 30 -n 4 --oversubscribe --bind-to none --wdir "$WORK" \
    "$Q8TRAIN" "${TRAIN_ARGS[@]}" "${extra[@]}" > "$WORK/hosts.out" 2>&1 || status=$?
grep -v '^\[q8h[0-9]*:[0-9]*\] ' "$WORK/hosts.out" || true
[[ $status -eq 0 ]] || fail "mpirun on 2 emulated hosts x 2 ranks exited with status $status"
echo "2 hosts x 2 ranks: $(elapsed_since "$t0") s"
grep -q "data parallel: 4 ranks (2 on this machine)" "$WORK/hosts.out" \
    || fail "the log does not say 'data parallel: 4 ranks (2 on this machine)'"
# Lines like "[q8h1:123] mca: bml: Using vader btl for send to [[5,1],1] on node q8h1" (several
# processes write to one pipe, so a line may be cut into by another: take the matches, not lines).
grep -oE '\[q8h[0-9]+:[0-9]+\] mca: bml: Using [a-z]+ btl for send to \[\[[0-9]+,[0-9]+\],[0-9]+\] on node q8h[0-9]+' \
    "$WORK/hosts.out" > "$WORK/btl.txt" || true
awk '{ split(substr($1, 2), from, ":"); used = $5; to = $NF
       if (used == "self") next
       if (to == from[1]) { if (used == "vader") shm++; else bad = bad "\n  " $0 }
       else { if (used == "tcp") tcp++; else bad = bad "\n  " $0 } }
     END { printf "transports: %d same-host pairs over vader, %d cross-host pairs over tcp\n", shm, tcp
           if (bad != "") { printf "wrong transport:%s\n", bad; exit 1 }
           if (shm < 1 || tcp < 1) { print "too few btl lines to judge"; exit 1 } }' "$WORK/btl.txt" \
    || fail "ranks did not use vader within a host and tcp between hosts (Open MPI's btl_base_verbose)"

tiny_train_args single
t0=$(date +%s.%N)
"$Q8TRAIN" "${TRAIN_ARGS[@]}" "${extra[@]}" > "$WORK/single.out" 2>&1 \
    || { cat "$WORK/single.out"; fail "the single process run failed"; }
echo "1 process: $(elapsed_since "$t0") s"

same_bytes "$WORK/single" "$WORK/hosts" final/model.safetensors final/quantization.json \
    best/model.safetensors best/quantization.json
# The comparison means something only if training moved the model and best/ is another step.
cmp -s "$WORK/single/final/model.safetensors" "$WORK/single/best/model.safetensors" \
    && echo "note: best/ is the final step (dev accuracy did not improve after step 5)"
cmp -s "$WORK/single/final/model.safetensors" "$WORK/model/model.safetensors" \
    && fail "the final model equals the initial one: nothing was trained"
echo "passed"
