/* test_think_split.c — the thinking/answer splitter: <think> tags (at the
 * start, pre-opened by the prompt, custom tags, absent, unclosed) and
 * gpt-oss's harmony channels, each fed whole, byte by byte and split at
 * every pair of positions, always giving the same two texts; and the
 * reasoning token count when fed token by token with control tokens. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "engine/think_split.h"

typedef struct Out {
    Buf think, answer;
    int runs;
} Out;

static void collect(void *user, bool thinking, const char *text, size_t len)
{
    Out *o = user;
    cr_assert(len > 0, "an empty run was emitted");
    buf_append(thinking ? &o->think : &o->answer, text, len);
    o->runs++;
}

typedef struct Spec {
    ThinkFormat format;
    const char *open, *close;
    bool starts_open;
} Spec;

static void run_split(const Spec *sp, const char *s, const size_t *cuts, size_t ncuts, Out *o)
{
    ThinkSplitter rs;
    think_split_init(&rs, sp->format, sp->open, sp->close, sp->starts_open);
    size_t n = strlen(s), at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        think_split_push(&rs, s + at, end - at, false, collect, o);
        at = end;
    }
    think_split_flush(&rs, collect, o);
}

/* Every way to cut s into three pieces, and byte by byte, gives want_think / want_answer. */
static void expect_every_split(const Spec *sp, const char *s, const char *want_think, const char *want_answer)
{
    size_t n = strlen(s);
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            Out o = { 0 };
            size_t cuts[2] = { i, j };
            run_split(sp, s, cuts, 2, &o);
            cr_assert_str_eq(buf_str(&o.think), want_think, "thinking, cut at %zu and %zu of %s", i, j, s);
            cr_assert_str_eq(buf_str(&o.answer), want_answer, "answer, cut at %zu and %zu of %s", i, j, s);
            buf_free(&o.think);
            buf_free(&o.answer);
        }
    }
    size_t *cuts = malloc(n * sizeof *cuts);
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    Out o = { 0 };
    run_split(sp, s, cuts, n ? n - 1 : 0, &o);
    cr_assert_str_eq(buf_str(&o.think), want_think, "byte by byte: %s", s);
    cr_assert_str_eq(buf_str(&o.answer), want_answer, "byte by byte: %s", s);
    buf_free(&o.think);
    buf_free(&o.answer);
    free(cuts);
}

static const Spec think = { THINK_TAGS, NULL, NULL, false };
static const Spec think_open = { THINK_TAGS, NULL, NULL, true };
static const Spec harmony = { THINK_HARMONY, NULL, NULL, false };

Test(reasoning_tags, a_leading_think_block_is_thinking_and_the_rest_the_answer)
{
    expect_every_split(&think, "<think>\nLet me see: 2+2.\n</think>\n\nThe answer is 4.", "\nLet me see: 2+2.\n",
                       "The answer is 4.");
    expect_every_split(&think, "\n \n<think>x</think>y", "x", "y");
}

Test(reasoning_tags, a_prompt_that_opened_think_starts_in_thinking)
{
    expect_every_split(&think_open, "Hmm, 2+2 is 4.\n</think>\n\n**4**", "Hmm, 2+2 is 4.\n", "**4**");
    expect_every_split(&think_open, "still thinking when it stopped <", "still thinking when it stopped <", "");
}

Test(reasoning_tags, without_a_leading_tag_everything_is_the_answer)
{
    expect_every_split(&think, "Just 4. A <think> tag later is text, and so is </think>.", "",
                       "Just 4. A <think> tag later is text, and so is </think>.");
    expect_every_split(&think, "a < b <thi", "", "a < b <thi");
    expect_every_split(&think, "<thi", "", "<thi");
    expect_every_split(&think, "  ", "", "  ");
}

Test(reasoning_tags, unclosed_thinking_stays_thinking_and_partial_close_tags_are_kept)
{
    expect_every_split(&think, "<think>I wonder </thi", "I wonder </thi", "");
    expect_every_split(&think, "<think>a </b> </thinker> c</think>d", "a </b> </thinker> c", "d");
}

Test(reasoning_tags, mistral_style_tags)
{
    Spec sp = { THINK_TAGS, "[THINK]", "[/THINK]", false };
    expect_every_split(&sp, "[THINK]weigh it[/THINK]Answer: yes", "weigh it", "Answer: yes");
}

Test(reasoning_harmony, analysis_is_thinking_final_is_the_answer)
{
    expect_every_split(&harmony,
                       "<|channel|>analysis<|message|>User asks 2+2. Easy.<|end|><|start|>assistant"
                       "<|channel|>final<|message|>It is 4.",
                       "User asks 2+2. Easy.", "It is 4.");
}

Test(reasoning_harmony, a_tool_call_in_commentary_is_shown_and_headers_are_dropped)
{
    expect_every_split(&harmony,
                       "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant<|channel|>commentary "
                       "to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Oslo\"}",
                       "Need weather.", "{\"city\":\"Oslo\"}");
}

Test(reasoning_harmony, output_without_any_header_is_shown_as_the_answer)
{
    expect_every_split(&harmony, "plain words", "", "plain words");
}

Test(reasoning_none, everything_is_the_answer)
{
    Spec none = { THINK_NONE, NULL, NULL, false };
    expect_every_split(&none, "<think>not special here</think>", "", "<think>not special here</think>");
}

typedef struct Tok {
    const char *text;
    bool special;
} Tok;

static long feed_tokens(const Spec *sp, const Tok *toks, size_t n, Out *o, bool *counted)
{
    ThinkSplitter rs;
    think_split_init(&rs, sp->format, sp->open, sp->close, sp->starts_open);
    for (size_t i = 0; i < n; i++)
        counted[i] = think_split_push(&rs, toks[i].text, strlen(toks[i].text), toks[i].special, collect, o);
    think_split_flush(&rs, collect, o);
    return rs.reasoning_tokens;
}

Test(reasoning_count, think_tokens_count_with_their_tags)
{
    const Tok toks[] = { { "<think>", false }, { "\n", false }, { "Let", false }, { " me", false },
                         { "</think>", false }, { "\n\n", false }, { "4", false }, { "<|im_end|>", true } };
    bool counted[8];
    Out o = { 0 };
    long n = feed_tokens(&think, toks, 8, &o, counted);
    cr_expect_eq(n, 5);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(counted[i], i < 5, "token %d (%s)", i, toks[i].text);
    cr_expect_str_eq(buf_str(&o.think), "\nLet me");
    cr_expect_str_eq(buf_str(&o.answer), "4");
    buf_free(&o.think);
    buf_free(&o.answer);
}

Test(reasoning_count, harmony_counts_the_analysis_message_header_included)
{
    const Tok toks[] = {
        { "<|channel|>", true }, { "analysis", false }, { "<|message|>", true }, { "Think", false },
        { "ing", false },        { "<|end|>", true },   { "<|start|>", true },   { "assistant", false },
        { "<|channel|>", true }, { "final", false },    { "<|message|>", true }, { "4", false },
    };
    bool counted[12];
    Out o = { 0 };
    long n = feed_tokens(&harmony, toks, 12, &o, counted);
    cr_expect_eq(n, 6);
    for (int i = 3; i < 12; i++) /* the header's own pieces are settled later, not at push time */
        cr_expect_eq(counted[i], i < 6, "token %d (%s)", i, toks[i].text);
    cr_expect_str_eq(buf_str(&o.think), "Thinking");
    cr_expect_str_eq(buf_str(&o.answer), "4");
    buf_free(&o.think);
    buf_free(&o.answer);
}
