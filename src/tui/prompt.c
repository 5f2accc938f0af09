/* prompt.c — readline's callback interface bridged into the curses loop
 * (prompt.h). Readline's own terminal handling is switched off (no prep,
 * no signals, no SIGWINCH, output to /dev/null); keys arrive through a small
 * queue read by rl_getc_function, and rl_redisplay_function only marks the
 * prompt dirty: the app draws it with prompt_draw. */
#include "tui/prompt.h"

#include <curses.h>
#include <fcntl.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/completion.h"
#include "tui/wrap.h"
#include "core/keyfilter.h"

#define QUEUE_MAX 64

static struct {
    unsigned char q[QUEUE_MAX];
    size_t head, tail; /* bytes queued: q[head..tail) */
    PromptLineFn on_line;
    PromptMessageFn on_msg;
    void *user;
    char history_path[4096];
    bool installed;
    bool dirty;
    FILE *devnull;
    char label[256];
    bool in_handler;  /* inside the line callback: readline clears the line after it */
    char *pending;    /* a line set inside the callback, put in place after it */
} P;

static int queue_getc(FILE *f)
{
    (void)f;
    if (P.head == P.tail)
        return EOF; /* never reached: we only call readline with bytes queued */
    int c = P.q[P.head++];
    if (P.head == P.tail)
        P.head = P.tail = 0;
    return c;
}

static int queue_available(void)
{
    return P.head != P.tail;
}

static void redisplay(void)
{
    P.dirty = true;
}

static void line_handler(char *line)
{
    P.dirty = true;
    P.in_handler = true;
    if (P.on_line)
        P.on_line(P.user, line);
    else
        free(line);
    P.in_handler = false;
}

/* A line set from inside the callback: readline wipes its buffer when the
 * callback returns, so the text is put in place afterwards. */
static void apply_pending(void)
{
    if (!P.pending || P.in_handler)
        return;
    rl_replace_line(P.pending, 0);
    rl_point = rl_end;
    free(P.pending);
    P.pending = NULL;
    P.dirty = true;
}

static int insert_newline(int count, int key)
{
    (void)key;
    for (int i = 0; i < (count > 0 ? count : 1); i++)
        rl_insert_text("\n");
    return 0;
}

