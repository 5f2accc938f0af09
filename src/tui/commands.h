/* commands.h — the workbench's `:` commands: parsing and the parameter
 * settings they change (pure; the app carries them out). */
#ifndef VERSUS_COMMANDS_H
#define VERSUS_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/request.h"

#define COMMANDS_MAX_ARGS 16

typedef enum CommandKind {
    CMD_MODELS, CMD_SYSTEM, CMD_SET, CMD_SENSITIVITY, CMD_PROMPT, CMD_PROMPTS, CMD_THEME,
    CMD_LAYOUT, CMD_BLIND, CMD_SAVE, CMD_EXPORT, CMD_HELP, CMD_QUIT, CMD_NEW, CMD_REASONING,
} CommandKind;

typedef struct Command {
    CommandKind kind;
    const char *rest;                  /* text after the command word, leading blanks skipped (points into line) */
    int argc;                          /* words in rest */
    char argv[COMMANDS_MAX_ARGS][512]; /* the words */
} Command;

/* Parses line (which starts with ':'). 0, or -1 with err for an unknown
 * command or wrong arguments (checked per command). */
int commands_parse(const char *line, Command *out, char *err, size_t errlen);
/* Applies `:set NAME VALUE` to params with range checks; VALUE "unset" or
 * "default" unsets. 0, or -1 with err. */
int commands_set_param(Params *p, const char *name, const char *value, char *err, size_t errlen);
/* Whether any parameter is set (not the provider's default). */
bool commands_params_set(const Params *p);
/* Describes params as "temperature=0.2 max_tokens=256" ("provider defaults" when none). */
void commands_describe_params(const Params *p, char *out, size_t outlen);
/* The command names (without ':'), NULL-terminated, for completion. */
const char *const *commands_names(void);
/* The parameter names :set knows, NULL-terminated. */
const char *const *commands_param_names(void);

#endif
