/* test_chat_template.c — chat families recognised from real-looking Jinja
 * templates, the exact prompt text each one produces, the fallbacks, and the
 * turn-ending tokens; plus detection on real GGUF files when available. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "engine/chat_template.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"
#include "testenv.h"

static const char llama3_tmpl[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

static const char llama2_tmpl[] =
    "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + "
    "messages[0]['content'] | trim + '\\n<</SYS>>\\n\\n' %}{% endif %}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content | trim + ' [/INST]' }}"
    "{% endif %}{% endfor %}";

static const char qwen_tmpl[] =
    "{%- if messages[0]['role'] == 'system' %}\n    {{- '<|im_start|>system\\n' + messages[0]['content'] + "
    "'<|im_end|>\\n' }}\n{%- else %}\n    {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. "
    "You are a helpful assistant.<|im_end|>\n' }}\n{%- endif %}{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

static const char chatml_plain_tmpl[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

static const char mistral_v1_tmpl[] =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
    "{{ message['content'] + eos_token}}{% endif %}{% endfor %}";

static const char mistral_tekken_tmpl[] =
    "{{- bos_token }}{%- for message in loop_messages %}{%- if message['role'] == 'user' %}"
    "{{- '[INST]' + message['content'] + '[/INST]' }}{%- endif %}{%- endfor %}";

static const char gemma_tmpl[] =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}"
    "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

static const char phi3_tmpl[] =
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}"
    "{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}"
    "{% elif (message['role'] == 'assistant') %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}";

static ChatTemplate detect(const char *tmpl, bool im_start)
{
    ChatTemplate ct;
    chat_template_detect(&ct, tmpl, tmpl ? strlen(tmpl) : 0, im_start);
    return ct;
}

static void expect_prompt(const ChatTemplate *ct, const char *sys, const char *user, const char *want)
{
    Buf b = { 0 };
    cr_assert_eq(chat_template_apply(ct, sys, user, &b), 0);
    cr_expect_str_eq(buf_str(&b), want, "%s prompt", chat_family_name(ct->family));
    buf_free(&b);
}

Test(detect, each_family_is_recognised_by_its_markers)
{
    static const struct {
        const char *tmpl;
        ChatFamily want;
    } cases[] = {
        { llama3_tmpl, CHAT_LLAMA3 },       { llama2_tmpl, CHAT_LLAMA2 },
        { qwen_tmpl, CHAT_CHATML },         { chatml_plain_tmpl, CHAT_CHATML },
        { mistral_v1_tmpl, CHAT_MISTRAL },  { mistral_tekken_tmpl, CHAT_MISTRAL },
        { gemma_tmpl, CHAT_GEMMA },         { phi3_tmpl, CHAT_PHI3 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ChatTemplate ct = detect(cases[i].tmpl, false);
        cr_expect_eq(ct.family, cases[i].want, "case %zu: got %s, want %s", i, chat_family_name(ct.family),
                     chat_family_name(cases[i].want));
        cr_expect_not(ct.fallback, "case %zu was recognised", i);
    }
}

Test(apply, llama3_prompt_ends_with_the_assistant_header)
{
    ChatTemplate ct = detect(llama3_tmpl, false);
    expect_prompt(&ct, "Be brief.", "Hi!",
                  "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                  "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect_prompt(&ct, NULL, "Hi!",
                  "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                  "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

Test(apply, llama2_puts_the_system_prompt_in_sys_tags)
{
    ChatTemplate ct = detect(llama2_tmpl, false);
    expect_prompt(&ct, "Be brief.", "Hi!", "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST]");
    expect_prompt(&ct, "", "Hi!", "[INST] Hi! [/INST]");
}

Test(apply, the_chatml_fallback_writes_the_templates_default_system_prompt_as_the_template_would)
{
    ChatTemplate ct = detect(qwen_tmpl, false);
    cr_expect_str_eq(ct.default_system, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
    /* the model as its authors ship it: no system message given, the template's own is sent */
    expect_prompt(&ct, NULL, "Hi!",
                  "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                  "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
    expect_prompt(&ct, "Be brief.", "Hi!",
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
    ct.use_default_system = false;
    expect_prompt(&ct, NULL, "Hi!", "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
    ChatTemplate plain = detect(chatml_plain_tmpl, false);
    cr_expect_str_eq(plain.default_system, "");
    expect_prompt(&plain, NULL, "Hi!", "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
}

Test(apply, mistral_prepends_the_system_prompt_to_the_user_message)
{
    ChatTemplate v1 = detect(mistral_v1_tmpl, false);
    expect_prompt(&v1, "Be brief.", "Hi!", "[INST] Be brief.\n\nHi! [/INST]");
    expect_prompt(&v1, NULL, "Hi!", "[INST] Hi! [/INST]");
    ChatTemplate tekken = detect(mistral_tekken_tmpl, false);
    expect_prompt(&tekken, NULL, "Hi!", "[INST]Hi![/INST]");
}

Test(apply, gemma_folds_the_system_prompt_into_the_user_turn)
{
    ChatTemplate ct = detect(gemma_tmpl, false);
    expect_prompt(&ct, "Be brief.", "Hi!",
                  "<start_of_turn>user\nBe brief.\n\nHi!<end_of_turn>\n<start_of_turn>model\n");
}

Test(apply, phi3_uses_role_tags_closed_by_end)
{
    ChatTemplate ct = detect(phi3_tmpl, false);
    expect_prompt(&ct, "Be brief.", "Hi!", "<|system|>\nBe brief.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\n");
}

Test(fallback, unknown_template_is_chatml_only_when_the_vocab_has_im_start)
{
    static const char odd[] = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}";
    ChatTemplate a = detect(odd, true);
    cr_expect_eq(a.family, CHAT_CHATML);
    cr_expect(a.fallback);
    cr_expect(strstr(a.reason, "not recognised") && strstr(a.reason, "<|im_start|>"), "%s", a.reason);
    ChatTemplate b = detect(odd, false);
    cr_expect_eq(b.family, CHAT_PLAIN);
    cr_expect(b.fallback);
    expect_prompt(&b, "Be brief.", "Hi!", "Be brief.\n\nHi!");
    expect_prompt(&b, NULL, "Hi!", "Hi!");
    ChatTemplate none = detect(NULL, false);
    cr_expect_eq(none.family, CHAT_PLAIN);
    cr_expect(none.fallback);
    cr_expect(strstr(none.reason, "no chat template"), "%s", none.reason);
}

Test(fallback, raw_mode_returns_the_prompt_untouched)
{
    ChatTemplate ct;
    chat_template_init(&ct, CHAT_RAW);
    expect_prompt(&ct, "ignored system", "  <|im_start|>exactly this\n", "  <|im_start|>exactly this\n");
    cr_expect_null(chat_template_stops(&ct)[0]);
}

Test(stops, each_family_names_its_turn_end)
{
    static const struct {
        ChatFamily f;
        const char *stop;
    } cases[] = {
        { CHAT_CHATML, "<|im_end|>" }, { CHAT_LLAMA3, "<|eot_id|>" }, { CHAT_GEMMA, "<end_of_turn>" },
        { CHAT_PHI3, "<|end|>" },      { CHAT_LLAMA2, "</s>" },       { CHAT_MISTRAL, "</s>" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ChatTemplate ct;
        chat_template_init(&ct, cases[i].f);
        bool found = false;
        for (const char *const *s = chat_template_stops(&ct); *s; s++)
            found |= strcmp(*s, cases[i].stop) == 0;
        cr_expect(found, "%s lacks %s", chat_family_name(cases[i].f), cases[i].stop);
    }
}

/* ---- real files ---------------------------------------------------------- */

Test(gguf, smollm2_is_chatml_with_its_default_system_and_stop_ids)
{
    const char *path = getenv("VERSUS_DEFAULT_MODEL_FILE");
    if (!path || !*path) {
        cr_skip_test("VERSUS_DEFAULT_MODEL_FILE not set");
        return;
    }
    char err[256];
    GgufFile *g = gguf_open(path, err, sizeof(err));
    cr_assert(g, "%s", err);
    Tokenizer *t = tokenizer_load(g, err, sizeof(err));
    cr_assert(t, "%s", err);
    ChatTemplate ct;
    chat_template_from_gguf(&ct, g, t);
    cr_expect_eq(ct.family, CHAT_CHATML);
    cr_expect_not(ct.fallback);
    cr_expect(ct.jinja, "SmolLM2's template is rendered, not just recognised");
    cr_expect_str_eq(ct.default_system, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
    int ids[8];
    size_t n = chat_template_stop_ids(&ct, t, ids, 8);
    cr_assert_geq(n, 1);
    cr_expect_eq(ids[0], tokenizer_find_token(t, "<|im_end|>", 10));
    for (size_t i = 0; i < n; i++)
        cr_expect(tokenizer_is_eog(t, ids[i]) || ids[i] == tokenizer_find_token(t, "<|im_start|>", 12));
    /* the rendered prompt tokenizes with the markers as single tokens */
    Buf b = { 0 };
    chat_template_apply(&ct, NULL, "What is 2+2?", &b);
    int *tok;
    size_t nt;
    cr_assert_eq(tokenizer_encode(t, b.data, b.len, true, true, &tok, &nt), 0);
    cr_expect_eq(tok[0], tokenizer_find_token(t, "<|im_start|>", 12));
    Buf back = { 0 };
    tokenizer_decode(t, tok, nt, true, &back);
    cr_expect_str_eq(buf_str(&back), buf_str(&b));
    free(tok);
    buf_free(&b);
    buf_free(&back);
    chat_template_free(&ct);
    tokenizer_free(t);
    gguf_close(g);
}

Test(gguf, phi3_vocab_file_template_is_phi3)
{
    char path[1024], err[256];
    if (!testenv_shared("models/vocab/ggml-vocab-phi-3.gguf", path, sizeof path)) {
        cr_skip_test("VERSUS_SHARED not set");
        return;
    }
    GgufFile *g = gguf_open(path, err, sizeof(err));
    cr_assert(g, "%s", err);
    Tokenizer *t = tokenizer_load(g, err, sizeof(err));
    cr_assert(t, "%s", err);
    ChatTemplate ct;
    chat_template_from_gguf(&ct, g, t);
    cr_expect_eq(ct.family, CHAT_PHI3);
    int ids[4];
    cr_expect_geq(chat_template_stop_ids(&ct, t, ids, 4), 1);
    cr_expect_eq(ids[0], tokenizer_find_token(t, "<|end|>", 7));
    chat_template_free(&ct);
    tokenizer_free(t);
    gguf_close(g);
}

Test(gguf, a_model_without_template_or_im_start_falls_back_to_plain)
{
    char path[1024], err[256];
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path)) {
        cr_skip_test("VERSUS_SHARED not set");
        return;
    }
    GgufFile *g = gguf_open(path, err, sizeof(err));
    cr_assert(g, "%s", err);
    Tokenizer *t = tokenizer_load(g, err, sizeof(err));
    cr_assert(t, "%s", err);
    ChatTemplate ct;
    chat_template_from_gguf(&ct, g, t);
    cr_expect_eq(ct.family, CHAT_PLAIN);
    cr_expect(ct.fallback);
    cr_expect(strstr(ct.reason, "no chat template"), "%s", ct.reason);
    chat_template_free(&ct);
    tokenizer_free(t);
    gguf_close(g);
}

/* ---- multi-turn fallback prompts ------------------------------------------------------ */

static void expect_turns(ChatFamily f, const char *want)
{
    ChatTemplate ct;
    chat_template_init(&ct, f);
    ChatMessage m[4] = { { "system", "S", NULL }, { "user", "U1", NULL }, { "assistant", "A1", NULL },
                         { "user", "U2", NULL } };
    ChatInput in = { .messages = m, .n_messages = 4 };
    ChatPrompt p;
    char err[128];
    cr_assert_eq(chat_template_render(&ct, &in, true, &p, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(p.text, want, "%s", chat_family_name(f));
    /* exactly the message texts are marked as input */
    Buf marked = { 0 };
    for (size_t i = 0; i < p.len; i++)
        if (p.input && p.input[i])
            buf_append(&marked, p.text + i, 1);
    const char *roles = f == CHAT_CHATML || f == CHAT_LLAMA3 ? "yes" : "no";
    if (strcmp(roles, "yes") == 0)
        cr_expect(strstr(buf_str(&marked), "U1") && strstr(buf_str(&marked), "assistantA1"), "%s: %s",
                  chat_family_name(f), buf_str(&marked));
    else
        cr_expect_str_eq(buf_str(&marked), "SU1A1U2", "%s", chat_family_name(f));
    buf_free(&marked);
    chat_prompt_free(&p);
}

Test(fallback, families_render_whole_conversations)
{
    expect_turns(CHAT_CHATML, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU1<|im_end|>\n"
                              "<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n"
                              "<|im_start|>assistant\n");
    expect_turns(CHAT_LLAMA3, "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>"
                              "<|start_header_id|>user<|end_header_id|>\n\nU1<|eot_id|>"
                              "<|start_header_id|>assistant<|end_header_id|>\n\nA1<|eot_id|>"
                              "<|start_header_id|>user<|end_header_id|>\n\nU2<|eot_id|>"
                              "<|start_header_id|>assistant<|end_header_id|>\n\n");
    expect_turns(CHAT_LLAMA2, "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]");
    expect_turns(CHAT_MISTRAL, "[INST] S\n\nU1 [/INST]A1</s>[INST] U2 [/INST]");
    expect_turns(CHAT_GEMMA, "<start_of_turn>user\nS\n\nU1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
                             "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n");
    expect_turns(CHAT_PHI3, "<|system|>\nS<|end|>\n<|user|>\nU1<|end|>\n<|assistant|>\nA1<|end|>\n<|user|>\nU2<|end|>\n"
                            "<|assistant|>\n");
    expect_turns(CHAT_PLAIN, "S\n\nU1\n\nA1\n\nU2");
}
