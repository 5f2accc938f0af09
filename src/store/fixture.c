/* fixture.c — case sets, the versus format, and dispatch to the other
 * formats (fixture_promptfoo.c, fixture_evals.c, fixture_csv.c); see
 * fixture.h. Not for checking cases (assertions.c, policy.c) or replaying
 * them (replay.c). */
#include "store/fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "providers/provider.h"
#include "store/candidate.h"
#include "store/fixture_formats.h"
#include "store/jsonio.h"
#include "util/grow.h"

#define FIXTURE_MAX_FILE (1024u << 20)

static const char *const format_names[] = {
    [FIXTURE_VERSUS] = "versus",
    [FIXTURE_PROMPTFOO] = "promptfoo",
    [FIXTURE_OPENAI_EVALS] = "openai-evals",
    [FIXTURE_CSV] = "csv",
};

int fixture_format_parse(const char *name, FixtureFormat *out)
{
    for (int i = 0; i <= FIXTURE_CSV; i++)
        if (name && strcmp(name, format_names[i]) == 0) {
            *out = (FixtureFormat)i;
            return 0;
        }
    return -1;
}

const char *fixture_format_name(FixtureFormat f)
{
    return (unsigned)f <= FIXTURE_CSV ? format_names[f] : "?";
}

const Reply *fixture_winner(const FixtureCase *c)
{
    if (c->r.outcome != SESSION_WIN || c->r.winner < 0 || (size_t)c->r.winner >= c->r.n_replies)
        return NULL;
    return c->r.replies[c->r.winner];
}

static void history_free(Message *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)m[i].role);
        free((char *)m[i].content);
    }
    free(m);
}

static void case_clear(FixtureCase *c)
{
    history_free(c->history, c->n_history);
    free(c->id);
    free(c->session);
    session_round_clear(&c->r);
    memset(c, 0, sizeof *c);
}

void fixture_set_free(FixtureSet *set)
{
    for (size_t i = 0; i < set->n; i++)
        case_clear(&set->cases[i]);
    free(set->cases);
    memset(set, 0, sizeof *set);
}

FixtureCase *fixture_push_case(FixtureSet *set)
{
    FixtureCase *p = grow_array(set->cases, &set->cap, set->n, sizeof *p, 16);
    if (!p)
        return NULL;
    set->cases = p;
    FixtureCase *c = &set->cases[set->n];
    memset(c, 0, sizeof *c);
    c->r.winner = -1;
    return c;
}

/* ---- the versus format ---------------------------------------------------------- */

cJSON *fixture_case_to_json(const FixtureCase *c)
{
    const SessionRound *r = &c->r;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
    bad |= jsonio_add_str(o, "id", c->id);
    bad |= jsonio_add_str(o, "session", c->session);
    bad |= jsonio_add_num(o, "round", c->round > 0 ? (double)c->round : NAN);
    bad |= jsonio_add_str(o, "prompt", r->prompt);
    bad |= jsonio_add_str(o, "system", r->system);
    bad |= jsonio_add_str(o, "category", r->category);
    bad |= jsonio_add_str(o, "sensitivity", sensitivity_name(r->sensitivity));
    bad |= jsonio_add_item(o, "params", candidate_params_encode(&r->params));
    bad |= jsonio_add_str(o, "outcome", session_outcome_name(r->outcome));
    const Reply *w = fixture_winner(c);
    bad |= jsonio_add_str(o, "winner", w ? w->spec : NULL);
    bad |= jsonio_add_num(o, "winner_index", w ? (double)r->winner : NAN);
    bad |= jsonio_add_str(o, "note", r->note);
    if (r->blind && r->outcome != SESSION_UNLABELLED)
        bad |= !cJSON_AddTrueToObject(o, "blind");
    bad |= jsonio_add_item(o, "candidates",
                           candidate_encode_list(r->replies, r->vram_mib, r->n_replies, true));
    bad |= jsonio_add_item(o, "assertions", assertions_to_json(r->assertions, r->n_assertions));
    if (r->conversation) { /* a follow-up: what came before its prompt */
        cJSON *conv = cJSON_AddObjectToObject(o, "conversation");
        bad |= !conv;
        if (conv) {
            bad |= jsonio_add_str(conv, "id", r->conversation);
            bad |= jsonio_add_num(conv, "turn", r->turn);
            cJSON *h = cJSON_AddArrayToObject(conv, "history");
            bad |= !h;
            for (size_t i = 0; h && i < c->n_history; i++) {
                cJSON *m = cJSON_CreateObject();
                bad |= !m;
                if (m) {
                    bad |= jsonio_add_str(m, "role", c->history[i].role);
                    bad |= jsonio_add_str(m, "content", c->history[i].content);
                    cJSON_AddItemToArray(h, m);
                }
            }
        }
    }
    return jsonio_finish(o, bad);
}

