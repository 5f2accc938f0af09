/* theme.c — theme files: parsing (pure), finding them on disk, and turning a
 * Theme into curses colour pairs with the colour depth the terminal has.
 * Not for deciding what is drawn where: that is app.c. */
#include "tui/theme.h"

#include <ctype.h>
#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/xdg.h"

static const char *const element_names[THEME_N_ELEMENTS] = {
    [THEME_TEXT] = "text",
    [THEME_DIM] = "dim",
    [THEME_ERROR] = "error",
    [THEME_STATUS] = "status",
    [THEME_STATUS_FOCUS] = "status_focus",
    [THEME_WINNER] = "winner",
    [THEME_SEPARATOR] = "separator",
    [THEME_FOOTER] = "footer",
    [THEME_PROMPT] = "prompt",
    [THEME_MESSAGE] = "message",
    [THEME_ALERT] = "alert",
    [THEME_HELP] = "help",
    [THEME_DIFF_ADD] = "diff_add",
    [THEME_DIFF_DEL] = "diff_del",
    [THEME_SPARK] = "sparkline",
};

/* The monochrome look: what every theme starts from. */
static const unsigned mono_attrs[THEME_N_ELEMENTS] = {
    [THEME_TEXT] = 0,
    [THEME_DIM] = THEME_ATTR_DIM,
    [THEME_ERROR] = THEME_ATTR_BOLD,
    [THEME_STATUS] = THEME_ATTR_REVERSE,
    [THEME_STATUS_FOCUS] = THEME_ATTR_REVERSE | THEME_ATTR_BOLD,
    [THEME_WINNER] = THEME_ATTR_REVERSE | THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE,
    [THEME_SEPARATOR] = THEME_ATTR_DIM,
    [THEME_FOOTER] = THEME_ATTR_REVERSE,
    [THEME_PROMPT] = 0,
    [THEME_MESSAGE] = THEME_ATTR_BOLD,
    [THEME_ALERT] = THEME_ATTR_BOLD | THEME_ATTR_REVERSE,
    [THEME_HELP] = 0,
    [THEME_DIFF_ADD] = THEME_ATTR_UNDERLINE | THEME_ATTR_BOLD,
    [THEME_DIFF_DEL] = THEME_ATTR_REVERSE,
    [THEME_SPARK] = 0,
};

/* Used when no "default" theme file can be found (an uninstalled binary run
 * from elsewhere); tests check that themes/default says the same. */
static const char builtin_default[] =
    "text = default default\n"
    "dim = bright-black default\n"
    "error = bright-red default bold\n"
    "status = white 236\n"
    "status_focus = black cyan bold\n"
    "winner = black green bold\n"
    "separator = 240 default\n"
    "footer = white 236\n"
    "prompt = default default\n"
    "message = cyan default bold\n"
    "alert = black yellow bold\n"
    "help = default default\n"
    "diff_add = green default bold\n"
    "diff_del = red default reverse\n"
    "sparkline = green 236\n";

static const struct {
    const char *name;
    int value;
} color_names[] = {
    { "default", THEME_COLOR_DEFAULT }, { "black", 0 }, { "red", 1 }, { "green", 2 },
    { "yellow", 3 }, { "blue", 4 }, { "magenta", 5 }, { "cyan", 6 }, { "white", 7 },
    { "bright-black", 8 }, { "gray", 8 }, { "grey", 8 }, { "bright-red", 9 },
    { "bright-green", 10 }, { "bright-yellow", 11 }, { "bright-blue", 12 },
    { "bright-magenta", 13 }, { "bright-cyan", 14 }, { "bright-white", 15 },
};

static const struct {
    const char *name;
    unsigned bit;
} attr_names[] = {
    { "none", 0 }, { "normal", 0 }, { "bold", THEME_ATTR_BOLD }, { "dim", THEME_ATTR_DIM },
    { "underline", THEME_ATTR_UNDERLINE }, { "reverse", THEME_ATTR_REVERSE },
    { "standout", THEME_ATTR_STANDOUT }, { "italic", THEME_ATTR_ITALIC },
    { "blink", THEME_ATTR_BLINK },
};

const char *theme_element_name(ThemeElement e)
{
    if ((int)e < 0 || e >= THEME_N_ELEMENTS)
        return NULL;
    return element_names[e];
}

