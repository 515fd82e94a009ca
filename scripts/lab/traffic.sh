# shellcheck shell=bash
# vxdecode lab: traffic generators.  Everything is bounded by a count and by `timeout`; the output
# of every command goes to lab.log.  Failures are expected with faults and never abort the run.

declare -a TRAFFIC_FLOWS=()   # JSON objects describing what was sent
declare -a TRAFFIC_JOBS=()    # "pid:outfile" of background traffic

# tx POD TIMEOUT CMD... : run CMD in POD in the foreground (bounded), log its output
tx() {
  local pod=$1 t=$2; shift 2
  local out="$LAB_TMP/tx.$RANDOM$RANDOM.out" rc=0
  ip netns exec "${NS_OF[$pod]}" timeout "$t" "$@" >"$out" 2>&1 </dev/null || rc=$?
  { printf '[%s] $ %s\n' "$pod" "$*"; sed 's/^/    /' "$out"; printf '    (exit %d)\n' "$rc"; } >>"$LAB_LOG"
  rm -f "$out"
  return 0
}

# txbg POD TIMEOUT CMD... : same, in the background; collect with tx_wait_all
txbg() {
  local pod=$1 t=$2; shift 2
  local out="$LAB_TMP/txbg.${#TRAFFIC_JOBS[@]}.${#SERVER_JOBS[@]}.$RANDOM"
  printf '[%s] $ %s &\n' "$pod" "$*" >"$out.cmd"
  ip netns exec "${NS_OF[$pod]}" timeout "$t" "$@" >"$out.out" 2>&1 </dev/null &
  TXBG_PID=$!
  TXBG_OUT=$out
  BG_PIDS+=("$TXBG_PID")
  TRAFFIC_JOBS+=("$TXBG_PID:$out")
}

declare -a SERVER_JOBS=()

_job_log() { # pid out rc
  { cat "$2.cmd"; sed 's/^/    /' "$2.out" 2>/dev/null; printf '    (exit %s)\n' "$3"; } >>"$LAB_LOG"
}

