#!/usr/bin/env bash
# Benchmarks of the gateway against baselines measured in the same run (issue 4; docs/BENCHMARKS.md says what each
# figure means). One command, as root, on the Debian machine of scripts/mailenv.sh:
#
#   bench/run.sh
#
# 1. starts a Dovecot and a Redis of their own (scripts/mailenv.sh up with a separate state directory and ports, so
#    tests running on the shared pair neither disturb the figures nor get disturbed), installing wrk when missing;
# 2. seeds t-bench@test's INBOX with 100,000 messages (once; reused on later runs);
# 3. builds the gateway and tools/Gateway.Bench in Release and runs the gateway three times (pool cap 5, cap 1, and
#    cap 5 with the header cache off), each driven by wrk and by tools/Gateway.Bench;
# 4. prints the table and writes it into docs/BENCHMARKS.md; stops what it started, by PID.
#
# Takes 4-5 minutes on 2 cores (plus ~20 s the first time for seeding); each phase has a time limit, so it ends
# in under 9 minutes whatever happens. Not part of the test suite.
# Environment: BENCH_STATE_DIR (/var/tmp/imap-gateway-bench), BENCH_IMAP_PORT (11143), BENCH_IMAPS_PORT (11993),
# BENCH_REDIS_PORT (16380), BENCH_HTTP_PORT (18190), BENCH_REPS (3), BENCH_COLD_REPS (5), BENCH_FILL_REPS (2),
# BENCH_LOAD_SECONDS (3), BENCH_PROXY_PORT (11144), BENCH_LATENCY_MS (1: B7's second run, Dovecot that far away each
# way through tools/Gateway.Bench's latency proxy). Point the first four at scripts/mailenv.sh's defaults to use the shared environment.
# BENCH_ONLY (empty: everything) measures a subset of goals, e.g. BENCH_ONLY=B5 or BENCH_ONLY=B2,B5: the gateway phases
# no listed goal needs are skipped (cap1 serves B7 only; nocache B2 and B3), the table is printed with the other rows
# empty and docs/BENCHMARKS.md is left alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
started_at=$SECONDS

