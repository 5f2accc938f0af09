/* pretokenize.c — hand-written matchers for the pre-tokenizer regexes of
 * byte-level BPE vocabularies (see pretokenize.h).
 *
 * Each regex of a chain is a function returning the length (in code points) of
 * the match that an ECMAScript engine would find starting exactly at pos, or 0.
 * split_pass() then does what llama.cpp's regex iterator does: scan left to
 * right, emit unmatched stretches and matches as separate pieces. Character
 * classes follow llama.cpp's view of the text: \s is the White_Space property
 * (non-ASCII white space is a plain \s and never a member of an explicit class
 * such as [一-龥]), \p{L}/\p{N}/\p{P} are general categories, and malformed
 * UTF-8 reads as U+FFFD. */
#include "engine/pretokenize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/unicode_ranges.h"

enum { F_L = 1, F_N = 2, F_P = 4, F_WS = 8 };

typedef struct Text {
    const uint32_t *cp;  /* (n) code points */
    const uint8_t *fl;   /* (n) F_* flags */
    const size_t *wsrun; /* (n) length of the white-space run starting here */
} Text;

typedef size_t (*Matcher)(const Text *t, size_t pos, size_t end);

/* ---- character classes ------------------------------------------------- */

static size_t run_flag(const Text *t, size_t pos, size_t end, uint8_t flag)
{
    size_t i = pos;
    while (i < end && (t->fl[i] & flag))
        i++;
    return i - pos;
}

static int is_other(const Text *t, size_t i) /* [^\s\p{L}\p{N}] */
{
    return !(t->fl[i] & (F_L | F_N | F_WS));
}

static size_t run_other(const Text *t, size_t pos, size_t end)
{
    size_t i = pos;
    while (i < end && is_other(t, i))
        i++;
    return i - pos;
}

static size_t ws_len(const Text *t, size_t pos, size_t end)
{
    size_t k = t->wsrun[pos];
    return k < end - pos ? k : end - pos;
}

static int is_crlf(uint32_t c) { return c == '\r' || c == '\n'; }

/* A member of an explicit (non-\s) class in llama.cpp's wide-regex path: there
 * non-ASCII white space has been replaced by U+000B before matching. */
static int in_ranges(const Text *t, size_t i, const uint32_t (*r)[2], size_t nr)
{
    uint32_t c = t->cp[i];
    if (c > 0x7F && (t->fl[i] & F_WS))
        return 0;
    size_t lo = 0, hi = nr;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < r[mid][0])
            hi = mid;
        else if (c > r[mid][1])
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive (ASCII). */
static size_t contraction(const Text *t, size_t pos, size_t end, int icase)
{
    if (t->cp[pos] != '\'' || pos + 1 >= end)
        return 0;
    uint32_t a = t->cp[pos + 1];
    if (icase && a >= 'A' && a <= 'Z')
        a += 32;
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (pos + 2 >= end)
        return 0;
    uint32_t b = t->cp[pos + 2];
    if (icase && b >= 'A' && b <= 'Z')
        b += 32;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

/* ---- the regexes ------------------------------------------------------- */

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S) */
static size_t m_gpt2(const Text *t, size_t pos, size_t end)
{
    size_t n = contraction(t, pos, end, 0);
    if (n)
        return n;
    size_t p = pos + (t->cp[pos] == ' ' && pos + 1 < end);
    if (t->fl[p] & F_L)
        return p - pos + run_flag(t, p, end, F_L);
    if (t->fl[p] & F_N)
        return p - pos + run_flag(t, p, end, F_N);
    if (is_other(t, p))
        return p - pos + run_other(t, p, end);
    size_t k = ws_len(t, pos, end);
    if (k == 0)
        return 0;
    return pos + k == end ? k : k - 1;
}

