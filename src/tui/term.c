/* term.c — owning the terminal (term.h): curses start/stop, the self-pipe
 * woken by SIGWINCH and the quit signals, suspend/resume, and the crash
 * path that puts the terminal back before the signal takes its course.
 * Not for drawing or keys. */
#include "tui/term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#define RESTORE_MAX 512
#define PASTE_ON "\033[?2004h"
#define PASTE_OFF "\033[?2004l"

static struct {
    bool started;             /* curses is running */
    bool have_tty_modes;
    struct termios tty_modes; /* as found, restored on a crash */
    char restore[RESTORE_MAX]; /* terminfo's reset strings, written on a crash */
    size_t restore_len;
    int pipe[2];              /* self-pipe: [0] polled by the loop */
    SCREEN *screen;
    struct sigaction old[NSIG];
} T = { .pipe = { -1, -1 } };

static volatile sig_atomic_t winch_pending;
static volatile sig_atomic_t quit_pending;

static const int quit_signals[] = { SIGTERM, SIGHUP, SIGINT };
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };

static void wake(void)
{
    int saved = errno;
    char c = 1;
    if (T.pipe[1] >= 0 && write(T.pipe[1], &c, 1) < 0) { /* a full pipe already wakes the loop */
    }
    errno = saved;
}

static void on_winch(int sig)
{
    (void)sig;
    winch_pending = 1;
    wake();
}

static void on_quit(int sig)
{
    (void)sig;
    quit_pending = 1;
    wake();
}

/* Async-signal-safe: only write() and tcsetattr(). */
static void restore_raw(void)
{
    if (T.restore_len && write(STDOUT_FILENO, T.restore, T.restore_len) < 0) {
    }
    if (T.have_tty_modes)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &T.tty_modes);
}

static void on_crash(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    restore_raw();
    /* hand the signal to whoever had it before (the default, or a
     * sanitizer's report): a real fault re-executes and lands there, a
     * sent signal (kill, abort) is raised again */
    sigaction(sig, &T.old[sig], NULL);
    if (info->si_code <= 0 || sig == SIGABRT || sig == SIGQUIT)
        raise(sig);
}

static void add_restore(const char *cap)
{
    char *s = tigetstr(cap);
    if (!s || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (T.restore_len + n < RESTORE_MAX) {
        memcpy(T.restore + T.restore_len, s, n);
        T.restore_len += n;
    }
}

/* Asks the terminal to mark pastes (or to stop): a pasted block then comes
 * between TERM_KEY_PASTE_BEGIN and TERM_KEY_PASTE_END. */
static void paste_mode(bool on)
{
    fflush(stdout);
    const char *s = on ? PASTE_ON : PASTE_OFF;
    if (write(STDOUT_FILENO, s, strlen(s)) < 0) {
    }
}

static void install(int sig, void (*fn)(int), void (*info_fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa = { 0 };
    if (info_fn) {
        sa.sa_sigaction = info_fn;
        flags |= SA_SIGINFO;
    } else {
        sa.sa_handler = fn;
    }
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(sig, &sa, &T.old[sig]);
}

static void uninstall(int sig)
{
    sigaction(sig, &T.old[sig], NULL);
}

/* A terminal curses can drive full-screen: known to terminfo, with cursor
 * addressing and a way to clear. */
static int check_terminal(char *err, size_t errlen)
{
    const char *term = getenv("TERM");
    const char *hint = "use 'versus run -m SPEC PROMPT' instead";
    if (!term || !*term) {
        snprintf(err, errlen, "TERM is not set, so the full-screen workbench can not start; %s", hint);
        return -1;
    }
    int errret = 0;
    if (setupterm((char *)term, STDOUT_FILENO, &errret) != OK) {
        snprintf(err, errlen, "the terminal type '%.64s' is not in the terminfo database; %s", term, hint);
        return -1;
    }
    char *cup = tigetstr("cup"), *clear = tigetstr("clear");
    bool ok = cup && cup != (char *)-1 && clear && clear != (char *)-1;
    del_curterm(cur_term);
    if (!ok) {
        snprintf(err, errlen, "the terminal '%.64s' can not move the cursor, so the full-screen workbench "
                              "can not run there; %s", term, hint);
        return -1;
    }
    return 0;
}

int term_check(char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "the workbench needs a terminal; use 'versus run -m SPEC PROMPT' in scripts");
        return -1;
    }
    return check_terminal(err, errlen);
}

