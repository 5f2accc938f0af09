/* fixture_evals.c — cases as OpenAI evals JSON Lines samples and back (see
 * fixture.h, versus-fixtures(5)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/candidate.h"
#include "store/fixture_formats.h"
#include "store/jsonio.h"

static cJSON *message(const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    if (m) {
        jsonio_add_str(m, "role", role);
        jsonio_add_str(m, "content", content);
    }
    return m;
}

/* The ideal of a tie: the first candidate that answered. */
static const Reply *first_answer(const SessionRound *r)
{
    for (size_t k = 0; k < r->n_replies; k++)
        if (r->replies[k]->status == REPLY_OK)
            return r->replies[k];
    return r->n_replies ? r->replies[0] : NULL;
}

int fixture_write_evals(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        const SessionRound *r = &c->r;
        if (r->outcome != SESSION_WIN && r->outcome != SESSION_TIE) {
            rep->not_carried++; /* no ideal answer to give */
            continue;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON *input = cJSON_AddArrayToObject(o, "input");
        if (r->system)
            cJSON_AddItemToArray(input, message("system", r->system));
        for (size_t k = 0; k < c->n_history; k++) /* a follow-up: the conversation so far */
            cJSON_AddItemToArray(input, message(c->history[k].role, c->history[k].content));
        cJSON_AddItemToArray(input, message("user", r->prompt));
        /* one ideal string: a list would be printed as a Python list by
         * ModelBasedClassify; a tie keeps every answer in the metadata */
        const Reply *w = fixture_winner(c), *ideal = w ? w : first_answer(r);
        if (ideal)
            jsonio_add_strn(o, "ideal", buf_str(&ideal->text), ideal->text.len);
        else
            jsonio_add_str(o, "ideal", "");
        cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
        jsonio_add_str(meta, "versus_id", c->id);
        jsonio_add_str(meta, "session", c->session);
        jsonio_add_num(meta, "round", c->round > 0 ? (double)c->round : NAN);
        jsonio_add_str(meta, "category", r->category);
        jsonio_add_str(meta, "sensitivity", sensitivity_name(r->sensitivity));
        jsonio_add_str(meta, "outcome", session_outcome_name(r->outcome));
        jsonio_add_str(meta, "winner", w ? w->spec : NULL);
        jsonio_add_str(meta, "note", r->note);
        if (r->blind && r->outcome != SESSION_UNLABELLED)
            cJSON_AddTrueToObject(meta, "blind");
        if (r->conversation) {
            jsonio_add_str(meta, "conversation", r->conversation);
            jsonio_add_num(meta, "turn", r->turn);
        }
        cJSON *models = cJSON_AddArrayToObject(meta, "models");
        for (size_t k = 0; models && k < r->n_replies; k++)
            cJSON_AddItemToArray(models, cJSON_CreateString(r->replies[k]->spec));
        if (!w) {
            cJSON *tied = cJSON_AddArrayToObject(meta, "tied_answers");
            for (size_t k = 0; tied && k < r->n_replies; k++)
                cJSON_AddItemToArray(tied, jsonio_make_str(buf_str(&r->replies[k]->text), r->replies[k]->text.len));
        }
        if (jsonio_put_line(out, o) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int fixture_evals_line(const cJSON *s, FixtureSet *set, char *err, size_t errlen)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(s, "input");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(s, "metadata");
    const cJSON *ideal = cJSON_GetObjectItemCaseSensitive(s, "ideal");
    const char *prompt = NULL, *system = NULL;
    const cJSON *m;
    cJSON *history = cJSON_CreateArray(); /* the messages before the last user one */
    if (cJSON_IsString(input)) {
        prompt = input->valuestring;
    } else {
        cJSON_ArrayForEach(m, input) {
            const char *role = jsonio_str(m, "role"), *content = jsonio_str(m, "content");
            if (role && content && strcmp(role, "system") == 0 && !system) {
                system = content;
            } else if (role && content && (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0)) {
                if (prompt && history) { /* the previous user message was history */
                    cJSON *u = cJSON_CreateObject();
                    jsonio_add_str(u, "role", "user");
                    jsonio_add_str(u, "content", prompt);
                    cJSON_AddItemToArray(history, u);
                    prompt = NULL;
                }
                if (strcmp(role, "user") == 0) {
                    prompt = content;
                } else if (history) {
                    cJSON_AddItemToArray(history, cJSON_Duplicate(m, 1));
                }
            }
        }
    }
    if (!prompt || !history) {
        cJSON_Delete(history);
        snprintf(err, errlen, history ? "a sample needs \"input\" with a user message" : "out of memory");
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        cJSON_Delete(history);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
    jsonio_add_str(o, "id", jsonio_str(meta, "versus_id"));
    jsonio_add_str(o, "session", jsonio_str(meta, "session"));
    jsonio_add_num(o, "round", jsonio_num(meta, "round", NAN));
    jsonio_add_str(o, "prompt", prompt);
    jsonio_add_str(o, "system", system);
    if (cJSON_GetArraySize(history) > 0 || jsonio_str(meta, "conversation")) { /* a follow-up */
        cJSON *conv = cJSON_AddObjectToObject(o, "conversation");
        const char *cid = jsonio_str(meta, "conversation");
        jsonio_add_str(conv, "id", cid ? cid : "openai-evals");
        jsonio_add_num(conv, "turn", jsonio_num(meta, "turn", cJSON_GetArraySize(history) / 2 + 1));
        cJSON_AddItemToObject(conv, "history", history);
    } else {
        cJSON_Delete(history);
    }
    static const char *const keys[] = { "category", "sensitivity", "note" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (jsonio_str(meta, keys[i]))
            jsonio_add_str(o, keys[i], jsonio_str(meta, keys[i]));
    const char *winner = jsonio_str(meta, "winner");
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(meta, "models");
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    const char *outcome = jsonio_str(meta, "outcome");
    const cJSON *tied = cJSON_GetObjectItemCaseSensitive(meta, "tied_answers");
    if (cJSON_IsString(ideal) && outcome && strcmp(outcome, "tie") == 0) {
        /* one ideal string; every tied answer is in the metadata */
        jsonio_add_str(o, "outcome", "tie");
        int k = 0;
        cJSON_ArrayForEach(m, models) {
            const cJSON *t = cJSON_GetArrayItem(tied, k++);
            if (cJSON_IsString(m))
                fixture_add_bare_candidate(cands, m->valuestring, cJSON_IsString(t) ? t->valuestring : "");
        }
        if (k == 0)
            fixture_add_bare_candidate(cands, "ideal", ideal->valuestring);
    } else if (cJSON_IsString(ideal)) {
        /* the winner's text; the other candidates are known only by name */
        const char *wname = winner ? winner : "ideal";
        jsonio_add_str(o, "outcome", "win");
        jsonio_add_str(o, "winner", wname);
        fixture_add_bare_candidate(cands, wname, ideal->valuestring);
        cJSON_ArrayForEach(m, models) {
            if (cJSON_IsString(m) && strcmp(m->valuestring, wname) != 0)
                fixture_add_bare_candidate(cands, m->valuestring, NULL);
        }
    } else if (cJSON_IsArray(ideal)) {
        jsonio_add_str(o, "outcome", "tie");
        int k = 0;
        cJSON_ArrayForEach(m, ideal) {
            const cJSON *name = cJSON_GetArrayItem(models, k);
            char fallback[32];
            snprintf(fallback, sizeof fallback, "ideal-%d", k + 1);
            fixture_add_bare_candidate(cands, cJSON_IsString(name) ? name->valuestring : fallback,
                                       cJSON_IsString(m) ? m->valuestring : "");
            k++;
        }
    } else {
        cJSON_Delete(o);
        snprintf(err, errlen, "a sample needs \"ideal\" (a string or a list of strings)");
        return -1;
    }
    int rc = fixture_versus_line(o, set, err, errlen);
    cJSON_Delete(o);
    return rc;
}

