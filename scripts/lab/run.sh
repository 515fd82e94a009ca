#!/usr/bin/env bash
# vxdecode lab: reproduce the flannel packet path (DESIGN.md §1) with network namespaces, capture
# it on every hop, and describe what was built in topology.json.  See --help.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
# shellcheck source=traffic.sh
. "$HERE/traffic.sh"
# shellcheck source=topology.sh
. "$HERE/topology.sh"

usage() {
  cat <<'EOF'
usage: scripts/lab/run.sh --out DIR [options]

Builds two flannel nodes (network namespaces joined by a veth underlay, 192.168.2.16 and
192.168.2.15), a cni0 bridge per node (10.10.1.1/24, 10.10.2.1/24), pods as namespaces on veth
pairs, kube-proxy iptables rules for a ClusterIP service, runs bounded traffic while capturing on
every hop, stops the captures with SIGINT, writes DIR/topology.json, and removes everything.

  --mode vxlan|host-gw        flannel backend (default vxlan)
  --fault F                   none (default) | no-fdb | no-neigh | forward-drop | mtu |
                              stale-endpoint | clock-skew
  --style per-iface|pcapng|any
                              per-iface: tcpdump -i IF -w NODE-IF.pcap for every interface
                              pcapng:    dumpcap -i a -i b ... -w NODE.pcapng per node
                              any:       tcpdump -i any -y LINUX_SLL2 -w NODE-any.pcap + NODE.links.txt
                              (pods are always captured inside the pod: NODE-POD.eth0.pcap)
  --ts nano|micro             tcpdump timestamp precision (default nano; dumpcap is always nano)
  --traffic ping|tcp|udp|multi|none
                              ping: pod1 -> pod2, --count pings of --size bytes
                              tcp:  pod1 -> pod2 (or the ClusterIP with --to service), --bytes
                              udp:  pod1 -> pod2 iperf3 -u, --udp-datagrams of --udp-size B
                              multi: 2 pods per node; ping, ping, TCP and UDP at the same time
  --to pod|service            tcp target: the pod itself (8080) or ClusterIP 10.96.0.10:80
  --count N                   pings per flow (default 4)
  --size N                    ping payload bytes (default 56; 1472 with --fault mtu)
  --df                        ping -M do (always on for the DF pings of --fault mtu)
  --bytes N                   TCP transfer size (default 32768)
  --udp-datagrams N           UDP datagrams per flow (default 20; up to 10000000, e.g. a load
                              for the benchmark; the run waits as long as the load needs)
  --udp-size N                UDP payload bytes (default 1000; 16..1400)
  --udp-rate R                iperf3 -b target rate in bit/s, K/M suffixes (default 400K)
  --vni N                     VXLAN VNI (default 1)
  --port N                    VXLAN UDP port (default 8472)
  --skew SECONDS              node2 clock offset for --fault clock-skew (default -1.500000250;
                              rounded to whole microseconds with --ts micro)
  --keep-unshifted            with clock-skew, also keep node2's original files in DIR/unshifted/
  --run-id ID                 namespace prefix vxl-ID- (default: <pid>-<random>)
  --out DIR                   output folder (created; old captures in it are removed)

Faults: no-fdb (node1 lacks the FDB entry for node2's VTEP MAC), no-neigh (node1 lacks the
permanent neighbour entry for node2's VTEP IP), forward-drop (iptables -A FORWARD -d 10.10.2.0/24
-j DROP on node2), mtu (pods and cni0 at MTU 1500 while flannel.1 is 1450; DF pings of 1500 B),
stale-endpoint (ClusterIP DNATs to a pod on node2 that has been deleted), clock-skew (node2's
capture timestamps shifted by --skew after capture, with editcap -t).
Needs root (ip netns).  Everything stays inside namespaces named vxl-<run id>-*.
EOF
}

