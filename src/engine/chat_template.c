/* chat_template.c — conversations to prompt text (see chat_template.h): the
 * model's own Jinja template through jinja.h, with the messages as input
 * strings; the hand-written families as the fallback, marking message text
 * the same way; turn-ending tokens found by rendering a probe conversation;
 * the thinking format recognised from the template and the vocabulary. */
#include "engine/chat_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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
    snprintf(ct->reason, sizeof ct->reason, "the %s format, chosen by the caller", chat_family_name(family));
    ct->use_default_system = true;
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

/* The family a template's markers name; false when none does. */
static bool family_of_template(ChatTemplate *ct, const char *t, size_t n)
{
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
        return false;
    }
    return true;
}

void chat_template_detect(ChatTemplate *ct, const char *t, size_t n, bool vocab_has_im_start)
{
    chat_template_init(ct, CHAT_PLAIN);
    if (!t)
        n = 0;
    snprintf(ct->reason, sizeof ct->reason, "recognised in tokenizer.chat_template");
    if (family_of_template(ct, t, n))
        return;
    ct->fallback = true;
    ct->family = vocab_has_im_start ? CHAT_CHATML : CHAT_PLAIN;
    if (n == 0)
        snprintf(ct->reason, sizeof ct->reason, "%s",
                 vocab_has_im_start ? "no chat template; the vocabulary has <|im_start|>"
                                    : "no chat template and no <|im_start|> token");
    else
        snprintf(ct->reason, sizeof ct->reason, "%s",
                 vocab_has_im_start ? "chat template not recognised; the vocabulary has <|im_start|>"
                                    : "chat template not recognised and no <|im_start|> token");
}

static bool vocab_has(const Tokenizer *tok, const char *text)
{
    return tok && tokenizer_find_token(tok, text, strlen(text)) >= 0;
}

/* The family the vocabulary's turn markers suggest; *why names the marker. */
static ChatFamily family_of_vocab(const Tokenizer *tok, const char **why)
{
    static const struct {
        const char *marker, *also;
        ChatFamily f;
    } by_marker[] = {
        { "<|im_start|>", "<|im_end|>", CHAT_CHATML },
        { "<start_of_turn>", "<end_of_turn>", CHAT_GEMMA },
        { "<|start_header_id|>", "<|eot_id|>", CHAT_LLAMA3 },
        { "<|user|>", "<|end|>", CHAT_PHI3 },
    };
    for (size_t i = 0; i < sizeof by_marker / sizeof by_marker[0]; i++)
        if (vocab_has(tok, by_marker[i].marker) && vocab_has(tok, by_marker[i].also)) {
            *why = by_marker[i].marker;
            return by_marker[i].f;
        }
    *why = NULL;
    return CHAT_PLAIN;
}

/* How the model marks its thinking: from the template's text and the vocabulary. */
static void reasoning_of(ChatTemplate *ct, const char *t, size_t n, const Tokenizer *tok)
{
    ct->reasoning = THINK_NONE;
    if (has(t, n, "<|channel|>") || (vocab_has(tok, "<|channel|>") && vocab_has(tok, "<|message|>") &&
                                     vocab_has(tok, "<|start|>"))) {
        ct->reasoning = THINK_HARMONY;
    } else if (has(t, n, "[/THINK]") || (vocab_has(tok, "[THINK]") && vocab_has(tok, "[/THINK]"))) {
        ct->reasoning = THINK_TAGS;
        snprintf(ct->think_open, sizeof ct->think_open, "[THINK]");
        snprintf(ct->think_close, sizeof ct->think_close, "[/THINK]");
    } else if (has(t, n, "</think>") || (vocab_has(tok, "<think>") && vocab_has(tok, "</think>"))) {
        ct->reasoning = THINK_TAGS;
        snprintf(ct->think_open, sizeof ct->think_open, "<think>");
        snprintf(ct->think_close, sizeof ct->think_close, "</think>");
    }
}

