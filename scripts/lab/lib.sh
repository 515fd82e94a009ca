# shellcheck shell=bash
# vxdecode lab library: builds two flannel "nodes" as network namespaces, pods as namespaces,
# programs flannel VXLAN / host-gw and kube-proxy rules the way those daemons do, injects faults,
# captures on every hop and writes topology.json.  Sourced by run.sh; everything lives inside
# network namespaces named vxl-<run id>-*, nothing touches the host's interfaces/routes/iptables.

LAB_PREFIX_BASE=vxl

# ---------------------------------------------------------------------------------------------
# logging / helpers

log()  { printf '[lab] %s\n' "$*"; }
warn() { printf '[lab] warning: %s\n' "$*" >&2; }
die()  { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# Append a line to lab.log (the exact commands the lab ran, per logical host).
cmdlog() { [[ -n ${LAB_LOG:-} ]] && printf '%s\n' "$*" >>"$LAB_LOG"; return 0; }

rand_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# nsx NAME cmd... : run cmd inside the namespace of logical host NAME (node1, pod1, ...)
nsx() {
  local name=$1; shift
  local ns=${NS_OF[$name]:?unknown host $name}
  cmdlog "[$name] $*"
  ip netns exec "$ns" "$@"
}

# sysctl inside a namespace (per-netns keys only), written through /proc/sys so that procps is
# not needed; logged as the equivalent sysctl command
nsysctl() {
  local name=$1; shift
  local kv key val
  for kv in "$@"; do
    key=${kv%%=*}; val=${kv#*=}
    cmdlog "[$name] sysctl -w $key=$val"
    ip netns exec "${NS_OF[$name]}" sh -c 'echo "$1" > "/proc/sys/$2"' sh "$val" "${key//.//}"
  done
}

# JSON helpers (values are produced by the lab itself; still escape quotes/backslashes)
jstr() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
jstr_or_null() { if [[ -n ${1:-} ]]; then jstr "$1"; else printf 'null'; fi; }
jbool() { if [[ ${1:-} == 1 || ${1:-} == true ]]; then printf 'true'; else printf 'false'; fi; }
jnum_or_null() { if [[ -n ${1:-} ]]; then printf '%s' "$1"; else printf 'null'; fi; }
# join the arguments with ","
jjoin() { local IFS=,; printf '%s' "$*"; }

# "-1.500000250" -> -1500000250 (integer nanoseconds)
secs_to_ns() {
  local s=$1 sign=1 int frac
  [[ $s =~ ^([+-]?)([0-9]*)(\.([0-9]{0,9}))?$ ]] || die "bad seconds value: $s"
  [[ ${BASH_REMATCH[1]} == - ]] && sign=-1
  int=${BASH_REMATCH[2]:-0}
  frac=${BASH_REMATCH[4]:-}
  frac=$(printf '%-9s' "$frac"); frac=${frac// /0}
  echo $(( sign * (10#$int * 1000000000 + 10#$frac) ))
}
# -1500000250 -> "-1.500000250"
ns_to_secs() {
  local n=$1 sign=
  if (( n < 0 )); then sign=-; n=$(( -n )); fi
  printf '%s%d.%09d' "$sign" $(( n / 1000000000 )) $(( n % 1000000000 ))
}

# ---------------------------------------------------------------------------------------------
# state (filled by the build functions)

declare -A NS_OF=()          # logical host -> netns name
declare -a NAMESPACES=()     # netns names created by this run (cleanup order: reverse)
declare -a BG_PIDS=()        # background processes started by this run
declare -a NODES=(node1 node2)
declare -A NODE_IDX=([node1]=1 [node2]=2)
declare -A NODE_PEER=([node1]=node2 [node2]=node1)
declare -A NODE_IP=([node1]=192.168.2.16 [node2]=192.168.2.15)
declare -A NODE_MAC=() VTEP_MAC=() CNI_MAC=()
declare -a PODS=()           # pods in creation order (including deleted ones)
declare -A POD_NODE=() POD_IP=() POD_MAC=() POD_VETH=() POD_VETH_MAC=() POD_MTU=() POD_DELETED=()

node_subnet() { echo "10.10.${NODE_IDX[$1]}.0/24"; }
node_gw()     { echo "10.10.${NODE_IDX[$1]}.1"; }
node_vtep_ip(){ echo "10.10.${NODE_IDX[$1]}.0"; }

# ---------------------------------------------------------------------------------------------
# cleanup

lab_cleanup() {
  local rc=$? pid ns i pids
  trap - EXIT INT TERM
  set +e
  if (( ${#BG_PIDS[@]} )); then
    for pid in "${BG_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for i in 1 2 3 4 5 6 7 8 9 10; do
      pids=
      for pid in "${BG_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && pids+=" $pid"; done
      [[ -z $pids ]] && break
      sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
  fi
  for (( i=${#NAMESPACES[@]}-1; i>=0; i-- )); do
    ns=${NAMESPACES[$i]}
    [[ -e /run/netns/$ns ]] || continue
    # anything still running inside a namespace this run created was started by this run
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null
    ip netns del "$ns" 2>/dev/null || warn "could not delete netns $ns"
  done
  [[ -n ${LAB_TMP:-} && -d $LAB_TMP ]] && rm -rf "$LAB_TMP"
  if (( rc != 0 )); then printf '[lab] failed (exit %d); namespaces and processes cleaned up\n' "$rc" >&2; fi
  exit "$rc"
}

lab_install_traps() {
  trap lab_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# ---------------------------------------------------------------------------------------------
# building blocks

new_ns() { # new_ns LOGICAL
  local name=$1 ns="${LAB_PREFIX}-$1"
  NAMESPACES+=("$ns")
  NS_OF[$name]=$ns
  cmdlog "# netns $ns  ($name)"
  ip netns add "$ns"
  nsx "$name" ip link set lo up
  # keep captures readable: no IPv6 autoconf / MLD / RS chatter
  nsysctl "$name" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

link_mac() { ip netns exec "${NS_OF[$1]}" cat "/sys/class/net/$2/address"; }

build_nodes() {
  local n
  for n in "${NODES[@]}"; do
    new_ns "$n"
    nsysctl "$n" net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  # kube-proxy requires bridged traffic to traverse iptables (br_netfilter, bridge-nf-call-iptables=1).
  # The lab never loads modules: if br_netfilter is present (its sysctls are per netns), turn it on in
  # the nodes; otherwise record that it is absent (the DNAT is then first visible after cni0).
  BR_NF=0
  if ip netns exec "${NS_OF[node1]}" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
    for n in "${NODES[@]}"; do nsysctl "$n" net.bridge.bridge-nf-call-iptables=1; done
    BR_NF=1
  fi
  # the underlay: one veth pair, eth0 in each node, created directly inside the namespaces
  cmdlog "[node1] ip link add eth0 type veth peer name eth0 netns ${NS_OF[node2]}"
  ip -n "${NS_OF[node1]}" link add eth0 type veth peer name eth0 netns "${NS_OF[node2]}"
  for n in "${NODES[@]}"; do
    nsx "$n" ip addr add "${NODE_IP[$n]}/24" dev eth0
    nsx "$n" ip link set eth0 mtu 1500 up
    NODE_MAC[$n]=$(link_mac "$n" eth0)
    # cni0 as the CNI bridge plugin makes it: gateway of the pod /24, MAC fixed so that adding
    # or deleting ports does not change it (0a:58 + gateway IP, as the bridge plugin used to do)
    local i=${NODE_IDX[$n]}
    CNI_MAC[$n]=$(printf '0a:58:0a:0a:%02x:01' "$i")
    nsx "$n" ip link add cni0 type bridge
    nsx "$n" ip link set cni0 address "${CNI_MAC[$n]}" mtu "$POD_MTU_CFG"
    nsx "$n" ip addr add "$(node_gw "$n")/24" dev cni0
    nsx "$n" ip link set cni0 up
  done
}

build_vxlan() {
  local n peer
  for n in "${NODES[@]}"; do
    # flanneld: vxlan id VNI local <node ip> dev eth0 dstport PORT nolearning, MTU 1450,
    # address <subnet>.0/32
    nsx "$n" ip link add flannel.1 type vxlan id "$VNI" local "${NODE_IP[$n]}" dev eth0 \
      dstport "$VX_PORT" nolearning
    nsx "$n" ip link set flannel.1 mtu "$VX_MTU" up
    nsx "$n" ip addr add "$(node_vtep_ip "$n")/32" dev flannel.1
    VTEP_MAC[$n]=$(link_mac "$n" flannel.1)
  done
  for n in "${NODES[@]}"; do
    peer=${NODE_PEER[$n]}
    # what flanneld programs for each remote lease: route, permanent neighbour, FDB entry
    nsx "$n" ip route add "$(node_subnet "$peer")" via "$(node_vtep_ip "$peer")" dev flannel.1 onlink
    if [[ $FAULT == no-neigh && $n == node1 ]]; then
      log "fault no-neigh: NOT adding neighbour $(node_vtep_ip "$peer") -> ${VTEP_MAC[$peer]} on node1 flannel.1"
      cmdlog "[node1] # fault no-neigh: skipped: ip neigh add $(node_vtep_ip "$peer") lladdr ${VTEP_MAC[$peer]} dev flannel.1 nud permanent"
    else
      nsx "$n" ip neigh add "$(node_vtep_ip "$peer")" lladdr "${VTEP_MAC[$peer]}" dev flannel.1 nud permanent
    fi
    if [[ $FAULT == no-fdb && $n == node1 ]]; then
      log "fault no-fdb: NOT adding FDB ${VTEP_MAC[$peer]} dst ${NODE_IP[$peer]} on node1 flannel.1"
      cmdlog "[node1] # fault no-fdb: skipped: bridge fdb add ${VTEP_MAC[$peer]} dev flannel.1 dst ${NODE_IP[$peer]} self permanent"
    else
      nsx "$n" bridge fdb add "${VTEP_MAC[$peer]}" dev flannel.1 dst "${NODE_IP[$peer]}" self permanent
    fi
  done
}

build_hostgw() {
  local n peer
  for n in "${NODES[@]}"; do
    peer=${NODE_PEER[$n]}
    nsx "$n" ip route add "$(node_subnet "$peer")" via "${NODE_IP[$peer]}" dev eth0
  done
}

add_pod() { # add_pod NAME NODE IP
  local pod=$1 node=$2 ip=$3 veth
  veth="veth$(rand_hex 4)"
  new_ns "$pod"
  PODS+=("$pod")
  POD_NODE[$pod]=$node; POD_IP[$pod]=$ip; POD_VETH[$pod]=$veth; POD_MTU[$pod]=$POD_MTU_CFG
  POD_DELETED[$pod]=0
  # CNI bridge plugin: veth pair, host side on cni0, pod side eth0 in the pod namespace
  cmdlog "[$node] ip link add $veth mtu $POD_MTU_CFG type veth peer name eth0 mtu $POD_MTU_CFG netns ${NS_OF[$pod]}"
  ip -n "${NS_OF[$node]}" link add "$veth" mtu "$POD_MTU_CFG" type veth peer name eth0 mtu "$POD_MTU_CFG" \
    netns "${NS_OF[$pod]}"
  nsx "$node" ip link set "$veth" master cni0 up
  nsx "$pod" ip addr add "$ip/24" dev eth0
  nsx "$pod" ip link set eth0 up
  nsx "$pod" ip route add default via "$(node_gw "$node")" dev eth0
  POD_MAC[$pod]=$(link_mac "$pod" eth0)
  POD_VETH_MAC[$pod]=$(link_mac "$node" "$veth")
}

delete_pod() { # delete_pod NAME : the pod goes away (namespace and veth pair), as kubelet+CNI do
  local pod=$1 node=${POD_NODE[$1]} ns=${NS_OF[$1]} i
  cmdlog "# delete pod $pod: ip netns del $ns"
  ip netns del "$ns"
  for i in $(seq 1 50); do
    ip -n "${NS_OF[$node]}" link show "${POD_VETH[$pod]}" >/dev/null 2>&1 || break
    sleep 0.1
  done
  if ip -n "${NS_OF[$node]}" link show "${POD_VETH[$pod]}" >/dev/null 2>&1; then
    nsx "$node" ip link del "${POD_VETH[$pod]}"
  fi
  POD_DELETED[$pod]=1
}

# kube-proxy (iptables mode), simplified but with the real chain layout, on every node
build_kube_proxy() {
  local n rules
  rules=$(cat <<EOF
*nat
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:$SVC_CHAIN - [0:0]
:$SEP_CHAIN - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SERVICES -d $SVC_IP/32 -p tcp -m comment --comment "$SVC_NAME:http cluster IP" -m tcp --dport $SVC_PORT -j $SVC_CHAIN
-A $SVC_CHAIN ! -s 10.10.0.0/16 -d $SVC_IP/32 -p tcp -m comment --comment "$SVC_NAME:http cluster IP" -m tcp --dport $SVC_PORT -j KUBE-MARK-MASQ
-A $SVC_CHAIN -m comment --comment "$SVC_NAME:http -> $SVC_EP_IP:$SVC_EP_PORT" -j $SEP_CHAIN
-A $SEP_CHAIN -s $SVC_EP_IP/32 -m comment --comment "$SVC_NAME:http" -j KUBE-MARK-MASQ
-A $SEP_CHAIN -p tcp -m comment --comment "$SVC_NAME:http" -m tcp -j DNAT --to-destination $SVC_EP_IP:$SVC_EP_PORT
COMMIT
EOF
)
  for n in "${NODES[@]}"; do
    cmdlog "[$n] iptables-restore --noflush <<EOF"$'\n'"$rules"$'\n'"EOF"
    printf '%s\n' "$rules" | ip netns exec "${NS_OF[$n]}" iptables-restore --noflush
  done
}

apply_forward_drop() {
  log "fault forward-drop: iptables -A FORWARD -d $(node_subnet node2) -j DROP on node2"
  nsx node2 iptables -t filter -A FORWARD -d "$(node_subnet node2)" \
    -m comment --comment "vxdecode-lab fault: forward-drop" -j DROP
}

# ---------------------------------------------------------------------------------------------
# captures

declare -a CAP_FILES=()
declare -A CAP_NODE=() CAP_IFACE=() CAP_ROLE=() CAP_STYLE=() CAP_FORMAT=() CAP_LINKTYPE=()
declare -A CAP_DROPS=() CAP_PREC=() CAP_PID=() CAP_ERR=() CAP_HOST=() CAP_IFACES=() CAP_POD=() CAP_READY=()
TS_TYPE=host

# role of interface DEV on node NODE
iface_role() {
  local node=$1 dev=$2 p
  case $dev in
    eth0) echo underlay; return ;;
    cni0) echo bridge; return ;;
    flannel.1) echo vtep; return ;;
    lo) echo loopback; return ;;
  esac
  for p in "${PODS[@]}"; do
    [[ ${POD_NODE[$p]} == "$node" && ${POD_VETH[$p]} == "$dev" ]] && { echo veth; return; }
  done
  echo other
}

node_capture_ifaces() { # interfaces to capture on a node, in path order
  local node=$1 p
  printf '%s\n' eth0
  [[ $MODE == vxlan ]] && printf '%s\n' flannel.1
  printf '%s\n' cni0
  for p in "${PODS[@]}"; do
    [[ ${POD_NODE[$p]} == "$node" && ${POD_DELETED[$p]} == 0 ]] && printf '%s\n' "${POD_VETH[$p]}"
  done
  return 0
}

pick_ts_type() {
  # nanosecond precision always; adapter_unsynced only if the device offers it (veths do not)
  if ip netns exec "${NS_OF[node1]}" tcpdump -J -i eth0 2>/dev/null | grep -q adapter_unsynced; then
    TS_TYPE=adapter_unsynced
  else
    TS_TYPE=host
  fi
}

tcpdump_args() { # precision args
  local a=(--time-stamp-precision "$TS")
  [[ $TS_TYPE == adapter_unsynced ]] && a+=(-j adapter_unsynced)
  printf '%s\n' "${a[@]}"
}

start_tcpdump() { # start_tcpdump HOST DEV FILE NODE IFACE ROLE STYLE [LINKTYPE]
  local host=$1 dev=$2 file=$3 node=$4 iface=$5 role=$6 style=$7 lt=${8:-EN10MB}
  local err="$LAB_TMP/${file}.err" args
  mapfile -t args < <(tcpdump_args)
  local extra=()
  [[ $lt == LINUX_SLL2 ]] && extra=(-y LINUX_SLL2)
  cmdlog "[$host] tcpdump -Z root -i $dev ${extra[*]} ${args[*]} -w $file &"
  ip netns exec "${NS_OF[$host]}" tcpdump -Z root -i "$dev" "${extra[@]}" "${args[@]}" \
    -w "$OUT/$file" 2>"$err" </dev/null &
  local pid=$!
  BG_PIDS+=("$pid")
  CAP_FILES+=("$file"); CAP_PID[$file]=$pid; CAP_ERR[$file]=$err; CAP_HOST[$file]=$host
  CAP_NODE[$file]=$node; CAP_IFACE[$file]=$iface; CAP_ROLE[$file]=$role; CAP_STYLE[$file]=$style
  CAP_FORMAT[$file]=pcap; CAP_LINKTYPE[$file]=$lt; CAP_PREC[$file]=$TS
  CAP_READY[$file]='listening on'
}

start_dumpcap() { # start_dumpcap NODE FILE DEV...
  local node=$1 file=$2; shift 2
  local err="$LAB_TMP/${file}.err" dev args=()
  for dev in "$@"; do args+=(-i "$dev"); done
  cmdlog "[$node] dumpcap ${args[*]} -w $file &"
  ip netns exec "${NS_OF[$node]}" dumpcap "${args[@]}" -w "$OUT/$file" 2>"$err" </dev/null &
  local pid=$!
  BG_PIDS+=("$pid")
  CAP_FILES+=("$file"); CAP_PID[$file]=$pid; CAP_ERR[$file]=$err; CAP_HOST[$file]=$node
  CAP_NODE[$file]=$node; CAP_IFACE[$file]=; CAP_ROLE[$file]=; CAP_STYLE[$file]=pcapng
  CAP_FORMAT[$file]=pcapng; CAP_LINKTYPE[$file]=EN10MB; CAP_PREC[$file]=nano
  CAP_IFACES[$file]="$*"
  CAP_READY[$file]='Capturing on'
}

start_captures() {
  local node dev p file
  pick_ts_type
  for node in "${NODES[@]}"; do
    case $STYLE in
      per-iface)
        while read -r dev; do
          start_tcpdump "$node" "$dev" "$node-$dev.pcap" "$node" "$dev" "$(iface_role "$node" "$dev")" per-iface
        done < <(node_capture_ifaces "$node")
        ;;
      pcapng)
        mapfile -t devs < <(node_capture_ifaces "$node")
        start_dumpcap "$node" "$node.pcapng" "${devs[@]}"
        ;;
      any)
        start_tcpdump "$node" any "$node-any.pcap" "$node" any any any LINUX_SLL2
        ;;
    esac
    # pod side: always one classic pcap per pod eth0, captured inside the pod namespace
    for p in "${PODS[@]}"; do
      [[ ${POD_NODE[$p]} == "$node" && ${POD_DELETED[$p]} == 0 ]] || continue
      file="$node-$p.eth0.pcap"
      start_tcpdump "$p" eth0 "$file" "$node" "$p.eth0" pod per-iface
      CAP_POD[$file]=$p
    done
  done
  wait_captures_ready
}

wait_captures_ready() {
  local file deadline=$(( SECONDS + 15 )) pending
  while :; do
    pending=0
    for file in "${CAP_FILES[@]}"; do
      if ! kill -0 "${CAP_PID[$file]}" 2>/dev/null; then
        die "capture for $file exited early: $(cat "${CAP_ERR[$file]}" 2>/dev/null)"
      fi
      grep -q "${CAP_READY[$file]}" "${CAP_ERR[$file]}" 2>/dev/null || pending=$(( pending + 1 ))
    done
    (( pending == 0 )) && break
    (( SECONDS >= deadline )) && die "captures not ready after 15 s ($pending pending)"
    sleep 0.05
  done
  log "captures listening: ${#CAP_FILES[@]} ($STYLE, $TS, timestamp type $TS_TYPE)"
}

stop_captures() {
  local file pid i alive
  for file in "${CAP_FILES[@]}"; do kill -INT "${CAP_PID[$file]}" 2>/dev/null || true; done
  for file in "${CAP_FILES[@]}"; do
    pid=${CAP_PID[$file]}
    alive=1
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || { alive=0; break; }
      sleep 0.05
    done
    if (( alive )); then
      warn "capture $file did not stop on SIGINT; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # kernel drops: tcpdump "N packets dropped by kernel", dumpcap "received/dropped ...: R/D"
    CAP_DROPS[$file]=$(awk '/packets dropped by kernel/ {d += $1}
      /Packets received\/dropped on interface/ {split($NF, a, "/"); d += a[2]}
      END {print d + 0}' "${CAP_ERR[$file]}")
    (( CAP_DROPS[$file] == 0 )) || warn "capture $file: ${CAP_DROPS[$file]} packets dropped by the kernel"
    cmdlog "[${CAP_HOST[$file]}] kill -INT <capture of $file>: $(grep -E 'packets captured|Packets captured' "${CAP_ERR[$file]}" | tr '\n' ' ')(kernel drops: ${CAP_DROPS[$file]})"
  done
  BG_PIDS=()
  chmod 0644 "$OUT"/*.pcap "$OUT"/*.pcapng 2>/dev/null || true
}

# node2's clock is wrong: shift all of node2's capture timestamps (host and pod files)
apply_clock_skew() {
  local file fmt tmp
  [[ -n ${SKEW_NS:-} ]] || return 0
  if [[ -n $KEEP_UNSHIFTED ]]; then mkdir -p "$OUT/unshifted"; fi
  for file in "${CAP_FILES[@]}"; do
    [[ ${CAP_NODE[$file]} == node2 ]] || continue
    case ${CAP_FORMAT[$file]}/${CAP_PREC[$file]} in
      pcapng/*) fmt=pcapng ;;
      pcap/nano) fmt=nsecpcap ;;
      *) fmt=pcap ;;
    esac
    [[ -n $KEEP_UNSHIFTED ]] && cp "$OUT/$file" "$OUT/unshifted/$file"
    tmp="$LAB_TMP/shift.$file"
    cmdlog "# clock-skew: editcap -F $fmt -t $SKEW_SECS $file"
    editcap -F "$fmt" -t "$SKEW_SECS" "$OUT/$file" "$tmp" 2>/dev/null || die "editcap failed on $file"
    cat "$tmp" >"$OUT/$file"
    rm -f "$tmp"
  done
  log "fault clock-skew: shifted node2's captures by $SKEW_SECS s"
}

packet_count() { capinfos -c -M -T -r "$1" 2>/dev/null | awk -F'\t' 'NR==1{print $2}'; }

write_node_files() {
  local n
  for n in "${NODES[@]}"; do
    ip netns exec "${NS_OF[$n]}" ip -o link >"$OUT/$n.links.txt"
    {
      echo "# $n state after setup (run $RUN_ID, mode $MODE, fault $FAULT)"
      echo "## ip -d link"; ip netns exec "${NS_OF[$n]}" ip -d link
      echo "## ip addr"; ip netns exec "${NS_OF[$n]}" ip addr
      echo "## ip route"; ip netns exec "${NS_OF[$n]}" ip route
      echo "## ip neigh"; ip netns exec "${NS_OF[$n]}" ip neigh
      if [[ $MODE == vxlan ]]; then
        echo "## bridge fdb show dev flannel.1"; ip netns exec "${NS_OF[$n]}" bridge fdb show dev flannel.1
      fi
      echo "## bridge link"; ip netns exec "${NS_OF[$n]}" bridge link
      echo "## iptables-save"; ip netns exec "${NS_OF[$n]}" iptables-save | grep -v '^#'
    } >"$OUT/$n.state.txt" 2>&1
  done
}

# ifindex of DEV from a saved `ip -o link` file
links_ifindex() { awk -v d="$2" -F': ' '{split($2,a,"@"); if (a[1]==d) {print $1; exit}}' "$1"; }