static void show_matches(char **matches, int num, int max_length)
{
    (void)max_length;
    char msg[1024];
    size_t pos = (size_t)snprintf(msg, sizeof msg, "%d matches:", num);
    for (int i = 1; i <= num && pos < sizeof msg; i++) {
        int w = snprintf(msg + pos, sizeof msg - pos, " %s", matches[i]);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    if (P.on_msg)
        P.on_msg(P.user, msg);
}

/* ---- setup ---------------------------------------------------------------- */

int prompt_init(const char *label, PromptLineFn on_line, PromptMessageFn on_msg, void *user,
                const char *history_path, char *err, size_t errlen)
{
    P.on_line = on_line;
    P.on_msg = on_msg;
    P.user = user;
    snprintf(P.label, sizeof P.label, "%s", label ? label : "> ");
    P.devnull = fopen("/dev/null", "w");
    if (!P.devnull) {
        snprintf(err, errlen, "cannot open /dev/null");
        return -1;
    }
    rl_readline_name = "versus";
    rl_instream = stdin;
    rl_outstream = P.devnull;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_getc_function = queue_getc;
    rl_input_available_hook = queue_available;
    rl_redisplay_function = redisplay;
    rl_attempted_completion_function = completion_matches;
    rl_completion_display_matches_hook = show_matches;
    rl_variable_bind("bell-style", "none");
    rl_variable_bind("enable-bracketed-paste", "off");
    using_history();
    stifle_history(2000);
    history_comment_char = '#';     /* timestamps are written as "#<time>" lines */
    history_write_timestamps = 1;   /* timestamps delimit entries ... */
    history_multiline_entries = 1;  /* ... so multi-line prompts come back whole */
    P.history_path[0] = '\0';
    if (history_path) {
        snprintf(P.history_path, sizeof P.history_path, "%s", history_path);
        read_history(P.history_path); /* a missing file is fine */
        /* one an older versus made readable by others (0644) becomes private */
        struct stat st;
        if (lstat(P.history_path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) &&
            st.st_uid == geteuid())
            chmod(P.history_path, st.st_mode & 0700);
    }
    rl_callback_handler_install(P.label, line_handler);
    rl_bind_keyseq("\\e\\r", insert_newline);
    rl_bind_keyseq("\\e\\n", insert_newline);
    P.installed = true;
    P.dirty = true;
    return 0;
}

void prompt_shutdown(void)
{
    if (!P.installed)
        return;
    rl_callback_handler_remove();
    if (P.history_path[0])
        history_truncate_file(P.history_path, 2000);
    completion_free();
    free(P.pending);
    P.pending = NULL;
    if (P.devnull)
        fclose(P.devnull);
    P.devnull = NULL;
    P.installed = false;
}

static void pump(void)
{
    while (P.head != P.tail) {
        rl_callback_read_char();
        apply_pending();
    }
}

void prompt_feed(int byte)
{
    if (P.tail >= QUEUE_MAX)
        return;
    P.q[P.tail++] = (unsigned char)byte;
    pump();
}

static void feed_seq(const char *s)
{
    size_t n = strlen(s);
    if (P.tail + n > QUEUE_MAX)
        return;
    memcpy(P.q + P.tail, s, n);
    P.tail += n;
    pump();
}

void prompt_feed_key(int key)
{
    switch (key) {
    case KEY_LEFT: feed_seq("\033[D"); break;
    case KEY_RIGHT: feed_seq("\033[C"); break;
    case KEY_UP: feed_seq("\033[A"); break;
    case KEY_DOWN: feed_seq("\033[B"); break;
    case KEY_HOME: rl_beg_of_line(1, 0); P.dirty = true; break;
    case KEY_END: rl_end_of_line(1, 0); P.dirty = true; break;
    case KEY_DC: rl_delete(1, 0); P.dirty = true; break;
    case KEY_BACKSPACE: prompt_feed(127); break;
    case KEY_ENTER: prompt_feed('\r'); break;
    default: break;
    }
}

void prompt_set_label(const char *label)
{
    snprintf(P.label, sizeof P.label, "%s", label);
    rl_set_prompt(P.label);
    P.dirty = true;
}

const char *prompt_line(void)
{
    return rl_line_buffer ? rl_line_buffer : "";
}

bool prompt_line_empty(void)
{
    return !rl_line_buffer || rl_end == 0;
}

void prompt_set_line(const char *text)
{
    free(P.pending);
    P.pending = NULL;
    if (P.in_handler) {
        P.pending = strdup(text);
        return;
    }
    rl_replace_line(text, 0);
    rl_point = rl_end;
    P.dirty = true;
}

void prompt_insert(const char *text, size_t n)
{
    char *t = strndup(text, n);
    if (!t)
        return;
    rl_insert_text(t);
    free(t);
    P.dirty = true;
}

void prompt_add_history(const char *line)
{
    if (keyfilter_contains(line, strlen(line)))
        return; /* a line holding a key versus knows is never kept */
    add_history(line);
    if (P.history_path[0]) {
        /* append_history needs the file to exist; it holds prompts
         * (restricted ones too), so it is the user's alone, like sessions */
        int fd = open(P.history_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            close(fd);
        append_history(1, P.history_path);
    }
}

bool prompt_vi_mode(void)
{
    return rl_editing_mode == 0;
}

bool prompt_take_dirty(void)
{
    bool d = P.dirty;
    P.dirty = false;
    return d;
}

/* Walks prompt+line as wrapped rows of width w; reports the rows used and
 * the row/column of byte offset cursor. */
static void measure(const char *s, size_t len, int w, size_t cursor, int *rows, int *cy, int *cx)
{
    int row = 0, col = 0;
    *cy = 0;
    *cx = 0;
    for (size_t i = 0; i < len;) {
        if (i == cursor) {
            *cy = row;
            *cx = col;
        }
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        if (cp == '\n') {
            row++;
            col = 0;
        } else {
            int cw = wrap_cp_width(cp, col);
            if (col + cw > w) {
                row++;
                col = 0;
                if (i == cursor) {
                    *cy = row;
                    *cx = 0;
                }
            }
            col += cw;
        }
        i += n;
    }
    if (cursor >= len) {
        if (col >= w) {
            row++;
            col = 0;
        }
        *cy = row;
        *cx = col;
    }
    *rows = row + 1;
}

static char *joined(size_t *len, size_t *cursor)
{
    const char *pr = rl_display_prompt ? rl_display_prompt : P.label;
    const char *line = rl_line_buffer ? rl_line_buffer : "";
    size_t pl = strlen(pr), ll = (size_t)rl_end;
    char *s = malloc(pl + ll + 1);
    if (!s)
        return NULL;
    memcpy(s, pr, pl);
    memcpy(s + pl, line, ll);
    s[pl + ll] = '\0';
    *len = pl + ll;
    *cursor = pl + (size_t)(rl_point < 0 ? 0 : rl_point);
    if (*cursor > *len)
        *cursor = *len;
    return s;
}

int prompt_rows(int width, int max_rows)
{
    size_t len, cursor;
    char *s = joined(&len, &cursor);
    if (!s)
        return 1;
    int rows, cy, cx;
    measure(s, len, width > 0 ? width : 1, cursor, &rows, &cy, &cx);
    free(s);
    if (rows > max_rows)
        rows = max_rows;
    return rows < 1 ? 1 : rows;
}

void prompt_draw(int y, int x, int h, int w, unsigned long attr)
{
    size_t len, cursor;
    char *s = joined(&len, &cursor);
    if (!s || w <= 0 || h <= 0) {
        free(s);
        return;
    }
    int rows, cy, cx;
    measure(s, len, w, cursor, &rows, &cy, &cx);
    int first = cy >= h ? cy - h + 1 : 0; /* keep the cursor's row in view */
    if (rows - first < h && rows > h)
        first = rows - h;
    attrset((attr_t)attr);
    for (int r = 0; r < h; r++) {
        move(y + r, x);
        for (int c = 0; c < w; c++)
            addch(' ');
    }
    int row = 0, col = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        if (cp == '\n') {
            row++;
            col = 0;
            i += n;
            continue;
        }
        int cw = wrap_cp_width(cp, col);
        if (col + cw > w) {
            row++;
            col = 0;
        }
        if (row >= first && row < first + h) {
            /* drawn exactly as measured (wrap.h): marks join the cell
             * before them, format characters are not sent */
            Buf one = { 0 };
            if (wrap_render(s + i, n, col, &one) >= 0 && one.len) {
                if (wrap_cp_width(cp, col) > 0)
                    move(y + row - first, x + col);
                addnstr(buf_str(&one), (int)one.len);
            }
            buf_free(&one);
        }
        col += cw;
        i += n;
    }
    free(s);
    int ry = cy - first;
    if (ry < 0)
        ry = 0;
    if (ry >= h)
        ry = h - 1;
    move(y + ry, x + (cx < w ? cx : w - 1));
}
