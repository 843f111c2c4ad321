#!/usr/bin/env bash
# A private Kannel SMS gateway on 127.0.0.1 only: bearerbox + smsbox + Kannel's fake SMSC
# (`fakesmsc`) standing in for the operator.
#   scripts/kannel.sh start|stop|status|inject FROM TO TEXT
#
# Environment (all optional):
#   CRM_KANNEL_DIR            config, logs, pids            (default var/kannel)
#   CRM_KANNEL_HOST           must be 127.0.0.1             (anything else is refused)
#   CRM_KANNEL_ADMIN_PORT     bearerbox admin HTTP          (13000)
#   CRM_KANNEL_BOX_PORT       bearerbox <-> smsbox          (13001)
#   CRM_KANNEL_SENDSMS_PORT   smsbox sendsms HTTP           (13013)
#   CRM_KANNEL_SMSC_PORT      fake SMSC "the operator"      (13015)
#   CRM_KANNEL_INJECT_PORT    fake SMSC used by `inject`    (13016)
#   CRM_KANNEL_USER / CRM_KANNEL_PASSWORD  sendsms user     (crm / crm-kannel)
#   CRM_KANNEL_CALLBACK_URL   where inbound SMS go          (CRM_PUBLIC_URL or http://127.0.0.1:8000)
#   CRM_SMS_CALLBACK_SECRET   shared secret of the callbacks (asked from the CRM when unset)
#
# What the operator received is in $CRM_KANNEL_DIR/operator.log (one "Got message" line per
# SMS part, in fakesmsc's "from to type text" format); `inject` sends an SMS from the
# operator's side (an inbound SMS) through a second fake SMSC link.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${CRM_KANNEL_DIR:-$root/var/kannel}"
host="${CRM_KANNEL_HOST:-127.0.0.1}"
admin_port="${CRM_KANNEL_ADMIN_PORT:-13000}"
box_port="${CRM_KANNEL_BOX_PORT:-13001}"
sendsms_port="${CRM_KANNEL_SENDSMS_PORT:-13013}"
smsc_port="${CRM_KANNEL_SMSC_PORT:-13015}"
inject_port="${CRM_KANNEL_INJECT_PORT:-13016}"
user="${CRM_KANNEL_USER:-crm}"
password="${CRM_KANNEL_PASSWORD:-crm-kannel}"
callback="${CRM_KANNEL_CALLBACK_URL:-${CRM_PUBLIC_URL:-http://127.0.0.1:8000}}"
fakesmsc=/usr/lib/kannel/test/fakesmsc

if [ "$host" != "127.0.0.1" ]; then
  echo "kannel.sh: refusing to bind $host — this gateway listens on 127.0.0.1 only" >&2
  exit 2
fi

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_http() {
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  echo "kannel.sh: $1 does not answer (see $dir/*.log)" >&2
  return 1
}

secret() {
  if [ -n "${CRM_SMS_CALLBACK_SECRET:-}" ]; then
    printf '%s' "$CRM_SMS_CALLBACK_SECRET"
  else
    "$root/.venv/bin/python" "$root/manage.py" shell -v 0 -c \
      "from crm.messaging.callbacks import callback_secret; print(callback_secret(), end='')"
  fi
}

write_config() {  # to $1
  local token out="$1"
  token="$(secret)"
  mkdir -p "$dir"
  # inbound SMS: smsbox calls the CRM with the sender, our number, the text (UTF-8 after
  # mo-recode), Kannel's message id (idempotency) and the time
  local get_url="$callback/m/sms/kannel/in/?secret=$token&from=%p&to=%P&text=%a&id=%I&time=%T&smsc=%i&coding=%c"
  cat >"$out" <<EOF
group = core
admin-port = $admin_port
admin-interface = "127.0.0.1"
admin-password = "$password"
status-password = "$password"
admin-allow-ip = "127.0.0.1"
admin-deny-ip = "*.*.*.*"
smsbox-port = $box_port
smsbox-interface = "127.0.0.1"
box-allow-ip = "127.0.0.1"
box-deny-ip = "*.*.*.*"
log-file = "$dir/bearerbox.log"
log-level = 2
dlr-storage = internal
sms-resend-freq = 5

group = smsc
smsc = fake
smsc-id = operator
our-host = 127.0.0.1
port = $smsc_port
connect-allow-ip = "127.0.0.1"
denied-smsc-id = inject

group = smsc
smsc = fake
smsc-id = inject
our-host = 127.0.0.1
port = $inject_port
connect-allow-ip = "127.0.0.1"
allowed-smsc-id = inject

group = smsbox
smsbox-id = crm
bearerbox-host = 127.0.0.1
bearerbox-port = $box_port
sendsms-port = $sendsms_port
sendsms-interface = "127.0.0.1"
log-file = "$dir/smsbox.log"
log-level = 2
mo-recode = true
max-pending-requests = 2048

# inbound SMS from either fake link go to our smsbox
group = smsbox-route
smsbox-id = crm
smsc-id = "operator;inject"

group = sendsms-user
username = "$user"
password = "$password"
user-allow-ip = "127.0.0.1"
user-deny-ip = "*.*.*.*"
concatenation = true
max-messages = 20

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "$get_url"
EOF
  chmod 600 "$out"
}

