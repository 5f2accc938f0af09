/* test_util.c — the bottom layer's shared pieces: whole-file reading (bounds,
 * only regular files, never a hang on a FIFO), the error-buffer formatter and
 * the HTML/XML escaper, did-you-mean suggestions, hex digits, medians,
 * growable arrays; and that the callers of the file reader (config,
 * prices, sessions, policies) refuse what it refuses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/prices.h"
#include "eval/policy.h"
#include "store/session.h"
#include "util/errmsg.h"
#include "util/file.h"
#include "util/grow.h"
#include "util/hex.h"
#include "util/markup.h"
#include "util/stats.h"
#include "util/suggest.h"
#include "harden/vchild.h"
#include "testenv.h"

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/versus-test-util-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    vchild_rm_tree(dir);
}

TestSuite(file, .init = make_dir, .fini = remove_dir);

/* dir/name holding n bytes of 'x' (0600); the path goes to out. */
static void make_file(char *out, size_t outlen, const char *name, size_t n)
{
    snprintf(out, outlen, "%s/%s", dir, name);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0, "%s: %s", out, strerror(errno));
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        cr_assert_eq(write(fd, chunk, k), (ssize_t)k);
        done += k;
    }
    close(fd);
}

Test(file, reads_a_regular_file_whole_and_nul_terminated)
{
    char path[512], err[600];
    make_file(path, sizeof path, "f", 100000);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 1 << 20, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    cr_assert_eq(b.len, 100000);
    cr_assert_eq(b.data[99999], 'x');
    cr_assert_eq(b.data[100000], '\0');
    buf_free(&b);
}

Test(file, an_empty_file_is_an_empty_string_not_null)
{
    char path[512], err[600];
    make_file(path, sizeof path, "empty", 0);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 10, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    cr_assert_eq(b.len, 0);
    cr_assert_not_null(b.data);
    cr_assert_str_eq(b.data, "");
    buf_free(&b);
}

Test(file, the_bound_is_inclusive_and_one_byte_more_is_refused)
{
    char path[512], err[600];
    make_file(path, sizeof path, "f", 4096);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 4096, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    cr_assert_eq(b.len, 4096);
    cr_assert_eq(util_read_file(path, 4095, &b, err, sizeof err), UTIL_FILE_TOO_LARGE);
    cr_assert_eq(b.len, 0, "nothing is kept from a refused file");
    cr_assert(strstr(err, path) && strstr(err, "larger than 4095 bytes"), "%s", err);
    cr_assert_eq(util_read_file(path, 2048, &b, err, sizeof err), UTIL_FILE_TOO_LARGE);
    cr_assert(strstr(err, "larger than 2 KiB"), "%s", err);
    buf_free(&b);
}

Test(file, a_missing_file_says_so_and_names_the_path)
{
    char path[512], err[600];
    snprintf(path, sizeof path, "%s/nope", dir);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 10, &b, err, sizeof err), UTIL_FILE_MISSING);
    cr_assert(strstr(err, path) && strstr(err, "No such file"), "%s", err);
    snprintf(path, sizeof path, "%s/nope/deeper", dir);
    cr_assert_eq(util_read_file(path, 10, &b, err, sizeof err), UTIL_FILE_MISSING);
}

Test(file, a_directory_is_refused_as_not_a_regular_file)
{
    char err[600];
    Buf b = { 0 };
    cr_assert_eq(util_read_file(dir, 1 << 20, &b, err, sizeof err), UTIL_FILE_NOT_REGULAR);
    cr_assert(strstr(err, "a directory") && strstr(err, "only regular files are read"), "%s", err);
}

Test(file, a_fifo_without_a_writer_is_refused_at_once_not_waited_on, .timeout = TESTENV_HANG_S)
{
    char path[512], err[600];
    snprintf(path, sizeof path, "%s/fifo", dir);
    cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo: %s", strerror(errno));
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 1 << 20, &b, err, sizeof err), UTIL_FILE_NOT_REGULAR);
    cr_assert(strstr(err, "a FIFO") && strstr(err, "only regular files are read"), "%s", err);
}

Test(file, a_device_is_refused)
{
    char err[600];
    Buf b = { 0 };
    cr_assert_eq(util_read_file("/dev/zero", 1 << 20, &b, err, sizeof err), UTIL_FILE_NOT_REGULAR);
    cr_assert(strstr(err, "a device"), "%s", err);
}

Test(file, a_file_without_read_permission_is_unreadable)
{
    if (geteuid() == 0)
        cr_skip_test("root reads any file");
    char path[512], err[600];
    make_file(path, sizeof path, "secret", 10);
    chmod(path, 0);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 100, &b, err, sizeof err), UTIL_FILE_UNREADABLE);
    cr_assert(strstr(err, "Permission denied"), "%s", err);
}