void theme_init_mono(Theme *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
    for (int i = 0; i < THEME_N_ELEMENTS; i++)
        t->style[i] = (ThemeStyle){ THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, mono_attrs[i] };
}

static int parse_color(const char *w, int *out)
{
    for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++)
        if (strcmp(w, color_names[i].name) == 0) {
            *out = color_names[i].value;
            return 0;
        }
    const char *num = w;
    if (strncmp(w, "color", 5) == 0)
        num = w + 5;
    if (!isdigit((unsigned char)num[0]))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(num, &end, 10);
    if (errno || *end || v < 0 || v > 255)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_attr(const char *w, unsigned *out)
{
    for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
        if (strcmp(w, attr_names[i].name) == 0) {
            *out |= attr_names[i].bit;
            return 0;
        }
    return -1;
}

#define THEME_MAX_WORDS 12
#define THEME_WORD_MAX 64

/* Splits a line at blanks and commas into words; -1 when a word is too long
 * or there are too many. */
static int split_words(const char *s, size_t len, char words[][THEME_WORD_MAX], int *n)
{
    *n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (isspace((unsigned char)s[i]) || s[i] == ','))
            i++;
        if (i >= len)
            break;
        size_t st = i;
        while (i < len && !isspace((unsigned char)s[i]) && s[i] != ',')
            i++;
        if (*n >= THEME_MAX_WORDS || i - st >= THEME_WORD_MAX)
            return -1;
        memcpy(words[*n], s + st, i - st);
        words[*n][i - st] = '\0';
        (*n)++;
    }
    return 0;
}

static int parse_line(const char *line, size_t len, Theme *t, bool *seen, char *why, size_t whylen)
{
    const char *eq = memchr(line, '=', len);
    if (!eq) {
        snprintf(why, whylen, "expected 'element = fg bg [attrs]'");
        return -1;
    }
    char key[THEME_MAX_WORDS][THEME_WORD_MAX], val[THEME_MAX_WORDS][THEME_WORD_MAX];
    int nk, nv;
    if (split_words(line, (size_t)(eq - line), key, &nk) < 0 || nk != 1) {
        snprintf(why, whylen, "expected one element name before '='");
        return -1;
    }
    int el = -1;
    for (int i = 0; i < THEME_N_ELEMENTS; i++)
        if (strcmp(key[0], element_names[i]) == 0)
            el = i;
    if (el < 0) {
        snprintf(why, whylen, "unknown element '%s'", key[0]);
        return -1;
    }
    if (seen[el]) {
        snprintf(why, whylen, "element '%s' is set twice", key[0]);
        return -1;
    }
    if (split_words(eq + 1, len - (size_t)(eq + 1 - line), val, &nv) < 0) {
        snprintf(why, whylen, "too many words (at most 2 colours and %d attributes)", THEME_MAX_WORDS - 2);
        return -1;
    }
    if (nv < 2) {
        snprintf(why, whylen, "'%s' needs a foreground and a background colour", key[0]);
        return -1;
    }
    ThemeStyle st = { 0, 0, 0 };
    if (parse_color(val[0], &st.fg) < 0) {
        snprintf(why, whylen, "unknown colour '%s' (a name, default, or 0..255)", val[0]);
        return -1;
    }
    if (parse_color(val[1], &st.bg) < 0) {
        snprintf(why, whylen, "unknown colour '%s' (a name, default, or 0..255)", val[1]);
        return -1;
    }
    for (int i = 2; i < nv; i++)
        if (parse_attr(val[i], &st.attrs) < 0) {
            snprintf(why, whylen, "unknown attribute '%s' (bold dim underline reverse standout italic blink none)",
                     val[i]);
            return -1;
        }
    t->style[el] = st;
    seen[el] = true;
    return 0;
}