int term_start(bool *use_color, char *err, size_t errlen)
{
    if (term_check(err, errlen) < 0)
        return -1;
    if (pipe2(T.pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        T.pipe[0] = T.pipe[1] = -1;
        return -1;
    }
    T.have_tty_modes = tcgetattr(STDIN_FILENO, &T.tty_modes) == 0;
    /* ours before curses starts, so that it installs none of its own */
    install(SIGWINCH, on_winch, NULL, SA_RESTART);
    for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
        install(quit_signals[i], on_quit, NULL, SA_RESTART);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        install(crash_signals[i], NULL, on_crash, 0);
    signal(SIGPIPE, SIG_IGN);

    set_escdelay(25);
    T.screen = newterm(NULL, stdout, stdin);
    if (!T.screen) {
        snprintf(err, errlen, "curses could not start on this terminal; use 'versus run -m SPEC PROMPT' instead");
        term_stop();
        return -1;
    }
    T.started = true;
    T.restore_len = 0;
    memcpy(T.restore, PASTE_OFF, sizeof PASTE_OFF - 1);
    T.restore_len = sizeof PASTE_OFF - 1;
    add_restore("sgr0");
    add_restore("cnorm");
    add_restore("rmkx");
    add_restore("rmcup");
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    define_key("\033[200~", TERM_KEY_PASTE_BEGIN);
    define_key("\033[201~", TERM_KEY_PASTE_END);
    paste_mode(true);
    const char *nc = getenv("NO_COLOR");
    *use_color = has_colors() && !(nc && nc[0]);
    if (*use_color) {
        start_color();
        use_default_colors();
    }
    return 0;
}

void term_stop(void)
{
    if (T.started) {
        paste_mode(false);
        if (!isendwin())
            endwin();
        delscreen(T.screen);
        T.screen = NULL;
        T.started = false;
    }
    if (T.pipe[0] >= 0) {
        uninstall(SIGWINCH);
        for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
            uninstall(quit_signals[i]);
        for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
            uninstall(crash_signals[i]);
        close(T.pipe[0]);
        close(T.pipe[1]);
        T.pipe[0] = T.pipe[1] = -1;
    }
    T.restore_len = 0;
}

int term_wake_fd(void)
{
    return T.pipe[0];
}

bool term_take_wake(void)
{
    char buf[64];
    while (T.pipe[0] >= 0 && read(T.pipe[0], buf, sizeof buf) > 0) {
    }
    bool resized = winch_pending;
    winch_pending = 0;
    return resized;
}

void term_resize(int *rows, int *cols)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        if (ws.ws_row != LINES || ws.ws_col != COLS)
            resizeterm(ws.ws_row, ws.ws_col);
    }
    getmaxyx(stdscr, *rows, *cols);
}

bool term_quit_requested(void)
{
    return quit_pending != 0;
}

void term_suspend(void)
{
    if (!T.started)
        return;
    paste_mode(false);
    endwin();
    /* SIGSTOP can not be caught: the shell sees the job stop as with Ctrl-Z */
    kill(getpid(), SIGSTOP);
    /* resumed (fg): take the terminal again and draw everything */
    reset_prog_mode();
    clearok(curscr, TRUE);
    refresh();
    paste_mode(true);
}

int term_write(const char *s, size_t n, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(STDOUT_FILENO, s + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errlen, "writing to the terminal: %s", strerror(errno));
            return -1;
        }
        off += (size_t)w;
    }
    return 0;
}
