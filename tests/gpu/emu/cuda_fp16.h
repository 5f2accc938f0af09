/* cuda_fp16.h (tests/gpu/emu) — stands in for the real header under run-emu.sh:
 * the half conversions and every other device intrinsic come from simt.h. */
#pragma once
#include "simt.h"
