#!/bin/sh
# agreement-portable.sh — the agreement suite again with the portable kernels
# (VERSUS_NO_SIMD=1): every random-weight architecture and weight type, and
# stories260K, against llama.cpp's logits. The real models' portable runs
# take minutes each on two cores; `make check-portable` runs the whole suite.
# Run by `make check`.
set -eu
bin=${VERSUS_BUILDDIR:?}/tests/test_agreement
[ -x "$bin" ] || { echo "agreement-portable: $bin is not built" >&2; exit 1; }
VERSUS_NO_SIMD=1 "$bin" --color=never --timeout 900 -j2 --filter 'agreement/random_*'
VERSUS_NO_SIMD=1 "$bin" --color=never --timeout 900 --filter 'agreement/stories260k_*'
