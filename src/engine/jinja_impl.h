/* jinja_impl.h — what the pieces of the Jinja subset share (see jinja.h): the
 * arena every allocation comes from, values, masked strings and buffers, the
 * lexer's tokens, the syntax tree, and the renderer's state. Private to
 * src/engine/jinja_*.c. */
#ifndef VERSUS_JINJA_IMPL_H
#define VERSUS_JINJA_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "engine/jinja.h"

/* ---- arena (jinja_arena.c) ------------------------------------------------ */

typedef struct JArenaBlock JArenaBlock;

/* Bump allocator with a byte limit; everything is freed at once. */
typedef struct JArena {
    JArenaBlock *head;
    char *cur;    /* free space in head */
    size_t left;  /* bytes */
    size_t used;  /* bytes handed out or reserved in blocks, all blocks */
    size_t limit; /* bytes; an allocation past it fails */
} JArena;

/* n zeroed bytes, 16-aligned, or NULL past the limit / out of memory. */
void *ja_alloc(JArena *a, size_t n);
/* A copy of s[0..n) plus a NUL, or NULL. */
char *ja_strndup(JArena *a, const char *s, size_t n);
void ja_free_all(JArena *a);

/* ---- values --------------------------------------------------------------- */

typedef enum JType {
    JT_UNDEF, /* Jinja's Undefined: prints "", iterates empty, fails on access */
    JT_NONE,
    JT_BOOL,
    JT_INT,
    JT_FLOAT,
    JT_STR,
    JT_LIST, /* also tuples (tuple flag) */
    JT_DICT,
    JT_NS,   /* namespace(): a dict whose attributes {% set ns.x %} may change */
    JT_FUNC, /* builtin function, bound method, macro */
    JT_LOOP, /* the `loop` variable of a for loop */
} JType;

typedef struct JList JList;
typedef struct JDict JDict;
typedef struct JFunc JFunc;
typedef struct JLoop JLoop;

/* A string: bytes plus, when some came from input, a per-byte mask. */
typedef struct JStr {
    const char *p;
    size_t n;
    const unsigned char *m; /* (n) 1 = input byte; NULL = all template text */
} JStr;

typedef struct JVal {
    uint8_t t;  /* JType */
    bool tuple; /* JT_LIST: a tuple (printed with parentheses) */
    union {
        bool b;
        int64_t i;
        double f;
        JStr s;
        JList *l;
        JDict *d; /* JT_DICT and JT_NS */
        JFunc *fn;
        JLoop *loop;
    } u;
} JVal;

struct JList {
    JVal *v;
    size_t n, cap;
};

struct JDict { /* insertion-ordered, linear lookup */
    JVal *k, *v;
    size_t n, cap;
};

/* ---- masked output buffer ---------------------------------------------------- */

typedef struct JBuf {
    char *p;
    unsigned char *m; /* NULL until the first input byte */
    size_t n, cap;
} JBuf;

/* ---- lexer (jinja_lex.c) --------------------------------------------------- */

typedef enum JTokType {
    JTK_EOF,
    JTK_TEXT,       /* template data, whitespace control already applied */
    JTK_BLOCK_BEGIN,
    JTK_BLOCK_END,
    JTK_VAR_BEGIN,
    JTK_VAR_END,
    JTK_NAME,
    JTK_STRING,     /* val: the decoded string */
    JTK_INT,        /* val */
    JTK_FLOAT,      /* val */
    JTK_OP,         /* p/n: the operator's text */
} JTokType;

typedef struct JTok {
    JTokType type;
    const char *p; /* TEXT: the text (arena); NAME, OP: into the source */
    size_t n;
    int line;
    JVal val;
} JTok;

/* Tokenizes normalized source into *toks (arena). 0, or -1 with err. */
int jinja_lex(JArena *a, const char *src, size_t len, JTok **toks, size_t *ntoks, char *err, size_t errlen);

/* ---- syntax tree (jinja_parse.c) ---------------------------------------------- */

