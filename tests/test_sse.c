/* test_sse.c — the SSE parser against the WHATWG rules and the test vectors
 * of shared/wire/formats.md §7, each fed whole, byte by byte, split at every
 * offset and in random pieces: the events must never depend on chunking. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "net/sse.h"

/* Events as one canonical string: "type|id|data" per event, ";"-terminated,
 * with the data's bytes escaped so "\n" and NUL are visible. */
typedef struct Log {
    Buf out;
    int events;
    int stop_after; /* return non-zero from the callback after this many events; 0 = never */
} Log;

static int log_event(void *user, const SseEvent *ev)
{
    Log *l = user;
    if (ev->kind != SSE_EVENT) {
        buf_puts(&l->out, "?unknown;");
        return 0;
    }
    buf_printf(&l->out, "%s|%s|", ev->type, ev->id);
    for (size_t i = 0; i < ev->data_len; i++) {
        unsigned char c = (unsigned char)ev->data[i];
        if (c == '\n')
            buf_puts(&l->out, "\\n");
        else if (c < 0x20)
            buf_printf(&l->out, "\\x%02x", c);
        else
            buf_append(&l->out, &c, 1);
    }
    buf_puts(&l->out, ";");
    l->events++;
    return l->stop_after && l->events >= l->stop_after;
}

/* Feeds s[0..n) in pieces ending at cuts[0..ncuts) then the rest; returns the log. */
static char *parse_cuts(const char *s, size_t n, const size_t *cuts, size_t ncuts, bool flush)
{
    SseParser *p = sse_parser_new();
    cr_assert_not_null(p);
    Log l = { 0 };
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        cr_assert_eq(sse_parser_feed(p, s + at, end - at, log_event, &l), SSE_OK);
        at = end;
    }
    cr_assert_eq(sse_parser_end(p, flush, log_event, &l), SSE_OK);
    sse_parser_free(p);
    char *r = buf_steal(&l.out);
    return r;
}

/* Asserts every chunking of s gives `want`. Every split offset is tried when
 * the input is small, a stride of them when it is large. */
static void check_all_chunkings(const char *s, size_t n, bool flush, const char *want)
{
    char *whole = parse_cuts(s, n, NULL, 0, flush);
    cr_assert_str_eq(whole, want, "whole input");
    free(whole);

    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    char *bytes = parse_cuts(s, n, cuts, n > 0 ? n - 1 : 0, flush);
    cr_assert_str_eq(bytes, want, "byte by byte");
    free(bytes);

    size_t stride = n > 4000 ? 997 : 1;
    for (size_t k = 1; k < n; k += stride) {
        size_t cut = k;
        char *two = parse_cuts(s, n, &cut, 1, flush);
        cr_assert_str_eq(two, want, "split at offset %zu", k);
        free(two);
    }

    unsigned seed = 12345;
    for (int round = 0; round < 50; round++) {
        size_t nc = 0, at = 0;
        while (n > 0) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 16) % 17;
            if (at >= n)
                break;
            cuts[nc++] = at;
        }
        char *r = parse_cuts(s, n, cuts, nc, flush);
        cr_assert_str_eq(r, want, "random chunking round %d", round);
        free(r);
    }
    free(cuts);
}

#define CHECK(lit, flush, want) check_all_chunkings(lit, sizeof(lit) - 1, flush, want)

Test(sse, lf_cr_and_crlf_terminators_give_one_event)
{
    CHECK("data:ok\n\n", false, "message||ok;");
    CHECK("data:ok\r\r", false, "message||ok;");
    CHECK("data:ok\r\n\r\n", false, "message||ok;");
    /* a CRLF must not read as two line ends, or multi-line data would split */
    CHECK("data:a\r\ndata:b\r\n\r\ndata:c\rdata:d\r\rdata:e\ndata:f\n\n", false,
          "message||a\\nb;message||c\\nd;message||e\\nf;");
}

Test(sse, id_persists_and_unterminated_event_is_discarded)
{
    CHECK("id:one\r\ndata:известни\r\n\ndata:two\n\rdata:unfinished", false,
          "message|one|известни;message|one|two;");
}