int fixture_case_set_history(FixtureCase *c, const Message *m, size_t n)
{
    history_free(c->history, c->n_history);
    c->history = NULL;
    c->n_history = 0;
    if (n == 0)
        return 0;
    c->history = calloc(n, sizeof *c->history);
    if (!c->history)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char *role = strdup(m[i].role && strcmp(m[i].role, "assistant") == 0 ? "assistant" : "user");
        char *content = strdup(m[i].content ? m[i].content : "");
        c->history[c->n_history++] = (Message){ role, content };
        if (!role || !content)
            return -1;
    }
    return 0;
}

/* Reads "conversation": {"id", "turn", "history": [{role, content}]}. 0 or -1. */
static int conversation_from_json(const cJSON *o, FixtureCase *c, char *err, size_t errlen)
{
    const cJSON *conv = cJSON_GetObjectItemCaseSensitive(o, "conversation");
    if (!conv || cJSON_IsNull(conv))
        return 0;
    const char *id = jsonio_str(conv, "id");
    long turn = jsonio_long(conv, "turn", 0);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(conv, "history");
    if (!cJSON_IsObject(conv) || !id || turn < 1 || (h && !cJSON_IsArray(h))) {
        snprintf(err, errlen, "\"conversation\" needs an \"id\", a \"turn\" of 1 or more and a \"history\" array");
        return -1;
    }
    free(c->r.conversation);
    c->r.conversation = strdup(id);
    c->r.turn = (int)turn;
    size_t n = (size_t)cJSON_GetArraySize(h);
    Message *m = calloc(n ? n : 1, sizeof *m);
    if (!m || !c->r.conversation) {
        free(m);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, h) {
        const char *role = jsonio_str(e, "role"), *content = jsonio_str(e, "content");
        if (!role || !content || (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)) {
            free(m);
            snprintf(err, errlen, "a history message needs \"role\" user or assistant and \"content\"");
            return -1;
        }
        m[k++] = (Message){ role, content };
    }
    int rc = fixture_case_set_history(c, m, k);
    free(m);
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* Builds the session-round JSON shape from a fixture object so that one
 * reader (session_round_from_json) validates both. */
int fixture_case_from_json(const cJSON *o, FixtureCase *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->r.winner = -1;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "a case must be a JSON object");
        return -1;
    }
    long version = jsonio_long(o, "versus_fixture", -1);
    if (version < 1) {
        snprintf(err, errlen, "not a versus fixture (no \"versus_fixture\" version)");
        return -1;
    }
    if (version > FIXTURE_FORMAT_VERSION) {
        snprintf(err, errlen, "fixture format %ld is newer than this versus understands (%d)", version,
                 FIXTURE_FORMAT_VERSION);
        return -1;
    }
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(o, "candidates");
    if (cands && !cJSON_IsArray(cands)) {
        snprintf(err, errlen, "\"candidates\" must be an array");
        return -1;
    }
    cJSON *round = cJSON_CreateObject();
    cJSON *label = cJSON_CreateObject();
    if (!round || !label) {
        cJSON_Delete(round);
        cJSON_Delete(label);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const char *const round_keys[] = { "prompt", "system", "sensitivity", "params" };
    for (size_t i = 0; i < sizeof round_keys / sizeof *round_keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, round_keys[i]);
        if (v)
            cJSON_AddItemToObject(round, round_keys[i], cJSON_Duplicate(v, 1));
    }
    if (cands)
        cJSON_AddItemToObject(round, "replies", cJSON_Duplicate(cands, 1));
    static const char *const label_keys[] = { "outcome", "winner", "winner_index", "note", "category",
                                              "blind", "assertions" };
    for (size_t i = 0; i < sizeof label_keys / sizeof *label_keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, label_keys[i]);
        if (v)
            cJSON_AddItemToObject(label, label_keys[i], cJSON_Duplicate(v, 1));
    }
    cJSON_AddItemToObject(round, "label", label);
    int rc = session_round_from_json(round, &c->r, err, errlen);
    cJSON_Delete(round);
    if (rc < 0)
        return -1;
    c->id = jsonio_dup(o, "id");
    c->session = jsonio_dup(o, "session");
    c->round = jsonio_long(o, "round", 0);
    if (conversation_from_json(o, c, err, errlen) < 0) {
        case_clear(c);
        return -1;
    }
    return 0;
}

