/* test_tui_e2e_render.c — rendering is exact: what tmux shows of each pane
 * (capture-pane, cell by cell) is the reply wrapped at the pane's width,
 * every character once and in order, with no row of another pane and no
 * separator disturbed; for lines that exactly fill a pane, wide (CJK),
 * zero-width, combining and ZWJ sequences, tabs; at many terminal sizes from
 * 60x20 up with 1 to 6 panes, and again after Ctrl-L. Also: the width code
 * against the terminal's own widths for every character class.
 *
 * The expected screen is computed here from the pure layout and wrap code
 * (layout.h, wrap.h); what is compared is what the real binary made tmux
 * draw. Replies come from the fake provider's "file" scenario. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/layout.h"
#include "tui/rig_test.h"
#include "tui/tmux_driver.h"
#include "tui/wrap.h"

#define SEP "\xe2\x94\x82" /* │ */
#define MAX_ROWS 64
#define MAX_COLS 256
#define CELL 40

static TmuxRig rig;

static void start(const char *args, int cols, int rows)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
        cr_skip_test("no UTF-8 locale");
    RigOptions o = { .cols = cols, .rows = rows };
    /* the prompt line at the bottom says it is up (the greeting may not fit a narrow screen) */
    RIG_OPEN(&rig, args, &o, "\n>");
}

static void stop(void)
{
    rig_stop(&rig);
}

TestSuite(tui_render, .fini = stop, .timeout = 900);

/* ---- the screen as cells ------------------------------------------------------ */

typedef struct Screen {
    int rows, cols;
    char cell[MAX_ROWS][MAX_COLS][CELL]; /* "" = right half of a wide character */
} Screen;

/* Splits one line of text into cells the way a terminal places it
 * (wcwidth; zero-width characters join the cell before them). */
static void parse_line(const char *s, size_t len, char (*cells)[CELL], int ncols)
{
    for (int c = 0; c < ncols; c++)
        snprintf(cells[c], CELL, " ");
    int col = 0, anchor = -1;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        int w = wcwidth((wchar_t)cp);
        if (w <= 0) {
            if (anchor >= 0 && strlen(cells[anchor]) + n < CELL)
                strncat(cells[anchor], s + i, n);
        } else if (col + w <= ncols) {
            snprintf(cells[col], CELL, "%.*s", (int)n, s + i);
            if (w == 2)
                cells[col + 1][0] = '\0';
            anchor = col;
            col += w;
        }
        i += n;
    }
}

static void parse_screen(const char *text, int rows, int cols, Screen *sc)
{
    sc->rows = rows;
    sc->cols = cols;
    const char *p = text;
    for (int y = 0; y < rows; y++) {
        const char *e = p ? strchr(p, '\n') : NULL;
        size_t l = p ? (e ? (size_t)(e - p) : strlen(p)) : 0;
        parse_line(p ? p : "", l, sc->cell[y], cols);
        p = (p && e) ? e + 1 : NULL;
    }
}

/* ---- what each pane must show ---------------------------------------------------- */

typedef struct Expect {
    Layout layout;
    const char *texts[LAYOUT_MAX_PANES];
} Expect;

/* The rendered rows of text at width w when the view follows the end. */
static int expected_rows(const char *t, int w, int h, char rows[][MAX_COLS][CELL])
{
    size_t len = strlen(t);
    size_t starts[4096], lens[4096], n = 0, pos = 0;
    while (pos < len && n < 4096) {
        size_t ll;
        int cols;
        size_t next = wrap_next_line(t, len, pos, w, &ll, &cols);
        starts[n] = pos;
        lens[n] = ll;
        n++;
        pos = next;
    }
    if (len && t[len - 1] == '\n' && n < 4096) {
        starts[n] = len;
        lens[n] = 0;
        n++;
    }
    size_t top = n > (size_t)h ? n - (size_t)h : 0;
    for (int r = 0; r < h; r++) {
        Buf b = { 0 };
        if (top + (size_t)r < n)
            wrap_render(t + starts[top + r], lens[top + r], 0, &b);
        parse_line(buf_str(&b), b.len, rows[r], w);
        buf_free(&b);
    }
    return (int)(n - top);
}

