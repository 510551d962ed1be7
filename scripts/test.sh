#!/usr/bin/env bash
# Sets up everything the tests need (Dovecot, Redis and Chromium, installed with apt when missing; the webmail app, built
# with npm), runs every test, then lints the OpenAPI document the tests saved (scripts/lint-openapi.sh, Spectral; the
# lint counts as one more test).
# Prints a closing line "tests: N passed, M failed, K skipped" and exits non-zero when any test or the lint fails.
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Mailboxes]
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi

scripts/mailenv.sh up || exit 1
eval "$(scripts/mailenv.sh env)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p artifacts
log=artifacts/test.log

# The webmail SPA (app/) the gateway serves at /app and the browser tests drive: npm ci with the committed lock, tsc,
# vite build into Gateway.Api/wwwroot/app. Before the .NET build, so the gateway finds it.
if ! scripts/build-app.sh </dev/null >artifacts/app-build.log 2>&1; then
  tail -30 artifacts/app-build.log
  echo "app build failed (artifacts/app-build.log)"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

# Debian's Chromium for the browser tests (Playwright). When it cannot be installed the run goes on and every browser
# test fails, saying why: they never skip.
scripts/install-chromium.sh || echo "test: Chromium is missing: the browser tests will fail" >&2

# `dotnet test` only builds test projects and what they reference: build the solution first (PITFALLS 38).
if ! dotnet build Gateway.slnx -c Release -nologo -v q >artifacts/build.log 2>&1; then
  grep -E "error|Error" artifacts/build.log | sort -u | head -50
  echo "build failed (artifacts/build.log)"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

# A stale document must not be linted: the OpenAPI test writes a fresh one (the lint script runs that test alone
# when a --filter left it out).
rm -f artifacts/openapi/swagger.json
dotnet test Gateway.slnx -c Release --no-build -nologo --logger "console;verbosity=minimal" --blame-hang-timeout 5m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The OpenAPI document the tests saved, linted with Spectral (counts as one test; a line in the log for the summary).
lint_started=$SECONDS
if scripts/lint-openapi.sh; then
  echo "openapi-lint: passed" >>"$log"
else
  status=1
  echo "openapi-lint: failed" >>"$log"
fi
echo "openapi lint took $((SECONDS - lint_started)) s"

# Generated clients (C# with Kiota, TypeScript with openapi-typescript + openapi-fetch) walking a real gateway;
# only on a full run (no extra arguments). Bounded: each step in scripts/clients.sh has its own timeout.
if [ "$#" -eq 0 ]; then
  timeout 900 scripts/clients.sh "$log" || { status=1; grep -q '^client-step failed' "$log" || echo "client-step failed: scripts/clients.sh" >>"$log"; }
fi

# The line CI reads (PITFALLS 34): dotnet test summaries, the OpenAPI lint, node --test's TAP totals, and failed
# client steps.
awk '/^(Passed|Failed)!  - Failed:/ {gsub(",","");f+=$4;p+=$6;s+=$8}
     /^openapi-lint: passed$/ {p+=1} /^openapi-lint: failed$/ {f+=1}
     /^# pass [0-9]+$/ {p+=$3} /^# fail [0-9]+$/ {f+=$3} /^# skipped [0-9]+$/ {s+=$3}
     /^client-step failed:/ {f+=1}
     END{printf "tests: %d passed, %d failed, %d skipped\n",p,f,s}' "$log"
exit "$status"
