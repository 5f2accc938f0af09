/* openai_responses.h — the OpenAI Responses API (POST /v1/responses), the
 * wire format OpenAI's reasoning models are asked through: it is the only
 * one that streams their reasoning summaries.
 *
 * The request builder is used by the "openai" provider for reasoning models
 * (o1/o3/o4, gpt-5 and later, or any model when the config says
 * "api": "responses"); the event handler is called by the shared OpenAI
 * decoder (openai_common.c) for every event whose JSON "type" starts with
 * "response.", so one decoder reads both formats and a recorded stream
 * replays without knowing which API it came from. Pure: no I/O. */
#ifndef VERSUS_OPENAI_RESPONSES_H
#define VERSUS_OPENAI_RESPONSES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "providers/provider.h"
#include "providers/wire.h"

/* True for the OpenAI models that reason (o1, o3, o4-mini, gpt-5 and later,
 * codex), which are asked through the Responses API. */
bool openai_model_is_reasoning(const char *model);

/* Builds POST {base}/responses: "input" (the user's message), "instructions"
 * (the system prompt), "max_output_tokens", sampling when set, "store": false,
 * and "reasoning": {"effort", "summary": "auto"} when reasoning is asked.
 * Returns 0 or -1 with err. */
int openai_responses_build_request(const ProviderTarget *t, const Request *rq, const char *dflt_base,
                                   HttpRequestSpec *out, char *err, size_t errlen);

/* Per-stream state of the Responses events. */
typedef struct OpenAiResponses {
    long summary_parts; /* reasoning summary parts seen (later ones are set off by a blank line) */
} OpenAiResponses;

/* True when an event's JSON type belongs to the Responses API. */
bool openai_responses_is_event(const char *type);
/* Turns one Responses event into StreamEvents on ws's sink: text, reasoning
 * summaries, refusals, function calls (through tools), usage, the finish
 * reason and the end (DONE on response.completed/incomplete, ERROR on
 * response.failed). */
void openai_responses_event(OpenAiResponses *st, WireStream *ws, WireTools *tools, const char *type,
                            const cJSON *root);

#endif