# ------------------------------------------------------------------------------- options
MODE=vxlan FAULT=none STYLE=per-iface TS=nano TRAFFIC=ping TO= COUNT=4 SIZE= DF= BYTES=32768
VNI=1 VX_PORT=8472 SKEW= KEEP_UNSHIFTED= RUN_ID= OUT=
UDP_BLOCKS=20 UDP_LEN=1000 UDP_RATE=400K
LAB_CMDLINE="scripts/lab/run.sh $*"
while (( $# )); do
  case $1 in
    --mode) MODE=$2; shift ;;
    --fault) FAULT=$2; shift ;;
    --style) STYLE=$2; shift ;;
    --ts) TS=$2; shift ;;
    --traffic) TRAFFIC=$2; shift ;;
    --to) TO=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --size) SIZE=$2; shift ;;
    --df) DF=1 ;;
    --bytes) BYTES=$2; shift ;;
    --udp-datagrams) UDP_BLOCKS=$2; shift ;;
    --udp-size) UDP_LEN=$2; shift ;;
    --udp-rate) UDP_RATE=$2; shift ;;
    --vni) VNI=$2; shift ;;
    --port) VX_PORT=$2; shift ;;
    --skew) SKEW=$2; shift ;;
    --keep-unshifted) KEEP_UNSHIFTED=1 ;;
    --run-id) RUN_ID=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done

[[ -n $OUT ]] || { usage >&2; die "--out DIR is required"; }
case $MODE in vxlan|host-gw) ;; *) die "--mode must be vxlan or host-gw" ;; esac
case $FAULT in none|no-fdb|no-neigh|forward-drop|mtu|stale-endpoint|clock-skew) ;; *) die "unknown --fault $FAULT" ;; esac
case $STYLE in per-iface|pcapng|any) ;; *) die "--style must be per-iface, pcapng or any" ;; esac
case $TS in nano|micro) ;; *) die "--ts must be nano or micro" ;; esac
case $TRAFFIC in ping|tcp|udp|multi|none) ;; *) die "unknown --traffic $TRAFFIC" ;; esac
[[ $MODE == host-gw && $FAULT =~ ^(no-fdb|no-neigh|mtu)$ ]] && die "--fault $FAULT needs --mode vxlan"
[[ $COUNT =~ ^[0-9]+$ && $COUNT -ge 1 && $COUNT -le 100 ]] || die "--count must be 1..100"
[[ $BYTES =~ ^[0-9]+$ && $BYTES -le 10000000 ]] || die "--bytes must be at most 10000000"
[[ $UDP_BLOCKS =~ ^[0-9]+$ && $UDP_BLOCKS -ge 1 && $UDP_BLOCKS -le 10000000 ]] || die "--udp-datagrams must be 1..10000000"
[[ $UDP_LEN =~ ^[0-9]+$ && $UDP_LEN -ge 16 && $UDP_LEN -le 1400 ]] || die "--udp-size must be 16..1400"
[[ $UDP_RATE =~ ^[0-9]+[KM]?$ && ! $UDP_RATE =~ ^0+[KM]?$ ]] || die "--udp-rate must be a rate in bit/s like 400K or 20M"
[[ $VNI =~ ^[0-9]+$ && $VNI -ge 1 && $VNI -le 16777215 ]] || die "--vni must be 1..16777215"
[[ $VX_PORT =~ ^[0-9]+$ && $VX_PORT -ge 1 && $VX_PORT -le 65535 ]] || die "--port must be 1..65535"
if [[ $FAULT == stale-endpoint ]]; then
  TO=service; TRAFFIC=tcp
fi
TO=${TO:-pod}
case $TO in pod|service) ;; *) die "--to must be pod or service" ;; esac
[[ $TO == service && $TRAFFIC != tcp ]] && die "--to service needs --traffic tcp (the service is TCP only)"
if [[ -z $SIZE ]]; then if [[ $FAULT == mtu ]]; then SIZE=1472; else SIZE=56; fi; fi
[[ $SIZE =~ ^[0-9]+$ && $SIZE -le 65000 ]] || die "--size must be a number of bytes"

# the tunnel and pod MTUs, as flannel's subnet.env would set them
VX_MTU=1450
if [[ $MODE == vxlan && $FAULT != mtu ]]; then POD_MTU_CFG=$VX_MTU; else POD_MTU_CFG=1500; fi

SKEW_NS= SKEW_SECS=
if [[ $FAULT == clock-skew ]]; then
  SKEW_NS=$(secs_to_ns "${SKEW:--1.500000250}")
  [[ $TS == micro && $STYLE != pcapng ]] && SKEW_NS=$(( SKEW_NS / 1000 * 1000 ))
  SKEW_SECS=$(ns_to_secs "$SKEW_NS")
