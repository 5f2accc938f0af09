/* session.h — a workbench session: every round asked, every reply, every label.
 *
 * One JSON document per session under $XDG_DATA_HOME/versus/sessions/
 * (ID.json, mode 0600), rewritten atomically (temporary file in the same
 * directory, fsync, rename, fsync of the directory) so that a crash at any
 * instant leaves either the old or the new complete file. Request headers
 * and keys are never stored; every key versus knows is masked in
 * everything written (see core/keyfilter.h).
 *
 * Typical use (the TUI, `versus run --save`):
 *   Session *s = session_new(NULL, err, sizeof err);
 *   long i = session_add_round(s, &rq, replies, n, NULL, err, sizeof err);
 *   session_save(s, err, sizeof err);                  after every round
 *   session_label_round(s, i, &(SessionLabel){ .outcome = SESSION_WIN, .winner = 1 }, err, sizeof err);
 *   session_save(s, err, sizeof err);
 *   session_free(s);
 * Not thread-safe: one owner at a time. */
#ifndef VERSUS_SESSION_H
#define VERSUS_SESSION_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/reply.h"
#include "core/request.h"
#include "store/assertions.h"

#define SESSION_FORMAT_VERSION 1

typedef enum SessionOutcome {
    SESSION_UNLABELLED,
    SESSION_WIN,      /* one candidate won: SessionLabel.winner */
    SESSION_TIE,      /* every candidate equally good */
    SESSION_BOTH_BAD, /* no candidate was acceptable */
} SessionOutcome;

typedef struct SessionLabel {
    SessionOutcome outcome;
    int winner;        /* index into the round's replies (0-based) when SESSION_WIN, else -1 */
    const char *note;  /* free text, or NULL */
    const char *category; /* a tag such as "code", "summarise", or NULL */
    bool blind;        /* given without the models' names (the workbench's blind mode) */
} SessionLabel;

typedef struct SessionRound {
    double time_s;         /* wall clock (Unix seconds) when the round was added */
    char *system;          /* or NULL */
    char *prompt;
    Params params;
    Sensitivity sensitivity;
    Reply **replies;       /* (n_replies) owned deep copies, final */
    double *vram_mib;      /* (n_replies) VRAM per candidate, < 0 when unknown */
    size_t n_replies;
    /* the label */
    SessionOutcome outcome;
    int winner;            /* 0-based reply index, or -1 */
    char *note;            /* or NULL */
    char *category;        /* or NULL */
    double labelled_s;     /* wall clock of the latest label, or 0 */
    bool blind;            /* the latest label was given blind (names hidden until it) */
    Assertion *assertions; /* (n_assertions) checked when the round is replayed */
    size_t n_assertions;
    /* a conversation: rounds with the same id are its turns; each model saw
     * the earlier turns' prompts and its own replies to them */
    char *conversation;    /* id, or NULL: the round stands alone */
    int turn;              /* 1.. within the conversation; 0 when it stands alone */
    bool dirty;            /* changed here since it was read: this copy wins when saving */
} SessionRound;

typedef struct Session {
    char *id;              /* "20250314-093012-1a2b": also the file's base name */
    char *path;            /* where session_save writes */
    double created_s, updated_s; /* wall clock */
    SessionRound *rounds;  /* (n_rounds) */
    size_t n_rounds, cap_rounds;
    size_t n_read;         /* rounds [0, n_read) came from the file; later ones were added here */
    size_t moved_from, moved_to; /* the last save moved rounds [moved_from, ...) to moved_to on:
                                  * see session_round_after_save() */
} Session;

/* A new empty session that will be saved in dir (NULL = the XDG sessions
 * directory, created 0700 when missing). NULL with err. */
Session *session_new(const char *dir, char *err, size_t errlen);
void session_free(Session *s);

/* Appends a round: copies the request and deep-copies every reply (recording
 * included when enabled); vram_mib is (n) values or NULL. Does not save.
 * Returns the new round's index, or -1 with err. */
long session_add_round(Session *s, const Request *rq, Reply *const *replies, size_t n,
                       const double *vram_mib, char *err, size_t errlen);
/* Replaces the replies of a round with fresh deep copies (a round saved as
 * it started and updated as it streams: partial replies keep their status
 * and incomplete flag). n must be the round's reply count. Does not save.
 * 0, or -1 with err. */
