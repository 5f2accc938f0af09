/* bradley_terry.c — the Bradley-Terry and style-controlled (contextual)
 * Bradley-Terry fits, solved by Newton's method, and their bootstrap (see
 * bradley_terry.h). Not for turning rounds into battles (battles.c). */
#include "eval/bradley_terry.h"
#include "util/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BT_MAX_ITER 200
#define BT_ELO_BASE 1000.0

BtOptions bt_options_default(void)
{
    return (BtOptions){ .style = false, .prior = 0, .reg = 1.0, .min_pair_count = 50 };
}

double bt_elo_per_logit(void)
{
    return 400.0 / log(10.0);
}

static int check_input(size_t n, const BtBattle *b, size_t nb)
{
    for (size_t k = 0; k < nb; k++) {
        if (b[k].a < 0 || b[k].b < 0 || (size_t)b[k].a >= n || (size_t)b[k].b >= n || b[k].a == b[k].b ||
            !(b[k].score_a >= 0 && b[k].score_a <= 1))
            return -1;
        for (int f = 0; f < BT_STYLE_N; f++)
            if (!isfinite(b[k].style[f]))
                return -1;
    }
    return 0;
}

/* ---- the data a fit sees ------------------------------------------------------- */

/* One row of the likelihood: a real battle (weight w) or a virtual tie. */
typedef struct Row {
    int a, b;
    double y, w;
    double z[BT_STYLE_N]; /* standardised style features (0 for a virtual tie) */
    bool real;
} Row;

/* What every fit of one data set shares: standardised features and weights
 * computed once on all battles, as arena-rank does. */
typedef struct Prepared {
    size_t n, nb;
    const BtBattle *b;
    double *z;  /* (nb × BT_STYLE_N) */
    double *w;  /* (nb) */
    BtOptions opt;
} Prepared;

static void prepared_free(Prepared *p)
{
    free(p->z);
    free(p->w);
}

static int prepare(size_t n, const BtBattle *b, size_t nb, const BtOptions *opt, Prepared *p)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->nb = nb;
    p->b = b;
    p->opt = opt ? *opt : bt_options_default();
    p->z = calloc(nb * BT_STYLE_N + 1, sizeof *p->z);
    p->w = calloc(nb + 1, sizeof *p->w);
    double *pair = calloc(n * n + 1, sizeof *pair);
    if (!p->z || !p->w || !pair) {
        free(pair);
        prepared_free(p);
        return -1;
    }
    for (size_t k = 0; k < nb; k++)
        p->w[k] = 1;
    if (p->opt.style && nb) {
        for (int f = 0; f < BT_STYLE_N; f++) {
            double mean = 0, var = 0;
            for (size_t k = 0; k < nb; k++)
                mean += b[k].style[f];
            mean /= (double)nb;
            for (size_t k = 0; k < nb; k++)
                var += (b[k].style[f] - mean) * (b[k].style[f] - mean);
            double sd = sqrt(var / (double)nb);
            if (!(sd > 0))
                sd = 1;
            for (size_t k = 0; k < nb; k++)
                p->z[k * BT_STYLE_N + f] = (b[k].style[f] - mean) / sd;
        }
        /* inverse pair-count weights, floored, normalised to mean 1 */
        for (size_t k = 0; k < nb; k++) {
            size_t lo = (size_t)(b[k].a < b[k].b ? b[k].a : b[k].b), hi = (size_t)(b[k].a < b[k].b ? b[k].b : b[k].a);
            pair[lo * n + hi] += 1;
        }
        double sum = 0;
        for (size_t k = 0; k < nb; k++) {
            size_t lo = (size_t)(b[k].a < b[k].b ? b[k].a : b[k].b), hi = (size_t)(b[k].a < b[k].b ? b[k].b : b[k].a);
            double c = pair[lo * n + hi];
            p->w[k] = 1.0 / (c > p->opt.min_pair_count ? c : p->opt.min_pair_count);
            sum += p->w[k];
        }
        for (size_t k = 0; k < nb; k++)
            p->w[k] *= (double)nb / sum;
    }
    free(pair);
    return 0;
}

/* ---- which ratings are finite ---------------------------------------------------- */