static int copy_case(FixtureCase *dst, const FixtureCase *src, char *err, size_t errlen)
{
    cJSON *j = fixture_case_to_json(src);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = fixture_case_from_json(j, dst, err, errlen);
    cJSON_Delete(j);
    return rc;
}

int fixture_add_case(FixtureSet *set, const FixtureCase *c, char *err, size_t errlen)
{
    FixtureCase *d = fixture_push_case(set);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (copy_case(d, c, err, errlen) < 0)
        return -1;
    set->n++;
    return 0;
}

int fixture_add_session(FixtureSet *set, const Session *s, bool all, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_rounds; i++) {
        if (!all && s->rounds[i].outcome == SESSION_UNLABELLED)
            continue;
        char id[300];
        snprintf(id, sizeof id, "%s#%zu", s->id, i + 1);
        /* a shallow view of the round, deep-copied by fixture_add_case;
         * a follow-up takes the conversation as its winner saw it */
        const SessionRound *r = &s->rounds[i];
        FixtureCase view = { .id = id, .session = s->id, .round = (long)i + 1, .r = *r };
        const char *side = r->n_replies ? r->replies[r->outcome == SESSION_WIN && r->winner >= 0 ? r->winner : 0]->spec
                                        : NULL;
        if (side && session_history(s, r->conversation, r->turn, side, &view.history, &view.n_history) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        int rc = fixture_add_case(set, &view, err, errlen);
        session_history_free(view.history);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int write_versus(const FixtureSet *set, Buf *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++)
        if (jsonio_put_line(out, fixture_case_to_json(&set->cases[i])) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

int fixture_read_json_lines(const char *text, size_t len, FixtureJsonLineFn fn, FixtureSet *set, char *err,
                            size_t errlen)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        const char *line = text + pos;
        pos += ll + (nl ? 1 : 0);
        size_t k = 0;
        while (k < ll && strchr(" \t\r", line[k]))
            k++;
        if (k == ll)
            continue;
        char e2[400];
        cJSON *o = jsonio_parse(line, ll, e2, sizeof e2);
        if (!o) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -1;
        }
        int rc = fn(o, set, e2, sizeof e2);
        cJSON_Delete(o);
        if (rc < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -1;
        }
    }
    return 0;
}

int fixture_versus_line(const cJSON *o, FixtureSet *set, char *err, size_t errlen)
{
    FixtureCase *c = fixture_push_case(set);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (fixture_case_from_json(o, c, err, errlen) < 0)
        return -1;
    set->n++;
    return 0;
}

/* Adds a bare candidate (spec only, or with text) to a round JSON. */
void fixture_add_bare_candidate(cJSON *replies, const char *spec, const char *text)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return;
    jsonio_add_str(c, "spec", spec);
    if (text)
        jsonio_add_str(c, "text", text);
    cJSON_AddItemToArray(replies, c);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

bool fixture_candidate_is_local(const Reply *r)
{
    const ProviderOps *ops = r->provider && reply_kind(r)[0] ? provider_find(reply_kind(r)) : NULL;
    return reply_was_sent(r) && !(ops && ops->closed);
}

void fixture_export_report_free(FixtureExportReport *r)
{
    buf_free(&r->notes);
    memset(r, 0, sizeof *r);
}

