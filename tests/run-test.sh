#!/bin/sh
# run-test.sh — how `make check` runs one Criterion test program: plain
# output, no colour, a per-test timeout so a hung test fails instead of
# hanging CI. Extra Criterion flags can come from CRITERION_FLAGS.
exec "$@" --color=never --timeout 120 -j2 ${CRITERION_FLAGS:-}
