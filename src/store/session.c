/* session.c — the session model, its JSON form and atomic saving (see session.h).
 * Not for export formats (fixture.c) or statistics (report.c). */
#include "store/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/file.h"
#include "util/clock.h"
#include "util/xdg.h"
#include "store/jsonio.h"
#include "store/outfile.h"
#include "core/keyfilter.h"
#include "store/candidate.h"
#include "util/grow.h"

#define SESSION_MAX_FILE (512u << 20) /* refuse to load files above 512 MiB */

static int lock_dir(const char *dir, bool wait);
static void sweep_temps(int dirfd);

static const char *const outcome_names[] = {
    [SESSION_UNLABELLED] = "unlabelled",
    [SESSION_WIN] = "win",
    [SESSION_TIE] = "tie",
    [SESSION_BOTH_BAD] = "both_bad",
};

const char *session_outcome_name(SessionOutcome o)
{
    return (unsigned)o <= SESSION_BOTH_BAD ? outcome_names[o] : "unlabelled";
}

int session_outcome_parse(const char *name, SessionOutcome *out)
{
    for (int i = 0; i <= SESSION_BOTH_BAD; i++)
        if (name && strcmp(name, outcome_names[i]) == 0) {
            *out = (SessionOutcome)i;
            return 0;
        }
    return -1;
}

int session_dir(char *out, size_t outlen)
{
    return xdg_path(XDG_DATA, "sessions", out, outlen);
}

static int resolve_dir(const char *dir, char *out, size_t outlen, char *err, size_t errlen)
{
    if (dir) {
        if ((size_t)snprintf(out, outlen, "%s", dir) >= outlen) {
            snprintf(err, errlen, "session directory path is too long");
            return -1;
        }
        return 0;
    }
    if (session_dir(out, outlen) < 0) {
        snprintf(err, errlen, "can not find the sessions directory: set XDG_DATA_HOME or HOME");
        return -1;
    }
    return 0;
}

