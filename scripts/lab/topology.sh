# shellcheck shell=bash
# vxdecode lab: expected hop order of the probe and topology.json.

# file holding the capture of IFACE (logical name) on NODE, for the current style
hop_file() { # node iface role
  local node=$1 iface=$2 role=$3
  if [[ $role == pod ]]; then echo "$node-$iface.pcap"; return; fi
  case $STYLE in
    per-iface) echo "$node-$iface.pcap" ;;
    pcapng) echo "$node.pcapng" ;;
    any) echo "$node-any.pcap" ;;
  esac
}

# path_hops SRC_POD DST_POD : "node iface role" lines along the path, in order
path_hops() {
  local src=$1 dst=$2 sn=${POD_NODE[$1]} dn=${POD_NODE[$2]}
  echo "$sn $src.eth0 pod"
  echo "$sn ${POD_VETH[$src]} veth"
  echo "$sn cni0 bridge"
  [[ $MODE == vxlan ]] && echo "$sn flannel.1 vtep"
  echo "$sn eth0 underlay"
  echo "$dn eth0 underlay"
  [[ $MODE == vxlan ]] && echo "$dn flannel.1 vtep"
  echo "$dn cni0 bridge"
  echo "$dn ${POD_VETH[$dst]} veth"
  echo "$dn $dst.eth0 pod"
}

# inner TTL of a packet sent with TTL 64 by a pod on SRCNODE, as seen at (node, role)
hop_ttl() { # srcnode node role
  case $3 in
    vtep|underlay) echo 63 ;;
    *) if [[ $2 == "$1" ]]; then echo 64; else echo 62; fi ;;
  esac
}

# hop_json direction node iface role  (uses PROBE_* for addresses)
hop_json() {
  local dir=$1 node=$2 iface=$3 role=$4 srcnode ttl src dst sport dport pre_nat=0
  if [[ $dir == request ]]; then srcnode=node1; else srcnode=node2; fi
  ttl=$(hop_ttl "$srcnode" "$node" "$role")
  # on node1 before routing (pod, veth, cni0) the service address is still visible
  # (with br_netfilter the DNAT happens in the bridge's PREROUTING hook, before the frame is
  # passed up to cni0, so the request already carries the endpoint address on cni0; the reply is
  # un-DNATed in POSTROUTING, before it is sent out of cni0)
  [[ $node == node1 && ( $role == pod || $role == veth ) ]] && pre_nat=1
  [[ $node == node1 && $role == bridge && ( $dir == reply || ${BR_NF:-0} == 0 ) ]] && pre_nat=1
  if [[ $dir == request ]]; then
    src=$PROBE_SRC; sport=
    if (( pre_nat )) && [[ -n $PROBE_SVC_DST ]]; then dst=$PROBE_SVC_DST; dport=$PROBE_SVC_DPORT
    else dst=$PROBE_DST; dport=$PROBE_DPORT; fi
  else
    dst=$PROBE_SRC; dport=
    if (( pre_nat )) && [[ -n $PROBE_SVC_DST ]]; then src=$PROBE_SVC_DST; sport=$PROBE_SVC_DPORT
    else src=$PROBE_DST; sport=$PROBE_DPORT; fi
  fi
  local s="{\"node\":$(jstr "$node"),\"iface\":$(jstr "$iface"),\"role\":$(jstr "$role"),\"file\":$(jstr "$(hop_file "$node" "$iface" "$role")")"
  s+=",\"ttl\":$ttl,\"src\":$(jstr "$src"),\"dst\":$(jstr "$dst")"
  if [[ $PROBE_PROTO != icmp ]]; then
    if [[ $dir == request ]]; then s+=",\"dport\":$(jnum_or_null "$dport")"; else s+=",\"sport\":$(jnum_or_null "$sport")"; fi
  fi
  if [[ $MODE == vxlan && $role == underlay ]]; then
    local osrc odst
    if [[ $dir == request ]]; then osrc=${NODE_IP[node1]}; odst=${NODE_IP[node2]}; else osrc=${NODE_IP[node2]}; odst=${NODE_IP[node1]}; fi
    s+=",\"encap\":{\"type\":\"vxlan\",\"vni\":$VNI,\"outer_src\":$(jstr "$osrc"),\"outer_dst\":$(jstr "$odst"),\"outer_dport\":$VX_PORT,\"outer_ttl\":64}"
  fi
  printf '%s}' "$s"
}