start() {
  write_config "$dir/kannel.conf.new"
  # idempotent: an instance already running with the same settings (ports, secret) stays
  if pid_alive "$dir/bearerbox.pid" && pid_alive "$dir/smsbox.pid" && pid_alive "$dir/operator.pid" \
     && cmp -s "$dir/kannel.conf.new" "$dir/kannel.conf"; then
    rm -f "$dir/kannel.conf.new"
    return 0
  fi
  stop
  mv "$dir/kannel.conf.new" "$dir/kannel.conf"
  : >"$dir/operator.log"
  setsid /usr/sbin/bearerbox -v 2 "$dir/kannel.conf" >"$dir/bearerbox.out" 2>&1 </dev/null &
  echo $! >"$dir/bearerbox.pid"
  wait_http "http://127.0.0.1:$admin_port/status.txt?password=$password"
  setsid /usr/sbin/smsbox -v 2 "$dir/kannel.conf" >"$dir/smsbox.out" 2>&1 </dev/null &
  echo $! >"$dir/smsbox.pid"
  # the operator: receives every MT message (logged to operator.log), acks it, and the
  # fake link reports it delivered; -m 0 = it generates no MO of its own
  setsid "$fakesmsc" -H 127.0.0.1 -r "$smsc_port" -m 0 "0 0 text nop" >"$dir/operator.log" 2>&1 </dev/null &
  echo $! >"$dir/operator.pid"
  wait_http "http://127.0.0.1:$sendsms_port/"
  # ready when bearerbox says both the operator link and smsbox are online
  for _ in $(seq 1 100); do
    status_text="$(curl -s "http://127.0.0.1:$admin_port/status.txt?password=$password" || true)"
    if grep -q "operator.*online" <<<"$status_text" && grep -q "smsbox:crm" <<<"$status_text"; then
      echo "Kannel on 127.0.0.1: sendsms :$sendsms_port, admin :$admin_port, fake SMSC :$smsc_port ($dir)"
      return 0
    fi
    sleep 0.1
  done
  echo "kannel.sh: Kannel did not come online (see $dir/*.log)" >&2
  return 1
}

stop() {
  for name in operator smsbox bearerbox; do
    if pid_alive "$dir/$name.pid"; then
      kill "$(cat "$dir/$name.pid")" 2>/dev/null || true
      for _ in $(seq 1 50); do pid_alive "$dir/$name.pid" || break; sleep 0.1; done
      if pid_alive "$dir/$name.pid"; then kill -9 "$(cat "$dir/$name.pid")" 2>/dev/null || true; fi
    fi
    rm -f "$dir/$name.pid"
  done
}

status() {
  local rc=0
  for name in bearerbox smsbox operator; do
    if pid_alive "$dir/$name.pid"; then echo "$name: running (pid $(cat "$dir/$name.pid"))"; else echo "$name: stopped"; rc=3; fi
  done
  return $rc
}

# an inbound SMS: FROM TO TEXT (UTF-8; sent as UCS-2 when not plain ASCII)
inject() {
  local from="$1" to="$2" text="$3" encoded kind
  if LC_ALL=C grep -q '[^ -~]' <<<"$text"; then
    kind=ucs2
    encoded="$(printf '%s' "$text" | iconv -f UTF-8 -t UTF-16BE | od -An -v -tx1 | tr -d ' \n' | sed 's/../%&/g')"
  else
    kind=text
    encoded="$(printf '%s' "$text" | tr '\n\r' '  ')"
  fi
  local log="$dir/inject.$$.log" pid
  pid_alive "$dir/bearerbox.pid" || { echo "kannel.sh: Kannel is not running ($dir)" >&2; return 1; }
  "$fakesmsc" -H 127.0.0.1 -r "$inject_port" -i 0 -m 1 "$from $to $kind $encoded" >"$log" 2>&1 </dev/null &
  pid=$!
  # fakesmsc keeps its link open after its last message: stop it once the line is written
  for _ in $(seq 1 100); do
    if grep -qs "sent message 1" "$log"; then break; fi
    sleep 0.05
  done
  sleep 0.1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  grep -qs "sent message 1" "$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  rm -f "$log"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  inject) shift; inject "$@" ;;
  *) echo "usage: $0 start|stop|status|inject FROM TO TEXT" >&2; exit 2 ;;
esac
