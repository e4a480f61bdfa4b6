#!/usr/bin/env bash
# Where a move of an endpoint's hooks from tcx to legacy tc loses packets (docs/agent.md, "Known loss").
#
# Two network namespaces of its own (kiln-repro-a, kiln-repro-b) joined by a veth, krp-a0 198.18.99.1 in
# a and krp-b0 198.18.99.2 in b. Programs go on krp-a0: a trivial tcx program (returns TC_ACT_OK) on its
# ingress and egress, attached by tcx-attach.c. Under numbered UDP both ways (COUNT datagrams each way at
# RATE a second, udpflood.c; into krp-a0 = its ingress, out of krp-a0 = its egress), each case does one
# step one second into the flow and prints the datagrams lost each way:
#   control        tcx programs attached, no step
#   clsact+tcx     create the clsact qdisc while the tcx programs are attached (the move's first step)
#   clsact         create the clsact qdisc, no tcx program on the interface
#   filter         attach tc filters (the same program, direct action) to a clsact qdisc made before the flow
#   tcx-detach     remove the tcx links (clsact qdisc and filters made before the flow)
#   clsact-del     delete the clsact qdisc (with its filters) under traffic
# With --trace (needs bpftrace), the kernel's drops of the senders' and receivers' packets during each
# case (tracepoint skb:kfree_skb, comm udpflood) are counted by drop reason and kernel stack.
# What it showed on kernel 6.18: creating or deleting clsact drops what krp-a0 sends meanwhile
# (SKB_DROP_REASON_QDISC_DROP in __dev_queue_xmit), with or without tcx; the other steps lose nothing.
# The window is short and its length depends on scheduling, so a round may lose nothing: use several.
#
# Usage: it/repro/clsact-under-tcx.sh [--runs N] [--count COUNT] [--rate RATE] [--trace]   (root; Linux 6.6+)
# Needs: cc, iproute2 (ip, tc), nsenter, a bpffs at /sys/fs/bpf. Everything it makes goes at exit.
set -euo pipefail

RUNS=3 COUNT=40000 RATE=20000 TRACE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --count) COUNT="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --trace) TRACE=1; shift ;;
    *) echo "usage: $0 [--runs N] [--count COUNT] [--rate RATE] [--trace]" >&2; exit 2 ;;
  esac
