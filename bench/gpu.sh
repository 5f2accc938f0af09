#!/usr/bin/env bash
# gpu.sh — proves versus's CUDA path on a machine with an NVIDIA GPU, in one
# command, and writes a short report. Sized to finish in under 8 minutes on
# one H100 with 16 cores:
#   1. builds versus with CUDA (build-gpu/, -j all cores)
#   2. `make check-gpu`: every kernel against a double-precision CPU reference,
#      then whole models (stories260K when VERSUS_SHARED is set, and a
#      generated 1B Q4_K model) on both backends, tokens and logits compared
#   3. generates a Llama-3-8B-shaped Q4_K model (versus-mkmodel)
#   4. GPU-vs-CPU agreement through `versus logits --backend cuda|cpu` on the
#      1B and 8B models: top-1 agreement where the CPU's top-1/top-2 margin
#      exceeds 0.1, and the largest logit difference among the CPU's top 5
#   5. `versus bench --backend cuda -p 512 -n 128 -r 3` on both models
#
#   bench/gpu.sh [REPORT_DIR]     (default: gpu-report/ in the current directory)
#
# Each step has its own time limit, so a hung step is reported and the rest
# still run. Without a GPU it says so and stops: nothing here can be shown to
# work on a GPU without one (tests/gpu/emu runs the kernels on the CPU:
# `make check-gpu-emu`). Generated models go to $VERSUS_GPU_MODELS (default
# build-gpu/models); nothing is downloaded.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
report_dir=${1:-gpu-report}
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)
report=$report_dir/report.md
build=$top/build-gpu
models=${VERSUS_GPU_MODELS:-$build/models}
jobs=$(nproc 2>/dev/null || echo 4)
t_start=$(date +%s)
failures=0

say() { printf 'gpu.sh: %s\n' "$*" >&2; }
section() { printf '\n## %s\n\n' "$*" >>"$report"; }
elapsed() { echo $(( $(date +%s) - t_start )); }

# step NAME LIMIT_S LOG CMD...: runs CMD with a time limit (stdout to LOG,
# stderr to LOG.stderr), records the outcome in the report
step() {
    local name=$1 limit=$2 log=$3
    shift 3
    local t0 rc
    t0=$(date +%s)
    say "$name (limit ${limit}s)"
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>"$log.stderr"
    rc=$?
    local took=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ]; then
        printf -- '- %s: ok (%ds)\n' "$name" "$took" >>"$report"
    else
        failures=$((failures + 1))
        [ $rc -eq 124 ] && printf -- '- %s: **timed out** after %ds (log: %s)\n' "$name" "$took" "$(basename "$log")" >>"$report" ||
            printf -- '- %s: **failed** (exit %d, %ds; log: %s)\n' "$name" "$rc" "$took" "$(basename "$log")" >>"$report"
    fi
    return $rc
}

