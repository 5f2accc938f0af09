#!/bin/sh
# run-test.sh — how `make check` runs one Criterion test program: plain
# output, no colour, two tests at a time. Extra Criterion flags can come
# from CRITERION_FLAGS.
#
# Timeouts: tests wait for events, never for a wall-clock budget; a timeout
# is only the guard against a hang. Criterion 2.4 times out only the tests
# that declare one (.timeout on the Test or its TestSuite; TESTENV_HANG_S in
# tests/testenv.h for everything that waits on a child, a thread or a
# socket), and --timeout only caps those: this cap sits at that guard, long
# enough for a sanitizer or valgrind build on a loaded 2-core machine.
exec "$@" --color=never --timeout 900 -j2 ${CRITERION_FLAGS:-}
