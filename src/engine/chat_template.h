/* chat_template.h — turns an optional system prompt and a user message into
 * the prompt text a chat model expects, ending with the assistant's generation
 * prompt, and says which strings end the assistant's turn.
 *
 * The family is recognised from tokenizer.chat_template (a Jinja program) by
 * distinctive substrings; Jinja itself is not interpreted. Tokenize the result
 * with add_special = true (BOS comes from the tokenizer, not from here) and
 * parse_special = true. Not for: multi-turn histories, tool calls. */
#ifndef VERSUS_CHAT_TEMPLATE_H
#define VERSUS_CHAT_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "engine/gguf.h"
#include "engine/tokenizer.h"

typedef enum ChatFamily {
    CHAT_RAW,     /* the user text untouched, no system prompt */
    CHAT_PLAIN,   /* "system\n\nuser": no template known */
    CHAT_CHATML,  /* <|im_start|>role\n...<|im_end|> (Qwen, SmolLM, ...) */
    CHAT_LLAMA3,  /* <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|> */
    CHAT_LLAMA2,  /* [INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] */
    CHAT_MISTRAL, /* [INST] system\n\nuser [/INST] */
    CHAT_GEMMA,   /* <start_of_turn>user\n...<end_of_turn>\n<start_of_turn>model\n */
    CHAT_PHI3,    /* <|system|>\n...<|end|>\n<|user|>\n...<|end|>\n<|assistant|>\n */
} ChatFamily;

typedef struct ChatTemplate {
    ChatFamily family;
    bool fallback;             /* no template, or one not recognised: family was guessed */
    const char *reason;        /* static text: why this family was chosen */
    char default_system[512];  /* system prompt the template inserts when none is given, or "" */
    bool use_default_system;   /* apply default_system when no system prompt is given; off by
                                  default: versus sends every model exactly the messages the
                                  user gave, so a comparison is fair to the closed APIs */
    const char *inst_open;     /* Mistral: "[INST] " or "[INST]" */
    const char *inst_close;    /* Mistral: " [/INST]" or "[/INST]" */
} ChatTemplate;

/* A template of the given family with its usual spelling (fallback false). */
void chat_template_init(ChatTemplate *ct, ChatFamily family);
/* Recognises the family of a Jinja template (tmpl may be NULL / len 0 when the
 * model has none). Unknown or missing: ChatML when the vocabulary has
 * <|im_start|>, else plain, with fallback set. */
void chat_template_detect(ChatTemplate *ct, const char *tmpl, size_t len, bool vocab_has_im_start);
/* chat_template_detect() on g's tokenizer.chat_template and tok's vocabulary. */
void chat_template_from_gguf(ChatTemplate *ct, const GgufFile *g, const Tokenizer *tok);

/* Appends the prompt for system (NULL or "" for none) and user to out.
 * Returns 0, or -1 when memory runs out. */
int chat_template_apply(const ChatTemplate *ct, const char *system, const char *user, Buf *out);
/* NULL-terminated list of the token texts that end the assistant's turn
 * ("<|im_end|>", ...); empty for raw and plain (EOS still applies). */
const char *const *chat_template_stops(const ChatTemplate *ct);
/* Writes the ids of chat_template_stops() that are tokens of tok into ids
 * (up to max) and returns how many there are. */
size_t chat_template_stop_ids(const ChatTemplate *ct, const Tokenizer *tok, int *ids, size_t max);

/* "chatml", "llama3", ... */
const char *chat_family_name(ChatFamily f);

#endif
