#!/usr/bin/env bash
# Seeds the demo account of the local mail environment (scripts/mailenv.sh) once:
#   INBOX            ~2,000 generated messages, then every .eml of the real-world corpus when it is there
#   Archive          older generated mail
#   Archive|Old projects  a subfolder with a space in its name ('|' is the hierarchy separator)
#   Projects|Gateway a second-level folder with a short thread-heavy history
# Idempotent: a mailbox that already holds messages is left alone, and when all are seeded the script returns
# without building anything.
#
# Environment: GATEWAY_DOVECOT_CONF, GATEWAY_DEMO_USER, GATEWAY_CORPUS_DIR (default ../shared/corpus/real),
# GATEWAY_DEMO_COUNT (default 2000).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONF="${GATEWAY_DOVECOT_CONF:-/var/tmp/imap-gateway/dovecot/dovecot.conf}"
DEMO_USER="${GATEWAY_DEMO_USER:-demo@example.test}"
CORPUS="${GATEWAY_CORPUS_DIR:-$ROOT/../shared/corpus/real}"
COUNT="${GATEWAY_DEMO_COUNT:-2000}"
SEED_DLL="$ROOT/tools/Gateway.Seed/bin/Release/net10.0/Gateway.Seed.dll"

# mailbox|count|seed
MAILBOXES=(
  "INBOX|$COUNT|42"
  "Archive|300|7"
  "Archive|Old projects|120|2023"
  "Projects|Gateway|80|11"
)

log() { printf 'seed-demo: %s\n' "$*" >&2; }

messages() {
  doveadm -c "$CONF" -f flow mailbox status -u "$DEMO_USER" messages "$1" 2>/dev/null \
    | sed -n 's/.*messages=\([0-9][0-9]*\).*/\1/p'
}

# Split "a|b|count|seed" into mailbox (may contain '|'), count and seed.
split() {
  local spec=$1
  SEED=${spec##*|}; spec=${spec%|*}
  N=${spec##*|}; MAILBOX=${spec%|*}
}

pending=()
for spec in "${MAILBOXES[@]}"; do
  split "$spec"
  if [ "$(messages "$MAILBOX")" = "" ] || [ "$(messages "$MAILBOX")" = 0 ]; then pending+=("$spec"); fi
done
if [ ${#pending[@]} -eq 0 ]; then
  log "$DEMO_USER is already seeded"
  exit 0
fi

dotnet build "$ROOT/tools/Gateway.Seed/Gateway.Seed.csproj" -c Release --nologo -v q -clp:NoSummary >/dev/null

for spec in "${pending[@]}"; do
  split "$spec"
  extra=()
  if [ "$MAILBOX" = INBOX ]; then
    if [ -d "$CORPUS" ]; then extra=(--corpus "$CORPUS"); else log "no corpus at $CORPUS; generated mail only"; fi
  fi
  dotnet "$SEED_DLL" --user "$DEMO_USER" --mailbox "$MAILBOX" --count "$N" --seed "$SEED" \
    --dovecot-conf "$CONF" --if-empty "${extra[@]}"
done