/* (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+
 * |\p{N}{1,maxn}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t m_llama3_like(const Text *t, size_t pos, size_t end, size_t maxn)
{
    size_t n = contraction(t, pos, end, 1);
    if (n)
        return n;
    uint32_t c = t->cp[pos];
    uint8_t f = t->fl[pos];
    if (f & F_L)
        return run_flag(t, pos, end, F_L);
    if (!is_crlf(c) && !(f & F_N) && pos + 1 < end && (t->fl[pos + 1] & F_L))
        return 1 + run_flag(t, pos + 1, end, F_L);
    if (f & F_N) {
        n = run_flag(t, pos, end, F_N);
        return n < maxn ? n : maxn;
    }
    size_t p = pos + (c == ' ' && pos + 1 < end);
    if (is_other(t, p)) {
        size_t i = p + run_other(t, p, end);
        while (i < end && is_crlf(t->cp[i]))
            i++;
        return i - pos;
    }
    size_t k = ws_len(t, pos, end);
    if (k == 0)
        return 0;
    for (size_t j = pos + k; j > pos; j--)
        if (is_crlf(t->cp[j - 1]))
            return j - pos;
    if (pos + k == end || k == 1)
        return k;
    return k - 1;
}

static size_t m_llama3(const Text *t, size_t pos, size_t end) { return m_llama3_like(t, pos, end, 3); }
static size_t m_qwen2(const Text *t, size_t pos, size_t end) { return m_llama3_like(t, pos, end, 1); }

/* \p{N}+ and \p{N} */
static size_t m_digits(const Text *t, size_t pos, size_t end) { return run_flag(t, pos, end, F_N); }
static size_t m_digit(const Text *t, size_t pos, size_t end)
{
    (void)end;
    return (t->fl[pos] & F_N) ? 1 : 0;
}

/* [0-9][0-9][0-9] */
static size_t m_three_ascii_digits(const Text *t, size_t pos, size_t end)
{
    if (end - pos < 3)
        return 0;
    for (size_t i = pos; i < pos + 3; i++)
        if (t->cp[i] < '0' || t->cp[i] > '9')
            return 0;
    return 3;
}

/* [\p{P}\$\+<=>\^~\|]+ and, for Falcon, the same with a backtick. */
static size_t punct_run(const Text *t, size_t pos, size_t end, const char *extra)
{
    size_t i = pos;
    while (i < end) {
        uint32_t c = t->cp[i];
        if (!(t->fl[i] & F_P) && !(c < 0x80 && c && strchr(extra, (int)c)))
            break;
        i++;
    }
    return i - pos;
}
static size_t m_punct_default(const Text *t, size_t pos, size_t end) { return punct_run(t, pos, end, "$+<=>^~|"); }
static size_t m_punct_falcon(const Text *t, size_t pos, size_t end) { return punct_run(t, pos, end, "$+<=>^~|`"); }

/* [\r\n] */
static size_t m_crlf(const Text *t, size_t pos, size_t end)
{
    (void)end;
    return is_crlf(t->cp[pos]) ? 1 : 0;
}

/* \s+$ — only the white space that runs to the end of the piece. */
static size_t m_trailing_ws(const Text *t, size_t pos, size_t end)
{
    size_t k = ws_len(t, pos, end);
    return pos + k == end ? k : 0;
}