/* A special token's text as the template sees it ("" when the model has none). */
static char *token_text_or_empty(const Tokenizer *tok, int id)
{
    size_t n = 0;
    const char *s = tok && id >= 0 ? tokenizer_token_text(tok, id, &n) : NULL;
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void chat_template_load(ChatTemplate *ct, const char *t, size_t n, const Tokenizer *tok)
{
    chat_template_init(ct, CHAT_PLAIN);
    if (!t)
        n = 0;
    ct->bos_token = token_text_or_empty(tok, tok ? tokenizer_bos(tok) : -1);
    ct->eos_token = token_text_or_empty(tok, tok ? tokenizer_eos(tok) : -1);
    reasoning_of(ct, t, n, tok);
    const char *marker;
    ChatFamily vf = family_of_vocab(tok, &marker);
    bool by_markers = family_of_template(ct, t, n);
    if (n) {
        char err[256];
        ct->jinja = jinja_parse(t, n, err, sizeof err);
        if (ct->jinja) {
            snprintf(ct->reason, sizeof ct->reason, "the model's own chat template (tokenizer.chat_template)");
            return;
        }
        if (!by_markers)
            ct->family = vf;
        ct->fallback = true;
        snprintf(ct->reason, sizeof ct->reason, "fallback %s format: versus cannot render the file's chat template (%s)",
                 chat_family_name(ct->family), err);
        return;
    }
    ct->family = vf;
    ct->fallback = true;
    if (marker)
        snprintf(ct->reason, sizeof ct->reason, "fallback %s format: the file has no chat template; its vocabulary has %s",
                 chat_family_name(vf), marker);
    else
        snprintf(ct->reason, sizeof ct->reason,
                 "fallback plain format: the file has no chat template and its vocabulary no turn markers");
}

void chat_template_from_gguf(ChatTemplate *ct, const GgufFile *g, const Tokenizer *tok)
{
    GgufString s = gguf_get_string(g, "tokenizer.chat_template");
    chat_template_load(ct, s.ptr, s.ptr ? (size_t)s.len : 0, tok);
}

void chat_template_free(ChatTemplate *ct)
{
    if (!ct)
        return;
    jinja_free(ct->jinja);
    free(ct->bos_token);
    free(ct->eos_token);
    ct->jinja = NULL;
    ct->bos_token = ct->eos_token = NULL;
}

/* ---- the hand-written families ---------------------------------------------------- */

/* A prompt being built: text and, byte for byte, whether it is message text. */
typedef struct PB {
    Buf text, mask;
    bool failed;
} PB;

static void pb_put(PB *b, const char *s, bool input)
{
    char fill[64];
    memset(fill, input ? 1 : 0, sizeof fill);
    size_t n = s ? strlen(s) : 0;
    if (b->failed || !n)
        return;
    if (buf_append(&b->text, s, n) < 0) {
        b->failed = true;
        return;
    }
    for (size_t k = 0; k < n; k += 64) {
        size_t c = n - k < 64 ? n - k : 64;
        if (buf_append(&b->mask, fill, c) < 0) {
            b->failed = true;
            return;
        }
    }
}

static void tm_(PB *b, const char *s) { pb_put(b, s, false); }
static void in_(PB *b, const char *s) { pb_put(b, s, true); }

static bool is_role(const ChatMessage *m, const char *r) { return m->role && strcmp(m->role, r) == 0; }

static void render_family(const ChatTemplate *ct, const ChatInput *in, bool gen, PB *b)
{
    const ChatMessage *m = in->messages;
    size_t n = in->n_messages, start = 0;
    const char *sys = NULL;
    bool sys_input = true;
    if (n && is_role(&m[0], "system")) {
        sys = m[0].content ? m[0].content : "";
        start = 1;
    }
    if (!sys && ct->family == CHAT_CHATML && ct->use_default_system && ct->default_system[0]) {
        sys = ct->default_system; /* the template's own words, not the user's */
        sys_input = false;
    }
    bool first_user = true;
    switch (ct->family) {
    case CHAT_RAW:
        for (size_t i = start; i < n; i++)
            in_(b, m[i].content);
        return;
    case CHAT_PLAIN:
        for (size_t i = 0; i < n; i++) {
            if (i)
                tm_(b, "\n\n");
            in_(b, m[i].content);
        }
        return;
    case CHAT_CHATML:
        if (sys) {
            tm_(b, "<|im_start|>system\n");
            pb_put(b, sys, sys_input);
            tm_(b, "<|im_end|>\n");
        }
        for (size_t i = start; i < n; i++) {
            tm_(b, "<|im_start|>");
            in_(b, m[i].role);
            tm_(b, "\n");
            in_(b, m[i].content);
            tm_(b, "<|im_end|>\n");
        }
        if (gen)
            tm_(b, "<|im_start|>assistant\n");
        return;
    case CHAT_LLAMA3:
        for (size_t i = 0; i < n; i++) {
            tm_(b, "<|start_header_id|>");
            in_(b, m[i].role);
            tm_(b, "<|end_header_id|>\n\n");
            in_(b, m[i].content);
            tm_(b, "<|eot_id|>");
        }
        if (gen)
            tm_(b, "<|start_header_id|>assistant<|end_header_id|>\n\n");
        return;
    case CHAT_LLAMA2:
        for (size_t i = start; i < n; i++) {
            if (is_role(&m[i], "assistant")) {
                tm_(b, " ");
                in_(b, m[i].content);
                tm_(b, " </s>");
                continue;
            }
            tm_(b, first_user ? "[INST] " : "<s>[INST] ");
            if (first_user && sys) {
                tm_(b, "<<SYS>>\n");
                in_(b, sys);
                tm_(b, "\n<</SYS>>\n\n");
            }
            first_user = false;
            in_(b, m[i].content);
            tm_(b, " [/INST]");
        }
        return;
    case CHAT_MISTRAL:
        for (size_t i = start; i < n; i++) {
            if (is_role(&m[i], "assistant")) {
                in_(b, m[i].content);
                tm_(b, "</s>");
                continue;
            }
            tm_(b, ct->inst_open ? ct->inst_open : "[INST] ");
            if (first_user && sys) {
                in_(b, sys);
                tm_(b, "\n\n");
            }
            first_user = false;
            in_(b, m[i].content);
            tm_(b, ct->inst_close ? ct->inst_close : " [/INST]");
        }
        return;
    case CHAT_GEMMA:
        for (size_t i = start; i < n || (sys && first_user && i == n); i++) {
            bool model = i < n && is_role(&m[i], "assistant");
            tm_(b, model ? "<start_of_turn>model\n" : "<start_of_turn>user\n");
            if (!model && first_user && sys) {
                in_(b, sys);
                tm_(b, "\n\n");
            }
            if (!model)
                first_user = false;
            if (i < n)
                in_(b, m[i].content);
            tm_(b, "<end_of_turn>\n");
        }
        if (gen)
            tm_(b, "<start_of_turn>model\n");
        return;
    case CHAT_PHI3:
        for (size_t i = 0; i < n; i++) {
            tm_(b, is_role(&m[i], "system") ? "<|system|>\n" : is_role(&m[i], "assistant") ? "<|assistant|>\n"
                                                                                           : "<|user|>\n");
            in_(b, m[i].content);
            tm_(b, "<|end|>\n");
        }
        if (gen)
            tm_(b, "<|assistant|>\n");
        return;
    }
}

int chat_template_apply(const ChatTemplate *ct, const char *system, const char *user, Buf *out)
{
    ChatMessage m[2];
    size_t n = 0;
    if (system && *system)
        m[n++] = (ChatMessage){ "system", system, NULL };
    m[n++] = (ChatMessage){ "user", user ? user : "", NULL };
    ChatInput in = { .messages = m, .n_messages = n };
    PB b = { 0 };
    render_family(ct, &in, true, &b);
    int rc = b.failed || buf_append(out, buf_str(&b.text), b.text.len) < 0 ? -1 : 0;
    buf_free(&b.text);
    buf_free(&b.mask);
    return rc;
}

/* ---- rendering ---------------------------------------------------------------------- */

static cJSON *messages_json(const ChatInput *in)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < in->n_messages; i++) {
        const ChatMessage *m = &in->messages[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "role", m->role ? m->role : "user") ||
            !cJSON_AddStringToObject(o, "content", m->content ? m->content : "") ||
            (m->reasoning && (!cJSON_AddStringToObject(o, "reasoning_content", m->reasoning) ||
                              !cJSON_AddStringToObject(o, "thinking", m->reasoning)))) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* The variables the template sees, as transformers passes them. -1 with err. */
