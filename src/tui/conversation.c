/* conversation.c — each model's side of the conversation (conversation.h). */
#include "tui/conversation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "tui/prompt.h"

void conversation_free(App *a)
{
    for (size_t i = 0; i < LAYOUT_MAX_PANES; i++) {
        for (size_t k = 0; k < a->n_conv[i]; k++)
            free((char *)a->conv[i][k].content);
        free(a->conv[i]);
        a->conv[i] = NULL;
        a->n_conv[i] = 0;
    }
}

void conversation_show_turn(App *a)
{
    char label[32];
    if (a->turn <= 1)
        snprintf(label, sizeof label, "> ");
    else
        snprintf(label, sizeof label, "turn %d> ", a->turn);
    prompt_set_label(label);
}

void conversation_new(App *a)
{
    conversation_free(a);
    a->turn = 1;
    a->turn_added = false;
    a->conv_id[0] = '\0';
    if (a->label_stage == LABEL_NONE)
        conversation_show_turn(a);
}

void conversation_histories(const App *a, RunHistory *out)
{
    for (size_t i = 0; i < a->n_specs && i < LAYOUT_MAX_PANES; i++)
        out[i] = (RunHistory){ a->conv[i], a->n_conv[i] };
}

static int push(App *a, size_t i, const char *role, const char *text)
{
    Message *m = realloc(a->conv[i], (a->n_conv[i] + 1) * sizeof *m);
    if (!m)
        return -1;
    a->conv[i] = m;
    char *c = strdup(text);
    if (!c)
        return -1;
    m[a->n_conv[i]++] = (Message){ role, c };
    return 0;
}

int conversation_add_turn(App *a)
{
    if (!a->run || !a->prompt)
        return 0;
    for (size_t i = 0; i < LAYOUT_MAX_PANES; i++)
        a->turn_pushed[i] = false;
    for (size_t i = 0; i < a->n && i < LAYOUT_MAX_PANES; i++) {
        Reply *r = run_reply(a->run, i);
        if (!r || r->text.len == 0)
            continue; /* nothing came: this model's history skips the turn */
        if (push(a, i, "user", a->prompt) < 0 || push(a, i, "assistant", buf_str(&r->text)) < 0) {
            conversation_new(a);
            return -1;
        }
        a->turn_pushed[i] = true;
    }
    a->turn++;
    a->turn_added = true;
    if (a->label_stage == LABEL_NONE)
        conversation_show_turn(a);
    return 0;
}

void conversation_take_back_turn(App *a)
{
    if (!a->turn_added)
        return;
    for (size_t i = 0; i < LAYOUT_MAX_PANES; i++) {
        if (!a->turn_pushed[i] || a->n_conv[i] < 2)
            continue;
        for (int k = 0; k < 2; k++)
            free((char *)a->conv[i][--a->n_conv[i]].content);
        a->turn_pushed[i] = false;
    }
    a->turn--;
    a->turn_added = false;
    if (a->label_stage == LABEL_NONE)
        conversation_show_turn(a);
}

const char *conversation_id(App *a)
{
    if (!a->conv_id[0])
        snprintf(a->conv_id, sizeof a->conv_id, "c%.0f-%d-%04lx", clock_wall_s(), (int)getpid(),
                 (unsigned long)(random() & 0xffff));
    return a->conv_id;
}