done
for n in "$RUNS" "$COUNT" "$RATE"; do
  [[ "$n" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "$0: --runs, --count and --rate take a positive number, not '$n'" >&2; exit 2; }
done
(( RATE <= 100000 && COUNT / RATE <= 60 )) || { echo "$0: at most 100000 datagrams/s and 60 s of flow" >&2; exit 2; }
[[ "$(id -u)" == 0 ]] || { echo "$0: needs root" >&2; exit 2; }
[[ -z "$TRACE" ]] || command -v bpftrace >/dev/null || { echo "$0: --trace needs bpftrace" >&2; exit 2; }
SECONDS_LIMIT=$(( COUNT / RATE + 4 ))
FORMAT=/sys/kernel/tracing/events/skb/kfree_skb/format
[[ -r "$FORMAT" ]] || FORMAT=/sys/kernel/debug/tracing/events/skb/kfree_skb/format

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
A=kiln-repro-a B=kiln-repro-b
PIN=/sys/fs/bpf/kiln-repro-clsact
WORK="$(mktemp -d /tmp/kiln-repro-clsact.XXXXXX)"
BT=""

cleanup() {
  [[ -n "$BT" ]] && kill "$BT" 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT

cc -O2 -Wall -o "$WORK/tcx-attach" "$HERE/tcx-attach.c"
cc -O2 -Wall -o "$WORK/udpflood" "$HERE/udpflood.c"

ina() { nsenter --net=/var/run/netns/$A "$@"; }
inb() { nsenter --net=/var/run/netns/$B "$@"; }
filters() {
  ina tc filter add dev krp-a0 ingress pref 1 handle 1 bpf da pinned "$PIN/prog"
  ina tc filter add dev krp-a0 egress pref 1 handle 1 bpf da pinned "$PIN/prog"
}

setup() { # $1: attach the tcx programs (1) or not (0)
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
  rm -rf "$PIN"
  ip netns add $A
  ip netns add $B
  ip link add krp-a0 netns $A type veth peer name krp-b0 netns $B
  ip -n $A addr add 198.18.99.1/24 dev krp-a0
  ip -n $B addr add 198.18.99.2/24 dev krp-b0
  ip -n $A link set krp-a0 up
  ip -n $B link set krp-b0 up
  mkdir -p "$PIN"
  if [[ "$1" == 1 ]]; then
    "$WORK/tcx-attach" $A krp-a0 "$PIN/in" "$PIN/eg" "$PIN/prog"
  fi
  # both ends know each other before the flow starts
  inb ping -q -c 1 -W 1 198.18.99.1 >/dev/null
}

one() { # $1: case name
  local c="$1" tcx=1
  [[ "$c" == clsact ]] && tcx=0
  setup $tcx
  case "$c" in
    filter) ina tc qdisc add dev krp-a0 clsact ;;
    tcx-detach|clsact-del) ina tc qdisc add dev krp-a0 clsact; filters ;;
  esac
  if [[ -n "$TRACE" ]]; then
    bpftrace -e 'tracepoint:skb:kfree_skb /comm == "udpflood"/ { @drops[args->reason, kstack(8)] = count(); }' \
      >"$WORK/trace" 2>/dev/null &
    BT=$!
    sleep 2 # bpftrace attaches
  fi
  ina "$WORK/udpflood" recv 5001 "$COUNT" "$SECONDS_LIMIT" >"$WORK/in" & local ra=$!
  inb "$WORK/udpflood" recv 5002 "$COUNT" "$SECONDS_LIMIT" >"$WORK/out" & local rb=$!
  sleep 0.2
  inb "$WORK/udpflood" send 198.18.99.1 5001 "$COUNT" "$RATE" & local sa=$!
  ina "$WORK/udpflood" send 198.18.99.2 5002 "$COUNT" "$RATE" & local sb=$!
  sleep 1
  local t0 t1
  t0=$(date +%s%N)
  case "$c" in
    clsact+tcx|clsact) ina tc qdisc add dev krp-a0 clsact ;;
    filter) filters ;;
    tcx-detach) rm "$PIN/in" "$PIN/eg" ;;
    clsact-del) ina tc qdisc del dev krp-a0 clsact ;;
  esac
  t1=$(date +%s%N)
  wait $sa $sb $ra $rb
  local lin lout
  lin=$(awk '/^received/ {print $4}' "$WORK/in")
  lout=$(awk '/^received/ {print $4}' "$WORK/out")
  printf '%-11s  lost into krp-a0 (ingress) %5s   lost out of krp-a0 (egress) %5s   step %6.1f ms\n' \
    "$c" "$lin" "$lout" "$(( (t1 - t0) / 1000 ))e-3"
  LOST[$c]=$(( ${LOST[$c]:-0} + lin + lout ))
  (( lin + lout == 0 )) || LOSSY[$c]=$(( ${LOSSY[$c]:-0} + 1 ))
  grep -h '^  lost' "$WORK/in" "$WORK/out" | head -3 || true
  if [[ -n "$TRACE" ]]; then
    kill -INT $BT; wait $BT || true; BT=""
    if grep -q '@drops' "$WORK/trace"; then
      # reason numbers named as this kernel's tracepoint format names them
      awk -v fmt="$FORMAT" 'BEGIN { while ((getline l < fmt) > 0) { while (match(l, /\{ [0-9]+, "[A-Z_0-9]+" \}/)) {
            split(substr(l, RSTART + 2, RLENGTH - 4), f, ", "); gsub(/"/, "", f[2]); name[f[1]] = f[2];
            l = substr(l, RSTART + RLENGTH) } } }
          /^Attaching/ || /^$/ { next }
          /^@drops\[/ { r = $0; sub(/^@drops\[/, "", r); sub(/,.*/, "", r);
                        print "    kfree_skb reason " r " (" (r in name ? "SKB_DROP_REASON_" name[r] : "?") "), stack:"; next }
          /^\]: [0-9]+$/ { sub(/^\]: /, ""); print "      packets: " $0; next }
          { print "    " $0 }' "$WORK/trace"
    else
      echo "    kfree_skb: no drop"
    fi
  fi
}

echo "kernel $(uname -r); $COUNT datagrams each way at $RATE/s; $RUNS run(s) of each case"
CASES=(control clsact+tcx clsact filter tcx-detach clsact-del)
declare -A LOST=() LOSSY=()
for run in $(seq 1 "$RUNS"); do
  echo "run $run"
  for c in "${CASES[@]}"; do
    one "$c"
  done
done
echo "summary: case, runs that lost datagrams, datagrams lost in all (of $(( 2 * COUNT )) a run)"
for c in "${CASES[@]}"; do
  printf '  %-11s %d of %d runs, %d lost\n' "$c" "${LOSSY[$c]:-0}" "$RUNS" "${LOST[$c]:-0}"
done
