/* think_split.h — splits a local model's streamed output into its thinking and
 * its answer, the way closed APIs deliver them apart:
 *
 *   - tags: "<think>...</think>answer" (DeepSeek-R1 distills, Qwen 3, QwQ;
 *     "[THINK]...[/THINK]" for Mistral's reasoning models). The opening tag
 *     counts only at the start of the output (after white space), or is
 *     already open when the prompt's generation prefix opened it.
 *   - harmony (gpt-oss): "<|channel|>analysis<|message|>...<|end|>
 *     <|start|>assistant<|channel|>final<|message|>answer": the analysis
 *     channel is thinking, every other channel is answer, headers are dropped.
 *
 * Fed piece by piece (one token at a time, or any split: markers are found
 * across pieces), it calls back with runs of text and which side they are on.
 * Pure: no I/O, no allocation; one splitter per stream. Not for: deciding
 * which format a model uses (chat_template.h). */
#ifndef VERSUS_THINK_SPLIT_H
#define VERSUS_THINK_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ThinkFormat {
    THINK_NONE,    /* everything is answer */
    THINK_TAGS,    /* open/close tags around a leading thinking part */
    THINK_HARMONY, /* gpt-oss channels */
} ThinkFormat;

/* Called with a run of output; thinking says which side it is on. */
typedef void (*ThinkEmitFn)(void *user, bool thinking, const char *text, size_t len);

typedef struct ThinkSplitter {
    ThinkFormat format;
    char open_tag[16], close_tag[16]; /* THINK_TAGS */
    int state;                        /* private */
    char pend[24];                    /* bytes that may be the start of a marker */
    size_t npend;
    char lead[64];                    /* tags: white space before a possible opening tag */
    size_t nlead;
    char header[256];                 /* harmony: the message header read so far */
    size_t nheader;
    bool channel_thinking;            /* harmony: the current message's channel is analysis */
    long pending_tokens;              /* harmony: pieces of a header whose channel is not known yet */
    long reasoning_tokens;            /* pieces counted as thinking (see think_split_push) */
    /* the run being collected for the callback */
    char run[256];
    size_t nrun;
    bool run_thinking;
} ThinkSplitter;

/* Sets s up. open/close: the tags for THINK_TAGS (NULL: "<think>",
 * "</think>"); starts_open: the prompt already opened the thinking part. */
void think_split_init(ThinkSplitter *s, ThinkFormat format, const char *open_tag, const char *close_tag,
                    bool starts_open);
/* Feeds one piece. special: the piece is a control token's text (markers of
 * the format are recognised in it; any other control token is dropped).
 * Counts the piece as one reasoning token when it belongs to the thinking
 * part (its markers included). Returns whether it did. */
bool think_split_push(ThinkSplitter *s, const char *text, size_t len, bool special, ThinkEmitFn emit,
                    void *user);
/* Emits what is still held back (the output ended). */
void think_split_flush(ThinkSplitter *s, ThinkEmitFn emit, void *user);
/* True while the output is inside the thinking part. */
bool think_split_thinking(const ThinkSplitter *s);
/* "none" | "tags" | "harmony" */
const char *think_format_name(ThinkFormat f);

#endif
