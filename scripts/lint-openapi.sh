#!/usr/bin/env bash
# Lints the gateway's OpenAPI document with Spectral (openapi/.spectral.yaml, version pinned in openapi/package.json
# and openapi/package-lock.json). The document is the one the gateway serves, saved by the test
# OpenApiDocumentTests.SwaggerJson_IsSavedForTheLinter to artifacts/openapi/swagger.json; when that file is missing
# the test is run alone (the solution must be built, Release, as scripts/test.sh does).
# Installs the linter into openapi/node_modules with `npm ci` when it is missing. Exits non-zero on any error.
#   scripts/lint-openapi.sh [path/to/swagger.json]
set -uo pipefail
cd "$(dirname "$0")/.."

doc=${1:-artifacts/openapi/swagger.json}
version=$(sed -n 's/.*"@stoplight\/spectral-cli": *"\([^"]*\)".*/\1/p' openapi/package.json)
spectral=openapi/node_modules/.bin/spectral
export SCARF_ANALYTICS=false DO_NOT_TRACK=1 NO_UPDATE_NOTIFIER=1

if [ ! -f "$doc" ]; then
  echo "openapi lint: $doc missing; saving it with the OpenAPI document test"
  OPENAPI_OUTPUT="$PWD/$doc" dotnet test Gateway.Tests -c Release --no-build -nologo -v q \
    --filter "FullyQualifiedName~OpenApiDocumentTests.SwaggerJson_IsSavedForTheLinter" >/dev/null 2>&1
  if [ ! -f "$doc" ]; then
    echo "openapi lint: could not save the document (build the solution first: dotnet build Gateway.slnx -c Release)" >&2
    exit 1
  fi
fi

if [ ! -x "$spectral" ] || [ "$("$spectral" --version 2>/dev/null)" != "$version" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "openapi lint: Node.js and npm are required to install Spectral $version (npm not found on PATH)" >&2
    exit 1
  fi
  echo "openapi lint: installing Spectral $version (npm ci in openapi/)"
  if ! (cd openapi && npm ci --no-audit --no-fund --loglevel=error </dev/null); then
    echo "openapi lint: npm ci failed" >&2
    exit 1
  fi
fi

mkdir -p artifacts/openapi
"$spectral" lint "$doc" --ruleset openapi/.spectral.yaml --fail-severity error --format text \
  --output artifacts/openapi/lint.txt </dev/null
status=$?
cat artifacts/openapi/lint.txt; echo
errors=$(grep -c ' error ' artifacts/openapi/lint.txt)
warnings=$(grep -c ' warning ' artifacts/openapi/lint.txt)
echo "openapi lint: $errors errors, $warnings warnings (Spectral $version; artifacts/openapi/lint.txt)"
exit "$status"
