/* library.h — the prompt library: prompts/CATEGORY/NAME.txt files with a
 * short header (title, category, difficulty) above a line "---".
 *
 * Looked for in $XDG_CONFIG_HOME/versus/prompts, the installed prompts and
 * the source tree's prompts/ (first match of a name wins). Names are
 * "CATEGORY/NAME" without ".txt". */
#ifndef VERSUS_LIBRARY_H
#define VERSUS_LIBRARY_H

#include <stddef.h>

typedef struct LibraryPrompt {
    char name[128];      /* "extraction/invoice-fields" */
    char title[160];
    char category[48];   /* extraction classification summarisation code reasoning sensitive */
    char difficulty[32]; /* easy medium hard */
    char *body;          /* malloc'ed prompt text */
} LibraryPrompt;

/* Parses a prompt file's text (name is used in errors). 0, or -1 with err
 * ("NAME:LINE: ..."): missing '---', unknown header key, missing title or
 * category, empty body. */
int library_parse(const char *text, size_t len, const char *name, LibraryPrompt *out, char *err, size_t errlen);
/* Loads prompt NAME. 0, or -1 with err. */
int library_load(const char *name, LibraryPrompt *out, char *err, size_t errlen);
void library_prompt_free(LibraryPrompt *p);
/* All prompt names found, sorted and deduplicated; *names is malloc'ed (free
 * with library_free_names). Returns the count. */
size_t library_list(char ***names);
void library_free_names(char **names, size_t n);

#endif