/* Compares the screen with the expectation; describes the first difference. */
static bool screen_matches(const Screen *sc, const Expect *ex, char *why, size_t whylen)
{
    static char rows[MAX_ROWS][MAX_COLS][CELL];
    const Layout *l = &ex->layout;
    for (int k = 0; k < l->n_visible; k++) {
        LayoutRect r = l->pane[k];
        int h = r.h - LAYOUT_PANE_HEAD_ROWS;
        expected_rows(ex->texts[l->visible[k]], r.w, h, rows);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < r.w; x++) {
                const char *got = sc->cell[r.y + LAYOUT_PANE_HEAD_ROWS + y][r.x + x];
                if (strcmp(got, rows[y][x]) != 0) {
                    snprintf(why, whylen, "pane %d (%dx%d at %d,%d) text row %d col %d: got '%s' want '%s'",
                             l->visible[k] + 1, r.w, r.h, r.x, r.y, y, x, got, rows[y][x]);
                    return false;
                }
            }
        if (l->sep_right[k])
            for (int y = r.y; y < r.y + r.h; y++)
                if (strcmp(sc->cell[y][r.x + r.w], SEP) != 0) {
                    snprintf(why, whylen, "separator right of pane %d missing at row %d (got '%s')",
                             l->visible[k] + 1, y, sc->cell[y][r.x + r.w]);
                    return false;
                }
    }
    return true;
}

static void expect_for(Expect *ex, int cols, int rows, int n)
{
    LayoutInput in = { .term_h = rows, .term_w = cols, .n_panes = n, .mode = LAYOUT_AUTO, .zoom = -1,
                       .focus = 0, .prompt_rows = 1 };
    layout_compute(&in, &ex->layout);
}

/* Polls the screen until it matches (the frame after a resize may take a
 * while on a loaded machine); fails with the difference when it stays put. */
static void assert_screen(const Expect *ex, const char *when)
{
    static Screen sc;
    char why[512] = "";
    bool ok = false;
    char last[sizeof rig.screen] = "";
    for (int still = 0; still < 200 && !ok; still++) {
        rig_capture(&rig);
        parse_screen(rig.screen, rig.rows, rig.cols, &sc);
        ok = screen_matches(&sc, ex, why, sizeof why);
        if (strcmp(last, rig.screen) != 0) {
            snprintf(last, sizeof last, "%s", rig.screen);
            still = 0; /* still drawing: wait on */
        }
        if (!ok)
            rig_settle(&rig, 50);
    }
    cr_assert(ok, "%s: %s\n%s", when, why, rig.screen);
}

/* ---- texts ------------------------------------------------------------------------- */

static const char *const pieces[] = {
    "word", "a", "longerword", "exactly", " ", " ", " ", " ", "\n", "\t",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",                 /* 日本語 */
    "\xe4\xb8\xad\xe6\x96\x87",                             /* 中文 */
    "\xf0\x9f\x98\x80",                                     /* 😀 */
    "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7\xe2\x80\x8d\xf0\x9f\x91\xa6", /* family */
    "e\xcc\x81",                                            /* e + combining acute */
    "\n\xcc\x81x",                                          /* a mark opening a line */
    "a\xe2\x80\x8b\x62",                                   /* a, zero-width space, b */
    "\xef\xbc\xa1\xef\xbc\xa2",                             /* ＡＢ fullwidth */
    "\xed\x95\x9c\xea\xb5\xad",                             /* 한국 */
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",                     /* thumbs up + skin tone */
    "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7",                     /* flag FR */
    "\xe2\x9d\xa4\xef\xb8\x8f",                             /* heart + VS16 */
    "\xce\xa9", "na\xc3\xafve",                             /* Ω naïve */
};

static unsigned rng_state;
static unsigned rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) & 0x7fff;
}

/* A reply of about `target` bytes from the pieces above. */
static void make_text(char *out, size_t outlen, size_t target)
{
    size_t len = 0;
    out[0] = '\0';
    while (len < target) {
        const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
        size_t pl = strlen(p);
        if (len + pl + 1 >= outlen)
            break;
        memcpy(out + len, p, pl);
        len += pl;
    }
    out[len] = '\0';
}

/* Writes one text per model (PATH.file.msK) and returns the prompt (PATH). */
static void write_texts(Expect *ex, int n, char (*texts)[4096], size_t target, char *prompt, size_t plen)
{
    for (int k = 0; k < n; k++) {
        make_text(texts[k], sizeof texts[k], target);
        char name[64];
        snprintf(name, sizeof name, "reply.file.ms%d", k);
        cr_assert_eq(rig_write(&rig, name, texts[k]), 0);
        ex->texts[k] = texts[k];
    }
    snprintf(prompt, plen, "%s/reply", rig.dir);
}

