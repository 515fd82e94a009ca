#!/usr/bin/env bash
# Regenerate the committed lab captures in captures/<scenario>/ (needs root, a few seconds each).
#   scripts/lab/make-samples.sh            all scenarios
#   scripts/lab/make-samples.sh vxlan-mtu  only the named ones
# captures/README.md is hand-written and left alone; re-read it if a scenario changes.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DEST="$ROOT/captures"

# name | run.sh arguments
SCENARIOS=(
  "vxlan-ping|--mode vxlan --traffic ping --count 4"
  "vxlan-ping-micro|--mode vxlan --traffic ping --count 4 --ts micro"
  "vxlan-vni42-port4789|--mode vxlan --traffic ping --count 4 --vni 42 --port 4789"
  "vxlan-no-fdb|--mode vxlan --fault no-fdb --traffic ping --count 4"
  "vxlan-no-neigh|--mode vxlan --fault no-neigh --traffic ping --count 4"
  "vxlan-forward-drop|--mode vxlan --fault forward-drop --traffic ping --count 4"
  "vxlan-mtu|--mode vxlan --fault mtu --traffic ping --count 4"
  "vxlan-dnat-tcp|--mode vxlan --traffic tcp --to service --bytes 16384"
  "vxlan-stale-endpoint|--mode vxlan --fault stale-endpoint"
  "vxlan-clock-skew|--mode vxlan --fault clock-skew --traffic ping --count 4 --keep-unshifted"
  "vxlan-pcapng|--mode vxlan --style pcapng --traffic ping --count 4"
  "vxlan-any|--mode vxlan --style any --traffic ping --count 4"
  "vxlan-udp|--mode vxlan --traffic udp"
  "vxlan-multi|--mode vxlan --traffic multi --count 4 --bytes 16384"
  "hostgw-ping|--mode host-gw --traffic ping --count 4"
  "hostgw-forward-drop|--mode host-gw --fault forward-drop --traffic ping --count 4"
)

want=("$@")
selected() {
  (( ${#want[@]} == 0 )) && return 0
  local w; for w in "${want[@]}"; do [[ $w == "$1" ]] && return 0; done
  return 1
}

mkdir -p "$DEST"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vxdecode-samples.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for entry in "${SCENARIOS[@]}"; do
  name=${entry%%|*}; args=${entry#*|}
  selected "$name" || continue
  echo "== $name: scripts/lab/run.sh $args"
  # shellcheck disable=SC2086
  "$HERE/run.sh" --out "$TMP/$name" $args
  # the committed folder holds the captures, topology.json and the small text files
  rm -rf "${DEST:?}/$name"
  mkdir -p "$DEST/$name"
  cp -r "$TMP/$name/." "$DEST/$name/"
  # record the command that made it with a stable, repository-relative path
  sed -i "s#\"command\": \"[^\"]*\"#\"command\": \"scripts/lab/run.sh --out captures/$name $args\"#" "$DEST/$name/topology.json"
  sed -i "1s#--out [^ ]*#--out captures/$name#" "$DEST/$name/lab.log"
done

echo
echo "captures in $DEST:"
du -sh --apparent-size "$DEST"/*/ | sed "s#$DEST/##"
du -sh --apparent-size "$DEST" | sed "s#$DEST#total#"
