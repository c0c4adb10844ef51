#!/usr/bin/env bash
# Install the Debian packages a target needs, when they are missing.
# Usage: .ci/deps.sh PACKAGE:COMMAND-OR-PATH ...
# Each argument names a package and a command (or a path) whose absence means
# the package is needed. As root they are installed with apt-get; otherwise
# the script says exactly what to install and fails.
set -euo pipefail
missing=()
for spec in "$@"; do
  pkg=${spec%%:*} probe=${spec#*:}
  if [[ $probe == /* ]]; then [ -e "$probe" ] && continue; else command -v "$probe" >/dev/null && continue; fi
  missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
