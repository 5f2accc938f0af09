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
# Helpers outside the build (sh, tmux, python3) are not followed. A test
# that fails under valgrind fails the run too, memory error or not: the
# tests wait for events, never for a wall-clock budget, so valgrind's
# slowdown is no excuse (and a failing test stops before the rest of what
# it would have exercised).
#
# Valgrind runs one process on one core and spends about a second of CPU
# starting each one, so the programs run VALGRIND_JOBS at a time (default:
# the number of cores), each with its tests one after another; each prints
# its line when it ends.
set -u
if [ "${1:-}" = --one ]; then # --one SUPPRESSIONS LOGDIR PROGRAM: one program, a summary line
    supp=$2 logdir=$3 t=$4
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
    {
        if [ -n "$bad" ]; then
            echo "valgrind $name: MEMORY ERRORS (${secs}s) in:"
            for f in $bad; do
                echo "  $f"
                grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|[0-9,]+ bytes in [0-9,]+ blocks are definitely|Syscall param|Source and destination)' "$f" | head -5
            done
            echo memory >"$logdir/$name.verdict"
        elif [ $rc -ne 0 ]; then
            echo "valgrind $name: clean, but tests failed under valgrind (${secs}s; see $logdir/$name.out)"
            echo failed >"$logdir/$name.verdict"
        else
            echo "valgrind $name: clean (${secs}s, $(ls "$logdir/$name".*.log | wc -l) processes)"
            echo clean >"$logdir/$name.verdict"
        fi
    } >"$logdir/$name.summary"
    cat "$logdir/$name.summary"
    exit 0
fi
supp=$1 logdir=$2
shift 2
rm -rf "$logdir"
mkdir -p "$logdir"
jobs=${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 1)}
printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh "$0" --one "$supp" "$logdir" {}
status=0
failing=""
for t in "$@"; do
    name=$(basename "$t")
    if [ ! -f "$logdir/$name.summary" ]; then
        echo "valgrind $name: did not run"
        status=1
    fi
    case $(cat "$logdir/$name.verdict" 2>/dev/null) in
    memory) status=1 ;;
    failed) failing="$failing $name"; status=1 ;;
    esac
done
[ -n "$failing" ] && echo "valgrind: tests failed under valgrind (no memory error):$failing"
exit $status