int session_update_replies(Session *s, size_t round, Reply *const *replies, size_t n, char *err, size_t errlen);
/* Sets (replaces) the label of a round; note/category are copied, NULL
 * clears them. Does not save. 0, or -1 with err (no such round, bad winner). */
int session_label_round(Session *s, size_t round, const SessionLabel *label, char *err, size_t errlen);
/* Marks a round as turn `turn` (1..) of conversation id (copied; NULL:
 * the round stands alone). Does not save. 0, or -1 with err. */
int session_set_turn(Session *s, size_t round, const char *conversation, int turn, char *err, size_t errlen);
/* Conversation `conversation` as the model `spec` saw it before turn
 * `turn`: for each earlier turn in order, its prompt as a user message and
 * that model's reply text as an assistant message (both left out when the
 * model gave no text; of a turn that was rerun, its latest round). *out is
 * malloc'ed (free with session_history_free;
 * the strings point into s); *n gets the count. 0, or -1 when out of memory. */
int session_history(const Session *s, const char *conversation, int turn, const char *spec, Message **out,
                    size_t *n);
/* The last round's conversation in s (the latest round by time; its id, or
 * NULL when that round stands alone) and the turn that would follow it;
 * *round gets that round's index. false when s has no rounds. */
bool session_last_turn(const Session *s, size_t *round, const char **conversation, int *next_turn);
void session_history_free(Message *m);
/* Adds a copy of an assertion to a round. 0 or -1 with err. */
int session_add_assertion(Session *s, size_t round, const Assertion *a, char *err, size_t errlen);
/* Index of the reply whose spec, "provider:model" or model equals name, or -1. */
int session_round_find(const SessionRound *r, const char *name);

/* Writes the session atomically to s->path, safe against other processes
 * saving the same session: under an exclusive lock on the session's
 * directory it re-reads the file, keeps every round found there (rounds
 * labelled or changed here replace theirs; rounds added here are appended
 * after any that others appended meanwhile, so their indices may grow),
 * keeps keys this version does not know, writes a temporary file and
 * renames it over the old one. Leftover temporary files of interrupted saves
 * in that directory are removed. On success s holds what the file holds.
 * 0, or -1 with err (the old file, if any, is left intact). */
int session_save(Session *s, char *err, size_t errlen);
/* Where the round that was at index i before the last successful
 * session_save() stands now (rounds added here may have moved behind rounds
 * other processes appended). Whoever keeps a round's index across a save
 * (the workbench's current round) must take it from here. */
size_t session_round_after_save(const Session *s, size_t i);
/* Reads a session file. NULL with err on I/O errors, invalid JSON or a
 * document that is not a versus session. */
Session *session_load(const char *path, char *err, size_t errlen);

/* The JSON document for a session (what session_save writes, unredacted). */
cJSON *session_to_json(const Session *s);
/* A session from a parsed document; NULL with err. */
Session *session_from_json(const cJSON *doc, char *err, size_t errlen);
/* One round as JSON / from JSON (the "rounds" elements). */
cJSON *session_round_to_json(const SessionRound *r);
int session_round_from_json(const cJSON *o, SessionRound *out, char *err, size_t errlen);
void session_round_clear(SessionRound *r);
/* "unlabelled" | "win" | "tie" | "both_bad" */
const char *session_outcome_name(SessionOutcome o);
int session_outcome_parse(const char *name, SessionOutcome *out);

/* The XDG sessions directory ($XDG_DATA_HOME/versus/sessions). 0 or -1. */
int session_dir(char *out, size_t outlen);

typedef struct SessionInfo {
    char path[4096];
    char id[256];
    double updated_s;  /* file mtime */
    size_t n_rounds, n_labelled;
    char first_prompt[81]; /* first line of the first prompt, shortened */
    bool ok;           /* false: the file did not load (error says why) */
    char error[256];
} SessionInfo;

/* Lists the sessions in dir (NULL = XDG), oldest first. Files that do not
 * load are listed with ok = false. 0 (with *out malloc'ed, *n entries; a
 * missing directory is an empty list) or -1 with err. */
int session_list(const char *dir, SessionInfo **out, size_t *n, char *err, size_t errlen);
/* Turns a session argument into a path: an existing file path, else an ID
 * or unique ID prefix in dir (NULL = XDG). 0 or -1 with err. */
int session_resolve(const char *dir, const char *name, char *path, size_t pathlen, char *err, size_t errlen);

#endif