/* Connected groups of models (over pairs that met) and, in each, whether the
 * "scored against" graph is strongly connected; for a group that is not,
 * *kind gets +1 for models whose strongly connected part nobody outside
 * scored against, -1 for those that scored against nobody outside, 0 else.
 * group[m] = -1 for a model with no rows. Returns how many groups are not
 * strongly connected, or -1 on OOM. */
static int structure(size_t n, const Row *rows, size_t nr, int *group, int *kind)
{
    unsigned char *reach = calloc(n * n + 1, 1), *met = calloc(n * n + 1, 1);
    if (!reach || !met) {
        free(reach);
        free(met);
        return -1;
    }
    for (size_t i = 0; i < nr; i++) {
        size_t a = (size_t)rows[i].a, b = (size_t)rows[i].b;
        met[a * n + b] = met[b * n + a] = 1;
        if (rows[i].y > 0)
            reach[a * n + b] = 1;
        if (rows[i].y < 1)
            reach[b * n + a] = 1;
    }
    for (size_t m = 0; m < n; m++)
        group[m] = -1;
    int ng = 0;
    for (size_t m = 0; m < n; m++) {
        bool any = false;
        for (size_t j = 0; j < n; j++)
            any |= met[m * n + j];
        if (!any || group[m] >= 0)
            continue;
        /* flood fill over met pairs */
        group[m] = ng;
        for (bool grew = true; grew;) {
            grew = false;
            for (size_t i = 0; i < n; i++)
                if (group[i] == ng)
                    for (size_t j = 0; j < n; j++)
                        if (met[i * n + j] && group[j] < 0) {
                            group[j] = ng;
                            grew = true;
                        }
        }
        ng++;
    }
    /* transitive closure of "scored against" (Floyd–Warshall) */
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < n; i++)
            if (reach[i * n + k])
                for (size_t j = 0; j < n; j++)
                    if (reach[k * n + j])
                        reach[i * n + j] = 1;
    int separated = 0;
    for (int g = 0; g < ng; g++) {
        bool strong = true;
        for (size_t i = 0; i < n && strong; i++)
            for (size_t j = 0; j < n && strong; j++)
                if (i != j && group[i] == g && group[j] == g && !(reach[i * n + j] && reach[j * n + i]))
                    strong = false;
        separated += !strong;
        for (size_t m = 0; m < n; m++) {
            if (group[m] != g)
                continue;
            kind[m] = 2; /* finite */
            if (strong)
                continue;
            bool in = false, out = false; /* edges into / out of m's strongly connected part */
            for (size_t k = 0; k < n; k++) {
                if (group[k] != g || k == m || (reach[k * n + m] && reach[m * n + k]))
                    continue;
                in |= reach[k * n + m];
                out |= reach[m * n + k];
            }
            kind[m] = !in ? 1 : !out ? -1 : 0;
        }
    }
    free(reach);
    free(met);
    return separated;
}

/* ---- Newton's method ------------------------------------------------------------ */

static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