int theme_parse(const char *text, size_t len, const char *file, Theme *out, char *err, size_t errlen)
{
    const char *base = file ? strrchr(file, '/') : NULL;
    theme_init_mono(out, base ? base + 1 : (file ? file : "theme"));
    bool seen[THEME_N_ELEMENTS] = { false };
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *line = text + pos;
        size_t ll = end - pos;
        pos = nl ? end + 1 : len;
        const char *hash = memchr(line, '#', ll);
        if (hash)
            ll = (size_t)(hash - line);
        size_t k = 0;
        while (k < ll && isspace((unsigned char)line[k]))
            k++;
        if (k == ll)
            continue;
        if (memchr(line, '\0', ll)) {
            snprintf(err, errlen, "%s:%d: NUL byte in a theme file", file ? file : "theme", lineno);
            return -1;
        }
        char why[200];
        if (parse_line(line, ll, out, seen, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%d: %s", file ? file : "theme", lineno, why);
            return -1;
        }
    }
    return 0;
}

#define THEME_MAX_FILE (1u << 20)

/* The directories themes are looked for in, most personal first. */
static int theme_dirs(char dirs[3][1024])
{
    int n = 0;
    if (xdg_path(XDG_CONFIG, "themes", dirs[n], sizeof dirs[n]) == 0)
        n++;
    snprintf(dirs[n++], sizeof dirs[0], "%s/themes", VERSUS_PKGDATADIR);
    snprintf(dirs[n++], sizeof dirs[0], "%s/themes", VERSUS_SRCDIR);
    return n;
}

static bool valid_theme_name(const char *name)
{
    if (!name[0] || name[0] == '.')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

int theme_builtin_default(Theme *out, char *err, size_t errlen)
{
    if (theme_parse(builtin_default, sizeof builtin_default - 1, "built-in default", out, err, errlen) < 0)
        return -1;
    snprintf(out->name, sizeof out->name, "default");
    return 0;
}

int theme_load(const char *name, Theme *out, char *err, size_t errlen)
{
    Buf b = { 0 };
    char path[1200];
    int rc;
    if (!name || !name[0])
        name = "default";
    if (strchr(name, '/')) {
        snprintf(path, sizeof path, "%s", name);
        if (util_read_file(path, THEME_MAX_FILE, &b, err, errlen) < 0)
            return -1;
    } else {
        if (!valid_theme_name(name)) {
            snprintf(err, errlen, "bad theme name '%s'", name);
            return -1;
        }
        char dirs[3][1024];
        int nd = theme_dirs(dirs);
        rc = -1;
        for (int i = 0; i < nd && rc < 0; i++) {
            snprintf(path, sizeof path, "%s/%s", dirs[i], name);
            rc = util_read_file(path, THEME_MAX_FILE, &b, err, errlen);
            if (rc != UTIL_FILE_OK && rc != UTIL_FILE_MISSING)
                return -1; /* there, but not a theme we can read: say so */
        }
        if (rc < 0) {
            buf_free(&b);
            if (strcmp(name, "default") == 0)
                return theme_builtin_default(out, err, errlen);
            char list[512];
            theme_list(list, sizeof list);
            snprintf(err, errlen, "no theme named '%s' (available: %s)", name, list[0] ? list : "none");
            return -1;
        }
    }
    rc = theme_parse(buf_str(&b), b.len, path, out, err, errlen);
    buf_free(&b);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void theme_list(char *out, size_t outlen)
{
    char *names[128];
    size_t n = 0;
    char dirs[3][1024];
    int nd = theme_dirs(dirs);
    for (int i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) && n < 128) {
            if (!valid_theme_name(de->d_name))
                continue;
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                if (strcmp(names[k], de->d_name) == 0)
                    dup = true;
            if (!dup) {
                char *s = strdup(de->d_name);
                if (s)
                    names[n++] = s;
            }
        }
        closedir(d);
    }
    qsort(names, n, sizeof names[0], cmp_str);
    size_t pos = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (pos < outlen) {
            int w = snprintf(out + pos, outlen - pos, "%s%s", k ? " " : "", names[k]);
            if (w > 0)
                pos += (size_t)w;
        }
        free(names[k]);
    }
}

