/* clock.h — monotonic and wall time in the units versus reports (ms). */
#ifndef VERSUS_CLOCK_H
#define VERSUS_CLOCK_H

/* Milliseconds on a monotonic clock with an arbitrary origin. */
double clock_now_ms(void);
/* Seconds since the Unix epoch (wall clock), for timestamps in files. */
double clock_wall_s(void);

#endif
