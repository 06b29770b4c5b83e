#!/usr/bin/env bash
# A throw-away S3 server for the object-storage tests: a single-node Ceph cluster (one monitor, one OSD
# keeping its data in memory) and a RADOS Gateway, all listening on 127.0.0.1 only, every file under DIR.
#
#   scripts/rgw.sh start DIR   starts it (~15 s) and writes DIR/env: LP_S3_ENDPOINT (http),
#                              LP_S3_ENDPOINT_HTTPS, LP_S3_CA_FILE (the self-signed certificate),
#                              LP_S3_ACCESS_KEY, LP_S3_SECRET_KEY, LP_S3_REGION
#   scripts/rgw.sh stop DIR    stops the processes it recorded in DIR/pids (rgw, osd, mon: in that order,
#                              since an OSD whose monitor went first hangs) and removes DIR
#   scripts/rgw.sh run DIR CMD...  start, run CMD with DIR/env exported, stop (also when CMD fails or the
#                              script is interrupted); exits with CMD's status
#
# Facts behind the settings are in ../shared/object-storage.md: above all `tcp_nodelay=1`, without
# which every request on a kept-alive connection stalls ~40 ms. A failed start stops what it started and
# exits non-zero: the tests that need the gateway then fail, they never skip.
set -euo pipefail

die() { echo "rgw.sh: $*" >&2; exit 1; }

# A TCP port nobody listens on now (others' gateways may run on this machine too).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! ss -Hltn "sport = :$port" | grep -q .; then echo "$port"; return 0; fi
  done
  die "no free TCP port found"
}

# Start one daemon in the foreground of a background job and record its pid, so stop kills exactly it.
spawn() {
  local name=$1; shift
  "$@" >"$dir/log/$name.out" 2>&1 &
  echo "$name $!" >>"$dir/pids"
}

# Wait until the command succeeds, up to $1 seconds.
wait_for() {
  local seconds=$1; shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

write_conf() {
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = 127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
# auth none cannot do the "secure" connection mode, which clients like radosgw ask of monitors by default
ms mon client mode = crc secure
ms client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
osd crush chooseleaf type = 0
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
keyring = $dir/keyring
mon data = $dir/mon-\$id
osd data = $dir/osd-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.lp]
rgw data = $dir/rgw
rgw frontends = beast tcp_nodelay=1 endpoint=127.0.0.1:$http_port ssl_endpoint=127.0.0.1:$https_port ssl_certificate=$dir/tls/cert.pem ssl_private_key=$dir/tls/key.pem
rgw dns name = localhost
EOF
}

# A self-signed certificate for 127.0.0.1 and localhost, used as the tests' CA file.
make_certificate() {
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lancepool test rgw" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
}

start() {
  if [ -e "$dir/pids" ]; then # left by a run that was killed before it could stop its gateway
    echo "rgw.sh: stopping the stale gateway recorded in $dir/pids" >&2
    stop
  fi
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph openssl ss; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/deps.sh (radosgw ceph-mon ceph-osd)"
  done
  mkdir -p "$dir"/{run,log,rgw}
  : >"$dir/pids"
  trap 'echo "rgw.sh: start failed, stopping what started; logs in $dir/log" >&2; stop_processes; exit 1' ERR
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port) http_port=$(free_port) https_port=$(free_port)
  [ "$http_port" != "$https_port" ] && [ "$mon_port" != "$http_port" ] && [ "$mon_port" != "$https_port" ] ||
    die "port clash, try again"
  write_conf
  make_certificate
  local conf=(-c "$dir/ceph.conf")
  monmaptool --create --add a "127.0.0.1:$mon_port" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap" >"$dir/log/mkfs-mon.out" 2>&1
  spawn mon ceph-mon "${conf[@]}" -f -i a
  wait_for 20 ceph "${conf[@]}" --connect-timeout 2 mon stat
  local osd_uuid
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  local osd_id
  osd_id=$(ceph "${conf[@]}" osd create "$osd_uuid")
  mkdir -p "$dir/osd-$osd_id"
  ceph-osd "${conf[@]}" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/mkfs-osd.out" 2>&1
  spawn osd ceph-osd "${conf[@]}" -f -i "$osd_id"
  wait_for 30 osd_up
  spawn rgw radosgw "${conf[@]}" -f -n client.rgw.lp
  wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$http_port/"
  wait_for 20 curl -sf -o /dev/null --cacert "$dir/tls/cert.pem" "https://127.0.0.1:$https_port/"
  local access_key secret_key
  access_key="LP$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
  secret_key="$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  radosgw-admin "${conf[@]}" user create --uid=lancepool --display-name=lancepool \
    --access-key="$access_key" --secret-key="$secret_key" >"$dir/log/user.out" 2>&1
  cat >"$dir/env" <<EOF
LP_S3_ENDPOINT=http://127.0.0.1:$http_port
LP_S3_ENDPOINT_HTTPS=https://127.0.0.1:$https_port
LP_S3_CA_FILE=$dir/tls/cert.pem
LP_S3_ACCESS_KEY=$access_key
LP_S3_SECRET_KEY=$secret_key
LP_S3_REGION=us-east-1
EOF
  trap - ERR
  echo "rgw.sh: gateway at http://127.0.0.1:$http_port and https://127.0.0.1:$https_port (env in $dir/env)"
}

osd_up() { ceph -c "$dir/ceph.conf" --connect-timeout 2 osd stat | grep -q '1 up'; }

# Kill the recorded processes: rgw first, then osd, then mon; TERM, then KILL after 10 s.
stop_processes() {
  [ -f "$dir/pids" ] || return 0
  local name pid
  for name in rgw osd mon; do
    pid=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/pids")
    [ -n "$pid" ] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$dir/pids"
}

stop() {
  stop_processes
  rm -rf "$dir"
}

cmd=${1:-}
[ $# -ge 2 ] || die "usage: rgw.sh start|stop DIR, or rgw.sh run DIR COMMAND..."
dir=$(realpath -m "$2")
case "$cmd" in
  start) start ;;
  stop) stop ;;
  run)
    shift 2
    trap stop EXIT
    trap 'exit 130' INT TERM
    start
    set -a
    # shellcheck disable=SC1091
    . "$dir/env"
    set +a
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *) die "unknown command $cmd" ;;
esac
