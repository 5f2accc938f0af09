#!/bin/sh
# run-fuzz.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS with a
# seed corpus built from the test transcripts, the fuzz seeds in the tree, the
# installed themes, and (for GGUF and the tokenizer) the models and vocabulary
# test inputs in $VERSUS_SHARED, then prints one summary line per target
# (executions, coverage) and fails if any target found a crash.
#
# FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_WORKDIR picks where the
# corpora, logs and crash inputs go (default ./fuzz-work). A crash leaves its
# input as $FUZZ_WORKDIR/TARGET-crash-* (the log says which).
set -u
secs=$1; shift
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_WORKDIR:-fuzz-work}
jobs=${FUZZ_JOBS:-1}
mkdir -p "$work"

# Seeds for one target into its corpus directory.
seed() { # NAME CORPUS
    name=$1 corpus=$2
    case $name in
    fuzz_sse|fuzz_ndjson|fuzz_provider)
        for f in "$srcdir"/tests/transcripts/*; do [ -f "$f" ] && cp "$f" "$corpus/" 2>/dev/null; done ;;
    fuzz_gguf)
        if [ -n "${VERSUS_SHARED:-}" ] && [ -d "$VERSUS_SHARED/models" ]; then
            cp "$VERSUS_SHARED/models/stories260K.gguf" "$corpus/" 2>/dev/null
            for f in "$VERSUS_SHARED"/models/vocab/ggml-vocab-llama-spm.gguf "$VERSUS_SHARED"/models/vocab/ggml-vocab-gpt-2.gguf; do
                [ -f "$f" ] && cp "$f" "$corpus/"
            done
        fi ;;
    fuzz_tokenizer)
        # llama.cpp's tokenizer test inputs, one file per case, each behind a
        # mode byte (0: gpt-2, 1: llama-spm; see fuzz_tokenizer.c)
        for f in "${VERSUS_SHARED:-/nonexistent}"/models/vocab/ggml-vocab-gpt-2.gguf.inp \
                 "${VERSUS_SHARED:-/nonexistent}"/models/vocab/ggml-vocab-llama-spm.gguf.inp; do
            [ -f "$f" ] || continue
            awk -v dir="$corpus" 'BEGIN { n = 0; RS = "\n__ggml_vocab_test__\n" }
                { n++; printf "%c%s", 0, $0 > (dir "/inp-a" n); printf "%c%s", 1, $0 > (dir "/inp-b" n) }' "$f"
        done ;;
    fuzz_theme)
        for f in "$srcdir"/themes/*; do [ -f "$f" ] && cp "$f" "$corpus/"; done ;;
    fuzz_jinja)
        # the real chat templates the renderer is tested against
        for f in "$srcdir"/tests/data/chat_templates/templates/*.jinja; do [ -f "$f" ] && cp "$f" "$corpus/"; done ;;
    esac
    [ -d "$srcdir/tests/fuzz/seeds/$name" ] && cp "$srcdir/tests/fuzz/seeds/$name"/* "$corpus/" 2>/dev/null
    return 0
}

# Longest input per target: the tokenizer's BPE merge is quadratic in a word's
# length by design, so it gets inputs of a page; the rest up to 1 MiB.
max_len() {
    case $1 in
    fuzz_tokenizer) echo 4096 ;;
    fuzz_theme|fuzz_policy|fuzz_fixture|fuzz_jinja) echo 65536 ;;
    *) echo 1048576 ;;
    esac
}

run_one() { # TARGET
    t=$1
    name=$(basename "$t")
    if [ "$name" = fuzz_tokenizer ] && [ ! -f "${VERSUS_SHARED:-/nonexistent}/models/vocab/ggml-vocab-gpt-2.gguf" ]; then
        echo "fuzz $name: skipped (needs VERSUS_SHARED with models/vocab)"
        return 0
    fi
    corpus=$work/corpus-$name
    mkdir -p "$corpus"
    seed "$name" "$corpus"
    log=$work/$name.log
    "$t" -max_total_time="$secs" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -rss_limit_mb=4096 -max_len="$(max_len "$name")" -print_final_stats=1 \
        -artifact_prefix="$work/$name-" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -a -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    ft=$(grep -a -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/.*ft: ([0-9]+).*/\1/')
    ncorp=$(ls "$corpus" | wc -l)
    if [ $rc -ne 0 ]; then
        echo "fuzz $name: FAILED after ${execs:-?} executions (see $log)"
        grep -a -E 'ERROR|SUMMARY|Test unit written|fuzz_[a-z]*: ' "$log" | head -5
        return 1
    fi
    echo "fuzz $name: ok, ${execs:-?} executions in ${secs}s, coverage ${cov:-?} edges, ${ft:-?} features, corpus $ncorp"
    return 0
}

status=0
set -- "$@"
while [ $# -gt 0 ]; do
    batch=""
    i=0
    while [ $i -lt "$jobs" ] && [ $# -gt 0 ]; do
        name=$(basename "$1")
        ( run_one "$1" >"$work/$name.summary"; echo $? >"$work/$name.rc" ) &
        batch="$batch $name"
        shift
        i=$((i + 1))
    done
    wait
    for name in $batch; do
        cat "$work/$name.summary"
        [ "$(cat "$work/$name.rc")" = 0 ] || status=1
    done
done
exit $status
