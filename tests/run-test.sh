#!/bin/sh
# run-test.sh — how `make check` runs one Criterion test program: plain
# output, no colour, a per-test timeout so a hung test fails instead of
# hanging CI. Extra Criterion flags can come from CRITERION_FLAGS.
#
# The tmux end-to-end suites wait for events on screen and give up on their
# own when the screen stays still (tests/tui/tmux_driver.h); their timeout is
# only the guard against a hang, long enough for a sanitizer build on a
# loaded machine.
timeout=120
case "$1" in
*test_tui_e2e*) timeout=900 ;;
esac
exec "$@" --color=never --timeout "$timeout" -j2 ${CRITERION_FLAGS:-}
