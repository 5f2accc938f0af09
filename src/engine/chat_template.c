/* chat_template.c — chat prompt formats recognised from Jinja templates by
 * substring, and their turn-ending tokens (see chat_template.h). */
#include "engine/chat_template.h"

#include <string.h>

static const struct {
    const char *name;
    const char *const stops[4];
} families[] = {
    [CHAT_RAW] = { "raw", { NULL } },
    [CHAT_PLAIN] = { "plain", { NULL } },
    [CHAT_CHATML] = { "chatml", { "<|im_end|>", "<|im_start|>", "<|endoftext|>", NULL } },
    [CHAT_LLAMA3] = { "llama3", { "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", NULL } },
    [CHAT_LLAMA2] = { "llama2", { "</s>", NULL } },
    [CHAT_MISTRAL] = { "mistral", { "</s>", NULL } },
    [CHAT_GEMMA] = { "gemma", { "<end_of_turn>", NULL } },
    [CHAT_PHI3] = { "phi3", { "<|end|>", "<|endoftext|>", NULL } },
};

const char *chat_family_name(ChatFamily f)
{
    return (unsigned)f < sizeof(families) / sizeof(families[0]) ? families[f].name : "unknown";
}

void chat_template_init(ChatTemplate *ct, ChatFamily family)
{
    memset(ct, 0, sizeof(*ct));
    ct->family = family;
    ct->reason = "chosen by the caller";
    ct->inst_open = "[INST] ";
    ct->inst_close = " [/INST]";
}

static bool has(const char *s, size_t n, const char *needle)
{
    return s && memmem(s, n, needle, strlen(needle)) != NULL;
}

/* The literal system prompt a ChatML template writes when the conversation has
 * none: "<|im_start|>system\nTEXT<|im_end|>" where TEXT holds no Jinja. */
static void chatml_default_system(ChatTemplate *ct, const char *s, size_t n)
{
    static const char open[] = "<|im_start|>system\n", close[] = "<|im_end|>";
    const char *end = s + n;
    for (const char *p = s; p < end;) {
        const char *o = memmem(p, (size_t)(end - p), open, sizeof(open) - 1);
        if (!o)
            return;
        const char *body = o + sizeof(open) - 1;
        const char *c = memmem(body, (size_t)(end - body), close, sizeof(close) - 1);
        if (!c)
            return;
        size_t len = (size_t)(c - body);
        bool literal = len > 0 && len < sizeof(ct->default_system);
        for (size_t i = 0; literal && i < len; i++)
            if (strchr("'\"{}+\\", body[i]))
                literal = false;
        if (literal) {
            memcpy(ct->default_system, body, len);
            ct->default_system[len] = '\0';
            return;
        }
        p = body;
    }
}

void chat_template_detect(ChatTemplate *ct, const char *t, size_t n, bool vocab_has_im_start)
{
    chat_template_init(ct, CHAT_PLAIN);
    if (!t)
        n = 0;
    ct->reason = "recognised in tokenizer.chat_template";
    if (has(t, n, "<|start_header_id|>")) {
        ct->family = CHAT_LLAMA3;
    } else if (has(t, n, "<|im_start|>")) {
        ct->family = CHAT_CHATML;
        chatml_default_system(ct, t, n);
    } else if (has(t, n, "<start_of_turn>")) {
        ct->family = CHAT_GEMMA;
    } else if (has(t, n, "<|user|>") && has(t, n, "<|end|>")) {
        ct->family = CHAT_PHI3;
    } else if (has(t, n, "[INST]")) {
        if (has(t, n, "<<SYS>>")) {
            ct->family = CHAT_LLAMA2;
        } else {
            ct->family = CHAT_MISTRAL;
            ct->inst_open = has(t, n, "[INST] ") ? "[INST] " : "[INST]";
            ct->inst_close = has(t, n, " [/INST]") ? " [/INST]" : "[/INST]";
        }
    } else {
        ct->fallback = true;
        ct->family = vocab_has_im_start ? CHAT_CHATML : CHAT_PLAIN;
        if (n == 0)
            ct->reason = vocab_has_im_start ? "no chat template; the vocabulary has <|im_start|>"
                                            : "no chat template and no <|im_start|> token";
        else
            ct->reason = vocab_has_im_start ? "chat template not recognised; the vocabulary has <|im_start|>"
                                            : "chat template not recognised and no <|im_start|> token";
    }
}

