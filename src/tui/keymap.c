/* keymap.c — the key binding table and the help text (keymap.h). */
#include "tui/keymap.h"

#include <curses.h>

#define CTRL(c) ((c) & 0x1f)

static const KeyBinding bindings[] = {
    { '\t', KEYMAP_FOCUS_NEXT, KEYMAP_SCOPE_GLOBAL, "Tab", "focus the next pane / the prompt (completes after ':')" },
    { KEY_BTAB, KEYMAP_FOCUS_PREV, KEYMAP_SCOPE_GLOBAL, "Shift-Tab", "focus the previous pane / the prompt" },
    { KEY_PPAGE, KEYMAP_PAGE_UP, KEYMAP_SCOPE_GLOBAL, "PgUp", "scroll the focused pane up (all panes from the prompt)" },
    { KEY_NPAGE, KEYMAP_PAGE_DOWN, KEYMAP_SCOPE_GLOBAL, "PgDn", "scroll down; at the end the pane follows new text again" },
    { 27, KEYMAP_CANCEL, KEYMAP_SCOPE_GLOBAL, "Esc", "leave the pane; from the prompt: stop every stream (asks)" },
    { CTRL('c'), KEYMAP_INTERRUPT, KEYMAP_SCOPE_GLOBAL, "Ctrl-C", "stop every stream (asks); else clear the line" },
    { KEY_F(1), KEYMAP_HELP, KEYMAP_SCOPE_GLOBAL, "F1", "this help" },
    { KEY_F(2), KEYMAP_ZOOM, KEYMAP_SCOPE_GLOBAL, "F2", "zoom the focused pane full-screen / back" },
    { KEY_F(3), KEYMAP_LAYOUT, KEYMAP_SCOPE_GLOBAL, "F3", "layout: auto, columns, rows" },
    { KEY_F(5), KEYMAP_RERUN, KEYMAP_SCOPE_GLOBAL, "F5", "rerun the last round (the same turn again)" },
    { KEY_F(6), KEYMAP_NEW, KEYMAP_SCOPE_GLOBAL, "F6", "a new conversation (the next prompt goes alone)" },
    { CTRL('l'), KEYMAP_REDRAW, KEYMAP_SCOPE_GLOBAL, "Ctrl-L", "redraw the screen" },
    { CTRL('z'), KEYMAP_SUSPEND, KEYMAP_SCOPE_GLOBAL, "Ctrl-Z", "suspend to the shell (fg comes back)" },
    { '1', KEYMAP_DIGIT, KEYMAP_SCOPE_PANE, "1..9", "mark pane N the winner (round done), else focus pane N" },
    { 't', KEYMAP_TIE, KEYMAP_SCOPE_PANE, "t", "label the finished round a tie" },
    { 'b', KEYMAP_BAD, KEYMAP_SCOPE_PANE, "b", "label the finished round: both (all) bad" },
    { '?', KEYMAP_HELP, KEYMAP_SCOPE_EMPTY, "?", "this help" },
    { 's', KEYMAP_STOP, KEYMAP_SCOPE_PANE, "s", "stop this pane's stream only" },
    { 'r', KEYMAP_RERUN, KEYMAP_SCOPE_PANE, "r", "rerun the last round (the same turn again)" },
    { 'q', KEYMAP_QUIT, KEYMAP_SCOPE_PANE, "q", "quit (from the prompt: Ctrl-D on an empty line, or :q)" },
    { 'z', KEYMAP_ZOOM, KEYMAP_SCOPE_PANE, "z", "zoom the focused pane / back" },
    { 'l', KEYMAP_LAYOUT, KEYMAP_SCOPE_PANE, "l", "layout: auto, columns, rows" },
    { 'd', KEYMAP_DIFF, KEYMAP_SCOPE_PANE, "d", "word diff of the focused pane against the next one" },
    { 'c', KEYMAP_COPY, KEYMAP_SCOPE_PANE, "c / y", "copy the focused reply (OSC 52; a file when tmux drops it)" },
    { 'y', KEYMAP_COPY, KEYMAP_SCOPE_PANE, NULL, NULL },
    { 'k', KEYMAP_LINE_UP, KEYMAP_SCOPE_PANE, "k / Up", "scroll one line up" },
    { KEY_UP, KEYMAP_LINE_UP, KEYMAP_SCOPE_PANE, NULL, NULL },
    { 'j', KEYMAP_LINE_DOWN, KEYMAP_SCOPE_PANE, "j / Down", "scroll one line down" },
    { KEY_DOWN, KEYMAP_LINE_DOWN, KEYMAP_SCOPE_PANE, NULL, NULL },
    { ' ', KEYMAP_PAGE_DOWN, KEYMAP_SCOPE_PANE, NULL, NULL },
    { 'g', KEYMAP_TOP, KEYMAP_SCOPE_PANE, "g / Home", "top of the reply" },
    { KEY_HOME, KEYMAP_TOP, KEYMAP_SCOPE_PANE, NULL, NULL },
    { 'G', KEYMAP_BOTTOM, KEYMAP_SCOPE_PANE, "G / End", "end of the reply (follow new text)" },
    { KEY_END, KEYMAP_BOTTOM, KEYMAP_SCOPE_PANE, NULL, NULL },
    { '\r', KEYMAP_FOCUS_PROMPT, KEYMAP_SCOPE_PANE, "Enter", "back to the prompt" },
    { '\n', KEYMAP_FOCUS_PROMPT, KEYMAP_SCOPE_PANE, NULL, NULL },
    { KEY_ENTER, KEYMAP_FOCUS_PROMPT, KEYMAP_SCOPE_PANE, NULL, NULL },
    { 0, KEYMAP_NONE, KEYMAP_SCOPE_GLOBAL, NULL, NULL },
};

