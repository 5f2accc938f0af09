/* fixture_csv.c — cases as RFC 4180 CSV, one row per case and candidate,
 * and back (see fixture.h, versus-fixtures(5)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/candidate.h"
#include "store/fixture_formats.h"
#include "store/jsonio.h"

static const char *const csv_columns[] = {
    "case_id", "session", "round", "category", "sensitivity", "outcome", "winner", "note",
    "prompt", "system", "spec", "provider", "model", "status", "is_winner", "input_tokens",
    "output_tokens", "cost_usd", "ttft_ms", "total_ms", "output_tokens_per_s", "finish_reason",
    "text", "assertions", "cost_basis",
};
enum { CSV_NCOLS = sizeof csv_columns / sizeof *csv_columns };

static int csv_field(Buf *b, const char *s, bool last)
{
    int rc = 0;
    if (s && strpbrk(s, ",\"\r\n")) {
        rc |= buf_puts(b, "\"");
        for (const char *p = s; *p; p++)
            rc |= *p == '"' ? buf_puts(b, "\"\"") : buf_append(b, p, 1);
        rc |= buf_puts(b, "\"");
    } else if (s) {
        rc |= buf_puts(b, s);
    }
    rc |= buf_puts(b, last ? "\r\n" : ",");
    return rc;
}

/* Shortest text that reads back as the same double; "" when unknown. */
static void num_text(char *out, size_t n, double v, bool known)
{
    if (!known || !isfinite(v)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, n, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, n, "%.17g", v);
}

