#!/usr/bin/env bash
# Sets up everything (Dovecot, Redis, a seeded demo mailbox, the webmail app) and runs the gateway in the foreground.
#   scripts/demo.sh            gateway on http://127.0.0.1:8080 (GATEWAY_PORT to change)
# Stop the gateway with Ctrl+C; stop Dovecot and Redis with `scripts/mailenv.sh down`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dotnet >/dev/null 2>&1 || { echo "demo: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 1; }

scripts/mailenv.sh up
eval "$(scripts/mailenv.sh env)"
scripts/seed-demo.sh

port="${GATEWAY_PORT:-8080}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/build-app.sh # the webmail SPA at /app (npm ci + vite build into Gateway.Api/wwwroot/app)
dotnet build Gateway.Api -c Release -nologo -v q

cat <<MSG

  IMAP-to-REST gateway demo
  Webmail:     http://127.0.0.1:$port/app/
  Swagger UI:  http://127.0.0.1:$port/swagger
  Demo login:  POST /api/v1/sessions  {"username": "$GATEWAY_DEMO_USER", "password": "$GATEWAY_DEMO_PASSWORD"}
  (IMAP: 127.0.0.1:$Imap__Port, Redis: $Redis__Configuration; stop with Ctrl+C)

MSG

export ASPNETCORE_URLS="http://127.0.0.1:$port"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
# The build output has no wwwroot (only `dotnet publish` copies it): point the gateway at the app built above.
export WebApp__Root="$PWD/Gateway.Api/wwwroot/app"
# Run from the output folder so the content root holds appsettings.json (log levels and defaults).
cd Gateway.Api/bin/Release/net10.0
exec dotnet Gateway.Api.dll
