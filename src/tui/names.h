/* names.h — short, unique names for the panes of a round (pure).
 *
 * A pane is called by the name the user gave it (`-m NAME=SPEC`, or a model
 * alias from the config used as the spec), else by the shortest form of its
 * spec that no other pane shares: the model ("gpt-4o-mini"; a local file's
 * name without ".gguf"), then PROVIDER:MODEL, then MODEL@HOST:PORT for a
 * URL, then the whole spec; panes whose specs are identical get "#2", "#3".
 * Status bars then never show two panes as the same "openai-compa…". */
#ifndef VERSUS_NAMES_H
#define VERSUS_NAMES_H

#include <stddef.h>

#define NAMES_MAX 96 /* bytes of one name, NUL included */

/* Splits "NAME=SPEC" (NAME: letters, digits, '_', '-', '.'; no ':') into
 * name and spec; anything else is all spec with name "". */
void names_split(const char *arg, char *name, size_t namelen, char *spec, size_t speclen);
/* Fills out[i] for each of the n specs; given[i] is the user's name for it,
 * or NULL/"" to choose one. */
void names_choose(const char *const *specs, const char *const *given, size_t n, char (*out)[NAMES_MAX]);

#endif
