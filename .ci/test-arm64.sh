#!/usr/bin/env bash
# Cross-compile the test binaries of the given packages for linux/arm64 and
# run each under qemu-user (via arm64-run.sh), in its package folder, with the
# arm64 ONNX Runtime library. Usage: .ci/test-arm64.sh PKG...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out="$root/bin/arm64-tests"
mkdir -p "$out"
export SKYSIEVE_ORT_LIB="$root/.cache/ort/1.24.3/linux-arm64/libonnxruntime.so.1"
status=0
for pkg in $(go list "$@"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  name=$(echo "${pkg#github.com/skysieve/skysieve/}" | tr / _)
  rm -f "$out/$name.test"
  CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc go test -c -o "$out/$name.test" "$pkg"
  [ -f "$out/$name.test" ] || continue # no test files
  echo "arm64: $pkg"
  if ! (cd "$dir" && "$root/.ci/arm64-run.sh" "$out/$name.test" -test.short -test.timeout 15m ${ARM64_TEST_ARGS:-}); then
    status=1
  fi
done
exit $status