Session *session_new(const char *dir, char *err, size_t errlen)
{
    char d[4096], path[4352], id[64];
    if (resolve_dir(dir, d, sizeof d, err, errlen) < 0)
        return NULL;
    if (xdg_mkdirs(d) < 0) {
        snprintf(err, errlen, "can not create %s: %s", d, strerror(errno));
        return NULL;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned salt = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec;
    for (int tries = 0;; tries++) {
        snprintf(id, sizeof id, "%s-%04x", stamp, (salt + (unsigned)tries * 7919u) & 0xFFFF);
        snprintf(path, sizeof path, "%s/%s.json", d, id);
        if (access(path, F_OK) != 0)
            break;
        if (tries > 1000) {
            snprintf(err, errlen, "can not pick a free session name in %s", d);
            return NULL;
        }
    }
    int lock = lock_dir(d, false); /* nobody saving: clear what killed saves left */
    if (lock >= 0) {
        sweep_temps(lock);
        close(lock);
    }
    Session *s = calloc(1, sizeof *s);
    if (!s || !(s->id = strdup(id)) || !(s->path = strdup(path))) {
        session_free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->created_s = s->updated_s = clock_wall_s();
    return s;
}

void session_round_clear(SessionRound *r)
{
    for (size_t i = 0; i < r->n_replies; i++)
        reply_free(r->replies[i]);
    free(r->replies);
    free(r->vram_mib);
    free(r->system);
    free(r->prompt);
    free(r->note);
    free(r->category);
    free(r->conversation);
    for (size_t i = 0; i < r->n_assertions; i++)
        assertion_free(&r->assertions[i]);
    free(r->assertions);
    memset(r, 0, sizeof *r);
    r->winner = -1;
}

void session_free(Session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rounds; i++)
        session_round_clear(&s->rounds[i]);
    free(s->rounds);
    free(s->id);
    free(s->path);
    free(s);
}

static SessionRound *push_round(Session *s)
{
    SessionRound *p = grow_array(s->rounds, &s->cap_rounds, s->n_rounds, sizeof *p, 8);
    if (!p)
        return NULL;
    s->rounds = p;
    SessionRound *r = &s->rounds[s->n_rounds];
    memset(r, 0, sizeof *r);
    r->winner = -1;
    return r;
}

long session_add_round(Session *s, const Request *rq, Reply *const *replies, size_t n,
                       const double *vram_mib, char *err, size_t errlen)
{
    SessionRound *r = push_round(s);
    if (!r)
        goto oom;
    r->time_s = clock_wall_s();
    r->prompt = strdup(rq->prompt ? rq->prompt : "");
    r->system = rq->system ? strdup(rq->system) : NULL;
    r->params = rq->params;
    r->sensitivity = rq->sensitivity;
    r->replies = n ? calloc(n, sizeof *r->replies) : NULL;
    r->vram_mib = n ? calloc(n, sizeof *r->vram_mib) : NULL;
    if (!r->prompt || (rq->system && !r->system) || (n && (!r->replies || !r->vram_mib))) {
        session_round_clear(r);
        goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        r->replies[i] = candidate_clone(replies[i]);
        if (!r->replies[i]) {
            session_round_clear(r);
            goto oom;
        }
        r->n_replies++;
        r->vram_mib[i] = vram_mib ? vram_mib[i] : -1;
    }
    r->dirty = true;
    s->updated_s = clock_wall_s();
    return (long)s->n_rounds++;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int replace_str(char **dst, const char *src)
{
    char *c = src ? strdup(src) : NULL;
    if (src && !c)
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

/* The round at index round, or NULL with err when there is none. */
static SessionRound *round_at(Session *s, size_t round, char *err, size_t errlen)
{
    if (round >= s->n_rounds) {
        snprintf(err, errlen, "no round %zu (the session has %zu)", round + 1, s->n_rounds);
        return NULL;
    }
    return &s->rounds[round];
}

int session_update_replies(Session *s, size_t round, Reply *const *replies, size_t n, char *err, size_t errlen)
{
    SessionRound *r = round_at(s, round, err, errlen);
    if (!r)
        return -1;
    if (n != r->n_replies) {
        snprintf(err, errlen, "round %zu has %zu replies, not %zu", round + 1, r->n_replies, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        Reply *c = candidate_clone(replies[i]);
        if (!c) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        reply_free(r->replies[i]);
        r->replies[i] = c;
    }
    r->dirty = true;
    s->updated_s = clock_wall_s();
    return 0;
}

int session_set_turn(Session *s, size_t round, const char *conversation, int turn, char *err, size_t errlen)
{
    SessionRound *r = round_at(s, round, err, errlen);
    if (!r)
        return -1;
    if (conversation && turn < 1) {
        snprintf(err, errlen, "a turn is numbered from 1");
        return -1;
    }
    if (replace_str(&r->conversation, conversation) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->turn = conversation ? turn : 0;
    r->dirty = true;
    s->updated_s = clock_wall_s();
    return 0;
}

int session_history(const Session *s, const char *conversation, int turn, const char *spec, Message **out,
                    size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!conversation || turn <= 1)
        return 0;
    *out = calloc(2 * (size_t)turn, sizeof **out);
    if (!*out)
        return -1;
    /* the earlier turns in order: turn 1, 2, ... (rounds may sit anywhere);
     * a turn that was rerun has several rounds: the conversation went on
     * from the latest of them */
    for (int t = 1; t < turn; t++) {
        const SessionRound *r = NULL;
        for (size_t i = 0; i < s->n_rounds; i++) {
            const SessionRound *c = &s->rounds[i];
            if (c->turn == t && c->conversation && strcmp(c->conversation, conversation) == 0 &&
                (!r || c->time_s >= r->time_s))
                r = c;
        }
        int k = r ? session_round_find(r, spec) : -1;
        if (k >= 0 && r->replies[k]->text.len > 0) {
            (*out)[(*n)++] = (Message){ "user", r->prompt };
            (*out)[(*n)++] = (Message){ "assistant", buf_str(&r->replies[k]->text) };
        }
    }
    return 0;
}

bool session_last_turn(const Session *s, size_t *round, const char **conversation, int *next_turn)
{
    if (s->n_rounds == 0)
        return false;
    size_t last = 0;
    for (size_t i = 1; i < s->n_rounds; i++)
        if (s->rounds[i].time_s >= s->rounds[last].time_s)
            last = i;
    const SessionRound *r = &s->rounds[last];
    *round = last;
    *conversation = r->conversation;
    int top = r->conversation ? r->turn : 1;
    for (size_t i = 0; r->conversation && i < s->n_rounds; i++)
        if (s->rounds[i].conversation && strcmp(s->rounds[i].conversation, r->conversation) == 0 &&
            s->rounds[i].turn > top)
            top = s->rounds[i].turn;
    *next_turn = top + 1;
    return true;
}

void session_history_free(Message *m)
{
    free(m);
}

int session_label_round(Session *s, size_t round, const SessionLabel *label, char *err, size_t errlen)
{
    SessionRound *r = round_at(s, round, err, errlen);
    if (!r)
        return -1;
    if (label->outcome == SESSION_WIN && (label->winner < 0 || (size_t)label->winner >= r->n_replies)) {
        snprintf(err, errlen, "winner %d is not one of the round's %zu replies", label->winner + 1, r->n_replies);
        return -1;
    }
    if ((unsigned)label->outcome > SESSION_BOTH_BAD) {
        snprintf(err, errlen, "unknown label outcome");
        return -1;
    }
    if (label->outcome == SESSION_WIN && !reply_took_part(r->replies[label->winner])) {
        /* nothing to judge: a not-sent or silent candidate winning would count
         * against the ones that answered (and push restricted data outward) */
        const Reply *w = r->replies[label->winner];
        const char *msg = w->error_message ? w->error_message : reply_status_name(w->status);
        snprintf(err, errlen, "pane %d (%s) %s (%s): it has no answer to judge; label another pane, a tie or "
                 "both bad", label->winner + 1, w->spec, reply_was_sent(w) ? "gave no answer" : "was not sent", msg);
        return -1;
    }
    if (replace_str(&r->note, label->note) < 0 || replace_str(&r->category, label->category) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->outcome = label->outcome;
    r->winner = label->outcome == SESSION_WIN ? label->winner : -1;
    r->blind = label->blind;
    r->labelled_s = clock_wall_s();
    r->dirty = true;
    s->updated_s = r->labelled_s;
    return 0;
}

int session_add_assertion(Session *s, size_t round, const Assertion *a, char *err, size_t errlen)
{
    SessionRound *r = round_at(s, round, err, errlen);
    if (!r)
        return -1;
    Assertion *p = realloc(r->assertions, (r->n_assertions + 1) * sizeof *p);
    if (!p || assertion_copy(&p[r->n_assertions], a) < 0) {
        if (p)
            r->assertions = p;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->assertions = p;
    r->n_assertions++;
    r->dirty = true;
    s->updated_s = clock_wall_s();
    return 0;
}

int session_round_find(const SessionRound *r, const char *name)
{
    for (size_t i = 0; i < r->n_replies; i++) {
        const Reply *p = r->replies[i];
        if (strcmp(name, p->spec) == 0)
            return (int)i;
    }
    for (size_t i = 0; i < r->n_replies; i++) {
        const Reply *p = r->replies[i];
        size_t pl = strlen(p->provider);
        if (strcmp(name, p->model) == 0 ||
            (pl && strncmp(name, p->provider, pl) == 0 && name[pl] == ':' && strcmp(name + pl + 1, p->model) == 0))
            return (int)i;
    }
    return -1;
}

/* ---- JSON ---------------------------------------------------------------- */

cJSON *session_round_to_json(const SessionRound *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_num(o, "time", r->time_s);
    bad |= jsonio_add_str(o, "system", r->system);
    bad |= jsonio_add_str(o, "prompt", r->prompt);
    bad |= jsonio_add_str(o, "sensitivity", sensitivity_name(r->sensitivity));
    bad |= jsonio_add_item(o, "params", candidate_params_encode(&r->params));
    bad |= jsonio_add_item(o, "replies",
                           candidate_encode_list(r->replies, r->vram_mib, r->n_replies, true));
    if (r->conversation) {
        bad |= jsonio_add_str(o, "conversation", r->conversation);
        bad |= jsonio_add_num(o, "turn", r->turn);
    }
    if (r->outcome == SESSION_UNLABELLED && !r->note && !r->category && !r->n_assertions) {
        bad |= !cJSON_AddNullToObject(o, "label");
    } else {
        cJSON *l = cJSON_AddObjectToObject(o, "label");
        bad |= !l;
        if (l) {
            bad |= jsonio_add_str(l, "outcome", session_outcome_name(r->outcome));
            if (r->outcome == SESSION_WIN) {
                bad |= jsonio_add_num(l, "winner_index", r->winner);
                bad |= jsonio_add_str(l, "winner", r->replies[r->winner]->spec);
            }
            bad |= jsonio_add_str(l, "note", r->note);
            bad |= jsonio_add_str(l, "category", r->category);
            bad |= jsonio_add_num(l, "time", r->labelled_s > 0 ? r->labelled_s : NAN);
            if (r->blind)
                bad |= !cJSON_AddTrueToObject(l, "blind");
            bad |= jsonio_add_item(l, "assertions",
                                   assertions_to_json(r->assertions, r->n_assertions));
        }
    }
    return jsonio_finish(o, bad);
}

/* Reads the assertions array at key of obj into out; 0 or -1 with err. */
static int assertions_from_json(const cJSON *arr, Assertion **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr)) {
        snprintf(err, errlen, "\"assertions\" must be an array");
        return -1;
    }
    size_t count = (size_t)cJSON_GetArraySize(arr);
    if (!count)
        return 0;
    *out = calloc(count, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) {
        if (assertion_from_json(a, &(*out)[*n], err, errlen) < 0)
            return -1;
        (*n)++;
    }
    return 0;
}

int session_round_from_json(const cJSON *o, SessionRound *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->winner = -1;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "a round must be a JSON object");
        return -1;
    }
    const char *prompt = jsonio_str(o, "prompt");
    if (!prompt) {
        snprintf(err, errlen, "a round needs a \"prompt\" string");
        return -1;
    }
    r->time_s = jsonio_num(o, "time", 0);
    r->prompt = strdup(prompt);
    r->system = jsonio_dup(o, "system");
    const char *sens = jsonio_str(o, "sensitivity");
    if (sens && sensitivity_parse(sens, &r->sensitivity) < 0) {
        snprintf(err, errlen, "unknown sensitivity \"%s\" (public, internal or restricted)", sens);
        goto fail;
    }
    r->params = candidate_params_decode(cJSON_GetObjectItemCaseSensitive(o, "params"));
    const cJSON *replies = cJSON_GetObjectItemCaseSensitive(o, "replies");
    if (replies && !cJSON_IsArray(replies)) {
        snprintf(err, errlen, "\"replies\" must be an array");
        goto fail;
    }
    size_t n = (size_t)cJSON_GetArraySize(replies);
    if (n) {
        r->replies = calloc(n, sizeof *r->replies);
        r->vram_mib = calloc(n, sizeof *r->vram_mib);
        if (!r->replies || !r->vram_mib) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, replies) {
        char e2[256];
        double vram = -1;
        Reply *rep = candidate_decode(c, &vram, e2, sizeof e2);
        if (!rep) {
            snprintf(err, errlen, "reply %zu: %s", r->n_replies + 1, e2);
            goto fail;
        }
        r->vram_mib[r->n_replies] = vram;
        r->replies[r->n_replies++] = rep;
    }
    r->conversation = jsonio_dup(o, "conversation");
    r->turn = r->conversation ? (int)jsonio_long(o, "turn", 0) : 0;
    if (r->conversation && r->turn < 1) {
        snprintf(err, errlen, "a round of a conversation needs a \"turn\" of 1 or more");
        goto fail;
    }
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(o, "label");
    if (cJSON_IsObject(l)) {
        const char *oc = jsonio_str(l, "outcome");
        if (oc && session_outcome_parse(oc, &r->outcome) < 0) {
            snprintf(err, errlen, "unknown label outcome \"%s\"", oc);
            goto fail;
        }
        if (r->outcome == SESSION_WIN) {
            long w = jsonio_long(l, "winner_index", -1);
            const char *wname = jsonio_str(l, "winner");
            if (w < 0 && wname)
                w = session_round_find(r, wname);
            if (w < 0 || (size_t)w >= r->n_replies) {
                snprintf(err, errlen, "label names a winner that is not among the replies");
                goto fail;
            }
            r->winner = (int)w;
        }
        r->note = jsonio_dup(l, "note");
        r->category = jsonio_dup(l, "category");
        r->labelled_s = jsonio_num(l, "time", 0);
        r->blind = r->outcome != SESSION_UNLABELLED && jsonio_bool(l, "blind", false);
        if (assertions_from_json(cJSON_GetObjectItemCaseSensitive(l, "assertions"), &r->assertions,
                                 &r->n_assertions, err, errlen) < 0)
            goto fail;
    } else if (l && !cJSON_IsNull(l)) {
        snprintf(err, errlen, "\"label\" must be an object or null");
        goto fail;
    }
    if (!r->prompt) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    session_round_clear(r);
    return -1;
}

cJSON *session_to_json(const Session *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_num(o, "versus_session", SESSION_FORMAT_VERSION);
    bad |= jsonio_add_str(o, "id", s->id);
    bad |= jsonio_add_num(o, "created", s->created_s);
    bad |= jsonio_add_num(o, "updated", s->updated_s);
    cJSON *rounds = cJSON_AddArrayToObject(o, "rounds");
    bad |= !rounds;
    for (size_t i = 0; rounds && i < s->n_rounds; i++)
        bad |= jsonio_push(rounds, session_round_to_json(&s->rounds[i]));
    return jsonio_finish(o, bad);
}

Session *session_from_json(const cJSON *doc, char *err, size_t errlen)
{
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "not a versus session (the document is not an object)");
        return NULL;
    }
    long version = jsonio_long(doc, "versus_session", -1);
    if (version < 1) {
        snprintf(err, errlen, "not a versus session (no \"versus_session\" version)");
        return NULL;
    }
    if (version > SESSION_FORMAT_VERSION) {
        snprintf(err, errlen, "session format %ld is newer than this versus understands (%d)", version,
                 SESSION_FORMAT_VERSION);
        return NULL;
    }
    const char *id = jsonio_str(doc, "id");
    const cJSON *rounds = cJSON_GetObjectItemCaseSensitive(doc, "rounds");
    if (!id || !cJSON_IsArray(rounds)) {
        snprintf(err, errlen, "a session needs an \"id\" and a \"rounds\" array");
        return NULL;
    }
    Session *s = calloc(1, sizeof *s);
    if (!s || !(s->id = strdup(id)))
        goto oom;
    s->created_s = jsonio_num(doc, "created", 0);
    s->updated_s = jsonio_num(doc, "updated", 0);
    const cJSON *ro;
    size_t i = 0;
    cJSON_ArrayForEach(ro, rounds) {
        SessionRound *r = push_round(s);
        if (!r)
            goto oom;
        char e2[400];
        if (session_round_from_json(ro, r, e2, sizeof e2) < 0) {
            snprintf(err, errlen, "round %zu: %s", i + 1, e2);
            session_free(s);
            return NULL;
        }
        s->n_rounds++;
        i++;
    }
    return s;
oom:
    session_free(s);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

Session *session_load(const char *path, char *err, size_t errlen)
{
    Buf text = { 0 };
    char e2[300];
    if (util_read_file(path, SESSION_MAX_FILE, &text, err, errlen) < 0)
        return NULL;
    cJSON *doc = jsonio_parse(text.data, text.len, e2, sizeof e2);
    buf_free(&text);
    if (!doc) {
        snprintf(err, errlen, "%s: %s", path, e2);
        return NULL;
    }
    Session *s = session_from_json(doc, e2, sizeof e2);
    cJSON_Delete(doc);
    if (!s) {
        snprintf(err, errlen, "%s: %s", path, e2);
        return NULL;
    }
    s->path = strdup(path);
    if (!s->path) {
        session_free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->n_read = s->n_rounds;
    return s;
}

/* ---- atomic save ----------------------------------------------------------- */

/* The directory part of path ("." when none). */
static void parent_dir(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* Takes the lock every versus process takes before rewriting a session in
 * dir: flock on the directory itself (it is never replaced, unlike the
 * files in it). The descriptor, or -1 (errno set; EWOULDBLOCK when wait is
 * false and another process holds it). Closing it releases the lock. */
static int lock_dir(const char *dir, bool wait)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Removes ".ID.json.tmp.XXXXXX" files: left by saves that were killed. Only
 * called with the directory lock held, so no save is writing one now. */
static void sweep_temps(int dirfd)
{
    int fd = dup(dirfd);
    DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dh) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(dh))) {
        struct stat st;
        const char *t = strstr(de->d_name, ".json.tmp.");
        if (de->d_name[0] != '.' || !t || strlen(t) != 16 ||
            fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        unlinkat(dirfd, de->d_name, 0);
    }
    closedir(dh);
}

/* Keys of o that g lacks (deep: objects present in both are compared, and
 * arrays of the same length element by element), as an object to give to
 * json_add_extras; NULL when there are none. */
static cJSON *json_extras(const cJSON *o, const cJSON *g)
{
    cJSON *out = NULL;
    const cJSON *c;
    if (cJSON_IsArray(o) && cJSON_IsArray(g)) {
        if (cJSON_GetArraySize(o) != cJSON_GetArraySize(g))
            return NULL;
        bool any = false;
        out = cJSON_CreateArray();
        const cJSON *gc = g->child;
        cJSON_ArrayForEach(c, o) {
            cJSON *e = json_extras(c, gc);
            any |= e != NULL;
            cJSON_AddItemToArray(out, e ? e : cJSON_CreateNull());
            gc = gc->next;
        }
        if (!any) {
            cJSON_Delete(out);
            return NULL;
        }
        return out;
    }
    if (!cJSON_IsObject(o) || !cJSON_IsObject(g))
        return NULL;
    cJSON_ArrayForEach(c, o) {
        if (!c->string)
            continue;
        const cJSON *gc = cJSON_GetObjectItemCaseSensitive(g, c->string);
        cJSON *e = gc ? json_extras(c, gc) : cJSON_Duplicate(c, 1);
        if (!e)
            continue;
        if (!out)
            out = cJSON_CreateObject();
        cJSON_AddItemToObject(out, c->string, e);
    }
    return out;
}

/* Puts what json_extras found back into g (a newly written document). */
static void json_add_extras(cJSON *g, const cJSON *extras)
{
    const cJSON *e;
    if (cJSON_IsArray(g) && cJSON_IsArray(extras)) {
        cJSON *gc = g->child;
        cJSON_ArrayForEach(e, extras) {
            if (!gc)
                break;
            json_add_extras(gc, e);
            gc = gc->next;
        }
        return;
    }
    if (!cJSON_IsObject(g) || !cJSON_IsObject(extras))
        return;
    cJSON_ArrayForEach(e, extras) {
        cJSON *gc = cJSON_GetObjectItemCaseSensitive(g, e->string);
        if (!gc)
            cJSON_AddItemToObject(g, e->string, cJSON_Duplicate(e, 1));
        else
            json_add_extras(gc, e);
    }
}

/* Reads the session file as it is on disk now: 0 with *doc and *disk (both
 * NULL when there is no file yet), or -1 with err. */
static int read_current(const char *path, cJSON **doc, Session **disk, char *err, size_t errlen)
{
    *doc = NULL;
    *disk = NULL;
    struct stat st;
    if (lstat(path, &st) < 0 && errno == ENOENT)
        return 0;
    Buf text = { 0 };
    char e2[400] = "";
    if (util_read_file(path, SESSION_MAX_FILE, &text, e2, sizeof e2) == UTIL_FILE_OK) {
        *doc = jsonio_parse(text.data, text.len, e2, sizeof e2);
        if (*doc)
            *disk = session_from_json(*doc, e2, sizeof e2);
    }
    buf_free(&text);
    if (!*disk) {
        cJSON_Delete(*doc);
        *doc = NULL;
        snprintf(err, errlen, "%s can not be re-read before saving (%s); it was left as it is: "
                 "move it away and try again", path, e2);
        return -1;
    }
    return 0;
}

/* The document to write: the file's rounds, ours where we changed them,
 * then the rounds we added; unknown keys of the file kept. */
static cJSON *merged_json(const Session *s, const cJSON *doc, const Session *disk, size_t keep_from)
{
    static const char *const known_top[] = { "versus_session", "id", "created", "updated", "rounds" };
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_num(o, "versus_session", SESSION_FORMAT_VERSION);
    bad |= jsonio_add_str(o, "id", s->id);
    bad |= jsonio_add_num(o, "created", disk && disk->created_s > 0 ? disk->created_s : s->created_s);
    bad |= jsonio_add_num(o, "updated", disk && disk->updated_s > s->updated_s ? disk->updated_s : s->updated_s);
    const cJSON *c;
    cJSON_ArrayForEach(c, doc) {
        bool known = false;
        for (size_t k = 0; k < sizeof known_top / sizeof *known_top; k++)
            known |= c->string && strcmp(c->string, known_top[k]) == 0;
        if (!known && c->string)
            bad |= jsonio_add_item(o, c->string, cJSON_Duplicate(c, 1));
    }
    cJSON *rounds = cJSON_AddArrayToObject(o, "rounds");
    bad |= !rounds;
    const cJSON *disk_round = doc ? cJSON_GetObjectItemCaseSensitive(doc, "rounds")->child : NULL;
    for (size_t i = 0; rounds && disk && i < disk->n_rounds; i++, disk_round = disk_round->next) {
        if (i < s->n_read && i < s->n_rounds && s->rounds[i].dirty) {
            cJSON *g = session_round_to_json(&s->rounds[i]);
            cJSON *g0 = session_round_to_json(&disk->rounds[i]);
            cJSON *extras = g && g0 ? json_extras(disk_round, g0) : NULL;
            json_add_extras(g, extras);
            cJSON_Delete(extras);
            cJSON_Delete(g0);
            bad |= jsonio_push(rounds, g);
        } else {
            bad |= jsonio_push(rounds, cJSON_Duplicate(disk_round, 1));
        }
    }
    for (size_t i = keep_from; rounds && i < s->n_rounds; i++)
        bad |= jsonio_push(rounds, session_round_to_json(&s->rounds[i]));
    return jsonio_finish(o, bad);
}

/* After a successful write: s becomes what the file holds. */
static int adopt_merged(Session *s, Session *disk, size_t keep_from)
{
    size_t m = disk ? disk->n_rounds : 0;
    size_t n = m + (s->n_rounds - keep_from);
    SessionRound *all = calloc(n ? n : 1, sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < m; i++) {
        SessionRound *src = i < s->n_read && i < s->n_rounds && s->rounds[i].dirty ? &s->rounds[i]
                                                                                     : &disk->rounds[i];
        all[i] = *src;
        memset(src, 0, sizeof *src);
    }
    for (size_t i = keep_from; i < s->n_rounds; i++) {
        all[m + i - keep_from] = s->rounds[i];
        memset(&s->rounds[i], 0, sizeof s->rounds[i]);
    }
    for (size_t i = 0; i < s->n_rounds; i++)
        session_round_clear(&s->rounds[i]);
    free(s->rounds);
    for (size_t i = 0; i < n; i++)
        all[i].dirty = false;
    s->rounds = all;
    s->cap_rounds = n ? n : 1;
    s->n_rounds = n;
    s->n_read = n;
    if (disk && disk->created_s > 0)
        s->created_s = disk->created_s;
    return 0;
}

int session_save(Session *s, char *err, size_t errlen)
{
    if (!s->path) {
        snprintf(err, errlen, "the session has no file path");
        return -1;
    }
    char dir[4096];
    parent_dir(s->path, dir, sizeof dir);
    int lock = lock_dir(dir, true);
    if (lock < 0) {
        snprintf(err, errlen, "can not lock %s to save the session: %s", dir, strerror(errno));
        return -1;
    }
    sweep_temps(lock);
    cJSON *doc = NULL;
    Session *disk = NULL;
    int rc = read_current(s->path, &doc, &disk, err, errlen);
    size_t m = disk ? disk->n_rounds : 0;
    size_t keep_from = m < s->n_read ? m : s->n_read;
    cJSON *out = rc == 0 ? merged_json(s, doc, disk, keep_from) : NULL;
    char *text = out ? cJSON_Print(out) : NULL;
    cJSON_Delete(out);
    cJSON_Delete(doc);
    if (rc == 0 && !text) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        size_t len = strlen(text);
        keyfilter_mask(text, len);
        text[len] = '\n'; /* cJSON's terminator becomes the final newline */
        rc = outfile_replace(s->path, text, len + 1, err, errlen);
    }
    free(text);
    if (rc == 0 && adopt_merged(s, disk, keep_from) < 0) {
        snprintf(err, errlen, "saved, but out of memory afterwards");
        rc = -1;
    }
    if (rc == 0) {
        s->moved_from = keep_from;
        s->moved_to = m;
    }
    session_free(disk);
    close(lock); /* releases the lock */
    return rc;
}

