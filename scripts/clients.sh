#!/usr/bin/env bash
# Generated clients, used for real (README "Generate a client"). Starts the built gateway (Kestrel on a loopback
# port, the local Dovecot and Redis), fetches its OpenAPI document, then
#   C#:         generates a client with Kiota (.config/dotnet-tools.json) into
#               clients/csharp/Gateway.ClientTests/obj/GeneratedClient, compiles the test project and walks the API;
#   TypeScript: generates types with openapi-typescript, compiles the walk with tsc --strict, runs it with node --test.
# Nothing generated is committed: a breaking change to the document fails the compile or the walk.
# Expects the solution built in Release (scripts/test.sh does it) and `eval "$(scripts/mailenv.sh env)"`.
# Appends the test runners' output to the log named by $1 (default artifacts/clients.log); exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${1:-artifacts/clients.log}
out=artifacts/clients
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 KIOTA_OFFLINE_ENABLED=true KIOTA_TUTORIAL_ENABLED=false KIOTA_CLI_TELEMETRY_OPTOUT=true
status=0
fail() { echo "client-step failed: $*" | tee -a "$log"; status=1; }

dll=Gateway.Api/bin/Release/net10.0/Gateway.Api.dll
if [ ! -f "$dll" ]; then
  fail "no $dll (build the solution in Release first)"
  exit 1
fi

env ASPNETCORE_ENVIRONMENT=Production RateLimiting__PermitsPerSecond=0 Logging__LogLevel__Default=Warning \
  Logging__LogLevel__Microsoft.Hosting.Lifetime=Information \
  dotnet "$dll" --urls http://127.0.0.1:0 >"$out/gateway.log" 2>&1 &
gateway=$!
trap 'kill "$gateway" 2>/dev/null; wait "$gateway" 2>/dev/null' EXIT
trap 'exit 143' TERM INT

url=
for _ in $(seq 1 150); do
  url=$(grep -o -m1 'http://127\.0\.0\.1:[0-9]*' "$out/gateway.log" || true)
  [ -n "$url" ] && break
  kill -0 "$gateway" 2>/dev/null || break
  sleep 0.2
done
if [ -z "$url" ] || ! curl -fsS --max-time 20 -o "$out/openapi.json" "$url/swagger/v1/swagger.json"; then
  fail "the gateway did not serve its OpenAPI document ($out/gateway.log)"
  exit 1
fi
export GATEWAY_E2E_URL=$url
echo "clients: gateway at $url, document in $out/openapi.json"

# --- C# with Kiota ---------------------------------------------------------------------------------------------
project=clients/csharp/Gateway.ClientTests
generated=$project/obj/GeneratedClient
start=$SECONDS
if ! timeout 120 dotnet tool restore >"$out/kiota.log" 2>&1 ||
   ! timeout 120 dotnet kiota generate -l CSharp -d "$out/openapi.json" -o "$generated" -c GatewayClient \
       -n Gateway.Client --clean-output --log-level Warning >>"$out/kiota.log" 2>&1; then
  fail "Kiota could not generate the C# client ($out/kiota.log)"
elif ! timeout 300 dotnet build "$project" -c Release -nologo -v q >"$out/csharp-build.log" 2>&1; then
  grep -E "error" "$out/csharp-build.log" | sort -u | head -30
  fail "the generated C# client or its walk does not compile ($out/csharp-build.log)"
else
  timeout 300 dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=minimal" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "the C# client walk"
fi
echo "clients: C# (Kiota) took $((SECONDS - start)) s"

# --- TypeScript with openapi-typescript and openapi-fetch ------------------------------------------------------
start=$SECONDS
ts=clients/typescript
if ! command -v npm >/dev/null 2>&1; then
  fail "npm not found: the TypeScript client needs Node.js 20+ and npm"
elif ! (cd "$ts" && timeout 240 npm install --no-package-lock --no-audit --no-fund >"../../$out/npm.log" 2>&1); then
  fail "npm install in $ts ($out/npm.log)"
elif ! (cd "$ts" && rm -rf dist src/generated && timeout 60 npx --no-install openapi-typescript "../../$out/openapi.json" \
          -o src/generated/api.d.ts >"../../$out/openapi-typescript.log" 2>&1); then
  fail "openapi-typescript ($out/openapi-typescript.log)"
elif ! (cd "$ts" && timeout 120 npx --no-install tsc -p tsconfig.json >"../../$out/tsc.log" 2>&1); then
  head -30 "$out/tsc.log"
  fail "the TypeScript walk does not compile against the generated types ($out/tsc.log)"
else
  (cd "$ts" && timeout 120 node --test dist/walk.test.js) 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || fail "the TypeScript client walk"
fi
echo "clients: TypeScript took $((SECONDS - start)) s"

exit "$status"
