#!/usr/bin/env bash
# compare-llama-cpp.sh — versus's engine against llama.cpp on the same files,
# the same threads and the same tests, run alternately so both see the same
# machine, several repetitions; prints per model and test the two rates, their
# ratio (versus / llama.cpp) as median [min, max] over the repetitions, and
# versus's decode traffic as a fraction of the memory bandwidth it measures.
#
#   bench/compare-llama-cpp.sh [options] [MODEL...]
#
# MODEL is a .gguf path or one of these names (default: all of them):
#   1b-f16 1b-q4_0 1b-q4_k_m 1b-q6_k 1b-q8_0  random-weight TinyLlama-1.1B shape,
#       written in F16 by make-random-llama.py through llama.cpp's gguf-py and
#       quantized with llama-quantize (so the Q4_K_M mix is llama.cpp's own)
#   smollm2   SmolLM2-135M-Instruct Q4_1 from the model cache (./bootstrap fetches it)
#   gemma3    Gemma 3 270M Q4_K_M from the model cache
# Options:
#   -t N        threads for both engines (default: online CPUs)
#   -r N        repetitions (default 3); each is one llama-bench -r 1 and one
#               versus bench -r 1 run, their order alternating
#   -p N -n N   prompt and generated tokens (default 512 and 64)
#   -d N        also time tgN with N tokens already in the cache (llama-bench -d)
#   --versus B  the versus binary (default: build/versus beside this script)
#   --cache D   cache folder (default $VERSUS_REF_CACHE or ~/.cache/versus-ref)
#   --raw F     also write every sample as tab-separated lines to F
#
# What it needs, made once in the cache folder (never in the repository):
# llama.cpp from the llama-cpp-python 0.3.36 source distribution on PyPI
# (pip download, then cmake: llama-bench and llama-quantize, -DGGML_NATIVE=ON),
# a Python venv with numpy for gguf-py, and the model files. A llama.cpp
# already built there is reused. Not a test: numbers only, on whatever load
# the machine has (the report prints the load average before and after).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
threads=$(nproc 2>/dev/null || echo 2)
reps=3
np=512
ng=64
depth=0
versus_bin=$top/build/versus
cache=${VERSUS_REF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/versus-ref}
model_cache=${XDG_CACHE_HOME:-$HOME/.cache}/versus/models
raw_out=
llama_version=0.3.36

say() { printf 'compare: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

posint() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a whole number (got '$2')"; }

models=()
while [ $# -gt 0 ]; do
    case $1 in
    -t) posint -t "${2-}"; threads=$2; shift 2 ;;
    -r) posint -r "${2-}"; reps=$2; shift 2 ;;
    -p) posint -p "${2-}"; np=$2; shift 2 ;;
    -n) posint -n "${2-}"; ng=$2; shift 2 ;;
    -d) posint -d "${2-}"; depth=$2; shift 2 ;;
    --versus) versus_bin=${2-}; shift 2 ;;
    --cache) cache=${2-}; shift 2 ;;
    --raw) raw_out=${2-}; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) say "unknown option $1"; usage 2 ;;
    *) models+=("$1"); shift ;;
    esac