fi

# service (kube-proxy): ClusterIP 10.96.0.10:80 -> a pod on node2, port 8080
SVC_NAME=default/lab-web SVC_IP=10.96.0.10 SVC_PORT=80 SVC_EP_PORT=8080
SVC_CHAIN=KUBE-SVC-LABWEBHTTP00000 SEP_CHAIN=KUBE-SEP-LABWEBEP000000
TCP_PORT=8080 UDP_PORT=5201
# how long the UDP load takes at its rate (whole seconds, rounded up), to size its timeouts
UDP_BPS=${UDP_RATE%[KM]}
case $UDP_RATE in *K) UDP_BPS=$(( UDP_BPS * 1000 )) ;; *M) UDP_BPS=$(( UDP_BPS * 1000000 )) ;; esac
UDP_SECS=$(( (UDP_BLOCKS * UDP_LEN * 8 + UDP_BPS - 1) / UDP_BPS ))

# ------------------------------------------------------------------------------- preflight
[[ $(id -u) == 0 ]] || die "the lab needs root (network namespaces, veth, iptables); run it with sudo"
for tool in ip bridge iptables-restore tcpdump dumpcap editcap capinfos ping nc iperf3 ss timeout; do
  command -v "$tool" >/dev/null || die "missing tool: $tool (see scripts/lab/README.md for the Debian packages)"
