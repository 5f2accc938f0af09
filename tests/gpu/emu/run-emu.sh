#!/bin/sh
# run-emu.sh — runs tests/gpu/test_cuda with the real kernels and the real
# backend on the CPU, under a small SIMT emulator, for machines without a GPU.
#
#   tests/gpu/emu/run-emu.sh CPU_BUILD_DIR [test_cuda arguments...]
#
# CPU_BUILD_DIR is a configured and built --without-cuda tree (its
# libversus.a supplies the CPU engine). Every kernels/*.cu is rewritten by
# cu2cpp.py (<<<grid, block, smem, stream>>> launches become emu_launch calls)
# and compiled by g++ against simt.h; backend_cuda.c and test_cuda.c are
# compiled with VERSUS_HAVE_CUDA against the fake cuda_runtime_api.h here.
# Each CUDA thread runs as a ucontext fiber; __syncthreads and warp shuffles
# are barriers, and a barrier not every live thread reaches aborts with
# "EMU: ...". Graph capture records launches (with their arguments as
# captured) and replays them. What it cannot tell: speed, memory-model races
# between blocks, anything about real hardware limits (registers, shared
# memory size). Slow: minutes for the kernel checks; use --models-only.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 CPU_BUILD_DIR [args...]" >&2; exit 2; }
build=$(cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/versus-emu.XXXXXX")
trap 'rm -rf "$work"' EXIT
objs=""
for cu in "$top"/kernels/*.cu; do
    b=$(basename "$cu" .cu)
    python3 "$here/cu2cpp.py" "$cu" > "$work/$b.cpp"
    g++ -std=c++17 -O2 -w -I"$here" -I"$top/kernels" -I"$top/src" -c "$work/$b.cpp" -o "$work/$b.o"
    objs="$objs $work/$b.o"
done
g++ -std=c++17 -O2 -w -I"$here" -c "$here/simt.cpp" -o "$work/simt.o"
for c in src/engine/backend_cuda.c tests/gpu/test_cuda.c; do
    gcc -std=c11 -D_GNU_SOURCE -O2 -w -DVERSUS_HAVE_CUDA=1 -I"$here" -I"$top/src" -I"$top/kernels" -I"$build" \
        -c "$top/$c" -o "$work/$(basename "$c" .c).o"
done
g++ -o "$work/test_cuda_emu" "$work/test_cuda.o" "$work/backend_cuda.o" $objs "$work/simt.o" \
    "$build/libversus.a" -lcjson -lcurl -lncursesw -lreadline -lpthread -ldl -lm
"$work/test_cuda_emu" "$@"