Test(sse, flush_at_end_delivers_the_unterminated_event)
{
    CHECK("id:one\r\ndata:известни\r\n\ndata:two\n\rdata:unfinished", true,
          "message|one|известни;message|one|two;message|one|unfinished;");
    CHECK("data: [DONE]\n", true, "message||[DONE];");
    CHECK("data: [DONE]", true, "message||[DONE];");
}

Test(sse, ten_thousand_data_lines_join_with_newlines)
{
    Buf in = { 0 }, want = { 0 };
    buf_puts(&want, "message||");
    for (int i = 0; i < 10000; i++) {
        buf_puts(&in, "data:x\n");
        buf_puts(&want, i ? "\\nx" : "x");
    }
    buf_puts(&in, "\n");
    buf_puts(&want, ";");
    check_all_chunkings(in.data, in.len, false, want.data);
    buf_free(&in);
    buf_free(&want);
}

Test(sse, comments_and_unknown_fields_give_no_events)
{
    CHECK(": ping\n\n:\n\nignored:x\n\n", false, "");
    CHECK(": ping\ndata: a\n:\nignored:x\ndata: b\n\n: keep-alive\n\n", false, "message||a\\nb;");
    CHECK(": OPENROUTER PROCESSING\n: OPENROUTER PROCESSING\n\ndata: {}\n\n", false, "message||{};");
}

Test(sse, bom_is_stripped_only_at_stream_start)
{
    CHECK("\xEF\xBB\xBF" "data: a\n\n", false, "message||a;");
    /* later a BOM is part of the field name, which is then unknown */
    CHECK("data: a\n\n\xEF\xBB\xBF" "data: b\n\n", false, "message||a;");
}

Test(sse, field_without_colon_dispatches_empty_data)
{
    CHECK("data\n\n", false, "message||;");
}

Test(sse, two_data_lines_are_joined_not_split)
{
    CHECK("data: {\"a\":1}\ndata: {\"b\":2}\n\n", false, "message||{\"a\":1}\\n{\"b\":2};");
}

Test(sse, only_one_leading_space_is_removed)
{
    CHECK("data:x\n\ndata: x\n\ndata:  x\n\n", false, "message||x;message||x;message|| x;");
}

Test(sse, event_type_applies_to_one_event_and_resets)
{
    CHECK("event: message_start\ndata: 1\n\ndata: 2\n\n", false, "message_start||1;message||2;");
    /* an event with no data is dropped and its type forgotten */
    CHECK("event: ping\n\ndata: 2\n\n", false, "message||2;");
}

Test(sse, retry_takes_digits_only)
{
    SseParser *p = sse_parser_new();
    cr_assert_eq(sse_parser_retry_ms(p), -1);
    const char in[] = "retry: 3000\n\nretry: 3x\n\nretry:\n\n";
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, NULL, NULL), SSE_OK);
    cr_assert_eq(sse_parser_retry_ms(p), 3000);
    sse_parser_free(p);
}

Test(sse, id_with_nul_is_ignored)
{
    SseParser *p = sse_parser_new();
    Log l = { 0 };
    const char in[] = "id: a\n\nid: b\0c\ndata: x\n\n";
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, log_event, &l), SSE_OK);
    cr_assert_str_eq(buf_str(&l.out), "message|a|x;");
    cr_assert_str_eq(sse_parser_last_id(p), "a");
    buf_free(&l.out);
    sse_parser_free(p);
}

Test(sse, nul_bytes_in_data_are_kept_with_length)
{
    CHECK("data: a\0b\n\n", false, "message||a\\x00b;");
}

Test(sse, cr_at_chunk_end_swallows_lf_of_next_chunk)
{
    SseParser *p = sse_parser_new();
    Log l = { 0 };
    cr_assert_eq(sse_parser_feed(p, "data:a\r", 7, log_event, &l), SSE_OK);
    cr_assert_eq(sse_parser_feed(p, "\ndata:b\r", 8, log_event, &l), SSE_OK);
    cr_assert_eq(l.events, 0, "the LF after a CR is not an empty line");
    cr_assert_eq(sse_parser_feed(p, "\n\r", 2, log_event, &l), SSE_OK);
    cr_assert_str_eq(buf_str(&l.out), "message||a\\nb;");
    buf_free(&l.out);
    sse_parser_free(p);
}

