#!/usr/bin/env bash
# Builds the reference webmail SPA (app/) into Gateway.Api/wwwroot/app, which Gateway.Api serves at /app.
# Needs Node.js (^20.19 or >= 22.12) and npm; versions are pinned in app/package.json and app/package-lock.json
# (the lock names no registry host: npm ci fetches from the configured registry). Run before `dotnet build`/`publish`
# so the files are there when the gateway starts (it looks for wwwroot/app at start).
set -euo pipefail
cd "$(dirname "$0")/../app"
command -v npm >/dev/null 2>&1 || { echo "build-app: Node.js and npm are required (npm not found on PATH)" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error </dev/null
npm run build
echo "built: $(cd ../Gateway.Api/wwwroot/app && pwd)"
