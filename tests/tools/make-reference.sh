#!/usr/bin/env bash
# make-reference.sh — regenerates the llama.cpp agreement fixtures in
# tests/reference/ (read by tests/test_agreement.c). Never run by CI: it needs
# llama.cpp, which it builds once in a cache folder outside the repository.
#
#   tests/tools/make-reference.sh [-b BUILD_DIR] [FIXTURE...]
#
# FIXTURE names are the file names without .json (random-gemma3,
# smollm2-135m-instruct-q4_1, ...); none = all. What it does:
#  1. llama.cpp: uses $REF/llama.cpp/build (REF = ${XDG_CACHE_HOME:-~/.cache}/versus-ref);
#     when absent, `pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36`
#     into $REF, unpacks its vendor/llama.cpp and builds libllama with cmake
#     (-DGGML_NATIVE=ON -DLLAMA_CURL=OFF; about 15 minutes on two cores).
#  2. compiles tests/tools/ref-logits.c against that libllama, and builds
#     tests/tools/versus-archgen in BUILD_DIR (default: build/).
#  3. runs tests/tools/make_reference.py: random-weight models of every
#     architecture in Q8_0, Q4_0, Q4_K and Q6_K, plus the real models found
#     in the model cache (SmolLM2-135M-Instruct Q4_1, Gemma 3 270M Q4_K_M) and
#     $VERSUS_SHARED (default ../shared: stories260K), each scored with an F32
#     and an F16 KV cache. A model that is not there is skipped with a note.
# Only scripts and the JSON fixtures are committed, never llama.cpp or models.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
build=build
if [ "${1:-}" = "-b" ]; then build=$2; shift 2; fi

say() { printf 'make-reference: %s\n' "$*" >&2; }

ref=${XDG_CACHE_HOME:-$HOME/.cache}/versus-ref
llama=$ref/llama.cpp
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -e "$llama/build/bin/libllama.so" ]; then
    if [ ! -d "$llama" ]; then
        say "fetching the llama.cpp source from PyPI (llama-cpp-python 0.3.36 sdist) into $ref"
        mkdir -p "$ref"
        python3 -m pip download -q --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d "$ref"
        tar -xzf "$ref/llama_cpp_python-0.3.36.tar.gz" -C "$ref"
        cp -r "$ref/llama_cpp_python-0.3.36/vendor/llama.cpp" "$llama"
    fi
    say "building libllama in $llama/build (once)"
    cmake -S "$llama" -B "$llama/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
        -DGGML_NATIVE=ON -DLLAMA_CURL=OFF >"$ref/cmake.log" 2>&1
    cmake --build "$llama/build" --target llama -j "$jobs" >"$ref/build-llama.log" 2>&1
fi

bin=$ref/bin
mkdir -p "$bin"
cc -O2 -std=c11 -Wall -Wextra -o "$bin/ref-logits" tests/tools/ref-logits.c \
    -I"$llama/include" -I"$llama/ggml/include" -L"$llama/build/bin" -lllama -Wl,-rpath,"$llama/build/bin"
make -s -C "$build" tests/tools/versus-archgen

models=${XDG_CACHE_HOME:-$HOME/.cache}/versus/models
shared=${VERSUS_SHARED:-$top/../shared}
args=()
[ -s "$models/SmolLM2-135M-Instruct.Q4_1.gguf" ] && args+=(--smollm2 "$models/SmolLM2-135M-Instruct.Q4_1.gguf")
[ -s "$models/gemma-3-270m-q4_k_m.gguf" ] && args+=(--gemma "$models/gemma-3-270m-q4_k_m.gguf")
[ -s "$shared/models/stories260K.gguf" ] && args+=(--stories "$shared/models/stories260K.gguf")
[ $# -gt 0 ] && args+=(--only "$@")

python3 tests/tools/make_reference.py --ref-logits "$bin/ref-logits" \
    --archgen "$build/tests/tools/versus-archgen" --out tests/reference "${args[@]}"
