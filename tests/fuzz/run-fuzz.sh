#!/bin/sh
# run-fuzz.sh SECONDS TARGET... — runs each libFuzzer target for SECONDS with a
# seed corpus built from the test transcripts, the fuzz seeds in the tree and
# (for GGUF) the models in $VERSUS_SHARED, then prints one summary line per
# target (executions, coverage) and fails if any target found a crash.
set -u
secs=$1; shift
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_WORKDIR:-fuzz-work}
mkdir -p "$work"
status=0
for t in "$@"; do
    name=$(basename "$t")
    corpus=$work/corpus-$name
    mkdir -p "$corpus"
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
    esac
    [ -d "$srcdir/tests/fuzz/seeds/$name" ] && cp "$srcdir/tests/fuzz/seeds/$name"/* "$corpus/" 2>/dev/null
    log=$work/$name.log
    "$t" -max_total_time="$secs" -rss_limit_mb=4096 -max_len=1048576 -print_final_stats=1 \
        -artifact_prefix="$work/$name-" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    cov=$(grep -a -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    if [ $rc -ne 0 ]; then
        echo "fuzz $name: FAILED after ${execs:-?} executions (see $log)"
        grep -a -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
        status=1
    else
        echo "fuzz $name: ok, ${execs:-?} executions in ${secs}s, coverage ${cov:-?} edges"
    fi
done
exit $status
