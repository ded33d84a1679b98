#!/usr/bin/env bash
# Builds the real-kernel executor (oracle/executor/*.c but ia32-probe.c; see executor.h for which
# file holds what) with the system C compiler:
#   dist/executor/sockspec-executor         dynamic; loads libseccomp.so.2 at run time with dlopen
#   dist/executor/sockspec-executor-static  static, -DSOCKSPEC_STATIC (no COMPILE), for a QEMU initramfs
#   dist/executor/ia32-probe                whether this kernel runs int $0x80 (IA32 emulation)
# Each binary is written to a temporary name and renamed, so a running executor is never clobbered.
# CC overrides the compiler (default: cc).
set -euo pipefail
cd "$(dirname "$0")/.."

CC="${CC:-cc}"
DIR=oracle/executor
# Every C file of the directory is the executor's, except the stand-alone probe.
SRCS=()
for f in "$DIR"/*.c; do
  [ "$f" = "$DIR/ia32-probe.c" ] || SRCS+=("$f")
done
OUT=dist/executor
FLAGS=(-O2 -std=gnu11 -Wall -Wextra -Werror)

if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-executor: no C compiler ('$CC' not found). Install one (Debian/Ubuntu: apt-get install gcc libc6-dev)" >&2
  echo "build-executor: or point CC at a compiler; the oracle's executor cannot be built without it." >&2
  exit 1
fi

mkdir -p "$OUT"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# glibc 2.34 and later have dlopen in libc itself; older ones need -ldl.
LIBS=()
printf '#include <dlfcn.h>\nint main(void) { return dlopen("x", RTLD_NOW) != 0; }\n' >"$tmp/probe.c"
if ! "$CC" -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1; then
  LIBS=(-ldl)
fi

if ! "$CC" "${FLAGS[@]}" -o "$tmp/sockspec-executor" "${SRCS[@]}" "${LIBS[@]}"; then
  echo "build-executor: compiling ${SRCS[*]} failed (see the compiler output above)" >&2
  exit 1
fi
if ! "$CC" "${FLAGS[@]}" -static -DSOCKSPEC_STATIC -o "$tmp/sockspec-executor-static" "${SRCS[@]}"; then
  echo "build-executor: the static build failed; it needs the static C library (Debian/Ubuntu: libc6-dev)" >&2
  exit 1
fi

if ! "$CC" "${FLAGS[@]}" -o "$tmp/ia32-probe" "$DIR/ia32-probe.c"; then
  echo "build-executor: compiling $DIR/ia32-probe.c failed (see the compiler output above)" >&2
  exit 1
fi

mv -f "$tmp/ia32-probe" "$OUT/ia32-probe"
mv -f "$tmp/sockspec-executor" "$OUT/sockspec-executor"
mv -f "$tmp/sockspec-executor-static" "$OUT/sockspec-executor-static"
echo "build-executor: built $OUT/sockspec-executor, $OUT/sockspec-executor-static and $OUT/ia32-probe"
