/* report_doc.h — the report as a list of blocks (headings, paragraphs,
 * warnings, tables, bar charts) with every number already formatted, so that
 * the HTML page and the Markdown file say exactly the same things.
 * Internal to src/eval: report.h is the public face. */
#ifndef VERSUS_REPORT_DOC_H
#define VERSUS_REPORT_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include "eval/report.h"

typedef enum DocKind {
    DOC_H1, DOC_H2, DOC_H3, DOC_P, DOC_NOTE, DOC_WARN, DOC_TABLE, DOC_CHART,
} DocKind;

typedef struct DocTable {
    size_t cols, rows;  /* rows include the header row */
    char **cell;        /* (rows × cols), row 0 the header */
} DocTable;

typedef struct DocChart {
    size_t n;           /* bars */
    char **label;       /* (n) the full text shown above each bar: name and value */
    double *v, *lo, *hi;/* (n) value and interval (NAN: none; ±INFINITY: unbounded) */
    double base;        /* where bars start */
} DocChart;

typedef struct DocBlock {
    DocKind kind;
    char *text;         /* headings, paragraphs, notes, warnings; a chart's caption */
    char *id;           /* an anchor for headings, or NULL */
    DocTable table;
    DocChart chart;
} DocBlock;

typedef struct Doc {
    DocBlock *b;        /* (n) */
    size_t n, cap;
} Doc;

/* Lays the report out. 0 or -1 (out of memory). */
int report_doc_build(const Report *r, const char *title, Doc *doc);
void report_doc_free(Doc *doc);

#endif
