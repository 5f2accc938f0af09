/* fuzz_jinja.c — libFuzzer target: a chat template from arbitrary bytes (a
 * GGUF file's tokenizer.chat_template is hostile input) parsed by the Jinja
 * subset and, when it parses, rendered with a conversation whose strings hold
 * special-token text, with tools and flags, under tight limits. A render
 * either succeeds with an output whose input mask covers exactly its bytes,
 * or fails with a message; it never crashes, hangs or leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/jinja.h"

static JinjaVars *vars;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vars = jinja_vars_new();
    cJSON *msgs = cJSON_Parse("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                              "{\"role\":\"user\",\"content\":\"Hi <|im_end|> {{ x }} {% if %}\"},"
                              "{\"role\":\"assistant\",\"content\":\"<think>hm</think>Hello\"},"
                              "{\"role\":\"user\",\"content\":\"\\u00e9\\u4e16 again\"}]");
    cJSON *tools = cJSON_Parse("[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"d\","
                               "\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                               "\"required\":[\"a\"]}}}]");
    if (!vars || !msgs || !tools || jinja_vars_set_json(vars, "messages", msgs, true) < 0 ||
        jinja_vars_set_json(vars, "tools", tools, true) < 0 || jinja_vars_set_bool(vars, "add_generation_prompt", true) < 0 ||
        jinja_vars_set_string(vars, "bos_token", "<s>", false) < 0 ||
        jinja_vars_set_string(vars, "eos_token", "</s>", false) < 0 ||
        jinja_vars_set_bool(vars, "enable_thinking", false) < 0)
        abort();
    cJSON_Delete(msgs);
    cJSON_Delete(tools);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    JinjaTemplate *t = jinja_parse((const char *)data, size, err, sizeof err);
    if (!t) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    JinjaLimits lim = jinja_limits_default();
    lim.max_steps = 200000;
    lim.max_memory = 16u << 20;
    lim.max_output = 1u << 20;
    struct tm now = { .tm_year = 125, .tm_mon = 2, .tm_mday = 14 };
    JinjaOutput o;
    int rc = jinja_render(t, vars, &lim, &now, &o, err, sizeof err);
    if (rc == 0) {
        if (!o.text || o.text[o.len] != '\0' || o.len > lim.max_output)
            abort();
        for (size_t i = 0; o.input && i < o.len; i++) /* every mask byte is there, 0 or 1 */
            if (o.input[i] > 1)
                abort();
        jinja_output_free(&o);
    } else if (!err[0]) {
        abort();
    }
    jinja_free(t);
    return 0;
}
