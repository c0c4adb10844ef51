#!/usr/bin/env bash
# Fetch the real Landsat-7 ETM+ scene L7_ETMs.tif (Olinda, Brazil; public
# domain pixels) that Debian's r-cran-stars package ships, into .cache/landsat/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/landsat"
[ -f "$dest/L7_ETMs.tif" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download r-cran-stars >/dev/null 2>&1); then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$tmp" && apt-get download r-cran-stars >/dev/null) || { echo "landsat: apt-get download r-cran-stars failed" >&2; exit 1; }
fi
dpkg -x "$tmp"/r-cran-stars_*.deb "$tmp/x"
f=$(find "$tmp/x" -name L7_ETMs.tif | head -1)
[ -n "$f" ] || { echo "landsat: L7_ETMs.tif not found in r-cran-stars" >&2; exit 1; }
mkdir -p "$dest"
cp "$f" "$dest/L7_ETMs.tif"
echo "landsat: $dest/L7_ETMs.tif"