done
[ ${#models[@]} -gt 0 ] || models=(1b-f16 1b-q4_0 1b-q4_k_m 1b-q6_k 1b-q8_0 smollm2 gemma3)
[ "$reps" -ge 1 ] || die "-r must be at least 1"
[ -x "$versus_bin" ] || die "no versus binary at $versus_bin (build it, or pass --versus)"
mkdir -p "$cache"
exec 9>"$cache/.compare.lock"
flock 9 # one comparison (and one build) at a time

llama_dir=$cache/llama.cpp
llama_bin=$llama_dir/build/bin

# ---- llama.cpp, built once --------------------------------------------------
ensure_llama() {
    if [ -x "$llama_bin/llama-bench" ] && [ -x "$llama_bin/llama-quantize" ]; then
        return 0
    fi
    if [ ! -f "$llama_dir/CMakeLists.txt" ]; then
        local sdist=$cache/llama_cpp_python-$llama_version.tar.gz
        if [ ! -f "$sdist" ]; then
            say "downloading llama-cpp-python $llama_version (source) from PyPI"
            python3 -m pip download --quiet --no-deps --no-binary :all: \
                "llama-cpp-python==$llama_version" -d "$cache" >&2
        fi
        say "unpacking its vendor/llama.cpp"
        tar -xzf "$sdist" -C "$cache"
        rm -rf "$llama_dir"
        mv "$cache/llama_cpp_python-$llama_version/vendor/llama.cpp" "$llama_dir"
    fi
    say "building llama-bench and llama-quantize (about 10 minutes on two cores)"
    cmake -S "$llama_dir" -B "$llama_dir/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF >"$cache/cmake-compare.log" 2>&1 ||
        die "cmake failed: see $cache/cmake-compare.log"
    cmake --build "$llama_dir/build" -j"$threads" --target llama-bench llama-quantize \
        >"$cache/build-compare.log" 2>&1 || die "build failed: see $cache/build-compare.log"
}

# ---- models ------------------------------------------------------------------
ensure_venv() {
    local py=$cache/venv/bin/python
    if ! "$py" -c 'import numpy, yaml' 2>/dev/null; then
        say "making a Python venv with numpy for gguf-py"
        python3 -m venv "$cache/venv"
        "$py" -m pip install --quiet numpy pyyaml tqdm requests >&2
    fi
}

random_1b() { # TYPE -> path
    local t=$1 f16=$cache/models/random-llama-1B-F16.gguf out=$cache/models/random-llama-1B-$1.gguf
    mkdir -p "$cache/models"
    if [ ! -s "$f16" ]; then
        ensure_venv
        say "writing the random-weight 1.1B model in F16 (gguf-py)"
        "$cache/venv/bin/python" "$here/make-random-llama.py" --gguf-py "$llama_dir/gguf-py" \
            --vocab "$llama_dir/models/ggml-vocab-llama-spm.gguf" --shape 1B -o "$f16" >&2
    fi
    if [ "$t" != F16 ] && [ ! -s "$out" ]; then
        say "quantizing it to $t (llama-quantize)"
        "$llama_bin/llama-quantize" "$f16" "$out.part" "$t" "$threads" >"$out.log" 2>&1 ||
            die "llama-quantize $t failed: see $out.log"
        mv "$out.part" "$out"
    fi
    echo "$out"
}

resolve() { # NAME-or-path -> path (empty when unavailable, with a note)
    case $1 in
    1b-f16) random_1b F16 ;;
    1b-q4_0) random_1b Q4_0 ;;
    1b-q4_k_m) random_1b Q4_K_M ;;
    1b-q6_k) random_1b Q6_K ;;
    1b-q8_0) random_1b Q8_0 ;;
    smollm2|gemma3)
        local f=$model_cache/SmolLM2-135M-Instruct.Q4_1.gguf
        [ "$1" = gemma3 ] && f=$model_cache/gemma-3-270m-q4_k_m.gguf
        if [ -s "$f" ]; then echo "$f"; else say "skipping $1: $f is missing (./bootstrap fetches the default model)"; fi ;;
    *.gguf)
        [ -s "$1" ] || die "no such model file: $1"
        echo "$1" ;;
    *) die "unknown model '$1' (a .gguf path, or: 1b-f16 1b-q4_0 1b-q4_k_m 1b-q6_k 1b-q8_0 smollm2 gemma3)" ;;
    esac
}

ensure_llama
paths=()
for m in "${models[@]}"; do
    p=$(resolve "$m")
    [ -n "$p" ] && paths+=("$p")