# wait for the clients, then give the servers a moment to finish on their own and stop them
tx_wait_all() {
  local j pid out rc i alive
  for j in "${TRAFFIC_JOBS[@]}"; do
    pid=${j%%:*}; out=${j#*:}
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    _job_log "$pid" "$out" "$rc"
  done
  TRAFFIC_JOBS=()
  for j in "${SERVER_JOBS[@]}"; do
    pid=${j%%:*}; out=${j#*:}
    alive=1
    for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || { alive=0; break; }; sleep 0.05; done
    (( alive )) && kill -TERM "$pid" 2>/dev/null
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    _job_log "$pid" "$out" "$rc$( (( alive )) && echo ', stopped by the lab after the client finished')"
  done
  SERVER_JOBS=()
}

# server POD PORTCHECK TIMEOUT CMD... : start a server in POD and wait until it listens
server() {
  local pod=$1 check=$2 t=$3; shift 3
  txbg "$pod" "$t" "$@"
  unset 'TRAFFIC_JOBS[${#TRAFFIC_JOBS[@]}-1]'
  SERVER_JOBS+=("$TXBG_PID:$TXBG_OUT")
  local i
  for i in $(seq 1 100); do
    if ip netns exec "${NS_OF[$pod]}" ss -H -ln $check 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.05
  done
  warn "server in $pod not listening: $*"
}

flow_json() { # kind from to dst proto dport extra-json
  local kind=$1 from=$2 to=$3 dst=$4 proto=$5 dport=${6:-} extra=${7:-}
  local s="{\"kind\":$(jstr "$kind"),\"from\":$(jstr "$from"),\"to\":$(jstr "$to"),\"dst\":$(jstr "$dst"),\"proto\":$(jstr "$proto"),\"dport\":$(jnum_or_null "$dport")"
  [[ -n $extra ]] && s+=",$extra"
  TRAFFIC_FLOWS+=("$s}")
}

ping_args() { # size df
  local a=(-c "$COUNT" -i 0.2 -W 1 -s "$1")
  [[ $2 == 1 ]] && a+=(-M do)
  printf '%s\n' "${a[@]}"
}

do_ping() { # do_ping SRC DSTPOD SIZE DF [bg]
  local src=$1 dst=$2 size=$3 df=$4 bg=${5:-}
  local args; mapfile -t args < <(ping_args "$size" "$df")
  flow_json ping "$src" "$dst" "${POD_IP[$dst]}" icmp "" \
    "\"count\":$COUNT,\"size\":$size,\"ip_len\":$(( size + 28 )),\"df\":$(jbool "$df"),\"pmtudisc\":$(jstr "$([[ $df == 1 ]] && echo do || echo want)")"
  if [[ -n $bg ]]; then txbg "$src" 20 ping "${args[@]}" "${POD_IP[$dst]}"
  else tx "$src" 20 ping "${args[@]}" "${POD_IP[$dst]}"; fi
}

# TCP transfer of BYTES from SRC to DSTPOD (directly or through the ClusterIP)
do_tcp() { # do_tcp SRC DSTPOD via(pod|service) [bg]
  local src=$1 dst=$2 via=$3 bg=${4:-} ip port
  if [[ $via == service ]]; then ip=$SVC_IP; port=$SVC_PORT; else ip=${POD_IP[$dst]}; port=$TCP_PORT; fi
  server "$dst" "-t sport = :$TCP_PORT" 15 sh -c "nc -d -l $TCP_PORT >/dev/null"
  flow_json tcp "$src" "$dst" "$ip" tcp "$port" "\"bytes\":$BYTES,\"via\":$(jstr "$via")"
  local cmd="head -c $BYTES /dev/urandom | nc -N -w 3 $ip $port"
  if [[ -n $bg ]]; then txbg "$src" 10 sh -c "$cmd"
  else tx "$src" 10 sh -c "$cmd"; fi
}

# UDP load: iperf3 -u, bounded by block count
do_udp() { # do_udp SRC DSTPOD [bg]
  local src=$1 dst=$2 bg=${3:-}
  server "$dst" "-t sport = :$UDP_PORT" $(( 15 + UDP_SECS * 2 )) iperf3 -s -1 -p "$UDP_PORT"
  flow_json udp "$src" "$dst" "${POD_IP[$dst]}" udp "$UDP_PORT" \
    "\"datagrams\":$UDP_BLOCKS,\"size\":$UDP_LEN,\"rate\":$(jstr "$UDP_RATE")"
  local args=(iperf3 -c "${POD_IP[$dst]}" -p "$UDP_PORT" -u -b "$UDP_RATE" -l "$UDP_LEN" -k "$UDP_BLOCKS")
  if [[ -n $bg ]]; then txbg "$src" $(( 10 + UDP_SECS * 2 )) "${args[@]}"
  else tx "$src" $(( 10 + UDP_SECS * 2 )) "${args[@]}"; fi
}

# connection attempt to the ClusterIP whose endpoint is gone: SYN, retransmission, give up
do_stale_connect() { # SRC
  local src=$1
  flow_json tcp-connect "$src" "$SVC_EP_POD" "$SVC_IP" tcp "$SVC_PORT" "\"via\":\"service\",\"timeout_s\":3"
  tx "$src" 6 nc -z -v -w 3 "$SVC_IP" "$SVC_PORT"
}

run_traffic() {
  local p1=${PODS_ON_NODE1[0]} p2=${PODS_ON_NODE2[0]}
  printf '\n# traffic (%s)\n' "$TRAFFIC" >>"$LAB_LOG"
  if [[ $FAULT == stale-endpoint ]]; then
    log "traffic: $p1 -> $SVC_IP:$SVC_PORT (endpoint $SVC_EP_IP:$SVC_EP_PORT, pod $SVC_EP_POD deleted)"
    do_stale_connect "$p1"
    return
  fi
  case $TRAFFIC in
    ping)
      if [[ $FAULT == mtu ]]; then
        log "traffic: $p1 -> $p2 ping -c 2 (56 B) then ping -M do -s $SIZE -c $COUNT"
        local c=$COUNT; COUNT=2; do_ping "$p1" "$p2" 56 0; COUNT=$c
      else
        log "traffic: $p1 -> $p2 ping -c $COUNT -s $SIZE${DF:+ -M do}"
      fi
      [[ $FAULT == mtu ]] && DF=1
      do_ping "$p1" "$p2" "$SIZE" "${DF:-0}"
      ;;
    tcp)
      log "traffic: $p1 -> $p2 TCP $BYTES bytes via $TO"
      do_tcp "$p1" "$p2" "$TO"
      ;;
    udp)
      log "traffic: $p1 -> $p2 UDP iperf3 $UDP_BLOCKS x $UDP_LEN B"
      do_udp "$p1" "$p2"
      ;;
    multi)
      local p3=${PODS_ON_NODE1[1]} p4=${PODS_ON_NODE2[1]}
      log "traffic: concurrently $p1->$p2 ping, $p3->$p4 ping, $p3->$p2 TCP, $p1->$p4 UDP"
      # servers first, then all clients at once
      server "$p2" "-t sport = :$TCP_PORT" 15 sh -c "nc -d -l $TCP_PORT >/dev/null"
      server "$p4" "-t sport = :$UDP_PORT" $(( 15 + UDP_SECS * 2 )) iperf3 -s -1 -p "$UDP_PORT"
      local args; mapfile -t args < <(ping_args "$SIZE" "${DF:-0}")
      flow_json ping "$p1" "$p2" "${POD_IP[$p2]}" icmp "" "\"count\":$COUNT,\"size\":$SIZE,\"ip_len\":$(( SIZE + 28 ))"
      txbg "$p1" 20 ping "${args[@]}" "${POD_IP[$p2]}"
      flow_json ping "$p3" "$p4" "${POD_IP[$p4]}" icmp "" "\"count\":$COUNT,\"size\":$SIZE,\"ip_len\":$(( SIZE + 28 ))"
      txbg "$p3" 20 ping "${args[@]}" "${POD_IP[$p4]}"
      flow_json tcp "$p3" "$p2" "${POD_IP[$p2]}" tcp "$TCP_PORT" "\"bytes\":$BYTES,\"via\":\"pod\""
      txbg "$p3" 10 sh -c "head -c $BYTES /dev/urandom | nc -N -w 3 ${POD_IP[$p2]} $TCP_PORT"
      flow_json udp "$p1" "$p4" "${POD_IP[$p4]}" udp "$UDP_PORT" \
        "\"datagrams\":$UDP_BLOCKS,\"size\":$UDP_LEN,\"rate\":$(jstr "$UDP_RATE")"
      txbg "$p1" $(( 10 + UDP_SECS * 2 )) iperf3 -c "${POD_IP[$p4]}" -p "$UDP_PORT" -u -b "$UDP_RATE" -l "$UDP_LEN" -k "$UDP_BLOCKS"
      ;;
    none) log "traffic: none" ;;
  esac
  tx_wait_all
}
