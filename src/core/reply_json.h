/* reply_json.h — a Reply as the JSON object `versus run --format json` prints.
 *
 * The key names are a contract read by scripts, sessions and fixtures: add
 * keys freely, never rename one. */
#ifndef VERSUS_REPLY_JSON_H
#define VERSUS_REPLY_JSON_H

#include <cjson/cJSON.h>

#include "core/reply.h"
#include "core/request.h"

/* {"model","spec","provider","status","text","reasoning"?,
 *  "redacted_reasoning_blocks"?,"reasoning_request"?,"refusal"?,"status_reason",
 *  "tool_calls":[...],"finish_reason","incomplete","truncated_by_reasoning",
 *  "error":{"http_status","type","message","hint"}|null,
 *  "usage":{"input_tokens","output_tokens","reasoning_tokens","cached_input_tokens",
 *           "cache_write_tokens","cache_write_1h_tokens"},
 *  "metrics":{"ttft_ms","ttfa_ms","total_ms","output_tokens_per_s","cost_usd",...},
 *  local only: "token_ids","prompt_token_ids","backend"}; unknown numbers are
 * null, "?" keys appear only when there is something to say.
 * NULL when memory runs out. */
cJSON *reply_to_json(const Reply *r);
/* The reply's tool calls: [{"id"|null,"name","arguments": JSON value}], or,
 * when what the model wrote is not JSON, "arguments": null and
 * "arguments_text": the text as written. NULL when memory runs out. */
cJSON *reply_tool_calls_to_json(const Reply *r);
/* Appends "[tool call: NAME (ID)]\n" and the arguments as JSON indented by
 * two spaces (or as written, marked "(not valid JSON)", when they are not
 * JSON), ending in a newline: how versus shows a call to a person. 0 or -1. */
int reply_tool_call_format(const ReplyToolCall *c, Buf *out);
/* Appends, one per line, what a final reply holds besides its text and
 * reasoning: its tool calls (as reply_tool_call_format), "[refused: REASON]
 * MESSAGE", "[blocked: REASON]", the count of encrypted reasoning blocks and
 * "[truncated by reasoning: ...]" or else, for a reply that stopped at the
 * token limit (finish_reason "length"), REPLY_LENGTH_LINE. Nothing when
 * there is none. 0 or -1. */
int reply_outcome_format(const Reply *r, Buf *out);
/* The line that says a reply was cut at the token limit (the workbench's
 * pane and :export, versus run). */
#define REPLY_LENGTH_LINE "[stopped at the token limit (finish_reason length): the reply is cut short]"
/* Appends the tool calls of such an array (NULL or null: none) to r.
 * 0, or -1 with err. */
int reply_tool_calls_from_json(Reply *r, const cJSON *arr, char *err, size_t errlen);
/* {"max_tokens","temperature","top_p","seed",...} with only the set ones. */
cJSON *params_to_json(const Params *p);

#endif
