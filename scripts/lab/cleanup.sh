#!/usr/bin/env bash
# Remove lab namespaces left behind by a run that could not clean up (kill -9, power loss).
#   scripts/lab/cleanup.sh            namespaces of dead runs with default run ids (vxl-<pid>-<hex>-*)
#   scripts/lab/cleanup.sh --run-id ID  namespaces of that run (vxl-ID-*), whatever its state
# Runs in progress are left alone: a default run id starts with the pid of its run.sh.
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "cleanup.sh: needs root" >&2; exit 1; }

mapfile -t all < <(ip netns list 2>/dev/null | awk '{print $1}' | grep '^vxl-' || true)
victims=()
if [[ ${1:-} == --run-id ]]; then
  [[ -n ${2:-} ]] || { echo "usage: cleanup.sh [--run-id ID]" >&2; exit 2; }
  for ns in "${all[@]}"; do [[ $ns == "vxl-$2-"* ]] && victims+=("$ns"); done
else
  for ns in "${all[@]}"; do
    if [[ $ns =~ ^vxl-([0-9]+)-[0-9a-f]+- ]]; then
      pid=${BASH_REMATCH[1]}
      if ! kill -0 "$pid" 2>/dev/null || ! grep -q 'scripts/lab/run.sh\|run.sh' "/proc/$pid/cmdline" 2>/dev/null; then
        victims+=("$ns")
      fi
    fi
  done
fi

for ns in "${victims[@]}"; do
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  # processes inside a lab namespace were started by the lab
  [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
  ip netns del "$ns" && echo "removed netns $ns"
done
(( ${#victims[@]} )) || echo "no stale lab namespaces"