{
    echo "# versus on the GPU ($(date -u '+%Y-%m-%d %H:%M UTC'))"
    echo
    echo "commit: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} >"$report"

if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "**No NVIDIA GPU is visible on this machine (nvidia-smi lists none): nothing was run on a GPU.**" >>"$report"
    say "no GPU visible: nothing run (see $report)"
    exit 77
fi
{
    echo "GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
    echo "CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $jobs CPUs"
} >>"$report"

# ---- 1-2: build and the device test ------------------------------------------------
section "Build and kernel tests"
if [ ! -x "$top/configure" ] || [ "$top/configure" -ot "$top/configure.ac" ]; then
    (cd "$top" && autoreconf -fi >/dev/null 2>&1)
fi
mkdir -p "$build" "$models"
if [ ! -f "$build/Makefile" ]; then
    step "configure --with-cuda" 120 "$report_dir/configure.log" sh -c "cd '$build' && '$top/configure' --with-cuda" || exit 1
fi
step "build (make -j$jobs)" 300 "$report_dir/build.log" make -C "$build" -j"$jobs" all tests/gpu/test_cuda || exit 1
step "make check-gpu (kernels, stories260K and a 1B Q4_K model on both backends)" 240 \
    "$report_dir/check-gpu.log" make -C "$build" check-gpu VERSUS_SHARED="${VERSUS_SHARED:-}"
if [ -f "$report_dir/check-gpu.log" ]; then
    printf -- '  - %s checks passed, %s failed\n' "$(grep -c '^ok ' "$report_dir/check-gpu.log")" \
        "$(grep -c '^FAIL' "$report_dir/check-gpu.log")" >>"$report"
    grep '^FAIL' "$report_dir/check-gpu.log" | head -20 | sed 's/^/    - /' >>"$report"
fi

# ---- 3: the models ----------------------------------------------------------------------
m1b=$build/gpu-test-1B.Q4_K.gguf
m8b=$models/llama3-8B-shape.Q4_K.gguf
if [ ! -s "$m1b" ]; then
    step "generate the 1B Q4_K model" 120 "$report_dir/mk1b.log" \
        "$build/bench/versus-mkmodel" --params 1B --type q4_k --threads "$jobs" -o "$m1b"
fi
if [ ! -s "$m8b" ]; then
    step "generate an 8B Q4_K model (Llama-3-8B shape, 32000-token vocabulary)" 240 "$report_dir/mk8b.log" \
        "$build/bench/versus-mkmodel" --dim 4096 --layers 32 --heads 32 --kv-heads 8 --ff 14336 --vocab 32000 \
        --ctx 8192 --type q4_k --threads "$jobs" -o "$m8b"
fi

# ---- 4: agreement through versus logits ------------------------------------------------------
section "GPU vs CPU logits (versus logits, 64 teacher-forced positions)"
ids=$(python3 -c 'import random; r = random.Random(7); print(",".join(["1"] + [str(r.randrange(3, 32000)) for _ in range(63)]))')
agree() { # MODEL LABEL
    local cpu=$report_dir/logits-$2-cpu.json gpu=$report_dir/logits-$2-cuda.json
    step "logits $2 on the CPU" 180 "$cpu" "$build/versus" logits "$1" --tokens "$ids" --top 5 --backend cpu || return
    step "logits $2 on the GPU" 120 "$gpu" "$build/versus" logits "$1" --tokens "$ids" --top 5 --backend cuda || return
    python3 - "$cpu" "$gpu" "$2" >>"$report" <<'EOF'
import json, sys
cpu, gpu, label = (json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3])
n = agree = confident = 0
worst = 0.0
for pc, pg in zip(cpu["positions"], gpu["positions"]):
    tc, tg = pc["top"], pg["top"]
    n += 1
    gmap = {i: v for i, v in tg}
    if tc[0][1] - tc[1][1] > 0.1:
        confident += 1
        agree += tc[0][0] == tg[0][0]
    for i, v in tc:
        if i in gmap:
            worst = max(worst, abs(v - gmap[i]))
print("  - %s: top-1 equal at %d of %d confident positions (margin > 0.1; %d positions); largest |logit difference| "
      "among the CPU's top 5 present in the GPU's: %.4f" % (label, agree, confident, n, worst))
sys.exit(0 if agree == confident else 1)
EOF
    [ $? -eq 0 ] || failures=$((failures + 1))
}
agree "$m1b" 1B
agree "$m8b" 8B

# ---- 5: speed -------------------------------------------------------------------------------------------
section "versus bench --backend cuda -p 512 -n 128 -r 3"
bench() { # MODEL LABEL
    local out=$report_dir/bench-$2.json
    step "bench $2" 150 "$out" "$build/versus" bench "$1" --backend cuda -p 512 -n 128 -r 3 --format json || return
    python3 - "$out" "$2" >>"$report" <<'EOF'
import json, sys
d, label = json.load(open(sys.argv[1])), sys.argv[2]
cu = d.get("cuda", {})
rates = "; ".join("%s %.1f [%.1f, %.1f] t/s" % (t["test"], t["tps_median"], t["tps_min"], t["tps_max"])
                  for t in d["tests"])
tg = [t for t in d["tests"] if t["test"].startswith("tg")]
gbs = d["bandwidth"]["weight_bytes_per_token"] * tg[0]["tps_median"] / 1e9 if tg else 0
print("  - %s (%s, %.0f MiB): %s; decode reads %.0f GB/s of weights; %d/%d layers on %s, load %.0f ms" % (
    label, d["type"], d["size_bytes"] / 2**20, rates, gbs, cu.get("gpu_layers", 0), cu.get("n_layers", 0),
    cu.get("device", "?"), d["load_ms"]))
EOF
}
bench "$m1b" 1B
bench "$m8b" 8B

section "Summary"
echo "- total time: $(elapsed) s; steps failed: $failures" >>"$report"
say "report: $report ($(elapsed) s, $failures failed)"
[ "$failures" -eq 0 ]
