/* theme.h — colour themes: parsing theme files and turning them into curses
 * attributes.
 *
 * A theme file is plain text, one element per line:
 *     # comment
 *     element = FG BG [ATTR...]
 * FG/BG: default, black, red, green, yellow, blue, magenta, cyan, white,
 * bright-black .. bright-white, or a number 0..255 (colorN also accepted).
 * ATTR: bold dim underline reverse standout italic blink (or none).
 * Elements a file does not name keep the monochrome look (attributes only).
 * A bad line is an error naming the file and the line. Colours are reduced
 * to what the terminal has (256 -> 8 -> none); NO_COLOR drops them entirely. */
#ifndef VERSUS_THEME_H
#define VERSUS_THEME_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ThemeElement {
    THEME_TEXT,         /* reply text */
    THEME_DIM,          /* placeholders, reasoning, hints */
    THEME_ERROR,        /* error text inside a pane */
    THEME_STATUS,       /* status bar of a pane without focus */
    THEME_STATUS_FOCUS, /* status bar of the focused pane */
    THEME_WINNER,       /* status bar of the pane that won the round */
    THEME_SEPARATOR,    /* lines between panes */
    THEME_FOOTER,       /* session cost line */
    THEME_PROMPT,       /* the prompt line */
    THEME_MESSAGE,      /* informational messages */
    THEME_ALERT,        /* error messages, "label this round" requests */
    THEME_HELP,         /* the help overlay */
    THEME_DIFF_ADD,     /* words only the second reply has */
    THEME_DIFF_DEL,     /* words only the first reply has */
    THEME_SPARK,        /* tokens/s sparkline */
    THEME_N_ELEMENTS
} ThemeElement;

#define THEME_COLOR_DEFAULT (-1)

enum {
    THEME_ATTR_BOLD = 1 << 0,
    THEME_ATTR_DIM = 1 << 1,
    THEME_ATTR_UNDERLINE = 1 << 2,
    THEME_ATTR_REVERSE = 1 << 3,
    THEME_ATTR_STANDOUT = 1 << 4,
    THEME_ATTR_ITALIC = 1 << 5,
    THEME_ATTR_BLINK = 1 << 6,
};

typedef struct ThemeStyle {
    int fg, bg;     /* 0..255 or THEME_COLOR_DEFAULT */
    unsigned attrs; /* THEME_ATTR_* */
} ThemeStyle;

typedef struct Theme {
    char name[64];
    ThemeStyle style[THEME_N_ELEMENTS];
} Theme;

/* The element's name in theme files ("status_focus"), or NULL out of range. */
const char *theme_element_name(ThemeElement e);
/* The monochrome theme every file starts from (attributes, no colours). */
void theme_init_mono(Theme *t, const char *name);
/* Parses a theme file's text; file names it in errors ("FILE:LINE: ...").
 * Returns 0, or -1 with err (out is then unspecified). */
int theme_parse(const char *text, size_t len, const char *file, Theme *out, char *err, size_t errlen);
/* The default theme compiled into the binary (the same as themes/default). */
int theme_builtin_default(Theme *out, char *err, size_t errlen);
/* Finds and parses theme NAME: a path when it contains '/', else
 * $XDG_CONFIG_HOME/versus/themes/NAME, the installed themes, then the
 * source tree's themes/. The built-in default when NAME is "default" and no
 * file is found. Returns 0, or -1 with err. */
int theme_load(const char *name, Theme *out, char *err, size_t errlen);
/* Writes the names of the themes found (deduplicated, sorted) as one
 * space-separated line into out. */
void theme_list(char *out, size_t outlen);

/* Maps colour c (0..255) to the nearest of the first ncolors (8 or 16). */
int theme_reduce_color(int c, int ncolors);

/* Installs t's colours as curses colour pairs (after start_color); with
 * use_color false (NO_COLOR, a monochrome terminal) only attributes are used. */
void theme_apply(const Theme *t, bool use_color);
/* The curses attributes (pair and flags) to draw element e with, as applied. */
unsigned long theme_attr(ThemeElement e);

#endif