int theme_reduce_color(int c, int ncolors)
{
    if (c < 0)
        return c;
    if (ncolors >= 256 || c < ncolors)
        return c;
    int r, g, b;
    if (c < 16) { /* bright colours to their base */
        return ncolors >= 16 ? c : c - 8;
    } else if (c < 232) {
        int v = c - 16;
        r = (v / 36) * 51;
        g = ((v / 6) % 6) * 51;
        b = (v % 6) * 51;
    } else {
        r = g = b = 8 + (c - 232) * 10;
    }
    /* nearest of the 8 basic colours, each channel either 0 or 205ish */
    static const int basic[8][3] = { { 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
                                     { 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 } };
    int best = 0;
    long bestd = -1;
    for (int i = 0; i < 8; i++) {
        long dr = r - basic[i][0], dg = g - basic[i][1], db = b - basic[i][2];
        long d = dr * dr + dg * dg + db * db;
        if (bestd < 0 || d < bestd) {
            bestd = d;
            best = i;
        }
    }
    return best;
}

static unsigned long applied[THEME_N_ELEMENTS];

/* A grey: bright-black, the 256-colour grey ramp, or an equal-channel cube
 * colour. With only 8 colours a grey becomes black or white, which vanish
 * on a dark or a light background. */
static bool is_grey(int c)
{
    if (c == 8 || c >= 232)
        return true;
    if (c >= 16 && c < 232) {
        int v = c - 16;
        return v / 36 == (v / 6) % 6 && (v / 6) % 6 == v % 6;
    }
    return false;
}

/* 8 colours: a grey, black or white background becomes reverse video of the default colours
 * (a band that shows on both backgrounds); a grey, black or white
 * foreground on the default background becomes the default foreground
 * (dimmed when it was a grey: it was meant to be quiet). */
static void eight_colour_safe(int *fg, int *bg, unsigned *attrs, int ncolors)
{
    if (ncolors >= 16)
        return;
    int b = *bg >= 0 ? theme_reduce_color(*bg, ncolors) : -1;
    if (*bg >= 0 && (is_grey(*bg) || b == 0 || b == 7)) {
        *bg = THEME_COLOR_DEFAULT;
        *attrs |= THEME_ATTR_REVERSE;
        int f = theme_reduce_color(*fg, ncolors);
        if (*fg < 0 || is_grey(*fg) || f == 0 || f == 7)
            *fg = THEME_COLOR_DEFAULT;
        return;
    }
    if (*bg < 0 && *fg >= 0) {
        int f = theme_reduce_color(*fg, ncolors);
        if (is_grey(*fg))
            *attrs |= THEME_ATTR_DIM;
        if (is_grey(*fg) || f == 0 || f == 7)
            *fg = THEME_COLOR_DEFAULT;
    }
}

static unsigned long curses_attrs(unsigned a)
{
    unsigned long r = A_NORMAL;
    if (a & THEME_ATTR_BOLD)
        r |= A_BOLD;
    if (a & THEME_ATTR_DIM)
        r |= A_DIM;
    if (a & THEME_ATTR_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & THEME_ATTR_REVERSE)
        r |= A_REVERSE;
    if (a & THEME_ATTR_STANDOUT)
        r |= A_STANDOUT;
#ifdef A_ITALIC
    if (a & THEME_ATTR_ITALIC)
        r |= A_ITALIC;
#endif
    if (a & THEME_ATTR_BLINK)
        r |= A_BLINK;
    return r;
}

void theme_apply(const Theme *t, bool use_color)
{
    int ncolors = use_color ? COLORS : 0;
    if (ncolors < 8 || COLOR_PAIRS < THEME_N_ELEMENTS + 1)
        use_color = false;
    for (int i = 0; i < THEME_N_ELEMENTS; i++) {
        const ThemeStyle *s = &t->style[i];
        unsigned attrs = s->attrs;
        if (!use_color) {
            /* without colour, an element that relied on colour alone keeps
             * the monochrome look so it stays distinguishable */
            if (s->fg != THEME_COLOR_DEFAULT || s->bg != THEME_COLOR_DEFAULT)
                attrs |= mono_attrs[i];
            applied[i] = curses_attrs(attrs);
            continue;
        }
        int fg = s->fg, bg = s->bg;
        eight_colour_safe(&fg, &bg, &attrs, ncolors);
        fg = theme_reduce_color(fg, ncolors);
        bg = theme_reduce_color(bg, ncolors);
        init_pair((short)(i + 1), (short)fg, (short)bg);
        applied[i] = curses_attrs(attrs) | (unsigned long)COLOR_PAIR(i + 1);
    }
}

unsigned long theme_attr(ThemeElement e)
{
    if ((int)e < 0 || e >= THEME_N_ELEMENTS)
        return A_NORMAL;
    return applied[e];
}
