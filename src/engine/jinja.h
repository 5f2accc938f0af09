/* jinja.h — a Jinja2 subset, enough to render the chat templates that GGUF
 * files carry in tokenizer.chat_template, the way transformers'
 * apply_chat_template renders them (trim_blocks, lstrip_blocks, the
 * loopcontrols extension, the `tojson` / `raise_exception` / `strftime_now`
 * that transformers adds, Python semantics for values and strings).
 *
 * Parse once (jinja_parse), render many times (jinja_render). Every string
 * that comes from the caller's data can be marked as "input": the output then
 * says, byte by byte, which bytes came from input strings, so a tokenizer can
 * parse special tokens only in the template's own text (a user typing
 * "<|im_end|>" gets text tokens, not a control token).
 *
 * A template comes from a model file, so it is hostile input: parsing and
 * rendering are bounded (nesting depth, steps, memory, output size) and fail
 * with a message instead of hanging or crashing. No global state; a parsed
 * template is read-only and may be rendered from several threads at once.
 *
 * Not supported (jinja_parse fails, naming it): {% include %}, {% import %},
 * {% extends %}, {% block %}, {% call %}, recursive loops, filters and tests
 * outside the list in jinja_builtins.c. */
#ifndef VERSUS_JINJA_H
#define VERSUS_JINJA_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

typedef struct JinjaTemplate JinjaTemplate;
typedef struct JinjaVars JinjaVars;

/* Bounds on one render; a render that would pass one fails with a message. */
typedef struct JinjaLimits {
    size_t max_memory; /* bytes the render may allocate (values, scopes, output) */
    size_t max_output; /* bytes of rendered text */
    long max_steps;    /* statements + expressions + loop iterations evaluated */
    int max_depth;     /* nested macro calls */
} JinjaLimits;

/* 64 MiB of memory, 16 MiB of output, 20 million steps, 64 nested calls. */
JinjaLimits jinja_limits_default(void);

/* Parses len bytes of template source. NULL with err ("line 3: unknown filter
 * 'frobnicate'") when the text is not a template this subset can render. */
JinjaTemplate *jinja_parse(const char *src, size_t len, char *err, size_t errlen);
void jinja_free(JinjaTemplate *t);
/* True when the template's source mentions name as a variable anywhere
 * (e.g. "enable_thinking"); cheap, for deciding which flags to pass. */
bool jinja_uses_name(const JinjaTemplate *t, const char *name);

/* The variables one render sees (messages, tools, bos_token, ...). */
JinjaVars *jinja_vars_new(void);
void jinja_vars_free(JinjaVars *v);
/* Each setter replaces an earlier value of the same name; 0, or -1 when
 * memory runs out. input: strings inside are caller data (see above). */
int jinja_vars_set_json(JinjaVars *v, const char *name, const cJSON *value, bool input);
int jinja_vars_set_string(JinjaVars *v, const char *name, const char *s, bool input);
int jinja_vars_set_bool(JinjaVars *v, const char *name, bool b);
int jinja_vars_set_none(JinjaVars *v, const char *name);

/* What a render produced. */
typedef struct JinjaOutput {
    char *text;           /* NUL-terminated (len bytes before the NUL) */
    size_t len;
    unsigned char *input; /* (len) 1 where the byte came from an input string;
                             NULL when no byte did */
} JinjaOutput;

enum {
    JINJA_ERR = -1,    /* the template failed (a type error, a limit, ...) */
    JINJA_RAISED = -2, /* the template called raise_exception(msg): err holds msg */
};

/* Renders t with vars (NULL = none). now: the time strftime_now() formats
 * (NULL = the current local time). lim NULL = jinja_limits_default(). Returns
 * 0 with out filled (free with jinja_output_free), or JINJA_ERR / JINJA_RAISED
 * with err. */
int jinja_render(const JinjaTemplate *t, const JinjaVars *vars, const JinjaLimits *lim, const struct tm *now,
                 JinjaOutput *out, char *err, size_t errlen);
void jinja_output_free(JinjaOutput *o);

#endif