const KeyBinding *keymap_table(void)
{
    return bindings;
}

KeyAction keymap_lookup(int key, int pane_focused, int line_empty, int *digit)
{
    if (key >= '1' && key <= '9') {
        if (!pane_focused) /* typed: a label from the prompt is a line (execute.c) */
            return KEYMAP_NONE;
        *digit = key - '0';
        return KEYMAP_DIGIT;
    }
    for (const KeyBinding *b = bindings; b->key; b++) {
        if (b->key != key)
            continue;
        if (b->scope == KEYMAP_SCOPE_GLOBAL)
            return b->action;
        if (b->scope == KEYMAP_SCOPE_EMPTY && (pane_focused || line_empty))
            return b->action;
        if (b->scope == KEYMAP_SCOPE_PANE && pane_focused)
            return b->action;
    }
    return KEYMAP_NONE;
}

static const char *const help_lines[] = {
    "versus workbench: one prompt, every model side by side",
    "",
    "Focus: Tab cycles prompt -> pane 1 -> pane 2 ... -> prompt. With the prompt",
    "focused, keys type text (only ? on an empty line opens this help). With a",
    "pane focused, the letter keys below act; other keys go to the prompt.",
    "",
    "Everywhere",
    "  Tab / Shift-Tab  focus next / previous (Tab completes after ':')",
    "  PgUp / PgDn      scroll the focused pane (from the prompt: all panes)",
    "  mouse wheel      scroll the pane under the pointer",
    "  Esc              leave the pane, close help/diff; from the prompt while",
    "                   streaming: stop every stream (asks y/n first)",
    "  Ctrl-C           stop every stream (asks; Ctrl-C again says yes);",
    "                   else clear the prompt line",
    "  F1  help    F2 zoom    F3 layout    F5 rerun    Ctrl-L redraw",
    "  F6               a new conversation (also :new): the next prompt goes alone",
    "  Ctrl-Z           suspend to the shell (fg comes back)",
    "",
    "After a round",
    "  from the prompt  a line that is just N, t or b, sent with Enter: pane N",
    "                   won, a tie, both bad (any longer line is a follow-up)",
    "  on a pane        1..9 the winner, t tie, b both bad: the key alone",
    "                   then type a note and a category (Enter skips each)",
    "",
    "With a pane focused",
    "  j/k Up/Down      scroll a line       Space PgDn     scroll a page",
    "  g/G Home/End     top / end           z  zoom        l  layout",
    "  d                word diff with the next pane      c/y copy (OSC 52;",
    "                   the message says how, or which file holds it)",
    "  s  stop this pane's stream only (the others go on)",
    "  r  rerun         q  quit             Enter/Esc      back to the prompt",
    "",
    "Prompt line (GNU readline: emacs or vi keys from ~/.inputrc)",
    "  Enter            send the prompt to every model, with the conversation so",
    "                   far: each model sees the earlier prompts and its own",
    "                   replies (\"turn N>\" says how far it goes; F6 or :new",
    "                   starts afresh). While a round streams Enter asks",
    "                   first; nothing is lost: every round is saved as it",
    "                   starts and while it streams",
    "  Alt-Enter        insert a newline (also Ctrl-V Ctrl-J)",
    "  paste            a pasted block lands on the line whole, newlines kept;",
    "                   nothing is sent until Enter",
    "  Up/Down Ctrl-R   history (kept in $XDG_STATE_HOME/versus/history)",
    "  Ctrl-D           quit on an empty line (asks while streaming)",
    "",
    "Commands",
    "  :models SPEC...          compare these models from the next round on",
    "  :system TEXT             set the system prompt (:system alone clears it)",
    "  :set NAME VALUE          temperature, max_tokens, top_p, top_k, min_p, repeat_penalty, seed,",
    "                           timeout, reasoning (alone: list them)",
    "                           (VALUE 'unset' returns to the provider's default)",
    "  :sensitivity CLASS       public, internal or restricted (routing rules)",
    "  :prompt NAME             load a prompt from the library (Tab completes)",
    "  :prompts                 browse the prompt library (Up/Down, Enter loads)",
    "  :theme NAME              default, light, solarized-dark, high-contrast, mono",
    "  :layout MODE             auto, columns or rows",
    "  :blind                   toggle blind mode (names hidden, order shuffled)",
    "  :reasoning [show|hide]   fold or unfold every reply's reasoning in the panes",
    "  :reasoning LEVEL         off, low, medium, high or a token budget, from the next round",
    "  :save                    save the session now (also after every round)",
    "  :export [FILE]           write the last round as Markdown",
    "  :new                     a new conversation (F6): the next prompt goes alone",
    "  :help                    this help           :q  quit",
    "",
    "Esc or q closes this help.",
};

const char *const *keymap_help_lines(size_t *n)
{
    *n = sizeof help_lines / sizeof help_lines[0];
    return help_lines;
}