size_t session_round_after_save(const Session *s, size_t i)
{
    return i >= s->moved_from ? s->moved_to + (i - s->moved_from) : i;
}

/* ---- listing ----------------------------------------------------------------- */

static int info_cmp(const void *a, const void *b)
{
    const SessionInfo *x = a, *y = b;
    if (x->updated_s != y->updated_s)
        return x->updated_s < y->updated_s ? -1 : 1;
    return strcmp(x->id, y->id);
}

static bool is_session_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static void fill_info(SessionInfo *info, const char *dir, const char *name)
{
    memset(info, 0, sizeof *info);
    if ((size_t)snprintf(info->path, sizeof info->path, "%s/%s", dir, name) >= sizeof info->path ||
        (size_t)snprintf(info->id, sizeof info->id, "%.*s", (int)(strlen(name) - 5), name) >= sizeof info->id) {
        snprintf(info->error, sizeof info->error, "file name too long");
        return;
    }
    struct stat st;
    if (stat(info->path, &st) == 0)
        info->updated_s = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
    Session *s = session_load(info->path, info->error, sizeof info->error);
    if (!s)
        return;
    info->ok = true;
    info->n_rounds = s->n_rounds;
    for (size_t i = 0; i < s->n_rounds; i++)
        info->n_labelled += s->rounds[i].outcome != SESSION_UNLABELLED;
    if (s->n_rounds) {
        const char *p = s->rounds[0].prompt;
        size_t k = 0;
        for (; p[k] && p[k] != '\n' && k + 1 < sizeof info->first_prompt; k++)
            info->first_prompt[k] = p[k];
        /* do not cut a UTF-8 sequence in half */
        while (k > 0 && p[k] && ((unsigned char)p[k] & 0xC0) == 0x80)
            k--;
        info->first_prompt[k] = '\0';
    }
    session_free(s);
}

