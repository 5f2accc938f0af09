/* completion.h — what Tab completes on the prompt line: `:` command
 * names, then each command's words (prompt library names, found from the
 * category or from the name alone; themes; :set parameters; layouts;
 * sensitivity classes). Never file names. readline's attempted-completion
 * hook; the candidates live until the next completion or completion_free. */
#ifndef VERSUS_COMPLETION_H
#define VERSUS_COMPLETION_H

/* rl_attempted_completion_function: the matches for text (the word from
 * start to end of rl_line_buffer), or NULL when nothing completes there. */
char **completion_matches(const char *text, int start, int end);
/* Frees the candidates kept between calls. */
void completion_free(void);

#endif