/* DeepSeek LLM's cased-letter class (A-Za-zµÀ-ÖØ-öø-ƺ ... 𞤀-𞥃). */
static const uint32_t ds_letters[][2] = {
    {0x0041, 0x005A}, {0x0061, 0x007A}, {0x00B5, 0x00B5}, {0x00C0, 0x00D6}, {0x00D8, 0x00F6},
    {0x00F8, 0x01BA}, {0x01BC, 0x01BF}, {0x01C4, 0x0293}, {0x0295, 0x02AF}, {0x0370, 0x0373},
    {0x0376, 0x0376}, {0x0377, 0x0377}, {0x037B, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386},
    {0x0388, 0x038A}, {0x038C, 0x038C}, {0x038E, 0x03A1}, {0x03A3, 0x03F5}, {0x03F7, 0x0481},
    {0x048A, 0x052F}, {0x0531, 0x0556}, {0x10A0, 0x10C5}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF}, {0x1D00, 0x1D2B}, {0x1D6B, 0x1D77}, {0x1D79, 0x1D9A},
    {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57},
    {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4},
    {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2102, 0x2102},
    {0x2107, 0x2107}, {0x210A, 0x2113}, {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124},
    {0x2126, 0x2126}, {0x2128, 0x2128}, {0x212A, 0x212D}, {0x212F, 0x2134}, {0x2139, 0x2139},
    {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E}, {0x2183, 0x2183}, {0x2184, 0x2184},
    {0x2C00, 0x2C7B}, {0x2C7E, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF2}, {0x2CF3, 0x2CF3},
    {0xA640, 0xA66D}, {0xA680, 0xA69B}, {0xA722, 0xA76F}, {0xA771, 0xA787}, {0xA78B, 0xA78E},
    {0xAB70, 0xABBF}, {0xFB00, 0xFB06}, {0xFB13, 0xFB17}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A},
    {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB}, {0x10C80, 0x10CB2},
    {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

/* [!-/:-~！-／：-～‘-‟　-。] */
static const uint32_t ds_punct[][2] = {
    {0x0021, 0x002F}, {0x003A, 0x007E}, {0x2018, 0x201F}, {0x3000, 0x3002},
    {0xFF01, 0xFF0F}, {0xFF1A, 0xFF5E},
};

/* [一-龥ࠀ-一가-퟿] */
static const uint32_t ds_cjk[][2] = {
    {0x0800, 0x9FA5}, {0xAC00, 0xD7FF},
};

#define NRANGES(r) (sizeof(r) / sizeof((r)[0]))

static size_t ranges_run(const Text *t, size_t pos, size_t end, const uint32_t (*r)[2], size_t nr)
{
    size_t i = pos;
    while (i < end && in_ranges(t, i, r, nr))
        i++;
    return i - pos;
}

/* \s?X+ where X is a range class */
static size_t opt_ws_then_ranges(const Text *t, size_t pos, size_t end, const uint32_t (*r)[2], size_t nr)
{
    size_t p = pos + ((t->fl[pos] & F_WS) && pos + 1 < end);
    size_t k = ranges_run(t, p, end, r, nr);
    return k ? p - pos + k : 0;
}

static size_t m_ds_letters(const Text *t, size_t pos, size_t end)
{
    return opt_ws_then_ranges(t, pos, end, ds_letters, NRANGES(ds_letters));
}
static size_t m_ds_punct(const Text *t, size_t pos, size_t end)
{
    return opt_ws_then_ranges(t, pos, end, ds_punct, NRANGES(ds_punct));
}
static size_t m_ds_cjk(const Text *t, size_t pos, size_t end)
{
    return ranges_run(t, pos, end, ds_cjk, NRANGES(ds_cjk));
}

/* \s?\p{L}+ and \s?\p{P}+ */
static size_t opt_ws_then_flag(const Text *t, size_t pos, size_t end, uint8_t flag)
{
    size_t p = pos + ((t->fl[pos] & F_WS) && pos + 1 < end);
    size_t k = run_flag(t, p, end, flag);
    return k ? p - pos + k : 0;
}
static size_t m_ws_letters(const Text *t, size_t pos, size_t end) { return opt_ws_then_flag(t, pos, end, F_L); }
static size_t m_ws_punct(const Text *t, size_t pos, size_t end) { return opt_ws_then_flag(t, pos, end, F_P); }

/* ---- chains ------------------------------------------------------------ */

#define MAX_CHAIN 6

static const struct {
    const char *name;
    Matcher chain[MAX_CHAIN]; /* NULL-terminated */
} kinds[] = {
    [PRETOK_DEFAULT] = { "default", { m_punct_default, m_gpt2, m_digits, m_three_ascii_digits } },
    [PRETOK_GPT2] = { "gpt-2", { m_gpt2 } },
    [PRETOK_LLAMA3] = { "llama3", { m_llama3 } },
    [PRETOK_QWEN2] = { "qwen2", { m_qwen2 } },
    [PRETOK_STARCODER] = { "starcoder", { m_digit, m_gpt2 } },
    [PRETOK_FALCON] = { "falcon", { m_punct_falcon, m_gpt2, m_three_ascii_digits } },
    [PRETOK_DEEPSEEK_LLM] = { "deepseek-llm",
                              { m_crlf, m_ds_letters, m_ds_punct, m_trailing_ws, m_ds_cjk, m_digits } },
    [PRETOK_DEEPSEEK_CODER] = { "deepseek-coder", { m_crlf, m_ws_letters, m_ws_punct, m_ds_cjk, m_digit } },
};

static const struct {
    const char *name;
    PretokKind kind;
    bool ignore_merges;
    bool add_bos;
} names[] = {
    { "default", PRETOK_DEFAULT, false, false },
    { "llama3", PRETOK_LLAMA3, true, true },
    { "llama-v3", PRETOK_LLAMA3, true, true },
    { "llama-bpe", PRETOK_LLAMA3, true, true },
    { "falcon3", PRETOK_LLAMA3, true, true },
    { "falcon-h1", PRETOK_LLAMA3, true, true },
    { "pixtral", PRETOK_LLAMA3, true, true },
    { "midm-2.0", PRETOK_LLAMA3, true, true },
    { "lfm2", PRETOK_LLAMA3, true, true },
    { "dbrx", PRETOK_LLAMA3, false, false },
    { "smaug-bpe", PRETOK_LLAMA3, false, false },
    { "deepseek-llm", PRETOK_DEEPSEEK_LLM, false, false },
    { "deepseek-coder", PRETOK_DEEPSEEK_CODER, false, false },
    { "falcon", PRETOK_FALCON, false, false },
    { "mpt", PRETOK_GPT2, false, false },
    { "gpt-2", PRETOK_GPT2, false, false },
    { "phi-2", PRETOK_GPT2, false, false },
    { "jina-es", PRETOK_GPT2, false, false },
    { "jina-de", PRETOK_GPT2, false, false },
    { "gigachat", PRETOK_GPT2, false, false },
    { "jina-v2-es", PRETOK_GPT2, false, false },
    { "jina-v2-de", PRETOK_GPT2, false, false },
    { "jina-v1-en", PRETOK_GPT2, false, false },
    { "jina-v2-code", PRETOK_GPT2, false, false },
    { "roberta-bpe", PRETOK_GPT2, false, false },
    { "a.x-4.0", PRETOK_GPT2, false, false },
    { "mellum", PRETOK_GPT2, false, false },
    { "exaone4", PRETOK_GPT2, false, false },
    { "olmo", PRETOK_GPT2, false, false },
    { "jais", PRETOK_GPT2, false, false },
    { "trillion", PRETOK_GPT2, false, false },
    { "granite-docling", PRETOK_GPT2, false, false },
    { "starcoder", PRETOK_STARCODER, false, false },
    { "refact", PRETOK_STARCODER, false, false },
    { "command-r", PRETOK_STARCODER, false, false },
    { "smollm", PRETOK_STARCODER, false, false },
    { "codeshell", PRETOK_STARCODER, false, false },
    { "exaone", PRETOK_STARCODER, false, false },
    { "minerva-7b", PRETOK_STARCODER, false, false },
    { "mellum2", PRETOK_STARCODER, false, false },
    { "qwen2", PRETOK_QWEN2, false, false },
    { "deepseek-r1-qwen", PRETOK_QWEN2, false, false },
    { "kormo", PRETOK_QWEN2, false, false },
    { "f2llmv2", PRETOK_QWEN2, false, false },
    { "stablelm2", PRETOK_QWEN2, false, false },
    { "hunyuan", PRETOK_QWEN2, false, false },
    { "megrez", PRETOK_QWEN2, false, false },
    { "solar-open", PRETOK_QWEN2, false, false },
    { "grok-2", PRETOK_QWEN2, false, false },
};

int pretok_lookup(const char *name, size_t len, PretokSpec *spec)
{
    if (!name || len == 0) {
        *spec = (PretokSpec){ PRETOK_DEFAULT, false, false };
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0) {
            *spec = (PretokSpec){ names[i].kind, names[i].ignore_merges, names[i].add_bos };
            return 0;
        }
    }
    return -1;
}