Test(file, a_pipe_is_read_to_its_end_within_the_bound)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "hello pipe", 10), 10);
    close(p[1]);
    char err[600];
    Buf b = { 0 };
    cr_assert_eq(util_read_fd(p[0], "standard input", 100, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    cr_assert_str_eq(buf_str(&b), "hello pipe");
    close(p[0]);
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(write(p[1], "hello pipe", 10), 10);
    close(p[1]);
    cr_assert_eq(util_read_fd(p[0], "standard input", 9, &b, err, sizeof err), UTIL_FILE_TOO_LARGE);
    cr_assert(strstr(err, "standard input: larger than 9 bytes"), "%s", err);
    cr_assert_eq(b.len, 0);
    close(p[0]);
    buf_free(&b);
}

/* The readers built on util_read_file refuse a FIFO too, each naming it. */
Test(file, config_prices_sessions_and_policies_refuse_a_fifo, .timeout = TESTENV_HANG_S)
{
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/fifo.json", dir);
    cr_assert_eq(mkfifo(path, 0600), 0, "mkfifo: %s", strerror(errno));
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert_null(cfg);
    cr_assert(strstr(err, "only regular files are read"), "config: %s", err);
    PriceTable *t = prices_load_file(path, err, sizeof err);
    cr_assert_null(t);
    cr_assert(strstr(err, "only regular files are read"), "prices: %s", err);
    Session *s = session_load(path, err, sizeof err);
    cr_assert_null(s);
    cr_assert(strstr(err, "only regular files are read"), "session: %s", err);
    Policy *pol = policy_load(path, err, sizeof err);
    cr_assert_null(pol);
    cr_assert(strstr(err, "only regular files are read"), "policy: %s", err);
}

Test(errmsg, formats_cuts_to_fit_and_tolerates_no_buffer)
{
    char err[8];
    cr_assert_eq(errmsg_set(err, sizeof err, "%s %d", "value", 12345), -1);
    cr_assert_str_eq(err, "value 1");
    cr_assert_eq(errmsg_set(NULL, 100, "x"), -1);
    char one[1] = { 'z' };
    cr_assert_eq(errmsg_set(one, 0, "x"), -1);
    cr_assert_eq(one[0], 'z', "a zero-sized buffer is not touched");
}

Test(markup, escapes_the_five_specials_and_xml_forbidden_controls)
{
    Buf b = { 0 };
    cr_assert_eq(markup_escape(&b, "a<b>&\"c\"'d'\x01\x1b[31m\t\n\r"), 0);
    cr_assert_str_eq(buf_str(&b), "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;??[31m\t\n\r");
    buf_reset(&b);
    cr_assert_eq(markup_escape(&b, "h\xc3\xa9llo \xe2\x9c\x93"), 0);
    cr_assert_str_eq(buf_str(&b), "h\xc3\xa9llo \xe2\x9c\x93", "UTF-8 passes unchanged");
    buf_reset(&b);
    cr_assert_eq(markup_escape(&b, NULL), 0);
    cr_assert_eq(b.len, 0);
    buf_free(&b);
}

Test(suggest, offers_the_nearest_known_name_or_none)
{
    static const char *const keys[] = { "defaults", "providers", "models", "reasoning", "local", "prices",
                                        "local_cost" };
    size_t n = sizeof keys / sizeof *keys;
    cr_assert_str_eq(suggest_nearest("defualts", keys, n), "defaults", "a swap of two letters");
    cr_assert_str_eq(suggest_nearest("model", keys, n), "models", "one letter missing");
    cr_assert_str_eq(suggest_nearest("Prices", keys, n), "prices", "case does not count");
    cr_assert_str_eq(suggest_nearest("local_cst", keys, n), "local_cost");
    cr_assert_str_eq(suggest_nearest("prov", keys, n), "providers", "a prefix of a longer name");
    cr_assert_null(suggest_nearest("zzzzzz", keys, n), "nothing close: no suggestion");
    cr_assert_null(suggest_nearest("", keys, n));
    static const char *const opts[] = { "temperature", "top-p", "top-k", "timeout" };
    cr_assert_str_eq(suggest_nearest("temprature", opts, 4), "temperature");
    cr_assert_eq(suggest_distance("abc", "abc"), 0);
    cr_assert_eq(suggest_distance("abc", "acb"), 1);
    cr_assert_eq(suggest_distance("", "abc"), 3);
    char longer[100];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    cr_assert_eq(suggest_distance(longer, "a"), 1000, "too long to compare: far from everything");
}

Test(hex, every_digit_of_either_case_and_nothing_else)
{
    const char *digits = "0123456789abcdef", *upper = "ABCDEF";
    for (int i = 0; i < 16; i++)
        cr_assert_eq(hex_value(digits[i]), i, "'%c'", digits[i]);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(hex_value(upper[i]), 10 + i, "'%c'", upper[i]);
    for (int c = -128; c < 256; c++)
        if (!strchr("0123456789abcdefABCDEF", c) || c == 0)
            cr_assert_eq(hex_value(c), -1, "%d", c);
}

Test(stats, the_median_is_the_middle_or_the_mean_of_the_two_middle_values)
{
    double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 }, one[] = { 7 };
    cr_assert_eq(stats_median(odd, 3), 3.0);
    cr_assert_eq(stats_median(even, 4), 2.5);
    cr_assert(even[0] == 1 && even[1] == 2 && even[2] == 3 && even[3] == 4, "sorted in place");
    cr_assert_eq(stats_median(one, 1), 7.0);
    cr_assert(isnan(stats_median(NULL, 0)), "no values: NAN");
    double v[] = { INFINITY, -1, 0.5, -INFINITY };
    stats_sort(v, 4);
    cr_assert(v[0] == -INFINITY && v[1] == -1 && v[2] == 0.5 && v[3] == INFINITY);
}

Test(grow, room_doubles_from_the_first_capacity_and_an_overflow_is_refused)
{
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 100; i++) {
        int *p = grow_array(v, &cap, n, sizeof *p, 4);
        cr_assert_not_null(p);
        v = p;
        v[n++] = i;
        cr_assert(cap >= n && (cap == 4 || cap % 8 == 0), "cap %zu for %zu", cap, n);
    }
    cr_assert_eq(cap, 128);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(v[i], i);
    cr_assert_eq(grow_array(v, &cap, 5, sizeof *v, 4), v, "room left: the same array");
    size_t huge = SIZE_MAX / 2 + 1;
    cr_assert_null(grow_array(v, &huge, huge, sizeof *v, 4), "an overflowing size is refused");
    cr_assert_eq(huge, SIZE_MAX / 2 + 1, "and the capacity is left as it was");
    free(v);
}