int fixture_write_csv(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen)
{
    (void)rep; /* a CSV carries every case it is given */
    int rc = 0;
    for (int i = 0; i < CSV_NCOLS; i++)
        rc |= csv_field(out, csv_columns[i], i == CSV_NCOLS - 1);
    for (size_t ci = 0; ci < set->n; ci++) {
        const FixtureCase *c = &set->cases[ci];
        const SessionRound *r = &c->r;
        const Reply *w = fixture_winner(c);
        cJSON *as = cJSON_CreateArray();
        for (size_t i = 0; as && i < r->n_assertions; i++)
            cJSON_AddItemToArray(as, assertion_to_json(&r->assertions[i]));
        char *as_text = as ? cJSON_PrintUnformatted(as) : NULL; /* always a JSON array, [] when empty */
        cJSON_Delete(as);
        size_t rows = r->n_replies ? r->n_replies : 1;
        for (size_t k = 0; k < rows; k++) {
            const Reply *p = r->n_replies ? r->replies[k] : NULL;
            char round[32], in[32], outt[32], cost[40], ttft[40], total[40], tps[40];
            num_text(round, sizeof round, (double)c->round, c->round > 0);
            num_text(in, sizeof in, p ? (double)p->usage.input_tokens : 0, p && p->usage.input_tokens >= 0);
            num_text(outt, sizeof outt, p ? (double)p->usage.output_tokens : 0, p && p->usage.output_tokens >= 0);
            num_text(cost, sizeof cost, p ? p->metrics.cost_usd : 0, p != NULL);
            num_text(ttft, sizeof ttft, p ? p->metrics.ttft_ms : 0, p && p->metrics.ttft_ms >= 0);
            num_text(total, sizeof total, p ? p->metrics.total_ms : 0, p && p->metrics.total_ms >= 0);
            num_text(tps, sizeof tps, p ? p->metrics.output_tokens_per_s : 0, p && p->metrics.output_tokens_per_s >= 0);
            const char *fields[CSV_NCOLS] = {
                c->id, c->session, round, r->category, sensitivity_name(r->sensitivity),
                session_outcome_name(r->outcome), w ? w->spec : NULL, r->note, r->prompt, r->system,
                p ? p->spec : NULL, p ? p->provider : NULL, p ? p->model : NULL,
                p ? reply_status_name(p->status) : NULL, p ? (w == p ? "1" : "0") : NULL, in, outt, cost,
                ttft, total, tps, p && p->finish_reason[0] ? p->finish_reason : NULL,
                p ? buf_str(&p->text) : NULL, as_text,
                p && p->metrics.cost_basis[0] ? p->metrics.cost_basis : NULL,
            };
            for (int i = 0; i < CSV_NCOLS; i++)
                rc |= csv_field(out, fields[i], i == CSV_NCOLS - 1);
        }
        free(as_text);
    }
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads one CSV record into fields (malloc'ed strings); returns the field
 * count, 0 at the end of input, -1 on malformed quoting. */
static int csv_record(const char *text, size_t len, size_t *pos, char **fields, int max, int *lineno)
{
    if (*pos >= len)
        return 0;
    int n = 0;
    Buf f = { 0 };
    bool quoted = false, was_quoted = false;
    for (;;) {
        char ch = *pos < len ? text[*pos] : '\0';
        bool end = *pos >= len;
        if (quoted) {
            if (end)
                goto bad;
            (*pos)++;
            if (ch == '"') {
                if (*pos < len && text[*pos] == '"') {
                    buf_append(&f, "\"", 1);
                    (*pos)++;
                } else {
                    quoted = false;
                }
            } else {
                if (ch == '\n')
                    (*lineno)++;
                buf_append(&f, &ch, 1);
            }
            continue;
        }
        if (end || ch == ',' || ch == '\n' || ch == '\r') {
            if (n < max)
                fields[n++] = was_quoted || f.len ? buf_steal(&f) : NULL;
            else
                buf_free(&f);
            was_quoted = false;
            if (!end)
                (*pos)++;
            if (ch == '\r' && *pos < len && text[*pos] == '\n')
                (*pos)++;
            if (end || ch != ',') {
                (*lineno)++;
                return n;
            }
            continue;
        }
        (*pos)++;
        if (ch == '"' && f.len == 0 && !was_quoted) {
            quoted = was_quoted = true;
            continue;
        }
        if (was_quoted)
            goto bad; /* text after a closing quote */
        buf_append(&f, &ch, 1);
    }
bad:
    buf_free(&f);
    for (int i = 0; i < n; i++)
        free(fields[i]);
    return -1;
}

static int col_index(char **header, int nh, const char *name)
{
    for (int i = 0; i < nh; i++)
        if (header[i] && strcmp(header[i], name) == 0)
            return i;
    return -1;
}

int fixture_read_csv(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen)
{
    size_t pos = 0;
    int lineno = 1, rc = 0;
    char *header[64] = { 0 }, *row[64];
    int nh = csv_record(text, len, &pos, header, 64, &lineno);
    int col[CSV_NCOLS];
    for (int i = 0; i < CSV_NCOLS; i++)
        col[i] = nh > 0 ? col_index(header, nh, csv_columns[i]) : -1;
    if (nh <= 0 || col[0] < 0 || col[8] < 0) {
        snprintf(err, errlen, "line 1: expected a header with at least case_id and prompt");
        rc = -1;
    }
    cJSON *o = NULL; /* the case being assembled */
    char *cur_id = NULL;
    while (rc == 0) {
        int start = lineno;
        int n = csv_record(text, len, &pos, row, 64, &lineno);
        if (n < 0) {
            snprintf(err, errlen, "line %d: unterminated quoted field", start);
            rc = -1;
            break;
        }
        const char *v[CSV_NCOLS];
        for (int i = 0; i < CSV_NCOLS; i++)
            v[i] = n > 0 && col[i] >= 0 && col[i] < n ? row[col[i]] : NULL;
        bool blank = n == 1 && !row[0];
        bool flush = o && (n == 0 || (!blank && (!v[0] || !cur_id || strcmp(v[0], cur_id) != 0)));
        if (flush) {
            char e2[400];
            if (fixture_versus_line(o, set, e2, sizeof e2) < 0) {
                snprintf(err, errlen, "case ending before line %d: %s", start, e2);
                rc = -1;
            }
            cJSON_Delete(o);
            o = NULL;
            free(cur_id);
            cur_id = NULL;
        }
        if (n == 0 || rc < 0 || blank) {
            for (int i = 0; i < n; i++)
                free(row[i]);
            if (n == 0 || rc < 0)
                break;
            continue;
        }
        if (!o) {
            o = cJSON_CreateObject();
            cur_id = strdup(v[0] ? v[0] : "");
            jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
            jsonio_add_str(o, "id", v[0]);
            jsonio_add_str(o, "session", v[1]);
            if (v[2])
                jsonio_add_num(o, "round", strtod(v[2], NULL));
            jsonio_add_str(o, "category", v[3]);
            if (v[4])
                jsonio_add_str(o, "sensitivity", v[4]);
            if (v[5])
                jsonio_add_str(o, "outcome", v[5]);
            jsonio_add_str(o, "winner", v[6]);
            jsonio_add_str(o, "note", v[7]);
            jsonio_add_str(o, "prompt", v[8] ? v[8] : "");
            jsonio_add_str(o, "system", v[9]);
            cJSON_AddArrayToObject(o, "candidates");
            cJSON *as = v[23] ? cJSON_Parse(v[23]) : NULL;
            if (v[23] && !cJSON_IsArray(as)) {
                snprintf(err, errlen, "line %d: the assertions column is not a JSON array", start);
                rc = -1;
            }
            if (as)
                cJSON_AddItemToObject(o, "assertions", as);
        }
        if (rc == 0 && v[10]) {
            cJSON *cj = cJSON_CreateObject();
            jsonio_add_str(cj, "spec", v[10]);
            jsonio_add_str(cj, "provider", v[11]);
            jsonio_add_str(cj, "model", v[12]);
            jsonio_add_str(cj, "status", v[13]);
            jsonio_add_str(cj, "finish_reason", v[21]);
            jsonio_add_str(cj, "text", v[22] ? v[22] : "");
            cJSON *u = cJSON_AddObjectToObject(cj, "usage");
            jsonio_add_num(u, "input_tokens", v[15] ? strtod(v[15], NULL) : NAN);
            jsonio_add_num(u, "output_tokens", v[16] ? strtod(v[16], NULL) : NAN);
            cJSON *m = cJSON_AddObjectToObject(cj, "metrics");
            jsonio_add_num(m, "cost_usd", v[17] ? strtod(v[17], NULL) : NAN);
            if (v[24])
                jsonio_add_str(m, "cost_basis", v[24]);
            jsonio_add_num(m, "ttft_ms", v[18] ? strtod(v[18], NULL) : NAN);
            jsonio_add_num(m, "total_ms", v[19] ? strtod(v[19], NULL) : NAN);
            jsonio_add_num(m, "output_tokens_per_s", v[20] ? strtod(v[20], NULL) : NAN);
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(o, "candidates"), cj);
        }
        for (int i = 0; i < n; i++)
            free(row[i]);
    }
    cJSON_Delete(o);
    free(cur_id);
    for (int i = 0; i < nh; i++)
        free(header[i]);
    return rc;
}