static double sigmoid(double x)
{
    return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

typedef struct Problem {
    size_t n;          /* models */
    const Row *rows;
    size_t nr;
    double inv_w;      /* 1 / number of real rows */
    int k;             /* style features in the model (0 or BT_STYLE_N) */
    double reg;
    const int *group;  /* connected group per model, -1 = not in this fit */
    int ng;
} Problem;

/* Objective at x = (θ (n), γ (k)): mean weighted log-loss + ridge + the
 * centring term ½Σ_g(Σθ_g)², which fixes the free shift of each group. */
static double objective(const Problem *pb, const double *x)
{
    double f = 0;
    for (size_t i = 0; i < pb->nr; i++) {
        const Row *r = &pb->rows[i];
        double t = x[r->a] - x[r->b];
        for (int j = 0; j < pb->k; j++)
            t += x[pb->n + (size_t)j] * r->z[j];
        f += r->w * (softplus(t) - r->y * t);
    }
    f *= pb->inv_w;
    for (int j = 0; j < pb->k; j++)
        f += 0.5 * pb->reg * x[pb->n + (size_t)j] * x[pb->n + (size_t)j];
    for (int g = 0; g < pb->ng; g++) {
        double s = 0;
        for (size_t m = 0; m < pb->n; m++)
            if (pb->group[m] == g)
                s += x[m];
        f += 0.5 * s * s;
    }
    return f;
}

static void gradient_hessian(const Problem *pb, const double *x, double *g, double *h)
{
    size_t p = pb->n + (size_t)pb->k;
    memset(g, 0, p * sizeof *g);
    memset(h, 0, p * p * sizeof *h);
    for (size_t i = 0; i < pb->nr; i++) {
        const Row *r = &pb->rows[i];
        double t = x[r->a] - x[r->b];
        for (int j = 0; j < pb->k; j++)
            t += x[pb->n + (size_t)j] * r->z[j];
        double pr = sigmoid(t), e = r->w * pb->inv_w * (pr - r->y), c = r->w * pb->inv_w * pr * (1 - pr);
        size_t a = (size_t)r->a, b = (size_t)r->b;
        /* ∂t/∂x: +1 at a, −1 at b, z_j at γ_j */
        double d[2 + BT_STYLE_N];
        size_t at[2 + BT_STYLE_N];
        int nd = 0;
        at[nd] = a, d[nd++] = 1;
        at[nd] = b, d[nd++] = -1;
        for (int j = 0; j < pb->k; j++)
            at[nd] = pb->n + (size_t)j, d[nd++] = r->z[j];
        for (int u = 0; u < nd; u++) {
            g[at[u]] += e * d[u];
            for (int v = 0; v < nd; v++)
                h[at[u] * p + at[v]] += c * d[u] * d[v];
        }
    }
    for (int j = 0; j < pb->k; j++) {
        size_t q = pb->n + (size_t)j;
        g[q] += pb->reg * x[q];
        h[q * p + q] += pb->reg;
    }
    for (int gr = 0; gr < pb->ng; gr++) {
        double s = 0;
        for (size_t m = 0; m < pb->n; m++)
            if (pb->group[m] == gr)
                s += x[m];
        for (size_t m = 0; m < pb->n; m++) {
            if (pb->group[m] != gr)
                continue;
            g[m] += s;
            for (size_t m2 = 0; m2 < pb->n; m2++)
                if (pb->group[m2] == gr)
                    h[m * p + m2] += 1;
        }
    }
    /* a model outside the fit keeps θ = 0 */
    for (size_t m = 0; m < pb->n; m++)
        if (pb->group[m] < 0) {
            g[m] = 0;
            h[m * p + m] = 1;
        }
}

/* Solves H d = -g by Cholesky (H symmetric positive definite); 0 or -1. */
static int cholesky_solve(double *h, const double *g, double *d, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        double s = h[j * p + j];
        for (size_t k = 0; k < j; k++)
            s -= h[j * p + k] * h[j * p + k];
        if (!(s > 0))
            return -1;
        h[j * p + j] = sqrt(s);
        for (size_t i = j + 1; i < p; i++) {
            double t = h[i * p + j];
            for (size_t k = 0; k < j; k++)
                t -= h[i * p + k] * h[j * p + k];
            h[i * p + j] = t / h[j * p + j];
        }
    }
    for (size_t i = 0; i < p; i++) { /* L y = -g */
        double t = -g[i];
        for (size_t k = 0; k < i; k++)
            t -= h[i * p + k] * d[k];
        d[i] = t / h[i * p + i];
    }
    for (size_t i = p; i-- > 0;) { /* Lᵀ d = y */
        double t = d[i];
        for (size_t k = i + 1; k < p; k++)
            t -= h[k * p + i] * d[k];
        d[i] = t / h[i * p + i];
    }
    return 0;
}

/* Minimises the objective from x = 0; returns the steps taken or -1. */
static int newton(const Problem *pb, double *x)
{
    size_t p = pb->n + (size_t)pb->k;
    double *g = malloc(p * sizeof *g), *h = malloc(p * p * sizeof *h), *d = malloc(p * sizeof *d);
    double *trial = malloc(p * sizeof *trial);
    int it = -1;
    if (!g || !h || !d || !trial)
        goto out;
    memset(x, 0, p * sizeof *x);
    double f = objective(pb, x);
    for (it = 0; it < BT_MAX_ITER; it++) {
        gradient_hessian(pb, x, g, h);
        double gmax = 0;
        for (size_t i = 0; i < p; i++)
            gmax = fmax(gmax, fabs(g[i]));
        if (gmax < 1e-15)
            break;
        if (cholesky_solve(h, g, d, p) < 0) {
            it = -1;
            break;
        }
        double slope = 0, step = 0;
        for (size_t i = 0; i < p; i++) {
            slope += g[i] * d[i];
            step = fmax(step, fabs(d[i]));
        }
        double t = 1, ft = f;
        for (int ls = 0; ls < 60; ls++, t *= 0.5) {
            for (size_t i = 0; i < p; i++)
                trial[i] = x[i] + t * d[i];
            ft = objective(pb, trial);
            if (ft <= f + 1e-4 * t * slope)
                break;
        }
        if (ft > f)
            break; /* no descent left at double precision: x is the minimum */
        memcpy(x, trial, p * sizeof *x);
        f = ft;
        double xmax = 0;
        for (size_t i = 0; i < p; i++)
            xmax = fmax(xmax, fabs(x[i]));
        if (t * step < 1e-13 * (1 + xmax))
            break;
    }
out:
    free(g);
    free(h);
    free(d);
    free(trial);
    return it;
}

