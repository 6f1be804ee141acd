#!/usr/bin/env bash
# A real STS for the interop tier: Ceph's RADOS Gateway (one monitor, one in-memory
# OSD, RGW with STS and IAM), all on 127.0.0.1, in a private directory.
#   ceph-rgw.sh install      apt-get install the Debian packages (and the AWS CLI)
#   ceph-rgw.sh up DIR       start it; writes DIR/env (RGW_ENDPOINT, admin keys, PIDs)
#   ceph-rgw.sh down DIR     stop it
# docs/ceph-rgw.md says why each setting is what it is, and what RGW checks.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd awscli)

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && [ -x /usr/bin/aws ]; then
    echo "ceph-rgw: packages already installed"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  echo "ceph-rgw: installed ${PACKAGES[*]}"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for() { # seconds description command...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$((seconds * 4))"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  echo "ceph-rgw: timed out after ${seconds}s waiting for $what (logs in $DIR/log)" >&2
  return 1
}

up() {
  for tool in radosgw ceph-mon ceph-osd ceph-authtool monmaptool radosgw-admin; do
    command -v "$tool" >/dev/null || { echo "ceph-rgw: $tool is missing: run '$0 install'" >&2; exit 1; }
  done
  mkdir -p "$DIR"/{mon,osd,run,log,rgw}
  local fsid mon_port rgw_port conf
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  conf="$DIR/ceph.conf"
  export CEPH_CONF="$conf"
  cat > "$conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
osd crush chooseleaf type = 0
mon data avail warn = 1
mon data avail crit = 0
[mon.a]
mon data = $DIR/mon
[osd.0]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = 2147483648
[client.rgw.interop]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw enable apis = s3, admin, sts, iam
rgw sts key = interop-sts-key1
rgw s3 auth use sts = true
rgw data = $DIR/rgw
CONF
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$DIR/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$DIR/keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$DIR/keyring" --gen-key -n client.rgw.interop --cap mon 'allow rw' --cap osd 'allow rwx' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring"

  ceph-mon -f -i a >"$DIR/log/mon.out" 2>&1 &
  echo "MON_PID=$!" > "$DIR/pids"
  wait_for 30 "the monitor" ceph -s --connect-timeout 5

  local osd_uuid osd_id
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph osd new "$osd_uuid")
  ceph-osd -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph-osd -f -i "$osd_id" >"$DIR/log/osd.out" 2>&1 &
  echo "OSD_PID=$!" >> "$DIR/pids"
  wait_for 60 "the OSD" bash -c 'ceph osd stat -f json | grep -q "\"num_up_osds\":1"'

  radosgw -n client.rgw.interop -f >"$DIR/log/rgw.out" 2>&1 &
  echo "RGW_PID=$!" >> "$DIR/pids"
  wait_for 90 "RGW on port $rgw_port" curl -s -o /dev/null "http://127.0.0.1:$rgw_port/"

  local access secret
  access="INTEROPADMIN$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
  secret=$(head -c 30 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
  radosgw-admin user create --uid=interop-admin --display-name=interop-admin --access-key="$access" --secret="$secret" >/dev/null
  radosgw-admin caps add --uid=interop-admin --caps="roles=*;oidc-provider=*;users=*" >/dev/null
  cat > "$DIR/env" <<ENV
RGW_ENDPOINT=http://127.0.0.1:$rgw_port
RGW_ADMIN_ACCESS_KEY=$access
RGW_ADMIN_SECRET_KEY=$secret
ENV
  cat "$DIR/pids" >> "$DIR/env"
  echo "ceph-rgw: up at http://127.0.0.1:$rgw_port"
}

down() {
  [ -f "$DIR/pids" ] || return 0
  # shellcheck disable=SC1091
  source "$DIR/pids"
  for pid in "${RGW_PID:-}" "${OSD_PID:-}" "${MON_PID:-}"; do
    [ -n "$pid" ] || continue
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  done
  echo "ceph-rgw: stopped"
}

case "${1:-}" in
  install) install ;;
  up) DIR=${2:?usage: $0 up DIR}; up ;;
  down) DIR=${2:?usage: $0 down DIR}; down ;;
  *) echo "usage: $0 install | up DIR | down DIR" >&2; exit 2 ;;
esac