# where the probe's journey ends for each fault ("" = delivered)
probe_stops_after() {
  case $FAULT in
    no-fdb) echo "node1 flannel.1" ;;
    no-neigh|mtu) echo "node1 cni0" ;;
    forward-drop|stale-endpoint) if [[ $MODE == vxlan ]]; then echo "node2 flannel.1"; else echo "node2 eth0"; fi ;;
    *) echo "" ;;
  esac
}

set_probe() {
  local p1=${PODS_ON_NODE1[0]} p2=${PODS_ON_NODE2[0]}
  PROBE_SRC_POD=$p1; PROBE_DST_POD=$p2
  PROBE_SRC=${POD_IP[$p1]}; PROBE_SVC_DST=; PROBE_SVC_DPORT=
  local kind=$TRAFFIC
  [[ $FAULT == stale-endpoint ]] && kind=stale
  case $kind in
    ping|multi)
      PROBE_PROTO=icmp; PROBE_DST=${POD_IP[$p2]}; PROBE_DPORT=
      local size=$SIZE df=${DF:-0}; [[ $FAULT == mtu ]] && df=1
      PROBE_JSON="{\"proto\":\"icmp\",\"what\":\"ICMP echo request\",\"icmp_type\":8,\"src\":$(jstr "$PROBE_SRC"),\"dst\":$(jstr "$PROBE_DST"),\"ip_len\":$(( size + 28 )),\"df\":$(jbool 1),\"pmtudisc\":$(jstr "$([[ $df == 1 ]] && echo do || echo want)"),\"count\":$COUNT,\"from_pod\":$(jstr "$p1"),\"to_pod\":$(jstr "$p2")}"
      ;;
    tcp|stale)
      PROBE_PROTO=tcp
      if [[ $kind == stale ]]; then PROBE_DST_POD=$SVC_EP_POD; fi
      if [[ $kind == stale || $TO == service ]]; then
        PROBE_SVC_DST=$SVC_IP; PROBE_SVC_DPORT=$SVC_PORT; PROBE_DST=$SVC_EP_IP; PROBE_DPORT=$SVC_EP_PORT
      else
        PROBE_DST=${POD_IP[$p2]}; PROBE_DPORT=$TCP_PORT
      fi
      PROBE_JSON="{\"proto\":\"tcp\",\"what\":\"TCP SYN\",\"tcp_flags\":\"SYN\",\"src\":$(jstr "$PROBE_SRC"),\"dst\":$(jstr "${PROBE_SVC_DST:-$PROBE_DST}"),\"dport\":${PROBE_SVC_DPORT:-$PROBE_DPORT},\"dst_after_nat\":$(jstr "$PROBE_DST"),\"dport_after_nat\":$PROBE_DPORT,\"from_pod\":$(jstr "$p1"),\"to_pod\":$(jstr "$PROBE_DST_POD")}"
      ;;
    udp)
      PROBE_PROTO=udp; PROBE_DST=${POD_IP[$p2]}; PROBE_DPORT=$UDP_PORT
      PROBE_JSON="{\"proto\":\"udp\",\"what\":\"UDP datagram (iperf3)\",\"src\":$(jstr "$PROBE_SRC"),\"dst\":$(jstr "$PROBE_DST"),\"dport\":$UDP_PORT,\"from_pod\":$(jstr "$p1"),\"to_pod\":$(jstr "$p2")}"
      ;;
    none)
      PROBE_PROTO=none; PROBE_DST=${POD_IP[$p2]}; PROBE_DPORT=; PROBE_JSON=null ;;
  esac
}

seen_json() { printf '{"node":%s,"iface":%s,"src":%s}' "$(jstr "$1")" "$(jstr "$2")" "$(jstr "$3")"; }

