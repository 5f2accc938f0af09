/* sampler.h — picks the next token from a row of logits.
 *
 * Greedy at temperature 0 (argmax, ties to the lowest id); otherwise, in this
 * order: repetition penalty over the recent history, temperature, top-k,
 * softmax, min-p, top-p, then one draw from a seeded PCG32 stream (the same
 * seed and the same logits give the same tokens on every machine). Pure
 * computation: no I/O, no global state. Not for logit processing that needs
 * the tokenizer (grammars, stop strings). */
#ifndef VERSUS_SAMPLER_H
#define VERSUS_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

typedef struct SamplerParams {
    float temperature;    /* <= 0: greedy */
    int top_k;            /* keep the k most likely; <= 0: off */
    float top_p;          /* nucleus mass; >= 1: off */
    float min_p;          /* drop p < min_p * p_max; <= 0: off */
    float repeat_penalty; /* divide positive / multiply negative logits of recent tokens; 1: off */
    int repeat_last_n;    /* how many recent tokens the penalty looks at; <= 0: none */
    uint64_t seed;        /* PRNG seed */
} SamplerParams;

/* llama.cpp's defaults: temperature 0.8, top_k 40, top_p 0.95, min_p 0.05,
 * repeat_penalty 1.0 (off), repeat_last_n 64, seed 0. */
SamplerParams sampler_params_default(void);

typedef struct Sampler Sampler;

/* A sampler over n_vocab logits; NULL when out of memory or n_vocab < 1. */
Sampler *sampler_new(const SamplerParams *p, int n_vocab);
void sampler_free(Sampler *s);

/* Picks a token from logits (n_vocab; modified in place by the penalty and the
 * temperature). history: the tokens so far (prompt and output), oldest first. */
int sampler_sample(Sampler *s, float *logits, const int *history, size_t n_history);

/* Index of the largest of n values, the lowest on ties (NaN never wins). */
int sampler_argmax(const float *logits, int n);

#endif