done
RUN_ID=${RUN_ID:-$$-$(rand_hex 2)}
[[ $RUN_ID =~ ^[A-Za-z0-9_.-]{1,24}$ ]] || die "--run-id: letters, digits, . _ - only (max 24)"
LAB_PREFIX="${LAB_PREFIX_BASE}-${RUN_ID}"
if ip netns list 2>/dev/null | grep -q "^${LAB_PREFIX}-"; then die "namespaces for run id $RUN_ID already exist"; fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/unshifted"
rm -f "$OUT"/*.pcap "$OUT"/*.pcapng "$OUT"/topology.json "$OUT"/*.links.txt "$OUT"/*.state.txt "$OUT"/lab.log
LAB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vxdecode-lab.XXXXXX")
LAB_LOG="$OUT/lab.log"
: >"$LAB_LOG"
lab_install_traps
# probe: fail fast and clearly when namespaces are not available
if ! ip netns add "${LAB_PREFIX}-probe" 2>"$LAB_TMP/probe.err"; then
  die "cannot create network namespaces ('ip netns add' failed: $(cat "$LAB_TMP/probe.err"))"
fi
ip netns del "${LAB_PREFIX}-probe"

{
  echo "# vxdecode lab run $RUN_ID: $LAB_CMDLINE"
  echo "# mode=$MODE fault=$FAULT style=$STYLE ts=$TS traffic=$TRAFFIC to=$TO vni=$VNI port=$VX_PORT"
  echo "# commands as run; [host] is the namespace (node or pod) they ran in"
} >>"$LAB_LOG"

log "run $RUN_ID: mode=$MODE fault=$FAULT style=$STYLE ts=$TS traffic=$TRAFFIC -> $OUT"

# test hook: VXDECODE_LAB_FAIL_AT=build|captures makes the run fail there (cleanup must still happen)
fail_point() { if [[ ${VXDECODE_LAB_FAIL_AT:-} == "$1" ]]; then die "failure injected at '$1' (VXDECODE_LAB_FAIL_AT)"; fi; }

# ------------------------------------------------------------------------------- build
build_nodes
fail_point build
log "nodes: node1 eth0 ${NODE_IP[node1]} cni0 $(node_gw node1)/24, node2 eth0 ${NODE_IP[node2]} cni0 $(node_gw node2)/24"
if [[ $MODE == vxlan ]]; then
  build_vxlan
  log "flannel vxlan: flannel.1 vni $VNI port $VX_PORT mtu $VX_MTU, VTEPs $(node_vtep_ip node1) ${VTEP_MAC[node1]} / $(node_vtep_ip node2) ${VTEP_MAC[node2]}"
else
  build_hostgw
  log "flannel host-gw: 10.10.2.0/24 via ${NODE_IP[node2]} on node1, 10.10.1.0/24 via ${NODE_IP[node1]} on node2"
fi

NPODS=1
[[ $TRAFFIC == multi ]] && NPODS=2
declare -a PODS_ON_NODE1=() PODS_ON_NODE2=()
for (( k=1; k<=NPODS; k++ )); do
  add_pod "pod$(( 2*k - 1 ))" node1 "10.10.1.$(( 4 + k ))"; PODS_ON_NODE1+=("pod$(( 2*k - 1 ))")
  add_pod "pod$(( 2*k ))" node2 "10.10.2.$(( 5 + k ))"; PODS_ON_NODE2+=("pod$(( 2*k ))")
done
for p in "${PODS[@]}"; do log "pod $p on ${POD_NODE[$p]}: ${POD_IP[$p]} ${POD_MAC[$p]} mtu ${POD_MTU[$p]}, host side ${POD_VETH[$p]}"; done

if [[ $FAULT == stale-endpoint ]]; then
  # the endpoint pod existed (kube-proxy learned it), then was deleted; the rules were not updated
  add_pod oldpod node2 10.10.2.9
  SVC_EP_POD=oldpod SVC_EP_IP=10.10.2.9
else
  SVC_EP_POD=${PODS_ON_NODE2[0]} SVC_EP_IP=${POD_IP[${PODS_ON_NODE2[0]}]}
fi
build_kube_proxy
log "kube-proxy: $SVC_IP:$SVC_PORT -> $SVC_EP_IP:$SVC_EP_PORT (KUBE-SERVICES/$SVC_CHAIN/$SEP_CHAIN, nat PREROUTING+OUTPUT)"

FAULT_DETAIL="no fault"
case $FAULT in
  no-fdb) FAULT_DETAIL="node1 has no FDB entry ${VTEP_MAC[node2]} dst ${NODE_IP[node2]} on flannel.1" ;;
  no-neigh) FAULT_DETAIL="node1 has no neighbour entry $(node_vtep_ip node2) lladdr ${VTEP_MAC[node2]} on flannel.1" ;;
  forward-drop) apply_forward_drop; FAULT_DETAIL="node2: iptables -A FORWARD -d $(node_subnet node2) -j DROP" ;;
  mtu) FAULT_DETAIL="pods, veths and cni0 at MTU 1500 while flannel.1 is $VX_MTU; pings with -M do -s $SIZE"
       log "fault mtu: pod MTU $POD_MTU_CFG, flannel.1 MTU $VX_MTU" ;;
  stale-endpoint)
    delete_pod oldpod
    FAULT_DETAIL="service $SVC_IP:$SVC_PORT still DNATs to $SVC_EP_IP:$SVC_EP_PORT; pod oldpod on node2 was deleted"
    log "fault stale-endpoint: deleted pod oldpod ($SVC_EP_IP); kube-proxy rules still point at it" ;;
  clock-skew) FAULT_DETAIL="node2's capture timestamps shifted by $SKEW_SECS s after capture (editcap -t)" ;;
esac

write_node_files

# ------------------------------------------------------------------------------- capture + traffic
printf '\n# captures\n' >>"$LAB_LOG"
start_captures
fail_point captures
sleep 0.1
run_traffic
# Let the last packets (replies, ICMP errors) arrive, and let the captures read them: libpcap
# uses TPACKET_V3, which hands packets over in blocks retired at the latest after the read
# timeout (1 s for tcpdump, 250 ms for dumpcap); a capture stopped earlier loses what is still in
# an open block.  (--immediate-mode would avoid the wait but falls back to TPACKET_V2, whose
# fixed 256 KiB slots fill up within a burst, and drops packets, notably with -i any.)
sleep 1.2
printf '\n# stop captures\n' >>"$LAB_LOG"
stop_captures
apply_clock_skew
set_probe
write_topology

log "captures in $OUT:"
for f in "${CAP_FILES[@]}"; do
  printf '[lab]   %-28s %-9s %-12s %s packets\n' "$f" "${CAP_NODE[$f]}" "${CAP_IFACE[$f]:-(${CAP_IFACES[$f]})}" "$(packet_count "$OUT/$f")"
done
log "topology: $OUT/topology.json"
log "done (run $RUN_ID); removing namespaces"
