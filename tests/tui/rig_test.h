/* rig_test.h — the start every tmux end-to-end suite shares, for Criterion
 * test files only: skip when the rig can not run here, fail when it does not
 * start, else wait for `ready` on the screen (an event, not a budget). */
#ifndef VERSUS_RIG_TEST_H
#define VERSUS_RIG_TEST_H

#include <criterion/criterion.h>

#include "tui/tmux_driver.h"

#define RIG_OPEN(rig, args, opts, ready)                                                                    \
    do {                                                                                                    \
        const char *why_ = rig_unavailable();                                                               \
        if (why_)                                                                                           \
            cr_skip_test("%s", why_);                                                                       \
        cr_assert_eq(rig_start_opts((rig), (args), (opts)), 0, "could not start tmux and the fake provider"); \
        cr_assert(rig_wait((rig), (ready), 1, 0), "the workbench did not start:\n%s", (rig)->screen);        \
    } while (0)

#endif
