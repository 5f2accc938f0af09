/* execute.c — entered lines: prompts start rounds, `:` commands change the
 * workbench, and while a label is given the line is its note or category
 * (execute.h). Parsing is commands.c's. */
#include "tui/execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/actions.h"
#include "tui/commands.h"
#include "tui/conversation.h"
#include "tui/draw.h"
#include "tui/library.h"
#include "tui/overlay.h"
#include "tui/prompt.h"
#include "tui/round.h"

#define CATEGORY_HINT "extraction classification summarisation code reasoning sensitive other"

/* ---- `:` commands ------------------------------------------------------------------ */

/* :reasoning alone or show/hide folds or unfolds the reasoning in every
 * pane; a level, a budget or "unset" is what the next rounds ask for
 * (as :set reasoning). */
static void reasoning_command(App *a, const char *arg)
{
    if (!arg || strcmp(arg, "show") == 0 || strcmp(arg, "hide") == 0) {
        a->hide_reasoning = arg ? strcmp(arg, "hide") == 0 : !a->hide_reasoning;
        round_sync_panes(a);
        a->dirty = true;
        app_message(a, false, "reasoning %s in the panes", a->hide_reasoning ? "hidden" : "shown");
        return;
    }
    char err[256];
    if (commands_set_param(&a->params, "reasoning", arg, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return;
    }
    char rs[32];
    reasoning_format(&a->params.reasoning, rs, sizeof rs);
    app_message(a, false, "reasoning asked of every model from the next round: %s", rs[0] ? rs : "each model's default");
}

static void set_models(App *a, const Command *c)
{
    const char *args[COMMANDS_MAX_ARGS];
    for (int i = 0; i < c->argc; i++)
        args[i] = c->argv[i];
    char err[700];
    if (app_set_models(a, args, (size_t)c->argc, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return;
    }
    /* other models: their histories do not carry over */
    bool had_turns = a->turn > 1;
    conversation_new(a);
    Buf bad = { 0 };
    if (had_turns)
        buf_printf(&bad, " \u00b7 a new conversation starts");
    for (size_t i = 0; i < a->n_specs; i++)
        if (!a->checks[i].usable)
            buf_printf(&bad, " \u00b7 %s can not be asked: %s (%s)", a->names[i], a->checks[i].problem,
                       a->checks[i].fix);
    app_message(a, bad.len > 0, "models for the next round: %s%s", c->rest, buf_str(&bad));
    buf_free(&bad);
}

static void set_layout(App *a, const char *mode)
{
    if (strcmp(mode, "auto") == 0)
        a->mode = LAYOUT_AUTO;
    else if (strcmp(mode, "columns") == 0)
        a->mode = LAYOUT_COLUMNS;
    else if (strcmp(mode, "rows") == 0)
        a->mode = LAYOUT_ROWS;
    else {
        app_message(a, true, "layout is auto, columns or rows");
        return;
    }
    draw_relayout(a);
}

/* :prompt NAME — the loaded text stays on the line: returns false so that
 * the caller does not clear it. */
static bool load_prompt(App *a, const char *name)
{
    LibraryPrompt lp;
    char err[512];
    if (library_load(name, &lp, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return true;
    }
    prompt_set_line(lp.body);
    app_message(a, false, "%s [%s, %s] loaded: edit it or press Enter", lp.title, lp.category,
                lp.difficulty[0] ? lp.difficulty : "?");
    library_prompt_free(&lp);
    draw_relayout(a);
    return false;
}

static void set_theme(App *a, const char *name)
{
    Theme t;
    char err[512];
    if (theme_load(name, &t, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return;
    }
    a->theme = t;
    theme_apply(&a->theme, a->use_color);
    a->full_redraw = true;
    app_message(a, false, "theme %s", t.name);
}

static void run_command(App *a, const char *line)
{
    Command c;
    char err[512];
    if (commands_parse(line, &c, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        prompt_set_line(line); /* kept, to be fixed rather than typed again */
        return;
    }
    bool clear_line = true;
    switch (c.kind) {
    case CMD_MODELS: set_models(a, &c); break;
    case CMD_SYSTEM:
        free(a->system);
        a->system = c.rest[0] ? strdup(c.rest) : NULL;
        app_message(a, false, a->system ? "system prompt set" : "system prompt cleared");
        break;
    case CMD_SET:
        if (c.argc == 0) { /* :set alone: what the next round is sent with */
            char d[256];
            commands_describe_params(&a->params, d, sizeof d);
            app_message(a, false, "parameters: %s \u00b7 :set NAME VALUE changes one, :set NAME unset clears it", d);
        } else if (commands_set_param(&a->params, c.argv[0], c.argv[1], err, sizeof err) < 0) {
            app_message(a, true, "%s", err);
            clear_line = false;
            prompt_set_line(line);
        } else {
            char d[256];
            commands_describe_params(&a->params, d, sizeof d);
            app_message(a, false, "parameters: %s", d);
        }
        break;
    case CMD_SENSITIVITY:
        if (sensitivity_parse(c.argv[0], &a->sensitivity) < 0)
            app_message(a, true, "sensitivity is public, internal or restricted");
        else
            app_message(a, false, "sensitivity: %s", sensitivity_name(a->sensitivity));
        break;
    case CMD_PROMPT: clear_line = load_prompt(a, c.argv[0]); break;
    case CMD_PROMPTS: overlay_library(a); break;
    case CMD_THEME: set_theme(a, c.argv[0]); break;
    case CMD_LAYOUT: set_layout(a, c.argv[0]); break;
    case CMD_REASONING:
        reasoning_command(a, c.argc ? c.argv[0] : NULL);
        break;
    case CMD_BLIND:
        a->blind = !a->blind;
        app_message(a, false, "blind mode %s (from the next round)", a->blind ? "on" : "off");
        break;
    case CMD_SAVE:
        if (!a->session)
            app_message(a, true, "%s", a->session_note[0] ? a->session_note : "nothing to save yet");
        else
            round_save(a, "session");
        break;
    case CMD_EXPORT: {
        char path[4352];
        if (a->run && a->round_blind && a->label.outcome == SESSION_UNLABELLED)
            /* the export names every model: it would end the blind judgement */
            app_message(a, true, "nothing exported: the export names the models, so a blind round can be exported "
                                 "once it is labelled (then :export again)");
        else if (round_export(a, c.argc ? c.argv[0] : NULL, path, sizeof path, err, sizeof err) < 0)
            app_message(a, true, "export failed: %s", err);
        else
            app_message(a, false, "exported the round to %s", path);
        break;
    }
    case CMD_HELP: overlay_help(a); break;
    case CMD_NEW:
        round_new_conversation(a);
        break;
    case CMD_QUIT: actions_quit(a, 0); break;
    }
    if (clear_line)
        prompt_set_line("");
}

/* ---- entered lines ------------------------------------------------------------------- */

/* A line that is just a pane number, "t" or "b" while a round awaits its
 * label is the label. True when it was. */
static bool label_line(App *a, const char *p)
{
    if (!round_label_pending(a) || !p[0])
        return false;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\n'))
        n--;
    if (n != 1)
        return false;
    if (p[0] >= '1' && p[0] <= '9') {
        int k = p[0] - '0';
        if ((size_t)k > a->n)
            app_message(a, true, "there is no pane %d", k);
        else
            round_label_begin(a, SESSION_WIN, k - 1);
        return true;
    }
    if (p[0] == 't' || p[0] == 'b') {
        round_label_begin(a, p[0] == 't' ? SESSION_TIE : SESSION_BOTH_BAD, -1);
        return true;
    }
    return false;
}

void execute_line(void *user, char *line)
{
    App *a = user;
    if (!line) { /* Ctrl-D on an empty line */
        if (a->label_stage != LABEL_NONE)
            round_label_finish(a);
        else
            actions_quit(a, 4 /* Ctrl-D again */);
        return;
    }
    if (a->label_stage == LABEL_NOTE) {
        snprintf(a->label.note, sizeof a->label.note, "%s", line);
        a->label_stage = LABEL_CATEGORY;
        prompt_set_label("category [" CATEGORY_HINT "] (Enter to skip)> ");
        free(line);
        return;
    }
    if (a->label_stage == LABEL_CATEGORY) {
        snprintf(a->label.category, sizeof a->label.category, "%s", line);
        free(line);
        round_label_finish(a);
        return;
    }
    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (label_line(a, p)) {
        free(line);
        a->dirty = true;
        return;
    }
    if (*p) {
        prompt_add_history(line);
        if (*p == ':')
            run_command(a, p);
        else if (round_streaming(a))
            actions_ask(a, ASK_SEND, 0, line,
                        "still streaming: stop (what came is saved) and send this?  y / n (n: it goes on)");
        else
            round_start(a, line);
    }
    free(line);
    a->dirty = true;
}
