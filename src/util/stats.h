/* stats.h — sorting a sample and taking its median.
 *
 * The one median in versus: the speeds a report and the costs read from
 * replies, the repetitions of `versus bench` and of the memory bandwidth
 * measurement; and the one ascending sort of doubles (policy curves,
 * bootstrap quantiles). Not for weighted or streaming statistics. */
#ifndef VERSUS_STATS_H
#define VERSUS_STATS_H

#include <stddef.h>

/* Sorts v[0..n) ascending, in place (no NaNs in v). */
void stats_sort(double *v, size_t n);
/* The median of v[0..n), sorting v in place: the middle value, or the mean
 * of the two middle ones when n is even; NAN when n is 0. */
double stats_median(double *v, size_t n);

#endif