typedef enum JNodeKind {
    /* expressions */
    JN_CONST, JN_NAME, JN_ATTR, JN_ITEM, JN_SLICE, JN_CALL, JN_FILTER, JN_TEST,
    JN_NEG, JN_POS, JN_NOT, JN_BIN, JN_CMP, JN_AND, JN_OR, JN_COND, JN_LIST, JN_TUPLE,
    JN_DICT, JN_CONCAT,
    /* statements */
    JN_TEXT, JN_EMIT, JN_IF, JN_FOR, JN_SET, JN_SETBLOCK, JN_MACRO, JN_BREAK, JN_CONTINUE,
    JN_FILTERBLOCK, JN_BODY, JN_WITH,
} JNodeKind;

typedef enum JBinOp { JOP_ADD, JOP_SUB, JOP_MUL, JOP_DIV, JOP_FLOORDIV, JOP_MOD, JOP_POW } JBinOp;
typedef enum JCmpOp { JCMP_EQ, JCMP_NE, JCMP_LT, JCMP_LE, JCMP_GT, JCMP_GE, JCMP_IN, JCMP_NOTIN } JCmpOp;

typedef struct JName {
    const char *p;
    size_t n;
} JName;

typedef struct JNode JNode;
typedef struct JRender JRender;
typedef struct JArgs JArgs;

typedef JVal (*JFilterFn)(JRender *r, JVal v, const JArgs *a);
typedef int (*JTestFn)(JRender *r, JVal v, const JArgs *a); /* 1, 0, or -1 on error */

struct JNode {
    JNodeKind kind;
    int op;    /* JBinOp; JN_TEST: negated */
    int line;
    JNode *a, *b, *c;
    JNode **kids; /* call/filter/test args, list items, dict keys, body, compare operands */
    size_t nkids;
    JNode **kids2; /* kwarg values, dict values, else body */
    size_t nkids2;
    JName *names; /* kwarg names, for targets, macro parameters, set targets */
    size_t nnames;
    JName name; /* variable, attribute, filter, test, macro, set name */
    int *ops;   /* JN_CMP: one JCmpOp per operand after the first */
    JVal val;   /* JN_CONST */
    JFilterFn filter;
    JTestFn test;
};

struct JinjaTemplate {
    JArena arena;
    JNode *root; /* JN_BODY */
    char *src;   /* normalized source (for jinja_uses_name) */
    size_t src_len;
};

/* Parses tokens into the statement list of a JN_BODY. 0, or -1 with err. */
int jinja_parse_tokens(JArena *a, const JTok *toks, size_t ntoks, JNode **root, char *err, size_t errlen);

/* ---- rendering (jinja_eval.c, jinja_value.c, jinja_builtins.c) ------------------- */

typedef struct JScope JScope;

/* Arguments of a call, filter or test (after the value it applies to). */
struct JArgs {
    const JVal *pos;
    size_t npos;
    const JName *kwn;
    const JVal *kwv;
    size_t nkw;
};

struct JRender {
    JArena arena;
    const JinjaLimits *lim;
    long steps;
    int depth;       /* nested evaluation frames */
    int depth_calls; /* nested macro calls */
    bool failed;
    bool raised;     /* raise_exception */
    char err[512];
    JBuf *out;       /* where text goes now */
    JScope *root;
    struct tm now;
    int loop_ctl;    /* 1 break, 2 continue, pending */
    JList no_list;   /* what a failed jv_list_new points to: empty, never written */
    JDict no_dict;
};