void chat_template_from_gguf(ChatTemplate *ct, const GgufFile *g, const Tokenizer *tok)
{
    GgufString s = gguf_get_string(g, "tokenizer.chat_template");
    bool im_start = tok && tokenizer_find_token(tok, "<|im_start|>", 12) >= 0;
    chat_template_detect(ct, s.ptr, (size_t)s.len, im_start);
}

static int put(Buf *b, const char *a, const char *x, const char *c)
{
    return buf_puts(b, a) < 0 || buf_puts(b, x) < 0 || buf_puts(b, c) < 0 ? -1 : 0;
}

int chat_template_apply(const ChatTemplate *ct, const char *system, const char *user, Buf *out)
{
    if (!user)
        user = "";
    if (system && !*system)
        system = NULL;
    switch (ct->family) {
    case CHAT_RAW:
        return buf_puts(out, user);
    case CHAT_PLAIN:
        if (system && put(out, "", system, "\n\n") < 0)
            return -1;
        return buf_puts(out, user);
    case CHAT_CHATML:
        if (!system && ct->use_default_system && ct->default_system[0])
            system = ct->default_system;
        if (system && put(out, "<|im_start|>system\n", system, "<|im_end|>\n") < 0)
            return -1;
        return put(out, "<|im_start|>user\n", user, "<|im_end|>\n<|im_start|>assistant\n");
    case CHAT_LLAMA3:
        if (system && put(out, "<|start_header_id|>system<|end_header_id|>\n\n", system, "<|eot_id|>") < 0)
            return -1;
        return put(out, "<|start_header_id|>user<|end_header_id|>\n\n", user,
                   "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    case CHAT_LLAMA2:
        if (buf_puts(out, "[INST] ") < 0)
            return -1;
        if (system && put(out, "<<SYS>>\n", system, "\n<</SYS>>\n\n") < 0)
            return -1;
        return put(out, "", user, " [/INST]");
    case CHAT_MISTRAL:
        if (buf_puts(out, ct->inst_open ? ct->inst_open : "[INST] ") < 0)
            return -1;
        if (system && put(out, "", system, "\n\n") < 0)
            return -1;
        return put(out, "", user, ct->inst_close ? ct->inst_close : " [/INST]");
    case CHAT_GEMMA:
        if (buf_puts(out, "<start_of_turn>user\n") < 0)
            return -1;
        if (system && put(out, "", system, "\n\n") < 0)
            return -1;
        return put(out, "", user, "<end_of_turn>\n<start_of_turn>model\n");
    case CHAT_PHI3:
        if (system && put(out, "<|system|>\n", system, "<|end|>\n") < 0)
            return -1;
        return put(out, "<|user|>\n", user, "<|end|>\n<|assistant|>\n");
    }
    return buf_puts(out, user);
}

const char *const *chat_template_stops(const ChatTemplate *ct)
{
    static const char *const none[] = { NULL };
    if ((unsigned)ct->family >= sizeof(families) / sizeof(families[0]))
        return none;
    return families[ct->family].stops;
}

size_t chat_template_stop_ids(const ChatTemplate *ct, const Tokenizer *tok, int *ids, size_t max)
{
    size_t n = 0;
    for (const char *const *s = chat_template_stops(ct); *s; s++) {
        int id = tokenizer_find_token(tok, *s, strlen(*s));
        if (id >= 0) {
            if (n < max)
                ids[n] = id;
            n++;
        }
    }
    return n;
}