int session_list(const char *dir, SessionInfo **out, size_t *n, char *err, size_t errlen)
{
    char d[4096];
    *out = NULL;
    *n = 0;
    if (resolve_dir(dir, d, sizeof d, err, errlen) < 0)
        return -1;
    DIR *dh = opendir(d);
    if (!dh) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", d, strerror(errno));
        return -1;
    }
    int lock = lock_dir(d, false); /* nobody saving: clear what killed saves left */
    if (lock >= 0) {
        sweep_temps(lock);
        close(lock);
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!is_session_name(de->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            SessionInfo *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                closedir(dh);
                free(*out);
                *out = NULL;
                *n = 0;
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            *out = p;
        }
        fill_info(&(*out)[(*n)++], d, de->d_name);
    }
    closedir(dh);
    if (*n)
        qsort(*out, *n, sizeof **out, info_cmp);
    return 0;
}

int session_resolve(const char *dir, const char *name, char *path, size_t pathlen, char *err, size_t errlen)
{
    struct stat st;
    if (strchr(name, '/') || stat(name, &st) == 0) {
        if (stat(name, &st) != 0) {
            snprintf(err, errlen, "%s: no such session file", name);
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: not a regular file; only plain files are read as sessions", name);
            return -1;
        }
        snprintf(path, pathlen, "%s", name);
        return 0;
    }
    char d[4096];
    if (resolve_dir(dir, d, sizeof d, err, errlen) < 0)
        return -1;
    DIR *dh = opendir(d);
    if (!dh) {
        snprintf(err, errlen, "no session \"%s\" (%s: %s)", name, d, strerror(errno));
        return -1;
    }
    size_t nl = strlen(name), matches = 0;
    struct dirent *de;
    char found[256] = "";
    while ((de = readdir(dh))) {
        if (!is_session_name(de->d_name) || strncmp(de->d_name, name, nl) != 0)
            continue;
        bool exact = strlen(de->d_name) == nl + 5;
        if (exact) { /* an exact ID wins over prefixes */
            snprintf(found, sizeof found, "%s", de->d_name);
            matches = 1;
            break;
        }
        snprintf(found, sizeof found, "%s", de->d_name);
        matches++;
    }
    closedir(dh);
    if (matches != 1) {
        if (matches)
            snprintf(err, errlen, "\"%s\" matches %zu sessions; give more of the ID", name, matches);
        else
            snprintf(err, errlen, "no session \"%s\" in %s", name, d);
        return -1;
    }
    if ((size_t)snprintf(path, pathlen, "%s/%s", d, found) >= pathlen) {
        snprintf(err, errlen, "session path is too long");
        return -1;
    }
    return 0;
}