static int build_vars(const ChatTemplate *ct, const ChatInput *in, bool gen, JinjaVars *v, char *err, size_t errlen)
{
    cJSON *msgs = messages_json(in);
    int rc = msgs ? jinja_vars_set_json(v, "messages", msgs, true) : -1;
    cJSON_Delete(msgs);
    if (in->tools_json && rc == 0) {
        cJSON *tools = cJSON_Parse(in->tools_json);
        if (!cJSON_IsArray(tools)) {
            cJSON_Delete(tools);
            snprintf(err, errlen, "the tools are not a JSON array of tool definitions");
            return -1;
        }
        rc = jinja_vars_set_json(v, "tools", tools, true);
        cJSON_Delete(tools);
    } else if (rc == 0) {
        rc = jinja_vars_set_none(v, "tools");
    }
    rc |= jinja_vars_set_none(v, "documents");
    rc |= jinja_vars_set_bool(v, "add_generation_prompt", gen);
    rc |= jinja_vars_set_string(v, "bos_token", ct->bos_token ? ct->bos_token : "", false);
    rc |= jinja_vars_set_string(v, "eos_token", ct->eos_token ? ct->eos_token : "", false);
    if (in->thinking != CHAT_THINKING_DEFAULT)
        rc |= jinja_vars_set_bool(v, "enable_thinking", in->thinking == CHAT_THINKING_ON);
    if (in->reasoning_effort)
        rc |= jinja_vars_set_string(v, "reasoning_effort", in->reasoning_effort, false);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static bool ends_open(const ChatTemplate *ct, const char *s, size_t n)
{
    if (ct->reasoning != THINK_TAGS)
        return false;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    size_t k = strlen(ct->think_open);
    return k && n >= k && memcmp(s + n - k, ct->think_open, k) == 0;
}

static int family_prompt(const ChatTemplate *ct, const ChatInput *in, bool gen, ChatPrompt *out, char *err,
                         size_t errlen)
{
    PB b = { 0 };
    render_family(ct, in, gen, &b);
    if (b.failed) {
        buf_free(&b.text);
        buf_free(&b.mask);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->len = b.text.len;
    out->text = buf_steal(&b.text);
    bool any = false;
    for (size_t i = 0; i < b.mask.len && !any; i++)
        any = b.mask.data[i] != 0;
    out->input = any ? (unsigned char *)buf_steal(&b.mask) : NULL;
    buf_free(&b.mask);
    out->fallback = ct->family != CHAT_RAW;
    if (!out->text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int chat_template_render(const ChatTemplate *ct, const ChatInput *in, bool gen, ChatPrompt *out, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->note, sizeof out->note, "%s", ct->reason);
    if (!ct->jinja) {
        int rc = family_prompt(ct, in, gen, out, err, errlen);
        out->thinking_open = rc == 0 && ends_open(ct, out->text, out->len);
        return rc;
    }
    JinjaVars *v = jinja_vars_new();
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (build_vars(ct, in, gen, v, err, errlen) < 0) {
        jinja_vars_free(v);
        return -1;
    }
    JinjaOutput o;
    char jerr[512];
    int rc = jinja_render(ct->jinja, v, NULL, in->now, &o, jerr, sizeof jerr);
    jinja_vars_free(v);
    if (rc == JINJA_RAISED) {
        snprintf(err, errlen, "%s", jerr);
        return CHAT_TEMPLATE_REFUSED;
    }
    if (rc != 0) {
        snprintf(out->note, sizeof out->note, "fallback %s format: the model's chat template failed (%s)",
                 chat_family_name(ct->family), jerr);
        rc = family_prompt(ct, in, gen, out, err, errlen);
        out->thinking_open = rc == 0 && ends_open(ct, out->text, out->len);
        return rc;
    }
    out->text = o.text;
    out->len = o.len;
    out->input = o.input;
    out->thinking_open = ends_open(ct, out->text, out->len);
    return 0;
}

void chat_prompt_free(ChatPrompt *p)
{
    if (!p)
        return;
    free(p->text);
    free(p->input);
    p->text = NULL;
    p->input = NULL;
    p->len = 0;
}

/* ---- turn ends ---------------------------------------------------------------------------- */

const char *const *chat_template_stops(const ChatTemplate *ct)
{
    static const char *const none[] = { NULL };
    if ((unsigned)ct->family >= sizeof(families) / sizeof(families[0]))
        return none;
    return families[ct->family].stops;
}

static size_t family_stop_ids(const ChatTemplate *ct, const Tokenizer *tok, int *ids, size_t max)
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

/* The control token the model's template writes right after an assistant
 * message (rendered last, as training data ends), or -1. */
static int probe_turn_end(const ChatTemplate *ct, const Tokenizer *tok)
{
    static const char said[] = "Hello";
    ChatMessage m[2] = { { "user", "Hi", NULL }, { "assistant", said, NULL } };
    struct tm fixed = { .tm_year = 125, .tm_mon = 0, .tm_mday = 1 };
    ChatInput in = { .messages = m, .n_messages = 2, .now = &fixed };
    ChatPrompt p;
    char err[256];
    if (chat_template_render(ct, &in, false, &p, err, sizeof err) != 0)
        return -1;
    int found = -1;
    const char *at = NULL;
    for (const char *s = p.text; (s = memmem(s, p.len - (size_t)(s - p.text), said, sizeof said - 1)); s++)
        if (p.input && p.input[s - p.text])
            at = s;
    if (at && !p.fallback) {
        size_t off = (size_t)(at - p.text) + sizeof said - 1;
        int *ids;
        size_t n;
        if (tokenizer_encode_masked(tok, p.text + off, p.len - off, p.input ? p.input + off : NULL, false, &ids, &n) ==
            0) {
            for (size_t i = 0; i < n && found < 0; i++) {
                unsigned attr = tokenizer_token_attr(tok, ids[i]);
                if (attr & TOKEN_ATTR_CONTROL) {
                    found = ids[i];
                    break;
                }
                size_t len;
                const char *piece = tokenizer_piece(tok, ids[i], true, &len);
                bool blank = true;
                for (size_t k = 0; k < len && blank; k++)
                    blank = piece[k] == ' ' || piece[k] == '\n' || piece[k] == '\t' || piece[k] == '\r';
                if (!blank)
                    break; /* text after the message before any control token: no turn end to find */
            }
            free(ids);
        }
    }
    chat_prompt_free(&p);
    return found;
}

size_t chat_template_stop_ids(const ChatTemplate *ct, const Tokenizer *tok, int *ids, size_t max)
{
    if (!ct->jinja)
        return family_stop_ids(ct, tok, ids, max);
    int id = probe_turn_end(ct, tok);
    if (id < 0)
        return family_stop_ids(ct, tok, ids, max);
    if (max)
        ids[0] = id;
    return 1;
}
