/* test_tui_theme.c — theme files: the shipped themes parse, the built-in
 * default matches themes/default, each kind of bad line is an error naming
 * the file and line, and colours reduce to 8-colour terminals sensibly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/theme.h"

static int parse(const char *text, Theme *t, char *err, size_t errlen)
{
    return theme_parse(text, strlen(text), "themes/test", t, err, errlen);
}

Test(theme, good_file_sets_colours_and_attributes)
{
    Theme t;
    char err[256] = "";
    int rc = parse("# a comment\n\nstatus = white 236 bold,underline\n"
                   "  text = bright-red default   # trailing comment\n"
                   "winner = color200 12 none\n",
                   &t, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(t.style[THEME_STATUS].fg, 7);
    cr_assert_eq(t.style[THEME_STATUS].bg, 236);
    cr_assert_eq(t.style[THEME_STATUS].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
    cr_assert_eq(t.style[THEME_TEXT].fg, 9);
    cr_assert_eq(t.style[THEME_TEXT].bg, THEME_COLOR_DEFAULT);
    cr_assert_eq(t.style[THEME_WINNER].fg, 200);
    cr_assert_eq(t.style[THEME_WINNER].attrs, 0u);
    /* unnamed elements keep the monochrome look */
    cr_assert_eq(t.style[THEME_STATUS_FOCUS].attrs, THEME_ATTR_REVERSE | THEME_ATTR_BOLD);
    cr_assert_eq(t.style[THEME_STATUS_FOCUS].fg, THEME_COLOR_DEFAULT);
}

static void expect_error(const char *text, const char *needle)
{
    Theme t;
    char err[256] = "";
    cr_assert_eq(parse(text, &t, err, sizeof err), -1, "'%s' should fail", text);
    cr_assert(strstr(err, needle), "error '%s' should mention '%s'", err, needle);
}

Test(theme, each_kind_of_bad_line_names_file_line_and_problem)
{
    expect_error("text = default default\nstatus white 236\n", "themes/test:2: expected 'element = fg bg");
    expect_error("\n\nbogus = red blue\n", "themes/test:3: unknown element 'bogus'");
    expect_error("text = purple default\n", "themes/test:1: unknown colour 'purple'");
    expect_error("text = red 256\n", "unknown colour '256'");
    expect_error("text = red -1\n", "unknown colour '-1'");
    expect_error("text = red blue sparkly\n", "themes/test:1: unknown attribute 'sparkly'");
    expect_error("text = red\n", "needs a foreground and a background");
    expect_error("text =\n", "needs a foreground and a background");
    expect_error("text footer = red blue\n", "one element name");
    expect_error("= red blue\n", "one element name");
    expect_error("text = red blue\ntext = red blue\n", "themes/test:2: element 'text' is set twice");
    expect_error("text = red blue bold bold bold bold bold bold bold bold bold bold bold\n", "too many words");
}

Test(theme, shipped_themes_parse_and_default_matches_the_builtin)
{
    const char *src = getenv("VERSUS_SRCDIR");
    if (!src)
        cr_skip_test("VERSUS_SRCDIR not set");
    static const char *const names[] = { "default", "light", "solarized-dark", "high-contrast", "mono" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1024], err[256] = "";
        snprintf(path, sizeof path, "%s/themes/%s", src, names[i]);
        Theme t;
        cr_assert_eq(theme_load(path, &t, err, sizeof err), 0, "%s", err);
        cr_assert_str_eq(t.name, names[i]);
        if (strcmp(names[i], "mono") == 0)
            for (int e = 0; e < THEME_N_ELEMENTS; e++)
                cr_assert(t.style[e].fg == THEME_COLOR_DEFAULT && t.style[e].bg == THEME_COLOR_DEFAULT);
        if (strcmp(names[i], "default") == 0) {
            Theme b;
            cr_assert_eq(theme_builtin_default(&b, err, sizeof err), 0, "%s", err);
            for (int e = 0; e < THEME_N_ELEMENTS; e++)
                cr_assert(memcmp(&t.style[e], &b.style[e], sizeof t.style[e]) == 0,
                          "element %s differs between themes/default and the built-in copy",
                          theme_element_name((ThemeElement)e));
        }
    }
}

Test(theme, missing_theme_is_an_error_listing_what_exists)
{
    Theme t;
    char err[512] = "";
    cr_assert_eq(theme_load("no-such-theme", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "no theme named 'no-such-theme'"), "%s", err);
    cr_assert_eq(theme_load("../etc/passwd", &t, err, sizeof err), -1, "relative paths with .. are not names");
    cr_assert_eq(theme_load("/nonexistent/theme", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/theme"), "%s", err);
}

Test(theme, colours_reduce_to_eight_colour_terminals)
{
    cr_assert_eq(theme_reduce_color(3, 8), 3);
    cr_assert_eq(theme_reduce_color(9, 8), 1, "bright red becomes red");
    cr_assert_eq(theme_reduce_color(9, 16), 9);
    cr_assert_eq(theme_reduce_color(196, 8), 1, "cube red is red");
    cr_assert_eq(theme_reduce_color(21, 8), 4, "cube blue is blue");
    cr_assert_eq(theme_reduce_color(46, 8), 2, "cube green is green");
    cr_assert_eq(theme_reduce_color(232, 8), 0, "dark grey is black");
    cr_assert_eq(theme_reduce_color(255, 8), 7, "light grey is white");
    cr_assert_eq(theme_reduce_color(200, 256), 200);
    cr_assert_eq(theme_reduce_color(THEME_COLOR_DEFAULT, 8), THEME_COLOR_DEFAULT);
}
