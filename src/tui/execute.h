/* execute.h — what an entered line does: a prompt starts a round, a `:`
 * command changes the workbench, a line typed while labelling is the
 * label's note or category. Not for keys (actions.c). */
#ifndef VERSUS_EXECUTE_H
#define VERSUS_EXECUTE_H

#include "tui/app_state.h"

/* The prompt's line callback (PromptLineFn): user is the App; line is NULL
 * for Ctrl-D on an empty line. Frees line. */
void execute_line(void *user, char *line);

#endif
