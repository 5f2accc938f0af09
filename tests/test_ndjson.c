/* test_ndjson.c — the NDJSON line splitter: LF and CRLF, blank lines, a last
 * line without newline, a BOM, the size cap; every chunking gives the same lines. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "net/ndjson.h"

typedef struct Lines {
    Buf out;
    int n;
    int stop_after;
} Lines;

static int log_line(void *user, const char *line, size_t len)
{
    Lines *l = user;
    cr_assert_eq(line[len], '\0', "lines are NUL-terminated");
    buf_printf(&l->out, "[%.*s]", (int)len, line);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static char *split_cuts(const char *s, size_t n, const size_t *cuts, size_t ncuts)
{
    NdjsonParser *p = ndjson_parser_new();
    cr_assert_not_null(p);
    Lines l = { 0 };
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        cr_assert_eq(ndjson_parser_feed(p, s + at, end - at, log_line, &l), NDJSON_OK);
        at = end;
    }
    cr_assert_eq(ndjson_parser_end(p, log_line, &l), NDJSON_OK);
    ndjson_parser_free(p);
    return buf_steal(&l.out);
}

static void check_all_chunkings(const char *s, size_t n, const char *want)
{
    char *r = split_cuts(s, n, NULL, 0);
    cr_assert_str_eq(r, want, "whole input");
    free(r);
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    r = split_cuts(s, n, cuts, n > 0 ? n - 1 : 0);
    cr_assert_str_eq(r, want, "byte by byte");
    free(r);
    for (size_t k = 1; k < n; k++) {
        r = split_cuts(s, n, &k, 1);
        cr_assert_str_eq(r, want, "split at offset %zu", k);
        free(r);
    }
    free(cuts);
}

#define CHECK(lit, want) check_all_chunkings(lit, sizeof(lit) - 1, want)

Test(ndjson, lf_separated_lines)
{
    CHECK("{\"a\":1}\n{\"b\":2}\n", "[{\"a\":1}][{\"b\":2}]");
}

Test(ndjson, crlf_is_stripped_whatever_the_split)
{
    CHECK("{\"a\":1}\r\n{\"b\":\"é\"}\r\n", "[{\"a\":1}][{\"b\":\"é\"}]");
}

Test(ndjson, blank_lines_are_skipped)
{
    CHECK("\n\n{\"a\":1}\n  \n\r\n\t\n{\"b\":2}\n\n", "[{\"a\":1}][{\"b\":2}]");
}

Test(ndjson, last_line_without_newline_comes_at_end)
{
    CHECK("{\"a\":1}\n{\"done\":true}", "[{\"a\":1}][{\"done\":true}]");
    CHECK("{\"done\":true}\r", "[{\"done\":true}]");
}

Test(ndjson, lone_cr_is_not_a_line_end)
{
    CHECK("{\"a\":\r1}\n", "[{\"a\":\r1}]");
}

Test(ndjson, bom_is_stripped_at_start_only)
{
    CHECK("\xEF\xBB\xBF{\"a\":1}\n", "[{\"a\":1}]");
    CHECK("{\"a\":1}\n\xEF\xBB\xBF{}\n", "[{\"a\":1}][\xEF\xBB\xBF{}]");
}

Test(ndjson, oversized_line_fails_and_stays_failed)
{
    NdjsonParser *p = ndjson_parser_new();
    ndjson_parser_set_max_line(p, 64);
    char big[100];
    memset(big, 'x', sizeof big);
    cr_assert_eq(ndjson_parser_feed(p, big, 60, NULL, NULL), NDJSON_OK);
    cr_assert_eq(ndjson_parser_feed(p, big, 40, NULL, NULL), NDJSON_ERR_TOO_BIG);
    cr_assert_eq(ndjson_parser_feed(p, "\n", 1, NULL, NULL), NDJSON_ERR_TOO_BIG);
    cr_assert_eq(ndjson_parser_end(p, NULL, NULL), NDJSON_ERR_TOO_BIG);
    cr_assert(strstr(ndjson_strerror(NDJSON_ERR_TOO_BIG), "size limit"));
    ndjson_parser_free(p);
}

Test(ndjson, callback_can_stop_the_feed)
{
    NdjsonParser *p = ndjson_parser_new();
    Lines l = { .stop_after = 1 };
    cr_assert_eq(ndjson_parser_feed(p, "1\n2\n3\n", 6, log_line, &l), NDJSON_STOPPED);
    cr_assert_str_eq(buf_str(&l.out), "[1]");
    buf_free(&l.out);
    ndjson_parser_free(p);
}

Test(ndjson, a_long_line_across_many_chunks_is_whole)
{
    NdjsonParser *p = ndjson_parser_new();
    Lines l = { 0 };
    Buf want = { 0 };
    buf_puts(&want, "[");
    for (int i = 0; i < 100000; i++) {
        cr_assert_eq(ndjson_parser_feed(p, "ab", 2, log_line, &l), NDJSON_OK);
        buf_puts(&want, "ab");
    }
    buf_puts(&want, "]");
    cr_assert_eq(ndjson_parser_feed(p, "\n", 1, log_line, &l), NDJSON_OK);
    cr_assert_str_eq(buf_str(&l.out), want.data);
    buf_free(&want);
    buf_free(&l.out);
    ndjson_parser_free(p);
}
