/* completion.c — what Tab completes on the prompt line (completion.h):
 * command names after ':', then each command's own words. */
#include "tui/completion.h"

#include <readline/readline.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/commands.h"
#include "tui/library.h"
#include "tui/theme.h"

static char **cands;
static size_t n_cands;
static size_t cand_i;
static bool cand_short; /* candidates are CATEGORY/NAME: NAME alone matches too */

static void cands_free(void)
{
    for (size_t i = 0; i < n_cands; i++)
        free(cands[i]);
    free(cands);
    cands = NULL;
    n_cands = 0;
}

static void cands_from(const char *const *list)
{
    cands_free();
    size_t n = 0;
    while (list[n])
        n++;
    cands = calloc(n + 1, sizeof *cands);
    for (size_t i = 0; cands && i < n; i++)
        if ((cands[n_cands] = strdup(list[i])))
            n_cands++;
}

static char *cand_gen(const char *text, int state)
{
    if (state == 0)
        cand_i = 0;
    size_t tl = strlen(text);
    while (cand_i < n_cands) {
        const char *c = cands[cand_i++];
        const char *slash = cand_short ? strchr(c, '/') : NULL;
        if (strncmp(c, text, tl) == 0 || (slash && strncmp(slash + 1, text, tl) == 0))
            return strdup(c);
    }
    return NULL;
}

char **completion_matches(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    const char *buf = rl_line_buffer;
    if (buf[0] != ':')
        return NULL;
    cand_short = false;
    if (start <= 1) {
        cands_from(commands_names());
        return rl_completion_matches(text, cand_gen);
    }
    char cmd[32];
    size_t k = 0;
    for (const char *p = buf + 1; *p && *p != ' ' && k + 1 < sizeof cmd; p++)
        cmd[k++] = *p;
    cmd[k] = '\0';
    if (strcmp(cmd, "prompt") == 0) {
        /* CATEGORY/NAME, found from either its start or NAME's */
        char **names;
        size_t n = library_list(&names);
        cands_free();
        cands = names;
        n_cands = n;
        cand_short = true;
    } else if (strcmp(cmd, "theme") == 0) {
        char list[1024];
        theme_list(list, sizeof list);
        const char *words[64];
        size_t nw = 0;
        for (char *w = list; *w && nw < 63;) {
            char *sp = strchr(w, ' ');
            words[nw++] = w;
            if (!sp)
                break;
            *sp = '\0';
            w = sp + 1;
        }
        words[nw] = NULL;
        cands_from(words);
    } else if (strcmp(cmd, "set") == 0) {
        cands_from(commands_param_names());
    } else if (strcmp(cmd, "layout") == 0) {
        static const char *const m[] = { "auto", "columns", "rows", NULL };
        cands_from(m);
    } else if (strcmp(cmd, "sensitivity") == 0) {
        static const char *const m[] = { "public", "internal", "restricted", NULL };
        cands_from(m);
    } else {
        return NULL;
    }
    char **m = rl_completion_matches(text, cand_gen);
    /* several NAME matches in different categories share no prefix with
     * what was typed: keep the typed text rather than cut it to theirs */
    if (m && m[0] && m[1] && m[2] && strncmp(m[0], text, strlen(text)) != 0) {
        char *keep = strdup(text);
        if (keep) {
            free(m[0]);
            m[0] = keep;
        }
    }
    return m;
}

void completion_free(void)
{
    cands_free();
}