Test(sse, oversized_line_fails_and_stays_failed)
{
    SseParser *p = sse_parser_new();
    sse_parser_set_max_event(p, 100);
    char big[200];
    memset(big, 'x', sizeof big);
    cr_assert_eq(sse_parser_feed(p, "data: ", 6, NULL, NULL), SSE_OK);
    cr_assert_eq(sse_parser_feed(p, big, sizeof big, NULL, NULL), SSE_ERR_TOO_BIG);
    cr_assert_eq(sse_parser_feed(p, "\n\n", 2, NULL, NULL), SSE_ERR_TOO_BIG);
    cr_assert_eq(sse_parser_end(p, true, NULL, NULL), SSE_ERR_TOO_BIG);
    cr_assert(strstr(sse_strerror(SSE_ERR_TOO_BIG), "size limit"));
    sse_parser_free(p);
}

Test(sse, oversized_event_over_many_lines_fails)
{
    SseParser *p = sse_parser_new();
    sse_parser_set_max_event(p, 100);
    int rc = SSE_OK;
    for (int i = 0; i < 30 && rc == SSE_OK; i++)
        rc = sse_parser_feed(p, "data: 123456\n", 13, NULL, NULL);
    cr_assert_eq(rc, SSE_ERR_TOO_BIG);
    sse_parser_free(p);
}

Test(sse, event_just_under_the_cap_passes)
{
    SseParser *p = sse_parser_new();
    sse_parser_set_max_event(p, 100);
    Log l = { 0 };
    char in[120] = "data:";
    memset(in + 5, 'y', 90);
    memcpy(in + 95, "\n\n", 2);
    cr_assert_eq(sse_parser_feed(p, in, 97, log_event, &l), SSE_OK);
    cr_assert_eq(l.events, 1);
    buf_free(&l.out);
    sse_parser_free(p);
}

Test(sse, callback_can_stop_the_feed)
{
    SseParser *p = sse_parser_new();
    Log l = { .stop_after = 1 };
    const char in[] = "data: 1\n\ndata: 2\n\n";
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, log_event, &l), SSE_STOPPED);
    cr_assert_str_eq(buf_str(&l.out), "message||1;");
    buf_free(&l.out);
    sse_parser_free(p);
}

typedef struct Unknown {
    Buf lines;
} Unknown;

static int log_unknown(void *user, const SseEvent *ev)
{
    Unknown *u = user;
    if (ev->kind == SSE_UNKNOWN_LINE) {
        buf_append(&u->lines, ev->data, ev->data_len);
        buf_puts(&u->lines, ";");
    }
    return 0;
}

Test(sse, unknown_fields_are_reported_only_when_asked)
{
    const char in[] = "error: {\"code\":400}\ndata: [DONE]\n\n";
    SseParser *p = sse_parser_new();
    Unknown u = { 0 };
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, log_unknown, &u), SSE_OK);
    cr_assert_str_eq(buf_str(&u.lines), "");
    sse_parser_report_unknown(p, true);
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, log_unknown, &u), SSE_OK);
    cr_assert_str_eq(buf_str(&u.lines), "error: {\"code\":400};");
    buf_free(&u.lines);
    sse_parser_free(p);
}

Test(sse, end_readies_the_parser_for_a_new_stream)
{
    SseParser *p = sse_parser_new();
    Log l = { 0 };
    cr_assert_eq(sse_parser_feed(p, "data: half", 10, log_event, &l), SSE_OK);
    cr_assert_eq(sse_parser_end(p, false, log_event, &l), SSE_OK);
    const char in[] = "\xEF\xBB\xBF" "data: new\n\n";
    cr_assert_eq(sse_parser_feed(p, in, sizeof in - 1, log_event, &l), SSE_OK);
    cr_assert_str_eq(buf_str(&l.out), "message||new;");
    buf_free(&l.out);
    sse_parser_free(p);
}
