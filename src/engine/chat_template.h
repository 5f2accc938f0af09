/* chat_template.h — turns a conversation (system, user, assistant, ...
 * messages, optional tools and reasoning flags) into the prompt text a chat
 * model expects, ending with the assistant's generation prompt; says which
 * bytes are message text (so special tokens are parsed only in the
 * template's own text), which tokens end the assistant's turn, and how the
 * model marks its thinking.
 *
 * The model's own tokenizer.chat_template is rendered by the Jinja subset
 * (jinja.h) exactly as transformers' apply_chat_template renders it, default
 * system prompts included. The hand-written families below are only the
 * fallback, for files without a template or with one the subset cannot
 * render; the template always says which was used and why. Tokenize a
 * rendered prompt with tokenizer_encode_masked (BOS comes from the
 * tokenizer when the model adds one). */
#ifndef VERSUS_CHAT_TEMPLATE_H
#define VERSUS_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/gguf.h"
#include "engine/jinja.h"
#include "engine/think_split.h"
#include "engine/tokenizer.h"
#include "util/buf.h"

typedef enum ChatFamily {
    CHAT_RAW,     /* the message texts untouched, no template */
    CHAT_PLAIN,   /* the messages separated by blank lines: no template known */
    CHAT_CHATML,  /* <|im_start|>role\n...<|im_end|> (Qwen, SmolLM, ...) */
    CHAT_LLAMA3,  /* <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> */
    CHAT_LLAMA2,  /* [INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] */
    CHAT_MISTRAL, /* [INST] system\n\nuser [/INST] */
    CHAT_GEMMA,   /* <start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n */
    CHAT_PHI3,    /* <|system|>\n...<|end|>\n<|user|>\n...<|end|>\n<|assistant|>\n */
} ChatFamily;

/* One message of a conversation. */
typedef struct ChatMessage {
    const char *role;      /* "system" | "user" | "assistant" | "tool" */
    const char *content;   /* UTF-8 */
    const char *reasoning; /* an assistant turn's thinking, or NULL (templates that show
                              earlier thinking read it as reasoning_content / thinking) */
} ChatMessage;

/* The enable_thinking flag templates read (Qwen 3, DeepSeek, ...). */
typedef enum ChatThinking {
    CHAT_THINKING_DEFAULT, /* not passed: the template's default */
    CHAT_THINKING_ON,      /* enable_thinking = true */
    CHAT_THINKING_OFF,     /* enable_thinking = false */
} ChatThinking;

/* What one prompt is made of (zeroed: the templates' defaults). */
typedef struct ChatInput {
    const ChatMessage *messages;
    size_t n_messages;
    const char *tools_json;       /* a JSON array of tool definitions (OpenAI's "tools"), or NULL */
    ChatThinking thinking;
    const char *reasoning_effort; /* "low" | "medium" | "high" (gpt-oss), or NULL: the template's default */
    const struct tm *now;         /* what strftime_now() formats; NULL = the current local time */
} ChatInput;

typedef struct ChatTemplate {
    ChatFamily family;        /* the hand-written format: what renders when jinja is NULL */
    bool fallback;            /* prompts come from family, not from the model's own template */
    char reason[320];         /* which format is used and why, for people */
    JinjaTemplate *jinja;     /* the model's tokenizer.chat_template, parsed (NULL: fallback) */
    char *bos_token;          /* bos_token / eos_token as the template sees them ("" for none) */
    char *eos_token;
    char default_system[512]; /* the system prompt a ChatML template writes when none is given */
    bool use_default_system;  /* the family writes default_system when there is no system message
                                 (as the model's template would) */
    const char *inst_open;    /* Mistral: "[INST] " or "[INST]" */
    const char *inst_close;   /* Mistral: " [/INST]" or "[/INST]" */
    ThinkFormat reasoning;            /* how the model marks its thinking */
    char think_open[16], think_close[16]; /* THINK_TAGS: its tags */
} ChatTemplate;

/* A rendered prompt. */
typedef struct ChatPrompt {
    char *text;           /* NUL-terminated */
    size_t len;
    unsigned char *input; /* (len) 1 where the byte is message or tool text; NULL when none is */
    bool fallback;        /* a hand-written family rendered it */
    char note[400];       /* what rendered it and why (the template's reason, or why a
                             render fell back) */
    bool thinking_open;   /* the generation prompt opened the thinking part (<think>) */
} ChatPrompt;

enum {
    CHAT_TEMPLATE_REFUSED = -2, /* the model's template rejected the conversation (raise_exception) */
};

/* A template of the given family with its usual spelling; no Jinja, not a
 * fallback (tests, and --raw). */
void chat_template_init(ChatTemplate *ct, ChatFamily family);
/* Recognises the family of a Jinja template by its markers (tmpl may be NULL
 * / len 0). Unknown or missing: ChatML when the vocabulary has <|im_start|>,
 * else plain, with fallback set. Parses nothing, allocates nothing. */
void chat_template_detect(ChatTemplate *ct, const char *tmpl, size_t len, bool vocab_has_im_start);
/* The model's template (tmpl, len; NULL / 0 when the file has none) for tok's
 * vocabulary: parsed for rendering when the subset can render it, else the
 * family its markers or the vocabulary suggest, with reason saying why.
 * tok may be NULL (no bos/eos texts, vocabulary unknown). */
void chat_template_load(ChatTemplate *ct, const char *tmpl, size_t len, const Tokenizer *tok);
/* chat_template_load() on g's tokenizer.chat_template. */
void chat_template_from_gguf(ChatTemplate *ct, const GgufFile *g, const Tokenizer *tok);
/* Frees what load allocated; ct may be reused with init/load afterwards. */
void chat_template_free(ChatTemplate *ct);

/* Renders in (add_generation_prompt: end with the assistant's turn opened)
 * into out (free with chat_prompt_free). Returns 0; CHAT_TEMPLATE_REFUSED
 * with err holding the template's own message when it rejects the
 * conversation (roles not alternating, ...); -1 with err when the input is
 * bad (tools that are not a JSON array) or memory runs out. A model template
 * that fails otherwise falls back to the family, and out->note says so. */
int chat_template_render(const ChatTemplate *ct, const ChatInput *in, bool add_generation_prompt, ChatPrompt *out,
                         char *err, size_t errlen);
void chat_prompt_free(ChatPrompt *p);

/* The family format for an optional system prompt and one user message (no
 * Jinja): appends to out. 0, or -1 when memory runs out. */
int chat_template_apply(const ChatTemplate *ct, const char *system, const char *user, Buf *out);
/* NULL-terminated list of the family's turn-ending token texts
 * ("<|im_end|>", ...); empty for raw and plain (EOS still applies). */
const char *const *chat_template_stops(const ChatTemplate *ct);
/* The ids of the tokens that end the assistant's turn: for the model's own
 * template, the control token it writes right after an assistant message;
 * for a family, chat_template_stops(). Up to max into ids; returns how many
 * there are. (The tokenizer's EOS/EOT/EOM tokens end generation too.) */
size_t chat_template_stop_ids(const ChatTemplate *ct, const Tokenizer *tok, int *ids, size_t max);

/* "chatml", "llama3", ... */
const char *chat_family_name(ChatFamily f);

#endif
