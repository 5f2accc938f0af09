/* matmul.c — weight (ggml type) x activations (F32) on the CPU, see matmul.h.
 * The activations are converted once per call into the integer format the
 * weight type multiplies against (quant.h). The work is cut into units of
 * weight rows (whole panels for packed matrices) that the threads claim from a
 * shared counter, across every matrix of a matmul_many call; a unit's weights
 * are read from memory once and multiplied against every activation row
 * while they sit in cache (activation rows in blocks that fit in L2, four at a
 * time). Each output comes from one kernel call whose inputs do not depend on
 * which thread ran it, so results are the same for any number of threads. */
#include "engine/matmul.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "engine/panel.h"
#include "engine/quant.h"

#define BATCH_TILE 4                      /* activation rows per kernel call */
#define UNIT_BYTES_DECODE (32u << 10)     /* weights per unit at batch 1 */
#define UNIT_BYTES_PREFILL (24u << 10)    /* weights per unit at batch > 1 (stay in L1/L2) */
#define ACT_BLOCK_BYTES (192u << 10)      /* activation rows per block (stay in L2) */
#define PACK_ALIGN ((size_t)4096)        /* page-aligned panels (huge pages where 2 MiB-aligned runs fit) */

struct MatmulWeights {
    GgmlType type;
    const uint8_t *data;   /* row-major, borrowed */
    int64_t rows, cols;
    size_t row_bytes;
    uint8_t *packed;       /* (n_panels, panel_bytes) or NULL */
    size_t packed_alloc;   /* bytes allocated for packed */
    size_t panel_bytes;
    int64_t n_panels;
};

static int check_shape(GgmlType t, int64_t rows, int64_t cols, int64_t batch, char *err, size_t errlen)
{
    if (!quant_type_supported(t)) {
        snprintf(err, errlen, "matmul: unsupported weight type %s (%d)", quant_type_name(t), (int)t);
        return -1;
    }
    int bs = quant_block_size(t);
    if (rows < 0 || cols <= 0 || batch < 0 || cols % bs) {
        snprintf(err, errlen, "matmul: bad shape rows=%lld cols=%lld batch=%lld for %s "
                 "(cols must be a positive multiple of %d)", (long long)rows, (long long)cols,
                 (long long)batch, quant_type_name(t), bs);
        return -1;
    }
    return 0;
}

/* ---- preparation ---------------------------------------------------------------- */

typedef struct PackJob {
    MatmulWeights *w;
    atomic_long next;     /* next group of panels to pack */
    int64_t group;        /* panels per claim */
    void (*done)(void *ctx, const void *p, size_t n); /* W's bytes packed, or NULL */
    void *ctx;
} PackJob;

static void pack_job(void *arg, int ti, int nt)
{
    (void)ti;
    (void)nt;
    PackJob *j = arg;
    MatmulWeights *w = j->w;
    for (;;) {
        int64_t p0 = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed) * j->group;
        if (p0 >= w->n_panels)
            break;
        int64_t p1 = p0 + j->group < w->n_panels ? p0 + j->group : w->n_panels;
        panel_pack(w->type, w->data, w->rows, w->cols, w->packed, p0, p1);
        if (j->done) {
            int64_t r0 = p0 * PANEL_ROWS, r1 = p1 * PANEL_ROWS < w->rows ? p1 * PANEL_ROWS : w->rows;
            j->done(j->ctx, (const uint8_t *)w->data + (size_t)r0 * w->row_bytes, (size_t)(r1 - r0) * w->row_bytes);
        }
    }
}

MatmulWeights *matmul_weights_view(GgmlType t, const void *W, int64_t rows, int64_t cols, char *err,
                                   size_t errlen)
{
    if (check_shape(t, rows, cols, 1, err, errlen) < 0)
        return NULL;
    if (!W && rows > 0) {
        snprintf(err, errlen, "matmul: NULL matrix");
        return NULL;
    }
    MatmulWeights *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "matmul: out of memory");
        return NULL;
    }
    *w = (MatmulWeights){ .type = t, .data = W, .rows = rows, .cols = cols,
                          .row_bytes = quant_row_size(t, cols) };
    return w;
}

