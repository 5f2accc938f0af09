/* candidate.h — one model's stored reply (a fixture "candidate") and its Params as JSON.
 *
 * One candidate is written as
 *   {"spec", "provider", "model", "status", "text", "reasoning",
 *    "redacted_reasoning_blocks", "reasoning_request", "refusal",
 *    "status_reason", "tool_calls", "truncated_by_reasoning",
 *    "finish_reason", "incomplete", "saw_done", "attempts", "backend",
 *    "error": {"http_status", "type", "message", "hint"} | null,
 *    "usage": {...}, "metrics": {...}, "vram_mib",
 *    "recording": {"http_status", "encoding": "base64", "bytes",
 *                  "chunks": [[t_ms, len], ...]} }
 * Unknown numbers are null. Reading accepts any missing field (a fixture
 * written by hand may carry only model and text). */
#ifndef VERSUS_CANDIDATE_H
#define VERSUS_CANDIDATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/reply.h"
#include "core/request.h"

/* The JSON object for r; vram_mib < 0 or NaN means unknown; the recording is
 * written when with_recording and r has one. NULL when memory runs out. */
cJSON *candidate_encode(const Reply *r, double vram_mib, bool with_recording);
/* A JSON array of candidate_encode(replies[i], vram_mib ? vram_mib[i] : -1,
 * with_recording) for i < n; NULL when memory runs out. */
cJSON *candidate_encode_list(Reply *const *replies, const double *vram_mib, size_t n,
                             bool with_recording);
/* A new Reply (final status as recorded) from obj; *vram_mib gets the VRAM
 * or -1. NULL with err when obj is not an object, a field has the wrong shape
 * or the recording does not add up. */
Reply *candidate_decode(const cJSON *obj, double *vram_mib, char *err, size_t errlen);
/* A deep copy of a reply (text, usage, metrics, error, recording). */
Reply *candidate_clone(const Reply *r);

/* The name a candidate is counted under in ratings, costs and reports: its
 * spec (for a config alias, what the alias stood for when the round ran, so
 * "fast" and "openai:gpt-4o-mini" are one model), except a local model
 * whose spec does not name its file ("local:", "local:#high", an alias):
 * then "local:FILE" and the spec's "#EFFORT",
 * FILE the base name of the model it recorded. So two different default
 * models are two rows, and one file run as "local:" or "local:FILE" is one.
 * Written into out (n bytes); returns out. */
const char *candidate_key(const Reply *r, char *out, size_t n);

/* Only the parameters that are set. */
cJSON *candidate_params_encode(const Params *p);
/* Parameters from obj (NULL or missing keys = unset). */
Params candidate_params_decode(const cJSON *obj);

#endif
