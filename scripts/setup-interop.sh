#!/usr/bin/env bash
# Installs the official @wecom/crypto npm package (the independent peer of the interop tests and
# of the benchmark's reference server) into folders the tests own. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in tests/interop bench/peer; do
  [ -f "$dir/package.json" ] || continue
  if [ ! -f "$dir/node_modules/@wecom/crypto/package.json" ]; then
    (cd "$dir" && npm install --no-audit --no-fund --silent >/dev/null)
  fi
done
