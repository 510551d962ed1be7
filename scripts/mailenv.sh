#!/usr/bin/env bash
# Local mail environment for development, demos and tests: Dovecot (IMAP) and Redis on 127.0.0.1.
#
#   scripts/mailenv.sh up       install what is missing, write the config, start both, wait for the ports
#   scripts/mailenv.sh down     stop what `up` started (by PID)
#   scripts/mailenv.sh status   print what runs
#   scripts/mailenv.sh env      print the environment variables the gateway and the tests read
#
# Idempotent: `up` on a running environment only re-checks the ports. Nothing here uses systemd.
# State lives in $GATEWAY_STATE_DIR (default /var/tmp/imap-gateway): config, TLS key, mail, pid files, logs.
set -euo pipefail

STATE_DIR="${GATEWAY_STATE_DIR:-/var/tmp/imap-gateway}"
IMAP_PORT="${GATEWAY_IMAP_PORT:-10143}"
IMAPS_PORT="${GATEWAY_IMAPS_PORT:-10993}"
REDIS_PORT="${GATEWAY_REDIS_PORT:-16379}"
MAIL_USER="${GATEWAY_MAIL_USER:-vmail}"
MAX_USERIP_CONNECTIONS="${GATEWAY_MAX_USERIP_CONNECTIONS:-20}"

# Fixed accounts. Any user named t-* logs in with $TEST_PASSWORD: tests create a fresh user per test that way.
DEMO_USER="demo@example.test"
DEMO_PASSWORD="demo-password"
QUOTE_USER="quoter@example.test"
QUOTE_PASSWORD='p "q" \b\ s'\'' x'
TEST_PASSWORD="test-password"
# HMAC key of the local XOAUTH2 test issuer (a fixture, not a secret): tests sign JWTs with it.
OAUTH2_HS256_KEY="imap-gateway-local-oauth2-test-key-0123456789"

DOVECOT_CONF="$STATE_DIR/dovecot/dovecot.conf"
REDIS_PID="$STATE_DIR/redis/redis.pid"

log() { printf 'mailenv: %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 what=$2 i
  for i in $(seq 1 100); do
    if port_open "$port"; then return 0; fi
    sleep 0.1
  done
  log "$what did not open 127.0.0.1:$port in 10 s"; return 1
}

install_packages() {
  local missing=()
  command -v dovecot >/dev/null 2>&1 || missing+=(dovecot-imapd)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Debian starts services on install unless policy-rc.d forbids it; we start our own instances instead.
  local made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null; then
    $sudo apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
  fi
  [ -n "$made_policy" ] && $sudo rm -f /usr/sbin/policy-rc.d
  return 0
}

ensure_mail_user() {
  if ! id "$MAIL_USER" >/dev/null 2>&1; then
    log "creating system user $MAIL_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$MAIL_USER"
  fi
}

