#!/usr/bin/env bash
# Starts q8train on N ranks with mpirun, choosing oversubscription and binding from the slots.
#
#   scripts/launch.sh -n 8 [--hostfile F] [--dry-run] [--mca K V]... [-x VAR]... -- train --max-steps 3 ...
#
# Everything after `--` goes to q8train (nothing, or only options: q8train's default subcommand,
# `train`, runs). The slots are the hostfile's `slots=` sum (a host without slots= counts as
# this machine's CPUs, as Open MPI counts its cores), inside a Slurm allocation SLURM_NTASKS
# (else SLURM_CPUS_ON_NODE), otherwise the CPUs this process may run on (nproc). Ranks <= slots:
# each rank is bound to c cores (`--map-by slot:PE=c --bind-to core`; c = the CPUs divided by
# the ranks, in Slurm --cpus-per-task), or `--bind-to none` where c cores cannot be given (a
# hostfile with more slots on a host than this machine has cores; a Slurm job that is not
# confined to its CPUs). More ranks than slots: `--oversubscribe --bind-to none`. As root, OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) are
# set and forwarded (-x) to remote daemons. The mpirun command line is printed to stderr
# (prefixed `launch.sh: `); --dry-run only prints it. `--mca K V` and `-x VAR` are passed to
# mpirun as they are (e.g. --mca btl self,tcp for several hosts).
#
# Q8TRAIN: the q8train binary (default .build/release/q8train if present, else .build/debug/q8train).
# MPIRUN: the mpirun to use (default mpirun).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "launch.sh: $*" >&2; exit 2; }
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

ranks="" hostfile="" dry_run=0 extra=()
while [ $# -gt 0 ]; do
    case $1 in
        -n | -np | --np) [ $# -ge 2 ] || die "$1 needs a number"; ranks=$2; shift 2 ;;
        -n*) ranks=${1#-n}; shift ;;
        --hostfile | -hostfile | --machinefile) [ $# -ge 2 ] || die "$1 needs a file"; hostfile=$2; shift 2 ;;
        --hostfile=*) hostfile=${1#--hostfile=}; shift ;;
        --dry-run) dry_run=1; shift ;;
        --mca) [ $# -ge 3 ] || die "--mca needs a name and a value"; extra+=(--mca "$2" "$3"); shift 3 ;;
        -x) [ $# -ge 2 ] || die "-x needs a variable"; extra+=(-x "$2"); shift 2 ;;
        -h | --help) usage ;;
        --) shift; break ;;
        -*) die "unknown option $1 (q8train's options go after --; see --help)" ;;
        *) break ;;  # q8train's arguments start here
    esac
done
[ -n "$ranks" ] || die "-n RANKS is required (see --help)"
is_count "$ranks" || die "-n: '$ranks' is not a positive number"

# Slots, and the cores each rank gets when there are enough (pe; 0: bind to none).
note=""
if [ -n "$hostfile" ]; then
    [ -r "$hostfile" ] || die "hostfile $hostfile: not readable"
    # "total most": the slots summed over the hosts, and the most on one host. A host without
    # slots= (or max_slots=) counts as many as this machine has CPUs, as Open MPI counts its cores.
    read -r slots most < <(awk -v cpus="$(nproc)" '
        { sub(/#.*/, "") } NF == 0 { next }
        { n = 0
          for (i = 2; i <= NF; i++) {
              if ($i ~ /^slots=/) n = substr($i, 7)
              else if ($i ~ /^max_slots=/ && n == 0) n = substr($i, 11)
          }
          n = (n > 0 ? n : cpus) + 0; total += n; if (n > most) most = n }
        END { print total + 0, most + 0 }' "$hostfile")
    [ "$slots" -gt 0 ] || die "hostfile $hostfile: no hosts"
    where="hostfile $hostfile"
    # Ranks fill the first host's slots first; its cores are not known here: assume this machine's.
    on_host=$((ranks < most ? ranks : most))
    pe=$(($(nproc) / on_host))
    [ "$pe" -ge 1 ] || note="more ranks on a host than this machine has cores"
elif [ -n "${SLURM_JOB_ID:-}" ] && [ -n "${SLURM_NTASKS:-}${SLURM_CPUS_ON_NODE:-}" ]; then
    slots=${SLURM_NTASKS:-$SLURM_CPUS_ON_NODE}
    where="Slurm job $SLURM_JOB_ID"
    pe=${SLURM_CPUS_PER_TASK:-1}
    # Bind only when the job is confined to its CPUs (task/affinity, task/cgroup): with task/none
    # this process sees every CPU of the node, and ranks bound to the first cores could share
    # them with another job's.
    if [ -n "${SLURM_CPUS_ON_NODE:-}" ] && [ "$(nproc)" -gt "$SLURM_CPUS_ON_NODE" ]; then
        pe=0 note="the job is not confined to its $SLURM_CPUS_ON_NODE CPUs (nproc $(nproc))"
    fi
else
    slots=$(nproc)
    where="this machine"
    pe=$((slots / ranks))
fi

cmd=("${MPIRUN:-mpirun}" -n "$ranks")
[ -n "$hostfile" ] && cmd+=(--hostfile "$hostfile")
if [ "$ranks" -gt "$slots" ]; then
    cmd+=(--oversubscribe --bind-to none)
    note="more ranks than slots"
elif [ "$pe" -ge 1 ]; then
    cmd+=(--map-by "slot:PE=$pe" --bind-to core)
else
    cmd+=(--bind-to none)
fi
envs=()
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    envs=(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
    cmd+=(-x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
fi
cmd+=(${extra[@]+"${extra[@]}"})

if [ -n "${Q8TRAIN:-}" ]; then
    q8train=$Q8TRAIN
elif [ -x "$root/.build/release/q8train" ]; then
    q8train=$root/.build/release/q8train
else
    q8train=$root/.build/debug/q8train
fi
[ "$dry_run" = 1 ] || [ -x "$q8train" ] || command -v "$q8train" >/dev/null \
    || die "q8train binary $q8train not found (build it, or set Q8TRAIN)"
cmd+=("$q8train" "$@")

line=""
for word in ${envs[@]+"${envs[@]}"} "${cmd[@]}"; do line+="${line:+ }$(printf '%q' "$word")"; done
echo "launch.sh: $line" >&2
echo "launch.sh: ($ranks rank(s), $slots slot(s) on $where${note:+; $note: no binding})" >&2
[ "$dry_run" = 1 ] && exit 0
exec "${cmd[@]}"
