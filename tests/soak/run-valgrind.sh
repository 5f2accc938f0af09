#!/bin/sh
# run-valgrind.sh SUPPRESSIONS LOGDIR PROGRAM... — runs each Criterion test
# program once under valgrind (memcheck) and fails when valgrind found an
# error in any process: invalid reads/writes, uses of uninitialised values,
# bad frees, or a definite leak.
#
# Criterion runs every test in a worker process it re-executes from the test
# binary, and ignores how a worker exits; so valgrind follows children
# (--trace-children=yes, which also covers the versus binary the integration
# tests start), writes one log per process, and this script reads the logs.
# Helpers outside the build (sh, tmux, python3) are not followed. Tests that
# fail under valgrind's slowdown (timing assertions) are listed but do not
# fail the run: only memory errors do.
set -u
supp=$1 logdir=$2
shift 2
rm -rf "$logdir"
mkdir -p "$logdir"
status=0
slow=""
for t in "$@"; do
    name=$(basename "$t")
    start=$(date +%s)
    valgrind --tool=memcheck --trace-children=yes --trace-children-skip='/usr/*,/bin/*,/sbin/*' \
        --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
        --suppressions="$supp" --num-callers=30 --error-exitcode=99 \
        --log-file="$logdir/$name.%p.log" \
        "$t" --jobs 1 --color=never --timeout 1200 >"$logdir/$name.out" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    bad=$(grep -l -E 'ERROR SUMMARY: [1-9]' "$logdir/$name".*.log 2>/dev/null)
    if [ -n "$bad" ]; then
        echo "valgrind $name: MEMORY ERRORS (${secs}s) in:"
        for f in $bad; do
            echo "  $f"
            grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|[0-9,]+ bytes in [0-9,]+ blocks are definitely|Syscall param|Source and destination)' "$f" | head -5
        done
        status=1
    elif [ $rc -ne 0 ]; then
        echo "valgrind $name: clean, but tests failed under valgrind (${secs}s; see $logdir/$name.out)"
        slow="$slow $name"
    else
        echo "valgrind $name: clean (${secs}s, $(ls "$logdir/$name".*.log | wc -l) processes)"
    fi
done
[ -n "$slow" ] && echo "valgrind: failing only under valgrind (timing, not memory):$slow"
exit $status
