/* fixture_formats.h — what fixture.c shares with the files that write and
 * read each third-party format (fixture_promptfoo.c, fixture_evals.c,
 * fixture_csv.c). Internal to src/store: callers use fixture.h. */
#ifndef VERSUS_FIXTURE_FORMATS_H
#define VERSUS_FIXTURE_FORMATS_H

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "store/fixture.h"

/* A new zeroed case at the end of set (not yet counted in set->n); NULL on OOM. */
FixtureCase *fixture_push_case(FixtureSet *set);
/* Reads one versus-format object into a new case of set. 0 or -1 with err. */
int fixture_versus_line(const cJSON *o, FixtureSet *set, char *err, size_t errlen);
/* Calls fn on each non-blank line of text parsed as JSON; errors name the line. */
typedef int (*FixtureJsonLineFn)(const cJSON *o, FixtureSet *set, char *err, size_t errlen);
int fixture_read_json_lines(const char *text, size_t len, FixtureJsonLineFn fn, FixtureSet *set, char *err,
                            size_t errlen);
/* Adds a bare candidate (spec only, or with text when not NULL) to a round's JSON array. */
void fixture_add_bare_candidate(cJSON *replies, const char *spec, const char *text);

/* The format writers get only the cases to write; rep->notes takes what
 * the file can not say, rep->not_carried what it has no place for. */
int fixture_write_promptfoo(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen);
int fixture_read_promptfoo(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen);
int fixture_write_evals(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen);
int fixture_evals_line(const cJSON *o, FixtureSet *set, char *err, size_t errlen);
int fixture_write_csv(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen);
/* True when candidate r of a restricted case may receive its prompt: it was
 * sent (on a restricted round versus sends only inside the perimeter) and
 * its provider is not a closed API. */
bool fixture_candidate_is_local(const Reply *r);
int fixture_read_csv(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen);

#endif