/* Sets the error (first one wins) and returns undefined. */
JVal jr_fail(JRender *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Counts one step; false (with the error set) past the limit. */
bool jr_step(JRender *r);

/* Values. */
static inline JVal jv_undef(void) { JVal v = { .t = JT_UNDEF }; return v; }
static inline JVal jv_none(void) { JVal v = { .t = JT_NONE }; return v; }
static inline JVal jv_bool(bool b) { JVal v = { .t = JT_BOOL, .u.b = b }; return v; }
static inline JVal jv_int(int64_t i) { JVal v = { .t = JT_INT, .u.i = i }; return v; }
static inline JVal jv_float(double f) { JVal v = { .t = JT_FLOAT, .u.f = f }; return v; }
JVal jv_str(const char *p, size_t n, const unsigned char *m);
/* A template-text string copied into the arena (undefined + error on OOM). */
JVal jv_strdup(JRender *r, const char *p, size_t n);
JVal jv_list_new(JRender *r, size_t cap);
JVal jv_dict_new(JRender *r, size_t cap);
int jv_list_push(JRender *r, JVal list, JVal item);
/* Sets key (replacing an equal key's value). */
int jv_dict_set(JRender *r, JVal dict, JVal key, JVal val);
/* The value under key, or undefined. */
JVal jv_dict_get(JVal dict, JVal key);
JVal jv_dict_get_str(JVal dict, const char *k, size_t n);
/* A cJSON tree as values (strings marked input when input). */
JVal jv_from_json(JRender *r, const cJSON *j, bool input, int depth);

const char *jv_type_name(JVal v);
bool jv_truthy(JVal v);
bool jv_equal(JVal a, JVal b);
/* Python's ordering: -1, 0, 1, or 2 when the values cannot be compared. */
int jv_compare(JVal a, JVal b);
/* Python len(); -1 when v has no length. */
long jv_len(JVal v);
/* Code points of a UTF-8 string. */
size_t jv_str_chars(const char *p, size_t n);
/* str(v) as Python prints it (lists and dicts as their repr). */
JVal jv_to_str(JRender *r, JVal v);
/* Appends str(v) / repr(v) / json.dumps(v, indent) to b; 0 or -1 (error set). */
int jv_write_str(JRender *r, JBuf *b, JVal v);
int jv_write_repr(JRender *r, JBuf *b, JVal v, int depth);
int jv_write_json(JRender *r, JBuf *b, JVal v, int indent, const char *item_sep, const char *key_sep,
                  bool sort_keys, int level);
/* Python's repr of a float, e.g. "1.0", "1e-05", "0.1". */
void jv_float_repr(double f, char *out, size_t outlen);
/* A list of the items v iterates over (dict: keys; string: characters);
 * undefined iterates empty; anything else fails. */
int jv_iterate(JRender *r, JVal v, JVal *out_list);

/* Masked buffers. */
int jb_put(JRender *r, JBuf *b, const char *s, size_t n, const unsigned char *m);
int jb_puts(JRender *r, JBuf *b, const char *s);
int jb_put_str(JRender *r, JBuf *b, JStr s);
/* The buffer's contents as a string value (no copy: do not append after). */
JVal jb_to_val(JBuf *b);

/* Builtins (jinja_builtins.c). */
JFilterFn jinja_find_filter(const char *name, size_t n);
JTestFn jinja_find_test(const char *name, size_t n);
/* Global functions and Python methods, looked up by name; NULL when none. */
JVal jinja_global(JRender *r, const char *name, size_t n);
/* obj.name when name is a method of obj's type (str.split, dict.items, ...):
 * a bound method; else undefined. */
JVal jinja_method(JRender *r, JVal obj, const char *name, size_t n);
/* Calls a builtin function or bound method. */
JVal jinja_call_builtin(JRender *r, JFunc *fn, const JArgs *a);
/* Applies the test named by a string value (select('equalto', 3)). */
int jinja_apply_test_named(JRender *r, JVal name, JVal v, const JArgs *rest);
/* Applies the filter named by a string value (map('lower')). */
JVal jinja_apply_filter_named(JRender *r, JVal name, JVal v, const JArgs *rest);

/* Callables. */
typedef enum JFuncKind { JF_BUILTIN, JF_METHOD, JF_MACRO, JF_LOOP_CYCLE } JFuncKind;
struct JFunc {
    JFuncKind kind;
    int id;            /* builtin / method number */
    JVal self;         /* bound method: the object; cycle: the loop */
    const JNode *macro;
    JScope *closure;   /* macro: the scope it was defined in */
};

struct JLoop {
    JVal items; /* the list iterated */
    size_t i;   /* current index */
};

/* obj.name as Jinja2 reads it: a method of obj's type, else the item. */
JVal jinja_getattr(JRender *r, JVal obj, const char *name, size_t n);
/* Calls a value (macro, builtin, bound method). */
JVal jinja_call_value(JRender *r, JVal callee, const JArgs *a);

/* The byte length of the first k code points of a UTF-8 string. */
size_t jv_utf8_offset(const char *p, size_t n, size_t k);
/* Python's str.isspace() for one code point. */
bool jv_is_space(uint32_t cp);
/* Decodes one code point at p (n > 0); returns bytes used. */
size_t jv_utf8_next(const char *p, size_t n, uint32_t *cp);

#endif
