#!/usr/bin/env bash
# Run every Go fuzz target in the module for FUZZTIME each (default 60s).
# Targets are discovered, so a new Fuzz function is fuzzed without editing this.
set -euo pipefail
fuzztime=${FUZZTIME:-60s}
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    # A short -fuzztime sometimes ends with the fuzz engine's own "context
    # deadline exceeded" and no failing input; that run is retried once.
    for try in 1 2; do
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then break; fi
      if [ $try = 1 ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input' "$log"; then
        echo "fuzz: $target: engine deadline hiccup, retrying"; continue
      fi
      cat "$log"; exit 1
    done
  done
done
