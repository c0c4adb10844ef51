#!/usr/bin/env bash
# Run a linux/arm64 program under qemu-user with an ARM /proc/cpuinfo bound
# over the host's in a private mount namespace: ONNX Runtime's cpuinfo
# library reads /proc/cpuinfo at load and crashes on an x86 one.
# Usage: .ci/arm64-run.sh PROGRAM [ARGS...]
set -euo pipefail
sysroot=/usr/aarch64-linux-gnu
command -v qemu-aarch64 >/dev/null || { echo "arm64: qemu-aarch64 missing: apt-get install qemu-user" >&2; exit 1; }
[ -d "$sysroot/lib" ] || { echo "arm64: $sysroot missing: apt-get install gcc-aarch64-linux-gnu" >&2; exit 1; }
command -v unshare >/dev/null || { echo "arm64: unshare missing: apt-get install util-linux" >&2; exit 1; }
cpuinfo=$(mktemp)
trap 'rm -f "$cpuinfo"' EXIT
for i in 0 1; do
  cat >>"$cpuinfo" <<CPU
processor	: $i
BogoMIPS	: 50.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x3
CPU part	: 0xd0c
CPU revision	: 1

CPU
done
exec unshare -m --propagation private sh -c 'mount --bind "$0" /proc/cpuinfo && exec qemu-aarch64 -L '"$sysroot"' "$@"' "$cpuinfo" "$@"