static void models_arg(int n, char *out, size_t outlen)
{
    size_t pos = 0;
    out[0] = '\0';
    for (int k = 0; k < n; k++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "-m openai:file.ms%d ", k);
}

static void send_and_wait(const char *prompt, int n)
{
    char keys[600];
    snprintf(keys, sizeof keys, "'%s' Enter", prompt);
    rig_keys(&rig, keys);
    cr_assert(rig_wait(&rig, "  done", n, 0), "every pane finishes:\n%s", rig.screen);
}

/* ---- the tests ------------------------------------------------------------------- */

/* The first observation, as reported: three panes at 160x45, a line
 * that exactly fills the rightmost pane blanked the next row of the others. */
Test(tui_render, a_line_exactly_filling_the_rightmost_pane_leaves_every_other_row_alone)
{
    char models[512];
    models_arg(3, models, sizeof models);
    start(models, 160, 45);
    Expect ex;
    expect_for(&ex, 160, 45, 3);
    cr_assert_eq(ex.layout.n_visible, 3);
    static char texts[3][4096];
    for (int k = 0; k < 3; k++) {
        int w = ex.layout.pane[k].w;
        size_t len = 0;
        /* every line exactly fills the pane: w letters, a newline, and again */
        for (int line = 0; line < 6; line++) {
            for (int c = 0; c < w; c++)
                texts[k][len++] = (char)('a' + (line + c + k) % 26);
            texts[k][len++] = '\n';
        }
        len += (size_t)snprintf(texts[k] + len, sizeof texts[k] - len, "last line of pane %d", k + 1);
        char name[64];
        snprintf(name, sizeof name, "reply.file.ms%d", k);
        cr_assert_eq(rig_write(&rig, name, texts[k]), 0);
        ex.texts[k] = texts[k];
    }
    char prompt[400];
    snprintf(prompt, sizeof prompt, "%s/reply", rig.dir);
    send_and_wait(prompt, 3);
    assert_screen(&ex, "three panes, full lines");
    rig_keys(&rig, "C-l");
    assert_screen(&ex, "after Ctrl-L");
}

/* ZWJ emoji rows: no stale cells, the separator stays, and the family keeps
 * every member (drawn side by side) after Ctrl-L. */
Test(tui_render, zwj_emoji_rows_keep_every_member_and_the_separator)
{
    char models[512];
    models_arg(2, models, sizeof models);
    start(models, 80, 24);
    Expect ex;
    expect_for(&ex, 80, 24, 2);
    static char texts[2][4096];
    const char *fam = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7\xe2\x80\x8d"
                      "\xf0\x9f\x91\xa6";
    for (int k = 0; k < 2; k++) {
        snprintf(texts[k], sizeof texts[k], "family: %s %s end\n%s%s%s%s%s%s%s\nnext", fam, fam, fam, fam, fam,
                 fam, fam, fam, fam);
        char name[64];
        snprintf(name, sizeof name, "reply.file.ms%d", k);
        cr_assert_eq(rig_write(&rig, name, texts[k]), 0);
        ex.texts[k] = texts[k];
    }
    char prompt[400];
    snprintf(prompt, sizeof prompt, "%s/reply", rig.dir);
    send_and_wait(prompt, 2);
    assert_screen(&ex, "ZWJ families");
    rig_keys(&rig, "C-l");
    assert_screen(&ex, "ZWJ families after Ctrl-L");
    /* 👦, the family's last member, is on screen as often as it was sent */
    rig_capture(&rig);
    cr_assert_eq(rig_count(&rig, "\xf0\x9f\x91\xa6"), 2 * 9, "every boy shown:\n%s", rig.screen);
}

/* The property: many sizes from 60x20 up, 1 to 6 panes, random replies of
 * every character class; each frame equals the expected wrapping, cell by
 * cell, and so does the frame after Ctrl-L. */
Test(tui_render, every_size_and_pane_count_shows_each_reply_exactly_as_wrapped)
{
    static const int sizes[][2] = { { 60, 20 }, { 80, 24 }, { 97, 31 }, { 123, 37 }, { 160, 45 }, { 211, 50 } };
    rng_state = 20261122u;
    for (int n = 1; n <= 6; n++) {
        char models[512];
        models_arg(n, models, sizeof models);
        start(models, sizes[0][0], sizes[0][1]);
        Expect ex;
        static char texts[LAYOUT_MAX_PANES][4096];
        char prompt[400];
        write_texts(&ex, n, texts, 200 + rnd() % 500, prompt, sizeof prompt);
        send_and_wait(prompt, n);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int c = sizes[s][0], r = sizes[s][1];
            rig_resize(&rig, c, r);
            expect_for(&ex, c, r, n);
            char when[64];
            snprintf(when, sizeof when, "%d panes at %dx%d", n, c, r);
            assert_screen(&ex, when);
            if (s % 2 == 0) {
                rig_keys(&rig, "C-l");
                assert_screen(&ex, when);
            }
        }
        rig_stop(&rig);
    }
}