expected_json() {
  local stop line node iface role reached=1 delivered
  local -a hops=() absent=() rhops=() names=()
  stop=$(probe_stops_after)
  [[ -z $stop ]] && delivered=1 || delivered=0
  while read -r node iface role; do
    if (( reached )); then
      hops+=("$(hop_json request "$node" "$iface" "$role")")
      names+=("$node $iface")
    else
      absent+=("{\"node\":$(jstr "$node"),\"iface\":$(jstr "$iface"),\"role\":$(jstr "$role")}")
    fi
    [[ "$node $iface" == "$stop" ]] && reached=0
  done < <(path_hops "$PROBE_SRC_POD" "$PROBE_DST_POD")
  if (( delivered )); then
    while read -r node iface role; do
      rhops+=("$(hop_json reply "$node" "$iface" "$role")")
    done < <(path_hops "$PROBE_DST_POD" "$PROBE_SRC_POD")
  fi
  local arp=() icmp=() summary
  local route="$(IFS=,; echo "${names[*]}" | sed 's/,/ → /g')"
  case $FAULT in
    none|clock-skew)
      summary="delivered: the request appears on all ${#hops[@]} interfaces in order $route; the reply takes the reverse path" ;;
    no-fdb)
      summary="dropped on node1 between flannel.1 and eth0: no FDB entry for node2's VTEP MAC, so the VXLAN device has no underlay destination; seen on $route and never on node1 eth0 or anything on node2" ;;
    no-neigh)
      summary="dropped on node1 before flannel.1: no neighbour entry for node2's VTEP address $(node_vtep_ip node2); node1 broadcasts ARP who-has $(node_vtep_ip node2) on flannel.1, which the VXLAN device cannot deliver (nolearning, no FDB entry for the broadcast address); the request is seen on $route only"
      arp+=("{\"node\":\"node1\",\"iface\":\"flannel.1\",\"target\":$(jstr "$(node_vtep_ip node2)"),\"answered\":false}") ;;
    forward-drop)
      summary="dropped by iptables FORWARD on node2: seen on $route and never on node2 cni0" ;;
    mtu)
      summary="too big: the ${SIZE}+28=$(( SIZE + 28 ))-byte DF echo request leaves the pod (pod MTU $POD_MTU_CFG) and is refused by node1 when routing into flannel.1 (MTU $VX_MTU): node1 answers ICMP destination unreachable, fragmentation needed, mtu $VX_MTU from $(node_gw node1); later DF pings fail inside the pod (PMTU cached) and are not sent; seen on $route only"
      local gw; gw=$(node_gw node1)
      icmp+=("{\"what\":\"fragmentation needed\",\"from\":$(jstr "$gw"),\"to\":$(jstr "$PROBE_SRC"),\"type\":3,\"code\":4,\"mtu\":$VX_MTU,\"count\":1,\"seen_on\":[$(seen_json node1 cni0 "$gw"),$(seen_json node1 "${POD_VETH[$PROBE_SRC_POD]}" "$gw"),$(seen_json node1 "$PROBE_SRC_POD.eth0" "$gw")]}") ;;
    stale-endpoint)
      summary="service endpoint gone: the SYN to $SVC_IP:$SVC_PORT is DNATed on node1 to $SVC_EP_IP:$SVC_EP_PORT (pod $SVC_EP_POD, deleted), crosses to node2 and dies there: node2 ARPs for $SVC_EP_IP on cni0 and nobody answers, then (3 s later) returns ICMP host unreachable for each SYN, which node1 rewrites to come from $SVC_IP; seen on $route"
      arp+=("{\"node\":\"node2\",\"iface\":\"cni0\",\"target\":$(jstr "$SVC_EP_IP"),\"answered\":false}")
      # after 3 unanswered ARP probes node2 gives up and returns host unreachable for each queued
      # SYN, from its flannel.1 (or eth0) address; node1's conntrack rewrites the error (outer source
      # and quoted header) back to the ClusterIP before it reaches the pod
      local from=${NODE_IP[node2]} seen=()
      [[ $MODE == vxlan ]] && from=$(node_vtep_ip node2)
      [[ $MODE == vxlan ]] && seen+=("$(seen_json node2 flannel.1 "$from")")
      seen+=("$(seen_json node2 eth0 "$from")" "$(seen_json node1 eth0 "$from")")
      [[ $MODE == vxlan ]] && seen+=("$(seen_json node1 flannel.1 "$from")")
      seen+=("$(seen_json node1 cni0 "$SVC_IP")" "$(seen_json node1 "${POD_VETH[$PROBE_SRC_POD]}" "$SVC_IP")" "$(seen_json node1 "$PROBE_SRC_POD.eth0" "$SVC_IP")")
      icmp+=("{\"what\":\"host unreachable\",\"from\":$(jstr "$from"),\"to\":$(jstr "$PROBE_SRC"),\"type\":3,\"code\":1,\"count\":3,\"seen_on\":[$(jjoin "${seen[@]}")]}") ;;
  esac
  printf '{"delivered":%s,"stops_after":%s,"summary":%s,"hops":[%s],"absent":[%s],"reply_hops":[%s],"arp_unanswered":[%s],"icmp_errors":[%s]}' \
    "$(jbool "$delivered")" \
    "$(if [[ -n $stop ]]; then printf '{"node":%s,"iface":%s}' "$(jstr "${stop% *}")" "$(jstr "${stop#* }")"; else printf null; fi)" \
    "$(jstr "$summary")" "$(jjoin "${hops[@]}")" "$(jjoin "${absent[@]}")" "$(jjoin "${rhops[@]}")" \
    "$(jjoin "${arp[@]}")" "$(jjoin "${icmp[@]}")"
}