write_dovecot_config() {
  local d="$STATE_DIR/dovecot" uid gid
  uid=$(id -u "$MAIL_USER"); gid=$(id -g "$MAIL_USER")
  mkdir -p "$d/run" "$STATE_DIR/mail"
  chown "$MAIL_USER:$MAIL_USER" "$STATE_DIR/mail"
  chmod 755 "$STATE_DIR" "$d"
  if [ ! -s "$d/tls.key" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$d/tls.key" -out "$d/tls.crt" >/dev/null 2>&1
    chmod 600 "$d/tls.key"
  fi
  # passwd-file: user:{SCHEME}password. Passwords here are fixtures, not secrets.
  {
    printf '%s:{PLAIN}%s\n' "$DEMO_USER" "$DEMO_PASSWORD"
    printf '%s:{PLAIN}%s\n' "$QUOTE_USER" "$QUOTE_PASSWORD"
    printf 'alice@example.test:{PLAIN}alice-password\n'
    printf 'bob@example.test:{PLAIN}bob-password\n'
  } > "$d/users.new"
  mv "$d/users.new" "$d/users"
  mkdir -p "$d/oauth-keys/default/HS256"
  printf '%s' "$OAUTH2_HS256_KEY" | base64 -w0 > "$d/oauth-keys/default/HS256/default"
  chmod -R a+rX "$d/oauth-keys"
  cat > "$d/oauth2.conf.ext" <<OAUTH
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$d/oauth-keys/
username_attribute = sub
OAUTH
  cat > "$d/dovecot.conf.new" <<CONF
# Written by scripts/mailenv.sh; edits are overwritten.
base_dir = $d/run
state_dir = $d/state
instance_name = imap-gateway
protocols = imap
listen = 127.0.0.1
log_path = $d/dovecot.log
ssl = yes
ssl_cert = <$d/tls.crt
ssl_key = <$d/tls.key
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
# Loopback clients (the gateway, tests) are trusted: no auth penalty after failed logins from 127.0.0.1.
login_trusted_networks = 127.0.0.0/8
auth_mechanisms = plain login xoauth2 oauthbearer
auth_failure_delay = 0
auth_cache_size = 0
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = $uid
last_valid_uid = $uid
mail_uid = $uid
mail_gid = $gid
# Mailbox names live in the index (LAYOUT=index) and the hierarchy separator is '|', so '/', '.', '&', '~'
# and any Unicode are plain characters in a mailbox name.
mail_location = maildir:$STATE_DIR/mail/%u:LAYOUT=index
mail_plugins = \$mail_plugins quota
mail_max_userip_connections = $MAX_USERIP_CONNECTIONS
mail_cache_fields = flags date.received size.virtual size.physical hdr.date hdr.subject hdr.from hdr.to hdr.cc hdr.reply-to hdr.message-id hdr.in-reply-to hdr.references imap.bodystructure body.snippet
mail_never_cache_fields = imap.envelope
imap_capability = +SPECIAL-USE
mailbox_list_index = yes
namespace inbox {
  inbox = yes
  separator = |
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
protocol imap {
  mail_plugins = \$mail_plugins imap_quota
  imap_idle_notify_interval = 2 mins
}
plugin {
  quota = count:User quota
  quota_rule = *:storage=1G
  quota_vsizes = yes
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN $d/users
}
passdb {
  driver = static
  mechanisms = plain login
  args = password=$TEST_PASSWORD
  username_filter = t-*
}
# XOAUTH2/OAUTHBEARER: JWTs signed with the fixture key below (HS256), validated locally; the user is "sub".
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$STATE_DIR/mail/%u allow_all_users=yes
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
  process_min_avail = 2
}
service imap {
  service_count = 100
  process_min_avail = 2
  process_limit = 512
}
service auth {
  client_limit = 2000
  unix_listener auth-userdb {
    mode = 0666
  }
}
CONF
  mv "$d/dovecot.conf.new" "$DOVECOT_CONF"
}

dovecot_running() {
  [ -f "$STATE_DIR/dovecot/run/master.pid" ] && kill -0 "$(cat "$STATE_DIR/dovecot/run/master.pid")" 2>/dev/null
}

start_dovecot() {
  write_dovecot_config
  if dovecot_running; then
    # Pick up a changed config without dropping mail.
    doveadm -c "$DOVECOT_CONF" reload >/dev/null 2>&1 || true
  else
    log "starting Dovecot on 127.0.0.1:$IMAP_PORT (STARTTLS) and :$IMAPS_PORT (TLS)"
    # The master keeps the stdio it was started with: give it files, never a pipe.
    dovecot -c "$DOVECOT_CONF" </dev/null >>"$STATE_DIR/dovecot/dovecot.out" 2>&1
  fi
  wait_port "$IMAP_PORT" Dovecot
  wait_port "$IMAPS_PORT" Dovecot
}

redis_running() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

start_redis() {
  mkdir -p "$STATE_DIR/redis"
  if ! redis_running; then
    log "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
      --save "" --appendonly no --daemonize yes --pidfile "$REDIS_PID" \
      --dir "$STATE_DIR/redis" --logfile "$STATE_DIR/redis/redis.log" </dev/null >/dev/null 2>&1
  fi
  wait_port "$REDIS_PORT" Redis
}

stop_pidfile() {
  local pidfile=$1 what=$2 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $what (pid $pid)"
    kill "$pid"
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

print_env() {
  cat <<ENV
export Imap__Host=127.0.0.1
export Imap__Port=$IMAP_PORT
export Imap__Security=None
export GATEWAY_IMAPS_PORT=$IMAPS_PORT
export Redis__Configuration=127.0.0.1:$REDIS_PORT
export GATEWAY_REDIS_PORT=$REDIS_PORT
export GATEWAY_DOVECOT_CONF=$DOVECOT_CONF
export GATEWAY_MAIL_ROOT=$STATE_DIR/mail
export GATEWAY_DEMO_USER='$DEMO_USER'
export GATEWAY_DEMO_PASSWORD='$DEMO_PASSWORD'
export GATEWAY_TEST_PASSWORD='$TEST_PASSWORD'
export GATEWAY_OAUTH2_HS256_KEY='$OAUTH2_HS256_KEY'
ENV
  printf "export GATEWAY_QUOTE_USER='%s'\n" "$QUOTE_USER"
  printf "export GATEWAY_QUOTE_PASSWORD=%q\n" "$QUOTE_PASSWORD"
}

case "${1:-up}" in
  up)
    [ "$(id -u)" -eq 0 ] || { log "run as root (Dovecot needs to switch to the $MAIL_USER user)"; exit 1; }
    install_packages
    ensure_mail_user
    mkdir -p "$STATE_DIR"
    start_dovecot
    start_redis
    ;;
  down)
    stop_pidfile "$STATE_DIR/dovecot/run/master.pid" Dovecot
    stop_pidfile "$REDIS_PID" Redis
    ;;
  status)
    dovecot_running && echo "dovecot: running (pid $(cat "$STATE_DIR/dovecot/run/master.pid"), 127.0.0.1:$IMAP_PORT, :$IMAPS_PORT)" || echo "dovecot: stopped"
    redis_running && echo "redis: running (pid $(cat "$REDIS_PID"), 127.0.0.1:$REDIS_PORT)" || echo "redis: stopped"
    ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac
