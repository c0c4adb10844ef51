#!/usr/bin/env bash
# Run every Go fuzz target in the module for FUZZTIME each (default 60s).
# Targets are discovered, so a new Fuzz function is fuzzed without editing this.
set -euo pipefail
fuzztime=${FUZZTIME:-60s}
cd "$(dirname "$0")/.."
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/skysieve-fuzz.log 2>&1 || { cat /tmp/skysieve-fuzz.log; exit 1; }
  done
done