MatmulWeights *matmul_weights_new(ThreadPool *pool, GgmlType t, const void *W, int64_t rows,
                                  int64_t cols, char *err, size_t errlen)
{
    return matmul_weights_new_releasing(pool, t, W, rows, cols, NULL, NULL, err, errlen);
}

MatmulWeights *matmul_weights_new_releasing(ThreadPool *pool, GgmlType t, const void *W, int64_t rows,
                                            int64_t cols, void (*done)(void *ctx, const void *p, size_t n),
                                            void *ctx, char *err, size_t errlen)
{
    MatmulWeights *w = matmul_weights_view(t, W, rows, cols, err, errlen);
    if (!w)
        return NULL;
    size_t pb = panel_bytes(t, cols);
    if (rows == 0 || !pb || !panel_supported(t))
        return w;
    w->panel_bytes = pb;
    w->n_panels = (rows + PANEL_ROWS - 1) / PANEL_ROWS;
    size_t bytes = pb * (size_t)w->n_panels;
    w->packed_alloc = (bytes + PACK_ALIGN - 1) / PACK_ALIGN * PACK_ALIGN;
    w->packed = aligned_alloc(PACK_ALIGN, w->packed_alloc);
    if (!w->packed) {
        snprintf(err, errlen, "matmul: out of memory repacking a %lld x %lld %s matrix (%.1f MiB)",
                 (long long)rows, (long long)cols, quant_type_name(t), (double)bytes / 1048576.0);
        free(w);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    madvise(w->packed, w->packed_alloc, MADV_HUGEPAGE); /* fewer TLB misses; advisory */
#endif
    PackJob j = { .w = w, .group = 16, .done = done, .ctx = ctx };
    atomic_init(&j.next, 0);
    threadpool_run_dynamic(pool, pack_job, &j);
    return w;
}

void matmul_weights_free(MatmulWeights *w)
{
    if (!w)
        return;
    free(w->packed);
    free(w);
}

size_t matmul_weights_bytes(const MatmulWeights *w)
{
    return w && w->packed ? w->packed_alloc : 0;
}

bool matmul_weights_packed(const MatmulWeights *w)
{
    return w && w->packed && panel_supported(w->type);
}

int64_t matmul_weights_rows(const MatmulWeights *w)
{
    return w->rows;
}

int64_t matmul_weights_cols(const MatmulWeights *w)
{
    return w->cols;
}

/* ---- products ----------------------------------------------------------------- */

/* One matrix of a job. */
typedef struct MatOp {
    const MatmulWeights *w;
    float *Y;
    PanelDotFn pdot;    /* panels, or NULL: row kernel */
    QuantDotFn dot;
    int act;            /* index into the job's activation buffers */
    int64_t unit;       /* panels (pdot) or rows per unit */
    int64_t n_units;
    int64_t first_unit; /* units of the earlier ops */
} MatOp;

typedef struct MatJob {
    MatOp op[MATMUL_MAX_MANY];
    int n_ops;
    int64_t cols, batch;
    const float *X;
    QuantActType act_type[MATMUL_MAX_MANY];
    uint8_t *XA[MATMUL_MAX_MANY];  /* activations in each kernel format */
    size_t xa_row[MATMUL_MAX_MANY];
    int n_act;
    int64_t act_block;             /* activation rows per cache block (multiple of BATCH_TILE) */
    int64_t n_units;
    atomic_long next;
} MatJob;

static void quantize_job(void *arg, int ti, int nt)
{
    MatJob *j = arg;
    for (int a = 0; a < j->n_act; a++) {
        if (j->act_type[a] == QUANT_ACT_F32)
            continue;
        for (int64_t b = ti; b < j->batch; b += nt)
            quant_act_quantize(j->act_type[a], j->X + b * j->cols, j->XA[a] + (size_t)b * j->xa_row[a],
                               j->cols);
    }
}

/* Panels p0..p1-1 of op o against every activation row. */
static void run_panels(const MatJob *j, const MatOp *o, int64_t p0, int64_t p1)
{
    const MatmulWeights *w = o->w;
    const uint8_t *xa = j->XA[o->act];
    size_t xs = j->xa_row[o->act];
    float tmp[BATCH_TILE * PANEL_ROWS];
    for (int64_t b0 = 0; b0 < j->batch; b0 += j->act_block) {
        int64_t b1 = b0 + j->act_block < j->batch ? b0 + j->act_block : j->batch;
        for (int64_t p = p0; p < p1; p++) {
            const uint8_t *panel = w->packed + (size_t)p * w->panel_bytes;
            int64_t r0 = p * PANEL_ROWS;
            bool full = r0 + PANEL_ROWS <= w->rows;
            for (int64_t b = b0; b < b1; b += BATCH_TILE) {
                int nx = (int)(b1 - b < BATCH_TILE ? b1 - b : BATCH_TILE);
                const uint8_t *x = xa + (size_t)b * xs;
                if (full) {
                    o->pdot(j->cols, panel, x, xs, nx, o->Y + b * w->rows + r0, (size_t)w->rows);
                } else {
                    o->pdot(j->cols, panel, x, xs, nx, tmp, PANEL_ROWS);
                    for (int k = 0; k < nx; k++)
                        memcpy(o->Y + (b + k) * w->rows + r0, tmp + k * PANEL_ROWS,
                               (size_t)(w->rows - r0) * sizeof(float));
                }
            }
        }
    }
}

/* Rows r0..r1-1 of op o (row kernels) against every activation row. */
static void run_rows(const MatJob *j, const MatOp *o, int64_t r0, int64_t r1)
{
    const MatmulWeights *w = o->w;
    const uint8_t *xa = j->XA[o->act];
    size_t xs = j->xa_row[o->act];
    float out[BATCH_TILE];
    for (int64_t b = 0; b < j->batch; b += BATCH_TILE) {
        int nx = (int)(j->batch - b < BATCH_TILE ? j->batch - b : BATCH_TILE);
        const uint8_t *x = xa + (size_t)b * xs;
        for (int64_t r = r0; r < r1; r++) {
            o->dot(j->cols, w->data + (size_t)r * w->row_bytes, x, xs, nx, out);
            for (int k = 0; k < nx; k++)
                o->Y[(b + k) * w->rows + r] = out[k];
        }
    }
}

static void matmul_job(void *arg, int ti, int nt)
{
    (void)ti;
    (void)nt;
    MatJob *j = arg;
    int k = 0;
    for (;;) {
        int64_t u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (u >= j->n_units)
            break;
        while (u >= j->op[k].first_unit + j->op[k].n_units)
            k++;
        const MatOp *o = &j->op[k];
        int64_t local = u - o->first_unit;
        if (o->pdot) {
            int64_t p0 = local * o->unit, p1 = p0 + o->unit;
            run_panels(j, o, p0, p1 < o->w->n_panels ? p1 : o->w->n_panels);
        } else {
            int64_t r0 = local * o->unit, r1 = r0 + o->unit;
            run_rows(j, o, r0, r1 < o->w->rows ? r1 : o->w->rows);
        }
    }
}

/* Rows or panels per unit: about `target` bytes of weights, and at least four
 * units per thread when the matrix allows it. */
static int64_t unit_size(int64_t items, size_t item_bytes, size_t target, int nt)
{
    int64_t u = item_bytes ? (int64_t)(target / item_bytes) : 1;
    if (u < 1)
        u = 1;
    int64_t per_thread = (items + 4 * nt - 1) / (4 * nt);
    if (u > per_thread)
        u = per_thread > 0 ? per_thread : 1;
    return u;
}

int matmul_many(ThreadPool *pool, const MatmulWeights *const *W, float *const *Y, int n,
                const float *X, int64_t batch, char *err, size_t errlen)
{
    if (n < 1 || n > MATMUL_MAX_MANY) {
        snprintf(err, errlen, "matmul: %d matrices in one call (1 to %d)", n, MATMUL_MAX_MANY);
        return -1;
    }
    if (batch < 0) {
        snprintf(err, errlen, "matmul: negative batch %lld", (long long)batch);
        return -1;
    }
    MatJob j = { .n_ops = n, .cols = W[0]->cols, .batch = batch, .X = X };
    for (int i = 0; i < n; i++)
        if (W[i]->cols != j.cols) {
            snprintf(err, errlen, "matmul: matrices of %lld and %lld columns in one call",
                     (long long)j.cols, (long long)W[i]->cols);
            return -1;
        }
    if (batch == 0)
        return 0;
    if (!X) {
        snprintf(err, errlen, "matmul: NULL activations");
        return -1;
    }
    int nt = threadpool_size(pool);
    int64_t units = 0;
    for (int i = 0; i < n; i++) {
        const MatmulWeights *w = W[i];
        MatOp *o = &j.op[i];
        QuantActType a = quant_act_type(w->type);
        int ai = 0;
        while (ai < j.n_act && j.act_type[ai] != a)
            ai++;
        if (ai == j.n_act)
            j.act_type[j.n_act++] = a;
        *o = (MatOp){ .w = w, .Y = Y[i], .act = ai };
        if (w->packed)
            o->pdot = panel_dot_fn(w->type);
        size_t target = batch > 1 ? UNIT_BYTES_PREFILL : UNIT_BYTES_DECODE;
        if (o->pdot) {
            o->unit = unit_size(w->n_panels, w->panel_bytes, target, nt);
            o->n_units = (w->n_panels + o->unit - 1) / o->unit;
        } else {
            o->dot = quant_dot_fn(w->type);
            o->unit = unit_size(w->rows, batch > 1 ? w->row_bytes : w->row_bytes / 4, target, nt);
            o->n_units = w->rows ? (w->rows + o->unit - 1) / o->unit : 0;
        }
        o->first_unit = units;
        units += o->n_units;
    }
    j.n_units = units;
    uint8_t *buf = NULL;
    size_t total = 0;
    for (int a = 0; a < j.n_act; a++) {
        j.xa_row[a] = quant_act_row_size(j.act_type[a], j.cols);
        if (j.act_type[a] != QUANT_ACT_F32)
            total += (size_t)batch * j.xa_row[a];
    }
    if (total) {
        buf = malloc(total);
        if (!buf) {
            snprintf(err, errlen, "matmul: out of memory for %lld activation rows", (long long)batch);
            return -1;
        }
    }
    size_t off = 0, widest = 0;
    for (int a = 0; a < j.n_act; a++) {
        if (j.act_type[a] == QUANT_ACT_F32) {
            j.XA[a] = (uint8_t *)(uintptr_t)X;
        } else {
            j.XA[a] = buf + off;
            off += (size_t)batch * j.xa_row[a];
        }
        if (j.xa_row[a] > widest)
            widest = j.xa_row[a];
    }
    if (total) {
        if (batch >= 4 && pool)
            threadpool_run(pool, quantize_job, &j);
        else
            quantize_job(&j, 0, 1);
    }
    j.act_block = (int64_t)(ACT_BLOCK_BYTES / widest) / BATCH_TILE * BATCH_TILE;
    if (j.act_block < BATCH_TILE)
        j.act_block = BATCH_TILE;
    atomic_init(&j.next, 0);
    /* units are claimed from a shared counter: a worker that arrives late
     * (descheduled on a busy machine) can skip the job instead of being waited for */
    threadpool_run_dynamic(pool, matmul_job, &j);
    free(buf);
    return 0;
}

int matmul(ThreadPool *pool, GgmlType t, const void *W, int64_t rows, int64_t cols,
           const float *X, int64_t batch, float *Y, char *err, size_t errlen)
{
    if (check_shape(t, rows, cols, batch, err, errlen) < 0)
        return -1;
    if (rows == 0 || batch == 0)
        return 0;
    if (!W || !X || !Y) {
        snprintf(err, errlen, "matmul: NULL matrix");
        return -1;
    }
    /* the row kernels on the caller's bytes: a view, nothing packed */
    MatmulWeights w = { .type = t, .data = W, .rows = rows, .cols = cols,
                        .row_bytes = quant_row_size(t, cols) };
    const MatmulWeights *ws[1] = { &w };
    float *ys[1] = { Y };
    return matmul_many(pool, ws, ys, 1, X, batch, err, errlen);
}
