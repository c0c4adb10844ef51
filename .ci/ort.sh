#!/usr/bin/env bash
# Fetch the pinned ONNX Runtime shared libraries (linux x64 and arm64) from the
# onnxruntime-node package with `npm pack`, verify the package digest and
# unpack the two libraries into .cache/ort/<version>/linux-<arch>/.
set -euo pipefail
version=1.24.3
sha256=aa1bb5fa261ea68de05dd53efbba210cd7adf2d2850f4c3a201054c74cc78040
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/ort/$version"
if [ -f "$dest/linux-x64/libonnxruntime.so.1" ] && [ -f "$dest/linux-arm64/libonnxruntime.so.1" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "ort: npm is required to fetch onnxruntime-node (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "ort: fetching onnxruntime-node@$version"
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null 2>"$tmp/npm.log") || { cat "$tmp/npm.log" >&2; exit 1; }
tgz="$tmp/onnxruntime-node-$version.tgz"
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "ort: digest mismatch for onnxruntime-node@$version: got $got, want $sha256" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1 package/bin/napi-v6/linux/arm64/libonnxruntime.so.1
for arch in x64 arm64; do
  mkdir -p "$dest/linux-$arch"
  cp "$tmp/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1" "$dest/linux-$arch/"
done
echo "ort: ONNX Runtime $version in $dest"