/* The width code against the terminal's own: each class's rendered form,
 * printed raw in tmux, moves the cursor exactly the columns wrap counts. */
Test(tui_render, wrap_widths_match_the_terminal_for_every_character_class)
{
    const char *why = rig_unavailable();
    if (why)
        cr_skip_test("%s", why);
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
        cr_skip_test("no UTF-8 locale");
    static const struct {
        const char *name, *s;
    } cases[] = {
        { "ascii", "abc" },
        { "latin", "na\xc3\xafve \xc3\xa9t\xc3\xa9" },
        { "cjk", "\xe4\xb8\xad\xe6\x96\x87" },
        { "fullwidth", "\xef\xbc\xa1\xef\xbc\xa2" },
        { "hangul jamo", "\xe1\x84\x80\xe1\x85\xa1" },
        { "emoji", "\xf0\x9f\x98\x80" },
        { "combining", "e\xcc\x81" },
        { "mark opening a line", "\xcc\x81\x61" },
        { "five marks", "a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85" },
        { "zero-width space", "a\xe2\x80\x8b\x62" },
        { "zwj family", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7\xe2\x80\x8d"
                        "\xf0\x9f\x91\xa6" },
        { "zwj pair", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x92\xbb" },
        { "skin tone", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd" },
        { "vs16", "\xe2\x9d\xa4\xef\xb8\x8f" },
        { "keycap", "1\xef\xb8\x8f\xe2\x83\xa3" },
        { "flag", "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7" },
        { "tag flag", "\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xbf" },
        { "bidi override", "a\xe2\x80\xae\x62" },
        { "tab", "x\ty" },
        { "control", "a\x07\x62\x1b\x63" },
        { "invalid bytes", "a\xff\xfe\x62" },
        { "unassigned", "a\xf3\xbf\xbf\xbf\x62" },
        { "private use", "\xee\x80\x80" },
    };
    RigOptions o = { .cols = 60, .rows = 5 };
    cr_assert_eq(rig_start_opts(&rig, "--help", &o), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i].s;
        Buf drawn = { 0 };
        int cols = wrap_render(s, strlen(s), 0, &drawn);
        cr_assert_eq(cols, wrap_str_cols(s, strlen(s)), "%s: render and measure agree", cases[i].name);
        char file[64], args[1024], out[64];
        snprintf(file, sizeof file, "class-%zu", i);
        cr_assert_eq(rig_write(&rig, file, buf_str(&drawn)), 0);
        snprintf(args, sizeof args, "respawn-pane -k \"cat '%s/%s'; exec sleep 60\"", rig.dir, file);
        cr_assert_eq(rig_tmux(&rig, args, NULL, 0), 0);
        /* wait until tmux has drawn it (the cursor stops where the text ends) */
        int x = -1;
        for (int tries = 0; tries < 400; tries++) {
            rig_tmux(&rig, "display-message -p '#{cursor_x}'", out, sizeof out);
            x = atoi(out);
            if (x == cols)
                break;
            rig_settle(&rig, 50);
        }
        cr_assert_eq(x, cols, "%s: tmux moved %d columns, wrap counts %d", cases[i].name, x, cols);
        /* and glibc's wcwidth (the function tmux calls) agrees class by class */
        for (size_t k = 0; k < strlen(s);) {
            uint32_t cp;
            size_t n = wrap_decode(s, strlen(s), k, &cp);
            int w = wcwidth((wchar_t)cp), mine = wrap_cp_width(cp, 1);
            WrapClass c = wrap_cp_class(cp);
            if (c == WRAP_CLASS_NARROW || c == WRAP_CLASS_WIDE || c == WRAP_CLASS_MARK)
                cr_assert_eq(mine, w, "%s: U+%04X is %d columns, wcwidth says %d", cases[i].name, cp, mine, w);
            else if (c == WRAP_CLASS_FORMAT)
                cr_assert_eq(w, 0, "%s: U+%04X is a format character", cases[i].name, cp);
            k += n;
        }
        buf_free(&drawn);
    }
}