int fixture_export(const FixtureSet *set, FixtureFormat f, const FixtureExportOptions *opt, Buf *out,
                   FixtureExportReport *report, char *err, size_t errlen)
{
    FixtureExportOptions o = opt ? *opt : (FixtureExportOptions){ 0 };
    FixtureExportReport own = { 0 }, *rep = report ? report : &own;
    memset(rep, 0, sizeof *rep);
    /* the cases this file may carry: a shallow view, nothing is copied */
    FixtureSet view = { .cases = set->n ? malloc(set->n * sizeof *view.cases) : NULL };
    if (set->n && !view.cases) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < set->n; i++) {
        bool restricted = set->cases[i].r.sensitivity == SENSITIVITY_RESTRICTED;
        if (restricted && f != FIXTURE_VERSUS && !o.include_restricted) {
            rep->restricted_left_out++;
            continue;
        }
        rep->restricted_included += restricted;
        view.cases[view.n++] = set->cases[i];
    }
    view.cap = view.n;
    int rc = -1;
    Buf text = { 0 };
    if (f == FIXTURE_OPENAI_EVALS && rep->restricted_included) {
        snprintf(err, errlen,
                 "%zu restricted round%s can not go to OpenAI evals: a sample can not be kept away from a closed "
                 "API there; export them in the versus or promptfoo format, or leave them out",
                 rep->restricted_included, rep->restricted_included == 1 ? "" : "s");
    } else {
        switch (f) {
        case FIXTURE_VERSUS: rc = write_versus(&view, &text, err, errlen); break;
        case FIXTURE_PROMPTFOO: rc = fixture_write_promptfoo(&view, rep, &text, err, errlen); break;
        case FIXTURE_OPENAI_EVALS: rc = fixture_write_evals(&view, rep, &text, err, errlen); break;
        case FIXTURE_CSV: rc = fixture_write_csv(&view, rep, &text, err, errlen); break;
        default: snprintf(err, errlen, "unknown format"); break;
        }
    }
    if (rc == 0) {
        rep->written = view.n - rep->not_carried;
        if (buf_append(out, buf_str(&text), text.len) < 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    buf_free(&text);
    free(view.cases);
    fixture_export_report_free(&own);
    return rc;
}

int fixture_write(const FixtureSet *set, FixtureFormat f, Buf *out, char *err, size_t errlen)
{
    return fixture_export(set, f, NULL, out, NULL, err, errlen);
}

int fixture_read(const char *text, size_t len, FixtureFormat f, FixtureSet *set, char *err, size_t errlen)
{
    switch (f) {
    case FIXTURE_VERSUS: return fixture_read_json_lines(text, len, fixture_versus_line, set, err, errlen);
    case FIXTURE_PROMPTFOO: return fixture_read_promptfoo(text, len, set, err, errlen);
    case FIXTURE_OPENAI_EVALS: return fixture_read_json_lines(text, len, fixture_evals_line, set, err, errlen);
    case FIXTURE_CSV: return fixture_read_csv(text, len, set, err, errlen);
    }
    snprintf(err, errlen, "unknown format");
    return -1;
}

int fixture_load_file(const char *path, FixtureSet *set, char *err, size_t errlen)
{
    Buf text = { 0 };
    char e2[400];
    if (util_read_file(path, FIXTURE_MAX_FILE, &text, err, errlen) < 0)
        return -1;
    int rc = fixture_read(text.data, text.len, FIXTURE_VERSUS, set, e2, sizeof e2);
    buf_free(&text);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    return rc;
}

int fixture_add_source(FixtureSet *set, const char *name, bool all, char *err, size_t errlen)
{
    char path[4096], e1[1024], e2[1024];
    if (session_resolve(NULL, name, path, sizeof path, e1, sizeof e1) < 0) {
        snprintf(err, errlen, "%s", e1);
        return -1;
    }
    Session *s = session_load(path, e1, sizeof e1);
    if (s) {
        int rc = fixture_add_session(set, s, all, e2, sizeof e2);
        session_free(s);
        if (rc < 0)
            snprintf(err, errlen, "%s: %s", path, e2);
        return rc;
    }
    size_t before = set->n;
    if (fixture_load_file(path, set, e2, sizeof e2) == 0)
        return 0;
    /* a file that is neither: say both reasons, drop any half-read cases */
    while (set->n > before)
        case_clear(&set->cases[--set->n]);
    snprintf(err, errlen, "%s is neither a session (%s) nor a fixture file (%s)", name, e1, e2);
    return -1;
}

int fixture_add_all_sessions(FixtureSet *set, bool all, Buf *warnings, char *err, size_t errlen)
{
    SessionInfo *info;
    size_t n;
    if (session_list(NULL, &info, &n, err, errlen) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!info[i].ok) {
            if (warnings)
                buf_printf(warnings, "skipping %s: %s\n", info[i].path, info[i].error);
            continue;
        }
        rc = fixture_add_source(set, info[i].path, all, err, errlen);
    }
    free(info);
    return rc;
}

int fixture_add_sources(FixtureSet *set, int n, char *const *names, bool all, Buf *warnings, char *err,
                        size_t errlen)
{
    if (n == 0)
        return fixture_add_all_sessions(set, all, warnings, err, errlen);
    for (int i = 0; i < n; i++)
        if (fixture_add_source(set, names[i], all, err, errlen) < 0)
            return -1;
    return 0;
}