/* ---- one fit -------------------------------------------------------------------- */

/* Fits the battles idx[0..m) (idx NULL = all, in order) of prepared data. */
static int fit_sample(const Prepared *pp, const size_t *idx, size_t m, BtResult *out)
{
    size_t n = pp->n;
    const BtOptions *o = &pp->opt;
    size_t pairs = o->prior > 0 ? n * (n - 1) / 2 : 0;
    Row *rows = malloc((m + pairs + 1) * sizeof *rows);
    int *group = malloc((n + 1) * sizeof *group), *kind = malloc((n + 1) * sizeof *kind);
    unsigned char *met = calloc(n * n + 1, 1);
    int k = o->style ? BT_STYLE_N : 0;
    double *x = calloc(n + (size_t)k + 1, sizeof *x);
    int rc = -1;
    if (!rows || !group || !kind || !met || !x)
        goto out;
    size_t nr = 0;
    for (size_t i = 0; i < m; i++) {
        size_t q = idx ? idx[i] : i;
        const BtBattle *b = &pp->b[q];
        Row *r = &rows[nr++];
        *r = (Row){ .a = b->a, .b = b->b, .y = b->score_a, .w = pp->w[q], .real = true };
        memcpy(r->z, pp->z + q * BT_STYLE_N, sizeof r->z);
        met[(size_t)b->a * n + (size_t)b->b] = met[(size_t)b->b * n + (size_t)b->a] = 1;
    }
    if (o->prior > 0)
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++)
                if (met[a * n + b])
                    rows[nr++] = (Row){ .a = (int)a, .b = (int)b, .y = 0.5, .w = o->prior };
    int separated = structure(n, rows, nr, group, kind);
    if (separated < 0)
        goto out;
    out->finite = separated == 0;
    memset(out->coef, 0, sizeof out->coef);
    /* groups without a finite rating take no part in the fit */
    int ng = 0;
    for (size_t m2 = 0; m2 < n; m2++)
        if (group[m2] >= ng)
            ng = group[m2] + 1;
    int *fit_group = malloc((n + 1) * sizeof *fit_group);
    if (!fit_group)
        goto out;
    for (size_t m2 = 0; m2 < n; m2++)
        fit_group[m2] = group[m2] >= 0 && kind[m2] == 2 ? group[m2] : -1;
    size_t kept = 0, kept_real = 0;
    for (size_t i = 0; i < nr; i++)
        if (fit_group[rows[i].a] >= 0) {
            kept_real += rows[i].real;
            rows[kept++] = rows[i];
        }
    Problem pb = { .n = n, .rows = rows, .nr = kept, .inv_w = kept_real ? 1.0 / (double)kept_real : 0,
                   .k = kept_real ? k : 0, .reg = o->reg, .group = fit_group, .ng = ng };
    out->iterations = newton(&pb, x);
    free(fit_group);
    if (out->iterations < 0)
        goto out;
    double s = bt_elo_per_logit();
    for (size_t m2 = 0; m2 < n; m2++) {
        if (group[m2] < 0)
            out->rating[m2] = NAN;
        else if (kind[m2] == 2)
            out->rating[m2] = BT_ELO_BASE + s * x[m2];
        else
            out->rating[m2] = kind[m2] > 0 ? INFINITY : kind[m2] < 0 ? -INFINITY : NAN;
    }
    for (int j = 0; j < pb.k; j++)
        out->coef[j] = x[n + (size_t)j];
    rc = 0;
out:
    free(rows);
    free(group);
    free(kind);
    free(met);
    free(x);
    return rc;
}