node_json() {
  local n=$1 vtep=null
  if [[ $MODE == vxlan ]]; then
    vtep="{\"iface\":\"flannel.1\",\"ip\":$(jstr "$(node_vtep_ip "$n")"),\"mac\":$(jstr "${VTEP_MAC[$n]}"),\"mtu\":$VX_MTU,\"vni\":$VNI,\"port\":$VX_PORT}"
  fi
  printf '{"name":%s,"netns":%s,"underlay":{"iface":"eth0","ip":%s,"prefix":24,"mac":%s,"mtu":1500},"vtep":%s,"bridge":{"iface":"cni0","ip":%s,"mac":%s,"mtu":%s},"pod_subnet":%s,"links":%s,"state":%s}' \
    "$(jstr "$n")" "$(jstr "${NS_OF[$n]}")" "$(jstr "${NODE_IP[$n]}")" "$(jstr "${NODE_MAC[$n]}")" "$vtep" \
    "$(jstr "$(node_gw "$n")")" "$(jstr "${CNI_MAC[$n]}")" "$POD_MTU_CFG" "$(jstr "$(node_subnet "$n")")" \
    "$(jstr "$n.links.txt")" "$(jstr "$n.state.txt")"
}

pod_json() {
  local p=$1
  printf '{"name":%s,"node":%s,"ip":%s,"mac":%s,"iface":"eth0","mtu":%s,"gateway":%s,"host_veth":%s,"host_veth_mac":%s,"deleted":%s}' \
    "$(jstr "$p")" "$(jstr "${POD_NODE[$p]}")" "$(jstr "${POD_IP[$p]}")" "$(jstr "${POD_MAC[$p]}")" \
    "${POD_MTU[$p]}" "$(jstr "$(node_gw "${POD_NODE[$p]}")")" "$(jstr "${POD_VETH[$p]}")" \
    "$(jstr "${POD_VETH_MAC[$p]}")" "$(jbool "${POD_DELETED[$p]}")"
}

capture_json() {
  local f=$1 node=${CAP_NODE[$1]} ifaces=() dev idx
  local links="$OUT/$node.links.txt"
  case ${CAP_STYLE[$f]} in
    pcapng)
      for dev in ${CAP_IFACES[$f]}; do
        ifaces+=("{\"iface\":$(jstr "$dev"),\"role\":$(jstr "$(iface_role "$node" "$dev")")}")
      done ;;
    *)
      if [[ ${CAP_IFACE[$f]} == any ]]; then
        while read -r dev; do
          idx=$(links_ifindex "$links" "$dev")
          ifaces+=("{\"iface\":$(jstr "$dev"),\"role\":$(jstr "$(iface_role "$node" "$dev")"),\"ifindex\":$(jnum_or_null "$idx")}")
        done < <(node_capture_ifaces "$node")
      else
        ifaces+=("{\"iface\":$(jstr "${CAP_IFACE[$f]}"),\"role\":$(jstr "${CAP_ROLE[$f]}")}")
      fi ;;
  esac
  local shifted=0
  [[ -n ${SKEW_NS:-} && $node == node2 ]] && shifted=1
  printf '{"file":%s,"node":%s,"iface":%s,"role":%s,"pod":%s,"style":%s,"format":%s,"link_type":%s,"ts_precision":%s,"links":%s,"clock_shifted":%s,"packets":%s,"kernel_drops":%s,"interfaces":[%s]}' \
    "$(jstr "$f")" "$(jstr "$node")" "$(jstr_or_null "${CAP_IFACE[$f]}")" "$( [[ ${CAP_IFACE[$f]} == any ]] && printf null || jstr_or_null "${CAP_ROLE[$f]}")" \
    "$(jstr_or_null "${CAP_POD[$f]:-}")" "$(jstr "${CAP_STYLE[$f]}")" "$(jstr "${CAP_FORMAT[$f]}")" \
    "$(jstr "${CAP_LINKTYPE[$f]}")" "$(jstr "${CAP_PREC[$f]}")" \
    "$(if [[ ${CAP_IFACE[$f]} == any ]]; then jstr "$node.links.txt"; else printf null; fi)" \
    "$(jbool "$shifted")" "$(jnum_or_null "$(packet_count "$OUT/$f")")" "${CAP_DROPS[$f]:-0}" "$(jjoin "${ifaces[@]}")"
}

