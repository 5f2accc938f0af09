/* reply_json.h — a Reply as the JSON object `versus run --format json` prints.
 *
 * The key names are a contract read by scripts, sessions and fixtures: add
 * keys freely, never rename one. */
#ifndef VERSUS_REPLY_JSON_H
#define VERSUS_REPLY_JSON_H

#include <cjson/cJSON.h>

#include "core/reply.h"
#include "core/request.h"

/* {"model","spec","provider","status","text","finish_reason","incomplete",
 *  "error":{"http_status","type","message","hint"}|null,
 *  "usage":{"input_tokens","output_tokens","reasoning_tokens","cached_input_tokens"},
 *  "metrics":{"ttft_ms","total_ms","output_tokens_per_s","cost_usd",...},
 *  local only: "token_ids","prompt_token_ids","backend"}; unknown numbers are null.
 * NULL when memory runs out. */
cJSON *reply_to_json(const Reply *r);
/* {"max_tokens","temperature","top_p","seed",...} with only the set ones. */
cJSON *params_to_json(const Params *p);

#endif