done
[ ${#paths[@]} -gt 0 ] || die "no model to compare"

# ---- the runs -------------------------------------------------------------------
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

run_llama() { # FILE PROMPT GEN DEPTH REP
    local out
    if ! out=$("$llama_bin/llama-bench" -m "$1" -p "$2" -n "$3" -d "$4" -t "$threads" -r 1 -o json 2>/dev/null); then
        say "llama-bench failed on $1"
        return 0
    fi
    python3 - "$1" "$5" "$out" >>"$samples" <<'EOF'
import json, sys
path, rep, doc = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
for t in doc:
    name = ("pp%d" % t["n_prompt"]) if t["n_prompt"] else ("tg%d" % t["n_gen"])
    if t.get("n_depth"):
        name += " @ d%d" % t["n_depth"]
    print("\t".join([path, name, "llama.cpp", rep, repr(t["avg_ts"]), "", "", t.get("type_k", "")]))
EOF
}

run_versus() { # FILE PROMPT GEN DEPTH REP
    local out
    if ! out=$("$versus_bin" bench "$1" -p "$2" -n "$3" -d "$4" -t "$threads" -r 1 --backend cpu --format json 2>/dev/null); then
        say "versus bench failed on $1"
        return 0
    fi
    python3 - "$1" "$5" "$out" >>"$samples" <<'EOF'
import json, sys
path, rep, doc = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
bw = doc.get("bandwidth", {})
for t in doc["tests"]:
    ratio = gbs = ""
    if t["test"].startswith("tg") and "ratio_median" in bw:
        ratio, gbs = repr(bw["ratio_median"]), repr(bw["measured_gbs"])
    print("\t".join([path, t["test"], "versus", rep, repr(t["tps_median"]), ratio, gbs, doc.get("kv_type", "")]))
EOF
}

pair() { # FILE PROMPT GEN DEPTH REP: both engines, alternating which goes first
    if [ $(($5 % 2)) -eq 1 ]; then
        run_llama "$@"
        run_versus "$@"
    else
        run_versus "$@"
        run_llama "$@"
    fi
}

for p in "${paths[@]}"; do
    for rep in $(seq 1 "$reps"); do
        say "$(basename "$p"): repetition $rep of $reps"
        pair "$p" "$np" "$ng" 0 "$rep"
        if [ "$depth" -gt 0 ]; then pair "$p" 0 "$ng" "$depth" "$rep"; fi
    done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "$raw_out" ]; then cp "$samples" "$raw_out"; fi

# ---- the report -------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "# versus vs llama.cpp ($started)"
echo
echo "machine: $cpu, $(nproc) CPUs online; threads: $threads; load average $load_start (start), $load_end (end)"
echo "versus: $versus_bin (commit $commit); llama.cpp: llama-cpp-python $llama_version sdist, $llama_bin/llama-bench"
echo "each repetition: llama-bench -p $np -n $ng -t $threads -r 1 and versus bench -p $np -n $ng -t $threads -r 1 --backend cpu, alternating"
if [ "$depth" -gt 0 ]; then echo "depth runs: -p 0 -n $ng -d $depth for both"; fi
echo
python3 - "$samples" <<'EOF'
import os, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
def mmm(v):
    return "%.2f [%.2f, %.2f]" % (statistics.median(v), min(v), max(v)) if v else "n/a"
keys = []
for r in rows:
    k = (r[0], r[1])
    if k not in keys:
        keys.append(k)
print("| model | test | llama.cpp t/s | versus t/s | versus / llama.cpp | versus decode / measured bandwidth |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
below = []
for path, test in keys:
    by = {}
    for r in rows:
        if (r[0], r[1]) == (path, test):
            by.setdefault(r[2], {})[r[3]] = r
    ll, vs = by.get("llama.cpp", {}), by.get("versus", {})
    reps = sorted(set(ll) & set(vs), key=int)
    ratios = [float(vs[k][4]) / float(ll[k][4]) for k in reps if float(ll[k][4]) > 0]
    bw = [100 * float(vs[k][5]) for k in vs if vs[k][5]]
    bws = ("%.1f%% [%.1f, %.1f]" % (statistics.median(bw), min(bw), max(bw))) if bw else ""
    name = os.path.basename(path)
    print("| %s | %s | %s | %s | %s | %s |" % (name, test, mmm([float(r[4]) for r in ll.values()]),
          mmm([float(r[4]) for r in vs.values()]), mmm(ratios).replace("n/a", "n/a (a run failed)"), bws))
    if ratios and statistics.median(ratios) < 1.0:
        below.append("%s %s: %.2fx" % (name, test, statistics.median(ratios)))
print()
print("below 1.0x (median): " + ("; ".join(below) if below else "none"))
EOF
