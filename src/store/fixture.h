/* fixture.h — labelled rounds as routing-policy test cases, and the formats
 * they are exported in (see versus-fixtures(5)).
 *
 *   versus        JSON Lines, one case per line, schema data/versus-fixture.schema.json:
 *                 prompt, system, category, sensitivity, params, candidates
 *                 (model, provider, text, usage, cost, latency, recording),
 *                 the outcome and winner, assertions, and for a follow-up its
 *                 conversation (turn, history)
 *   promptfoo     a YAML list of promptfoo test cases (vars.prompt/system, and
 *                 vars.messages with the whole conversation for a follow-up;
 *                 assert, metadata)
 *   openai-evals  JSON Lines samples {"input": [messages: system, the
 *                 conversation so far, the prompt], "ideal": winner text}
 *   csv           RFC 4180, one row per (case, candidate)
 *
 * Every format can be read back (fixture_read) with the fields it carries.
 * Pure apart from fixture_load_file: writing and reading work on memory. */
#ifndef VERSUS_FIXTURE_H
#define VERSUS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "store/session.h"

#define FIXTURE_FORMAT_VERSION 1

typedef enum FixtureFormat {
    FIXTURE_VERSUS,
    FIXTURE_PROMPTFOO,
    FIXTURE_OPENAI_EVALS,
    FIXTURE_CSV,
} FixtureFormat;

typedef struct FixtureCase {
    char *id;        /* "SESSION#ROUND", or whatever the file says */
    char *session;   /* session id, or NULL */
    long round;      /* 1-based round in the session, or 0 when unknown */
    SessionRound r;  /* prompt, system, params, sensitivity, candidates (replies),
                      * outcome/winner, note, category, assertions; conversation/turn */
    Message *history; /* (n_history) a follow-up: the conversation before its prompt as the
                       * winner saw it (the first candidate's when there is no winner);
                       * owned strings */
    size_t n_history;
} FixtureCase;

typedef struct FixtureSet {
    FixtureCase *cases; /* (n) */
    size_t n, cap;
} FixtureSet;

/* "versus" | "promptfoo" | "openai-evals" | "csv"; 0 or -1. */
int fixture_format_parse(const char *name, FixtureFormat *out);
const char *fixture_format_name(FixtureFormat f);

/* Appends a copy of every labelled round of s (every round when all). 0 or -1 with err. */
int fixture_add_session(FixtureSet *set, const Session *s, bool all, char *err, size_t errlen);
/* Replaces c's history with copies of m[0..n). 0, or -1 when out of memory. */
int fixture_case_set_history(FixtureCase *c, const Message *m, size_t n);
/* Appends a deep copy of one case. 0 or -1. */
int fixture_add_case(FixtureSet *set, const FixtureCase *c, char *err, size_t errlen);
void fixture_set_free(FixtureSet *set);

/* How an export treats restricted rounds. A file for another tool
 * (promptfoo, openai-evals, csv) leaves them out unless include_restricted;
 * then each carries the marking its tool understands: promptfoo gets a
 * `providers` list of the local models that answered it and
 * metadata.data_perimeter "local-only" (a case with no such model refuses
 * the export); csv says so in its sensitivity column; openai-evals, which
 * has no way to keep a sample away from a closed API, refuses. The versus
 * format always keeps them. */
typedef struct FixtureExportOptions {
    bool include_restricted;
} FixtureExportOptions;

typedef struct FixtureExportReport {
    size_t written;             /* cases in the file */
    size_t restricted_left_out; /* restricted rounds not written (the default for other tools) */
    size_t restricted_included; /* restricted rounds written (include_restricted) */
    size_t not_carried;         /* cases the format has no place for (openai-evals: both_bad) */
    Buf notes;                  /* one line per thing the file could not say (an assertion kept aside) */
} FixtureExportReport;

/* Writes the cases in the format to out (report may be NULL; opt NULL =
 * defaults). 0, or -1 with err and nothing appended to out. */
int fixture_export(const FixtureSet *set, FixtureFormat f, const FixtureExportOptions *opt, Buf *out,
                   FixtureExportReport *report, char *err, size_t errlen);
void fixture_export_report_free(FixtureExportReport *r);
/* fixture_export with the defaults and no report. */
int fixture_write(const FixtureSet *set, FixtureFormat f, Buf *out, char *err, size_t errlen);
/* Reads cases written in the format (appending to set). Errors name the
 * line. 0 or -1 with err (set keeps the cases read before the error). */
int fixture_read(const char *text, size_t len, FixtureFormat f, FixtureSet *set, char *err, size_t errlen);
/* Reads a versus-format file (JSON Lines). 0 or -1 with err. */
int fixture_load_file(const char *path, FixtureSet *set, char *err, size_t errlen);

/* Appends the cases of one command-line argument: a session (ID, unique ID
 * prefix or path; labelled rounds, or every round when all) or a
 * versus-format fixture file. 0 or -1 with err saying what was tried. */
int fixture_add_source(FixtureSet *set, const char *name, bool all, char *err, size_t errlen);
/* Appends the cases of every saved session; unreadable session files are
 * skipped and named on warnings (may be NULL). 0 or -1 with err. */
int fixture_add_all_sessions(FixtureSet *set, bool all, Buf *warnings, char *err, size_t errlen);

/* The cases named on a command line (fixture_add_source for each of the n
 * names), or of every saved session when n == 0. 0 or -1 with err. */
int fixture_add_sources(FixtureSet *set, int n, char *const *names, bool all, Buf *warnings, char *err,
                        size_t errlen);

/* One case as the versus-format JSON object (one line of the file). */
cJSON *fixture_case_to_json(const FixtureCase *c);
int fixture_case_from_json(const cJSON *o, FixtureCase *out, char *err, size_t errlen);

/* The winner's reply, or NULL when the outcome is not a win. */
const Reply *fixture_winner(const FixtureCase *c);

#endif
