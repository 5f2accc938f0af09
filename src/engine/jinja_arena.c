/* jinja_arena.c — the bump allocator every Jinja allocation comes from, and
 * the masked byte buffers output and strings are built in (see
 * jinja_impl.h). An arena has a byte limit: a hostile template that builds
 * ever larger strings fails with "too much memory" instead of exhausting the
 * machine. Not for: values (jinja_value.c). */
#include "engine/jinja_impl.h"

#include <stdlib.h>
#include <string.h>

struct JArenaBlock {
    JArenaBlock *next;
    size_t size; /* bytes after the header */
};

#define JA_ALIGN 16
#define JA_HEADER ((sizeof(JArenaBlock) + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1))
#define JA_MIN_BLOCK ((size_t)64 << 10)

void *ja_alloc(JArena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > ((size_t)1 << 40))
        return NULL;
    n = (n + JA_ALIGN - 1) & ~(size_t)(JA_ALIGN - 1);
    if (n > a->left) {
        size_t size = n > JA_MIN_BLOCK ? n : JA_MIN_BLOCK;
        if (a->limit && a->used + size > a->limit) {
            if (a->used + n > a->limit)
                return NULL;
            size = n; /* the last bit below the limit */
        }
        JArenaBlock *b = malloc(JA_HEADER + size);
        if (!b)
            return NULL;
        b->next = a->head;
        b->size = size;
        a->head = b;
        a->cur = (char *)b + JA_HEADER;
        a->left = size;
        a->used += size;
    }
    void *p = a->cur;
    a->cur += n;
    a->left -= n;
    memset(p, 0, n);
    return p;
}

char *ja_strndup(JArena *a, const char *s, size_t n)
{
    char *d = ja_alloc(a, n + 1);
    if (d && n)
        memcpy(d, s, n);
    return d;
}

void ja_free_all(JArena *a)
{
    JArenaBlock *b = a->head;
    while (b) {
        JArenaBlock *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->cur = NULL;
    a->left = 0;
    a->used = 0;
}

/* ---- masked buffers ------------------------------------------------------------ */

static int jb_grow(JRender *r, JBuf *b, size_t more)
{
    if (b->n + more <= b->cap)
        return 0;
    if (more > r->lim->max_output || b->n + more > r->lim->max_output) {
        jr_fail(r, "the template's output passes %zu bytes", r->lim->max_output);
        return -1;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + more)
        cap *= 2;
    char *p = ja_alloc(&r->arena, cap + 1);
    unsigned char *m = b->m ? ja_alloc(&r->arena, cap) : NULL;
    if (!p || (b->m && !m)) {
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        return -1;
    }
    if (b->n) {
        memcpy(p, b->p, b->n);
        if (m)
            memcpy(m, b->m, b->n);
    }
    b->p = p;
    b->m = m;
    b->cap = cap;
    return 0;
}

int jb_put(JRender *r, JBuf *b, const char *s, size_t n, const unsigned char *m)
{
    if (r->failed)
        return -1;
    if (n == 0)
        return 0;
    if (jb_grow(r, b, n) < 0)
        return -1;
    if (m && !b->m) { /* the first input bytes: start the mask */
        b->m = ja_alloc(&r->arena, b->cap);
        if (!b->m) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            return -1;
        }
    }
    memcpy(b->p + b->n, s, n);
    if (b->m) {
        if (m)
            memcpy(b->m + b->n, m, n);
        else
            memset(b->m + b->n, 0, n);
    }
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

int jb_puts(JRender *r, JBuf *b, const char *s) { return jb_put(r, b, s, strlen(s), NULL); }

int jb_put_str(JRender *r, JBuf *b, JStr s) { return jb_put(r, b, s.p, s.n, s.m); }

JVal jb_to_val(JBuf *b)
{
    if (!b->p)
        return jv_str("", 0, NULL);
    const unsigned char *m = b->m;
    if (m) { /* a mask of zeros says nothing */
        size_t i = 0;
        while (i < b->n && !m[i])
            i++;
        if (i == b->n)
            m = NULL;
    }
    return jv_str(b->p, b->n, m);
}