export GATEWAY_STATE_DIR="${BENCH_STATE_DIR:-/var/tmp/imap-gateway-bench}"
export GATEWAY_IMAP_PORT="${BENCH_IMAP_PORT:-11143}"
export GATEWAY_IMAPS_PORT="${BENCH_IMAPS_PORT:-11993}"
export GATEWAY_REDIS_PORT="${BENCH_REDIS_PORT:-16380}"
HTTP_PORT="${BENCH_HTTP_PORT:-18190}"
export BENCH_PROXY_PORT="${BENCH_PROXY_PORT:-11144}"
PROXY_PORT="$BENCH_PROXY_PORT"
export BENCH_LATENCY_MS="${BENCH_LATENCY_MS:-1}"
export BENCH_USER="${BENCH_USER:-t-bench@test}"
export BENCH_PASSWORD="${BENCH_PASSWORD:-test-password}"
export BENCH_RESULTS="$ROOT/artifacts/bench"
export BENCH_WRK_LUA="$ROOT/bench/wrk-report.lua"
export BENCH_GATEWAY_URL="http://127.0.0.1:$HTTP_PORT"
export BENCH_ONLY="${BENCH_ONLY:-}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Everything this script starts is stopped on the way out, by PID, and nothing else.
GATEWAY_PID=""
PROXY_PID=""
STARTED_PIDS=()
stop_pid() {
  local pid=$1 what=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "$what (pid $pid) did not stop in 10 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}
stop_gateway() {
  if [ -n "$GATEWAY_PID" ]; then
    stop_pid "$GATEWAY_PID" gateway
    wait "$GATEWAY_PID" 2>/dev/null || true
    GATEWAY_PID=""
  fi
}
cleanup() {
  stop_gateway
  [ -n "$PROXY_PID" ] && stop_pid "$PROXY_PID" "latency proxy"
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid" "mail environment process"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "run as root (scripts/mailenv.sh starts Dovecot, which switches to its mail user)"
command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (dotnet not found on PATH)"
command -v curl >/dev/null 2>&1 || die "curl is required"

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  # Same protection as scripts/mailenv.sh: no package may start a stock service.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 wrk >/dev/null; then
    apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 wrk >/dev/null
  fi
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi

# --- Dovecot and Redis: remember what was already running, so only what this run starts is stopped.
dovecot_pidfile="$GATEWAY_STATE_DIR/dovecot/run/master.pid"
redis_pidfile="$GATEWAY_STATE_DIR/redis/redis.pid"
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
dovecot_was_running=0; running "$dovecot_pidfile" && dovecot_was_running=1
redis_was_running=0; running "$redis_pidfile" && redis_was_running=1
scripts/mailenv.sh up
# The port can answer a moment before Dovecot's master has written its pid file.
for _ in $(seq 1 50); do [ -s "$dovecot_pidfile" ] && [ -s "$redis_pidfile" ] && break; sleep 0.1; done
[ "$dovecot_was_running" = 1 ] || STARTED_PIDS+=("$(cat "$dovecot_pidfile")")
[ "$redis_was_running" = 1 ] || STARTED_PIDS+=("$(cat "$redis_pidfile")")
eval "$(scripts/mailenv.sh env)"
export BENCH_IMAP_HOST=127.0.0.1 BENCH_IMAP_PORT="$Imap__Port" BENCH_REDIS="$Redis__Configuration"

port_open "$HTTP_PORT" && die "127.0.0.1:$HTTP_PORT is in use; set BENCH_HTTP_PORT"

# --- Build (Release) and seed.
log "building (Release)"
mkdir -p "$BENCH_RESULTS"
for project in Gateway.Api tools/Gateway.Seed tools/Gateway.Bench; do
  dotnet build "$project" -c Release -nologo -v q >"$BENCH_RESULTS/build.log" 2>&1 \
    || { grep -E "error" "$BENCH_RESULTS/build.log" | sort -u | head -20 >&2; die "build of $project failed"; }
done
dotnet tools/Gateway.Seed/bin/Release/net10.0/Gateway.Seed.dll --user "$BENCH_USER" --mailbox INBOX --count 100000 \
  --if-empty --dovecot-conf "$GATEWAY_DOVECOT_CONF"

# What the report prints about the machine (the tool reads CPU, RAM and OS itself).
export BENCH_GIT_COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs/BENCHMARKS.md' 2>/dev/null || echo '+local changes')"
export BENCH_DOTNET_SDK="$(dotnet --version)"
export BENCH_LOADAVG="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_TOOLS="Dovecot $(dovecot --version | cut -d' ' -f1), Redis $(redis-server --version | sed -E 's/.* v=([^ ]+).*/\1/'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2 || true)"

# --- The gateway, once per phase: Release build, rate limiter off, benchmark endpoints on, logs to a file.
start_gateway() {
  local phase=$1 i; shift
  # From its output folder: the content root is the working directory, and only there is appsettings.json found
  # (without it every request writes seven Information lines to the console, which costs more than the request).
  (cd Gateway.Api/bin/Release/net10.0 && exec env Imap__Host=127.0.0.1 Imap__Port="$Imap__Port" Imap__Security=None \
    Redis__Configuration="$Redis__Configuration" RateLimiting__PermitsPerSecond=0 Benchmark__Enabled=true \
    ASPNETCORE_URLS="$BENCH_GATEWAY_URL" ASPNETCORE_ENVIRONMENT=Production "$@" \
    dotnet Gateway.Api.dll) </dev/null >"$BENCH_RESULTS/gateway-$phase.log" 2>&1 &
  GATEWAY_PID=$!
  for i in $(seq 1 300); do
    if curl -fs "$BENCH_GATEWAY_URL/health/live" >/dev/null 2>&1; then
      log "gateway ($phase: $*) up, pid $GATEWAY_PID"
      return 0
    fi
    kill -0 "$GATEWAY_PID" 2>/dev/null || { tail -20 "$BENCH_RESULTS/gateway-$phase.log" >&2; die "the gateway exited"; }
    sleep 0.1
  done
  die "the gateway did not answer within 30 s"
}

failed=0
run_phase() {
  local phase=$1 cap=$2 budget=$3
  BENCH_GATEWAY_PID="$GATEWAY_PID" BENCH_DOVECOT_PID="$(cat "$dovecot_pidfile")" BENCH_POOL_CAP="$cap" timeout -k 10 "$budget" \
    dotnet tools/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll run "$phase" || { log "phase $phase failed"; failed=1; }
}

rm -f "$BENCH_RESULTS"/*.json
start_gateway main Pool__MaxConnectionsPerAccount=5
run_phase main 5 420
stop_gateway
only() { [ -z "${BENCH_ONLY:-}" ] && return 0; local id; for id in "$@"; do [[ ",${BENCH_ONLY// /,}," == *",$id,"* ]] && return 0; done; return 1; }
if only B7; then
  start_gateway cap1 Pool__MaxConnectionsPerAccount=1
  run_phase cap1 1 60
  stop_gateway
  # B7 again with Dovecot BENCH_LATENCY_MS away each way (a loopback proxy in tools/Gateway.Bench): on loopback one
  # connection is bound by this machine's two cores, not by round trips.
  port_open "$PROXY_PORT" && die "127.0.0.1:$PROXY_PORT is in use; set BENCH_PROXY_PORT"
  dotnet tools/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll proxy "$PROXY_PORT" "$Imap__Port" "$BENCH_LATENCY_MS" \
    </dev/null >"$BENCH_RESULTS/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 1 100); do port_open "$PROXY_PORT" && break; sleep 0.1; done
  start_gateway lat5 Pool__MaxConnectionsPerAccount=5 Imap__Port="$PROXY_PORT"
  run_phase lat5 5 90
  stop_gateway
  start_gateway lat1 Pool__MaxConnectionsPerAccount=1 Imap__Port="$PROXY_PORT"
  run_phase lat1 1 90
  stop_gateway
  stop_pid "$PROXY_PID" "latency proxy"
  PROXY_PID=""
fi
if only B2 B3; then
  start_gateway nocache Pool__MaxConnectionsPerAccount=5 Cache__Enabled=false
  run_phase nocache 5 90
  stop_gateway
fi

if [ -z "${BENCH_ONLY:-}" ]; then
  dotnet tools/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll report --doc docs/BENCHMARKS.md
else
  dotnet tools/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll report --no-doc
fi
log "done in $((SECONDS - started_at)) s (gateway logs and samples: artifacts/bench/)"
exit "$failed"
