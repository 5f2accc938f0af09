/* matmul.c — weight (ggml type) x activations (F32) on the CPU, see matmul.h.
 * The activations are converted once per call into the integer format the
 * weight type multiplies against (quant.h), then the rows of W are handed out
 * to the threads in chunks from a shared counter; inside a chunk each group of
 * up to 4 activation rows is run against every weight row of the chunk, so a
 * weight chunk is read from memory once and reused from cache. */
#include "engine/matmul.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/quant.h"

#define BATCH_TILE 4

typedef struct MatmulJob {
    QuantDotFn dot;
    const uint8_t *W;
    size_t w_row;       /* bytes per weight row */
    int64_t rows, cols;
    const float *X;     /* F32 activations (for the quantize phase) */
    uint8_t *XA;        /* activations in the kernel's format */
    size_t xa_row;      /* bytes per activation row */
    QuantActType act;
    int64_t batch;
    float *Y;
    int64_t chunk;      /* rows per chunk */
    atomic_long next;   /* next chunk to take */
} MatmulJob;

static void quantize_job(void *arg, int ti, int nt)
{
    MatmulJob *j = arg;
    for (int64_t b = ti; b < j->batch; b += nt)
        quant_act_quantize(j->act, j->X + b * j->cols, j->XA + (size_t)b * j->xa_row, j->cols);
}

static void matmul_job(void *arg, int ti, int nt)
{
    (void)ti;
    (void)nt;
    MatmulJob *j = arg;
    int64_t n_chunks = (j->rows + j->chunk - 1) / j->chunk;
    float out[BATCH_TILE];
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (c >= n_chunks)
            break;
        int64_t r0 = c * j->chunk, r1 = r0 + j->chunk;
        if (r1 > j->rows)
            r1 = j->rows;
        for (int64_t b = 0; b < j->batch; b += BATCH_TILE) {
            int nx = (int)(j->batch - b < BATCH_TILE ? j->batch - b : BATCH_TILE);
            const uint8_t *x = j->XA + (size_t)b * j->xa_row;
            for (int64_t r = r0; r < r1; r++) {
                j->dot(j->cols, j->W + (size_t)r * j->w_row, x, j->xa_row, nx, out);
                for (int k = 0; k < nx; k++)
                    j->Y[(b + k) * j->rows + r] = out[k];
            }
        }
    }
}

int matmul(ThreadPool *pool, GgmlType t, const void *W, int64_t rows, int64_t cols,
           const float *X, int64_t batch, float *Y, char *err, size_t errlen)
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
    if (rows == 0 || batch == 0)
        return 0;
    if (!W || !X || !Y) {
        snprintf(err, errlen, "matmul: NULL matrix");
        return -1;
    }
    MatmulJob j = {
        .dot = quant_dot_fn(t),
        .W = W,
        .w_row = quant_row_size(t, cols),
        .rows = rows, .cols = cols, .X = X, .batch = batch, .Y = Y,
        .act = quant_act_type(t),
    };
    j.xa_row = quant_act_row_size(j.act, cols);
    uint8_t *buf = NULL;
    if (j.act == QUANT_ACT_F32) {
        j.XA = (uint8_t *)(uintptr_t)X;
    } else {
        buf = malloc((size_t)batch * j.xa_row);
        if (!buf) {
            snprintf(err, errlen, "matmul: out of memory for %lld activation rows",
                     (long long)batch);
            return -1;
        }
        j.XA = buf;
        if (batch >= 4 && pool)
            threadpool_run(pool, quantize_job, &j);
        else
            quantize_job(&j, 0, 1);
    }
    /* Chunks: big enough to amortise the counter, small enough (~16 KiB of
     * weights per chunk at batch > 1) to stay in L2 while the activation
     * tiles pass over it, and at least ~4 per thread to balance load. */
    int nt = threadpool_size(pool);
    int64_t chunk = batch > 1 ? (int64_t)(16384 / j.w_row) : 64;
    if (chunk < 1)
        chunk = 1;
    int64_t per_thread = (rows + 4 * nt - 1) / (4 * nt);
    if (chunk > per_thread)
        chunk = per_thread > 0 ? per_thread : 1;
    j.chunk = chunk;
    atomic_init(&j.next, 0);
    /* rows are claimed from a shared counter: a worker that arrives late
     * (descheduled on a busy machine) can skip the job instead of being waited for */
    threadpool_run_dynamic(pool, matmul_job, &j);
    free(buf);
    return 0;
}
