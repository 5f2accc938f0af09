/* battles.h — labelled rounds as pairwise battles, the way LMArena maps
 * votes, for the ratings (bradley_terry.h) and the pairwise figures.
 *
 * Only candidates that ran take part: a candidate versus did not send
 * (not_sent) or that failed without a word of text has nothing to judge (a
 * refusal or a provider's block is an answer, and takes part).
 * Among those that took part:
 *   win        the winner beats each other one (1 / 0);
 *   tie        every pair ties (0.5);
 *   both_bad   every pair ties (0.5), as Arena's "tie (bothbad)";
 * and two losers of a won round have, by default, no battle with each other
 * (the label says one answer was best, not how the others compare);
 * BATTLES_LOSERS_TIE counts them as a tie instead (versus before 0.2).
 * A won round whose winner did not take part gives no battle. Each battle
 * carries the style features of its two replies (style.h). Pure. */
#ifndef VERSUS_BATTLES_H
#define VERSUS_BATTLES_H

#include <stdbool.h>
#include <stddef.h>

#include "eval/bradley_terry.h"
#include "store/fixture.h"

typedef enum BattleLosers {
    BATTLES_LOSERS_NONE, /* losers of a won round: no battle between them (default) */
    BATTLES_LOSERS_TIE,  /* losers of a won round tie with each other */
} BattleLosers;

typedef struct BattleSet {
    BtBattle *b;      /* (n) a and b index the models passed to battles_build */
    size_t *case_of;  /* (n) the case each battle came from */
    size_t n;
    size_t skipped;   /* candidates of labelled rounds that did not take part */
} BattleSet;

/* True when a candidate took part in its round (see above; reply_took_part). */
bool battles_took_part(const Reply *r);
/* False for a round labelled won by a candidate that did not take part (a
 * file labelled before versus refused such labels): the label is no
 * evidence, and reports and policy checks leave it out with a note. */
bool battles_label_valid(const SessionRound *r);
/* Why battles_label_valid is false, in words ("the labelled winner SPEC was
 * not sent"); "" when it is true. */
void battles_label_why(const SessionRound *r, char *out, size_t outlen);

/* Battles of every labelled case in set between candidates whose names
 * (candidate_key: the spec, or "local:FILE") are among models[0..n_models)
 * (a candidate not found there is skipped). 0, or -1 with err. */
int battles_build(const FixtureSet *set, const char *const *models, size_t n_models, BattleLosers losers,
                  BattleSet *out, char *err, size_t errlen);
void battles_free(BattleSet *b);

/* The 95% Wilson score interval of a win rate: score (wins, ties counted
 * half) out of n meetings. NAN, NAN when n is 0. */
void battles_wilson(double score, double n, double *lo, double *hi);

/* "none" | "tie" → BattleLosers; 0 or -1. */
int battles_losers_parse(const char *s, BattleLosers *out);

#endif
