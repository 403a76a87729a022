#!/bin/bash
# Emulated hosts on one machine, for Open MPI over TCP (tests of multi-host runs).
#
#   scripts/emulate-hosts.sh up N     create hosts q8h1..q8hN (N network namespaces, 10.77.0.1..N,
#                                     bridged to q8br0 = 10.77.0.254 in the root namespace), write a
#                                     hostfile and an rsh agent, print the mpirun arguments
#   scripts/emulate-hosts.sh down     remove all of it (idempotent; also kills what still runs
#                                     inside the namespaces)
#   scripts/emulate-hosts.sh agent HOST CMD...   the rsh agent itself: run CMD inside HOST's
#                                     namespace with its own hostname (what the generated agent runs)
#
# Environment: SLOTS (slots per host in the hostfile, default 2); EMULATED_HOSTS_DIR (where the
# hostfile, the agent and mpirun-args go; default .build/emulated-hosts under the repo root; pass
# the same one to `down`). Needs root, iproute2 (`ip netns`) and util-linux (`unshare`).
#
# After `up`, DIR/mpirun-args holds the mpirun arguments one per line (hostfile, agent, TCP only
# on 10.77.0.0/24 between hosts, shared memory within one), e.g.
#   mapfile -t args < DIR/mpirun-args
#   OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun "${args[@]}" -n 4 \
#     --oversubscribe --bind-to none --wdir "$PWD" q8train train --threads 1 ...
# Only one set of emulated hosts can exist at a time (the names are fixed); `up` removes leftovers
# of an earlier run first. The addresses are used only inside the namespaces this script creates.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/scripts/$(basename "${BASH_SOURCE[0]}")"
DIR=${EMULATED_HOSTS_DIR:-$ROOT/.build/emulated-hosts}
SLOTS=${SLOTS:-2}
BRIDGE=q8br0
NET=10.77.0
PREFIX=q8h      # namespaces q8h1..q8hN
VETH=q8v        # root-namespace ends of the veth pairs: q8v1..q8vN

usage() {
    sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}[0-9]+\$" || true; }
our_veths() { ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^${VETH}[0-9]+\$" || true; }

down() {
    local ns pid link
    for ns in $(our_namespaces); do
        # Processes left inside (a test's ranks or daemons): the namespace would outlive its name.
        for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(our_veths); do ip link del "$link" 2>/dev/null || true; done
    if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
    rm -f "$DIR/hostfile" "$DIR/agent.sh" "$DIR/mpirun-args"
    rmdir "$DIR" 2>/dev/null || true
}

up() {
    local n=$1 i
    [[ "$n" =~ ^[1-9][0-9]?$ && "$n" -le 253 ]] || { echo "emulate-hosts: up N: N must be 1..253, got '$n'" >&2; exit 2; }
    [[ "$SLOTS" =~ ^[1-9][0-9]*$ ]] || { echo "emulate-hosts: SLOTS must be a positive integer, got '$SLOTS'" >&2; exit 2; }
    [[ $(id -u) -eq 0 ]] || { echo "emulate-hosts: needs root (network namespaces)" >&2; exit 1; }
    down
    trap 'echo "emulate-hosts: up failed; cleaning up" >&2; down' ERR
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.254/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    for ((i = 1; i <= n; i++)); do
        ip netns add "$PREFIX$i"
        ip link add "$VETH$i" type veth peer name eth0 netns "$PREFIX$i"
        ip link set "$VETH$i" master "$BRIDGE"
        ip link set "$VETH$i" up
        ip netns exec "$PREFIX$i" ip addr add "$NET.$i/24" dev eth0
        ip netns exec "$PREFIX$i" ip link set eth0 up
        ip netns exec "$PREFIX$i" ip link set lo up
    done
    mkdir -p "$DIR"
    : > "$DIR/hostfile"
    for ((i = 1; i <= n; i++)); do echo "$PREFIX$i slots=$SLOTS" >> "$DIR/hostfile"; done
    cat > "$DIR/agent.sh" <<EOF
#!/bin/bash
# Open MPI rsh agent for the emulated hosts (written by scripts/emulate-hosts.sh).
exec "$SELF" agent "\$@"
EOF
    chmod +x "$DIR/agent.sh"
    printf '%s\n' --hostfile "$DIR/hostfile" --mca plm_rsh_agent "$DIR/agent.sh" \
        --mca oob_tcp_if_include "$NET.0/24" --mca btl_tcp_if_include "$NET.0/24" --mca btl self,vader,tcp \
        -x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM > "$DIR/mpirun-args"
    trap - ERR
    # Wait until every host answers on the bridge (the veths come up asynchronously).
    command -v ping >/dev/null || n=0
    for ((i = 1; i <= n; i++)); do
        local tries=0
        until ip netns exec "$PREFIX$i" ping -c 1 -W 1 "$NET.254" >/dev/null 2>&1; do
            tries=$((tries + 1))
            if ((tries >= 20)); then echo "emulate-hosts: $PREFIX$i cannot reach $NET.254" >&2; down; exit 1; fi
            sleep 0.1
        done
    done
    n=$(wc -l < "$DIR/hostfile")
    echo "emulated hosts: $(for ((i = 1; i <= n; i++)); do printf '%s ' "$PREFIX$i=$NET.$i"; done)(bridge $BRIDGE $NET.254)"
    echo "hostfile: $DIR/hostfile ($SLOTS slots each)"
    echo "agent: $DIR/agent.sh"
    echo "mpirun arguments (also in $DIR/mpirun-args, one per line):"
    echo "  $(tr '\n' ' ' < "$DIR/mpirun-args")"
    echo "  (as root also export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; on few cores"
    echo "   add --oversubscribe --bind-to none, and --wdir DIR)"
}

agent() {
    # Called by Open MPI as: agent [options] HOST COMMAND...
    while [[ $# -gt 0 && "$1" == -* ]]; do shift; done
    [[ $# -ge 1 ]] || { echo "emulate-hosts agent: no host name" >&2; exit 2; }
    local host=$1; shift
    [[ "$host" =~ ^${PREFIX}[0-9]+$ ]] || { echo "emulate-hosts agent: $host is not an emulated host" >&2; exit 2; }
    exec ip netns exec "$host" unshare --uts sh -c "hostname $host; $*"
}

case "${1:-}" in
    up) [[ $# -eq 2 ]] || usage; up "$2" ;;
    down) [[ $# -eq 1 ]] || usage; down ;;
    agent) shift; agent "$@" ;;
    *) usage ;;
esac
