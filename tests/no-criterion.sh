#!/bin/sh
# no-criterion.sh — stands in for the test suites when configure did not find
# Criterion: versus itself builds without it, `make check` can not.
echo "make check needs Criterion: apt-get install libcriterion-dev, then run ./configure again" >&2
exit 1
