#!/bin/sh
# check-lists.sh — fails when a test would silently stop running: a
# tests/test_*.c missing from CRITERION_TESTS (tests/tests.mk), a
# tests/fuzz/fuzz_*.c missing from FUZZ_TARGETS (tests/fuzz/fuzz.mk, which
# CI's short fuzz pass runs), or a VALGRIND_UNIT_TESTS entry that names no
# suite. Run by `make check`.
set -eu
top=${VERSUS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"

# The words of make variable NAME in FILE (continuation lines joined).
words() { # NAME FILE
    awk -v name="$1" '
        { line = $0 }
        cont { buf = buf " " line } !cont { buf = line }
        { cont = sub(/\\$/, "", buf) }
        !cont && buf ~ "^" name "[ \t]*=" { sub("^" name "[ \t]*=", "", buf); print buf }
    ' "$2" | tr -s ' \t' '\n\n' | sed '/^$/d'
}

bad=0
criterion=$(words CRITERION_TESTS tests/tests.mk)
fuzz=$(words FUZZ_TARGETS tests/fuzz/fuzz.mk)
valgrind=$(words VALGRIND_UNIT_TESTS tests/tests.mk)
[ -n "$criterion" ] && [ -n "$fuzz" ] && [ -n "$valgrind" ] || {
    echo "check-lists: could not read CRITERION_TESTS, FUZZ_TARGETS or VALGRIND_UNIT_TESTS" >&2
    exit 1
}
for f in tests/test_*.c; do
    echo "$criterion" | grep -qx "${f%.c}" ||
        { echo "check-lists: $f is not in CRITERION_TESTS (tests/tests.mk): it never runs" >&2; bad=1; }
done
for f in tests/fuzz/fuzz_*.c; do
    echo "$fuzz" | grep -qx "${f%.c}" ||
        { echo "check-lists: $f is not in FUZZ_TARGETS (tests/fuzz/fuzz.mk): CI never fuzzes it" >&2; bad=1; }
done
for t in $valgrind; do
    echo "$criterion" | grep -qx "$t" ||
        { echo "check-lists: VALGRIND_UNIT_TESTS names $t, which is no suite in CRITERION_TESTS" >&2; bad=1; }
done
exit $bad