write_topology() {
  local n p f nodes=() pods=() caps=() skew=null svc
  for n in "${NODES[@]}"; do nodes+=("$(node_json "$n")"); done
  for p in "${PODS[@]}"; do pods+=("$(pod_json "$p")"); done
  for f in "${CAP_FILES[@]}"; do caps+=("$(capture_json "$f")"); done
  if [[ -n ${SKEW_NS:-} ]]; then
    skew="{\"node\":\"node2\",\"seconds\":$(jstr "$SKEW_SECS"),\"ns\":$SKEW_NS,\"applied_with\":$(jstr "editcap -t $SKEW_SECS"),\"unshifted\":$(if [[ -n $KEEP_UNSHIFTED ]]; then jstr unshifted; else printf null; fi)}"
  fi
  svc="{\"name\":$(jstr "$SVC_NAME"),\"cluster_ip\":$(jstr "$SVC_IP"),\"port\":$SVC_PORT,\"proto\":\"tcp\",\"endpoint\":{\"pod\":$(jstr "$SVC_EP_POD"),\"node\":\"node2\",\"ip\":$(jstr "$SVC_EP_IP"),\"port\":$SVC_EP_PORT},\"endpoint_exists\":$(jbool "$([[ ${POD_DELETED[$SVC_EP_POD]:-0} == 1 ]] && echo 0 || echo 1)"),\"chains\":[\"KUBE-SERVICES\",$(jstr "$SVC_CHAIN"),$(jstr "$SEP_CHAIN")]}"
  {
    printf '{\n'
    printf '  "schema": "vxdecode-lab-topology/1",\n'
    printf '  "run_id": %s,\n' "$(jstr "$RUN_ID")"
    printf '  "created": %s,\n' "$(jstr "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '  "kernel": %s,\n' "$(jstr "$(uname -r)")"
    printf '  "command": %s,\n' "$(jstr "$LAB_CMDLINE")"
    printf '  "mode": %s,\n' "$(jstr "$MODE")"
    printf '  "vxlan": %s,\n' "$(if [[ $MODE == vxlan ]]; then printf '{"iface":"flannel.1","vni":%s,"port":%s,"mtu":%s,"learning":false}' "$VNI" "$VX_PORT" "$VX_MTU"; else printf null; fi)"
    printf '  "vni": %s,\n' "$(if [[ $MODE == vxlan ]]; then echo "$VNI"; else echo null; fi)"
    printf '  "port": %s,\n' "$(if [[ $MODE == vxlan ]]; then echo "$VX_PORT"; else echo null; fi)"
    printf '  "fault": %s,\n' "$(jstr "$FAULT")"
    printf '  "fault_detail": %s,\n' "$(jstr "$FAULT_DETAIL")"
    printf '  "clock_shift": %s,\n' "$skew"
    printf '  "br_netfilter": %s,\n' "$(jbool "${BR_NF:-0}")"
    printf '  "capture": {"style":%s,"ts":%s,"ts_type":%s,"snaplen":262144},\n' "$(jstr "$STYLE")" "$(jstr "$TS")" "$(jstr "$TS_TYPE")"
    printf '  "nodes": [\n    %s\n  ],\n' "$(jjoin "${nodes[@]}" | sed 's/},{"name"/},\n    {"name"/g')"
    printf '  "pods": [\n    %s\n  ],\n' "$(jjoin "${pods[@]}" | sed 's/},{"name"/},\n    {"name"/g')"
    printf '  "service": %s,\n' "$svc"
    printf '  "captures": [\n    %s\n  ],\n' "$(jjoin "${caps[@]}" | sed 's/},{"file"/},\n    {"file"/g')"
    printf '  "traffic": {"kind":%s,"flows":[%s]},\n' "$(jstr "$TRAFFIC")" "$(jjoin "${TRAFFIC_FLOWS[@]}")"
    printf '  "probe": %s,\n' "$PROBE_JSON"
    printf '  "expected": %s\n' "$(expected_json)"
    printf '}\n'
  } >"$OUT/topology.json"
}