const char *pretok_kind_name(PretokKind kind)
{
    if ((unsigned)kind >= sizeof(kinds) / sizeof(kinds[0]))
        return "unknown";
    return kinds[kind].name;
}

/* ---- splitting --------------------------------------------------------- */

typedef struct Lens {
    size_t *v; /* piece lengths in code points */
    size_t n, cap;
} Lens;

static int lens_push(Lens *l, size_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        size_t *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

/* One regex over every piece of in: matches and the stretches between them
 * become the pieces of out. */
static int split_pass(const Text *t, Matcher m, const Lens *in, Lens *out)
{
    size_t start = 0;
    for (size_t i = 0; i < in->n; i++) {
        size_t end = start + in->v[i];
        size_t gap = start, pos = start;
        while (pos < end) {
            size_t k = m(t, pos, end);
            if (k == 0) {
                pos++;
                continue;
            }
            if (pos > gap && lens_push(out, pos - gap) < 0)
                return -1;
            if (lens_push(out, k) < 0)
                return -1;
            pos += k;
            gap = pos;
        }
        if (end > gap && lens_push(out, end - gap) < 0)
            return -1;
        start = end;
    }
    return 0;
}

int pretok_split(PretokKind kind, const char *text, size_t len, PretokSpan **spans, size_t *n)
{
    *spans = NULL;
    *n = 0;
    if (len == 0)
        return 0;
    if ((unsigned)kind >= sizeof(kinds) / sizeof(kinds[0]))
        kind = PRETOK_DEFAULT;
    const unsigned char *s = (const unsigned char *)text;
    uint32_t *cp = malloc(len * sizeof(*cp));
    uint8_t *fl = malloc(len);
    size_t *wsrun = malloc(len * sizeof(*wsrun));
    size_t *offs = malloc((len + 1) * sizeof(*offs));
    Lens a = { 0 }, b = { 0 };
    int rc = -1;
    if (!cp || !fl || !wsrun || !offs)
        goto out;

    size_t ncp = 0;
    for (size_t off = 0; off < len;) {
        uint32_t c;
        size_t k = unicode_decode_utf8(s + off, len - off, &c, NULL);
        uint8_t f = 0;
        if (unicode_is_whitespace(c)) {
            f = F_WS;
        } else {
            switch (unicode_category(c)) {
            case UNICODE_CAT_LETTER: f = F_L; break;
            case UNICODE_CAT_NUMBER: f = F_N; break;
            case UNICODE_CAT_PUNCT: f = F_P; break;
            default: break;
            }
        }
        cp[ncp] = c;
        fl[ncp] = f;
        offs[ncp] = off;
        ncp++;
        off += k;
    }
    offs[ncp] = len;
    for (size_t i = ncp; i-- > 0;)
        wsrun[i] = (fl[i] & F_WS) ? 1 + (i + 1 < ncp ? wsrun[i + 1] : 0) : 0;

    Text t = { cp, fl, wsrun };
    if (lens_push(&a, ncp) < 0)
        goto out;
    for (int r = 0; r < MAX_CHAIN && kinds[kind].chain[r]; r++) {
        b.n = 0;
        if (split_pass(&t, kinds[kind].chain[r], &a, &b) < 0)
            goto out;
        Lens tmp = a;
        a = b;
        b = tmp;
    }

    PretokSpan *sp = malloc(a.n * sizeof(*sp));
    if (!sp)
        goto out;
    size_t at = 0;
    for (size_t i = 0; i < a.n; i++) {
        sp[i].off = offs[at];
        sp[i].len = offs[at + a.v[i]] - offs[at];
        at += a.v[i];
    }
    *spans = sp;
    *n = a.n;
    rc = 0;
out:
    free(cp);
    free(fl);
    free(wsrun);
    free(offs);
    free(a.v);
    free(b.v);
    return rc;
}