int bt_fit(size_t n, const BtBattle *battles, size_t nb, const BtOptions *opt, BtResult *out)
{
    if (n == 0 || check_input(n, battles, nb) < 0)
        return -1;
    Prepared pp;
    if (prepare(n, battles, nb, opt, &pp) < 0)
        return -1;
    int rc = fit_sample(&pp, NULL, nb, out);
    prepared_free(&pp);
    return rc;
}

bool bt_has_finite_mle(size_t n, const BtBattle *battles, size_t nb)
{
    Row *rows = malloc((nb + 1) * sizeof *rows);
    int *group = malloc((n + 1) * sizeof *group), *kind = malloc((n + 1) * sizeof *kind);
    int sep = -1;
    if (rows && group && kind && check_input(n, battles, nb) == 0) {
        for (size_t i = 0; i < nb; i++)
            rows[i] = (Row){ .a = battles[i].a, .b = battles[i].b, .y = battles[i].score_a, .w = 1 };
        sep = structure(n, rows, nb, group, kind);
    }
    free(rows);
    free(group);
    free(kind);
    return sep == 0;
}

/* ---- the bootstrap ---------------------------------------------------------------- */

/* splitmix64: a small, good, seedable generator. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Quantile q of sorted v[0..m) with linear interpolation (numpy's default);
 * a neighbour at ±infinity makes the interpolated value infinite too. */
static double quantile(const double *v, size_t m, double q)
{
    if (m == 0)
        return NAN;
    double pos = q * (double)(m - 1);
    size_t lo = (size_t)floor(pos), hi = lo + 1 < m ? lo + 1 : lo;
    double f = pos - (double)lo;
    if (f == 0 || v[lo] == v[hi])
        return v[lo];
    if (isinf(v[hi]) && v[hi] > 0)
        return INFINITY;
    if (isinf(v[lo]) && v[lo] < 0)
        return -INFINITY;
    return v[lo] + (v[hi] - v[lo]) * f;
}

static void column_quantiles(const double *samples, int rounds, size_t stride, size_t col, double level, double *col_buf,
                             double *lo, double *hi)
{
    size_t m = 0;
    for (int r = 0; r < rounds; r++) {
        double v = samples[(size_t)r * stride + col];
        if (!isnan(v))
            col_buf[m++] = v;
    }
    stats_sort(col_buf, m);
    *lo = quantile(col_buf, m, (1 - level) / 2);
    *hi = quantile(col_buf, m, (1 + level) / 2);
}

int bt_bootstrap(size_t n, const BtBattle *battles, size_t nb, const BtOptions *opt, int rounds, double level,
                 uint64_t seed, double *lo, double *hi, double *coef_lo, double *coef_hi)
{
    if (n == 0 || rounds < 1 || !(level > 0 && level < 1) || check_input(n, battles, nb) < 0)
        return -1;
    Prepared pp;
    if (prepare(n, battles, nb, opt, &pp) < 0)
        return -1;
    size_t stride = n + BT_STYLE_N;
    double *samples = malloc((size_t)rounds * stride * sizeof *samples);
    double *col = malloc(((size_t)rounds + 1) * sizeof *col), *rating = malloc(n * sizeof *rating);
    size_t *idx = malloc((nb ? nb : 1) * sizeof *idx);
    int rc = -1;
    if (!samples || !col || !rating || !idx)
        goto out;
    uint64_t state = seed;
    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < nb; k++)
            idx[k] = (size_t)(next_u64(&state) % nb);
        BtResult res = { .rating = rating };
        if (fit_sample(&pp, idx, nb, &res) < 0)
            goto out;
        memcpy(samples + (size_t)r * stride, rating, n * sizeof *rating);
        memcpy(samples + (size_t)r * stride + n, res.coef, sizeof res.coef);
    }
    for (size_t i = 0; i < n; i++)
        column_quantiles(samples, rounds, stride, i, level, col, &lo[i], &hi[i]);
    for (int j = 0; coef_lo && coef_hi && j < BT_STYLE_N; j++)
        column_quantiles(samples, rounds, stride, n + (size_t)j, level, col, &coef_lo[j], &coef_hi[j]);
    rc = 0;
out:
    prepared_free(&pp);
    free(samples);
    free(col);
    free(rating);
    free(idx);
    return rc;
}
